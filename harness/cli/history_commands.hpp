#pragma once
// `athil history [import DIR]` and `athil diff`: their options, kept out of main.cpp.
#include <memory>
#include <optional>

namespace CLI {
class App;
}

namespace athil::cli {

class HistoryCommands {
 public:
  explicit HistoryCommands(CLI::App& app);
  ~HistoryCommands();
  // The exit code of the one that was given, or nothing when none was.
  std::optional<int> run() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace athil::cli
