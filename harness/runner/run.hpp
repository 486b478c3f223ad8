#pragma once
// `athil run`, `athil list` and `athil validate`: load everything, check it, plan, bring the
// rig up, run each slot's scenarios (slots in parallel), and keep the report folder current.
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/duration.hpp"
#include "report/junit.hpp"
#include "runner/plan.hpp"

namespace athil::runner {

enum ExitCode : int { all_passed = 0, scenario_failed = 1, bad_input = 2, infrastructure = 3 };

struct RunOptions {
  std::vector<std::filesystem::path> paths;  // scenario files or folders
  std::filesystem::path rig;
  std::filesystem::path junit;  // its folder is the report folder: reports/<run-id>/ goes there
  report::JunitFlavour junit_flavour = report::JunitFlavour::strict;
  std::filesystem::path fixtures;
  std::vector<std::pair<std::string, std::string>> defines;  // -D name=value
  std::filesystem::path executable;                          // athil itself, to start `athil sim`
  std::string command_line;                                  // as given, for the results store
  PlanOptions plan;
  std::size_t keep_runs = 0;            // after the run, keep at most this many run folders (0: all)
  int retries = 0;                      // errors (never failures) run again up to this many times
  bool until_fail = false;              // rounds again and again until a scenario fails or errs
  std::optional<Duration> run_timeout;  // wall clock, not scaled: the CI job's own limit
  std::optional<double> time_scale;     // instead of the rig's (1: real time, as on real modules)
};

int run(const RunOptions& options);
// Prints the plan (`athil list`) without touching a module.
int list(const RunOptions& options);
// Loads and checks scenarios (and the rig when given) without touching a module.
int validate(const RunOptions& options);

}  // namespace athil::runner
