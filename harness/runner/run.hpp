#pragma once
// `athil run` and `athil validate`: load everything, check it, plan, bring the rig up,
// run each slot's scenarios (slots in parallel), and keep the JUnit report current.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace athil::runner {

enum ExitCode : int { all_passed = 0, scenario_failed = 1, bad_input = 2, infrastructure = 3 };

struct RunOptions {
  std::vector<std::filesystem::path> paths;  // scenario files or folders
  std::filesystem::path rig;
  std::filesystem::path junit;
  std::filesystem::path fixtures;
  std::vector<std::pair<std::string, std::string>> defines;  // -D name=value
  std::filesystem::path executable;                           // athil itself, to start `athil sim`
};

int run(const RunOptions& options);
// Loads and checks scenarios (and the rig when given) without touching a module.
int validate(const RunOptions& options);

}  // namespace athil::runner
