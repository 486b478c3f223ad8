#pragma once
// The subcommands, a group to a class, each with its own options, kept out of main.cpp. A
// group registers its subcommands on the app when made; run() gives the exit code of the one
// that was parsed, or nothing when none of its own was. (`history` and `diff`: history_commands.)
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace athil::cli {

// How athil was started: what a run records, and what it starts virtual modules with.
struct Invocation {
  std::filesystem::path executable;
  std::string command_line;  // the arguments after the program's name
};

// run, list, validate, and rig check.
class RunCommands {
 public:
  RunCommands(CLI::App& app, Invocation invocation);
  ~RunCommands();
  std::optional<int> run() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// sim, pin, delta make|show: a virtual module, by hand.
class ModuleCommands {
 public:
  explicit ModuleCommands(CLI::App& app);
  ~ModuleCommands();
  std::optional<int> run() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// import, scaffold, replay, record: the logs of modules in the field.
class FieldCommands {
 public:
  explicit FieldCommands(CLI::App& app);
  ~FieldCommands();
  std::optional<int> run() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// current: a current meter read for a while.
class MeterCommands {
 public:
  explicit MeterCommands(CLI::App& app);
  ~MeterCommands();
  std::optional<int> run() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace athil::cli
