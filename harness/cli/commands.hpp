#pragma once
// The subcommands, a group to a file, each with its own options, kept out of main.cpp. A group
// registers its subcommands on the app when made; run() gives the exit code of the one that was
// parsed, or nothing when none of its own was.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace athil::cli {

// What athil's exit codes mean, for the help of athil and of the commands that run scenarios.
extern const char* const exit_codes;

class CommandGroup {
 public:
  virtual ~CommandGroup() = default;
  virtual std::optional<int> run() const = 0;
};

// How athil was started: what a run records, and what it starts virtual modules with.
struct Invocation {
  std::filesystem::path executable;
  std::string command_line;  // the arguments after the program's name
};

// run, list, validate, and rig check.
std::unique_ptr<CommandGroup> run_commands(CLI::App& app, Invocation invocation);
// sim, pin, delta make|show: a virtual module, by hand.
std::unique_ptr<CommandGroup> module_commands(CLI::App& app);
// import, scaffold, replay, record: the logs of modules in the field.
std::unique_ptr<CommandGroup> field_commands(CLI::App& app);
// current: a current meter read for a while.
std::unique_ptr<CommandGroup> meter_commands(CLI::App& app);
// history [import], diff: the results store across runs.
std::unique_ptr<CommandGroup> history_commands(CLI::App& app);

}  // namespace athil::cli
