#pragma once
// The divergences a replay reports, one a line in a file beside the slot's replay log: the
// replay (`athil replay --report`) appends them, the runner reads those a scenario caused
// and judges it by them. The file's format lives here only.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace athil::field {

class DivergenceLog {
 public:
  explicit DivergenceLog(std::filesystem::path file) : file_(std::move(file)) {}
  // The replay's side; each throws InfraError when the file cannot be written.
  void create() const;  // an empty file, or the one there as it is
  void append(std::string_view what) const;
  // A line for a person that is not a divergence (the replay's summary at its end).
  void note(std::string_view line) const;
  // Where the next divergence will start: taken before a scenario, read from after it.
  std::uintmax_t mark() const;
  // The divergences appended since `mark`, oldest first (the first max_read of them).
  std::vector<std::string> since(std::uintmax_t mark) const;

  static constexpr std::size_t max_read = 1000;

 private:
  std::filesystem::path file_;
};

}  // namespace athil::field
