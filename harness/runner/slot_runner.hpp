#pragma once
// One slot's part of a run: open its session (rig::SlotSession, whatever kind the slot is), run
// its planned scenarios one after another with retries and recovery, and keep its evidence and
// its testcases in the report.
#include <atomic>
#include <filesystem>
#include <optional>
#include <string>

#include "report/run_folder.hpp"
#include "rig/model.hpp"
#include "runner/console.hpp"
#include "runner/plan.hpp"
#include "runner/report_state.hpp"
#include "runner/run.hpp"
#include "scenario/model_profiles.hpp"

namespace athil::runner {

// What every slot's thread shares.
struct RunContext {
  const rig::Rig& rig;
  const scenario::ModelProfiles& profiles;  // fixtures/models.xml
  const RunOptions& options;
  std::filesystem::path temp_dir;  // the virtual rack's pty links and control sockets
  std::string firmware_url;
  std::optional<rig::Endpoint> firmware_server;  // the same server, for a raw TCP peer
  std::optional<rig::Endpoint> mqtt_broker;      // the run's own, for virtual slots without one
  std::string mqtt_broker_error;                 // why the run's own did not start
  report::RunFolder& folder;
  ReportState& report;
  Console& console;
  // --until-fail: the first slot to see a failure stops every slot from starting more.
  std::atomic<bool> found_failure = false;
  // --until-fail with --run-timeout: the time ran out with no failure found (a hunt's good end).
  std::atomic<bool> hunt_time_up = false;
  std::atomic<int> rounds_started = 0;  // the highest round any slot started
  std::atomic<bool> harness_fault = false;
};

// The slot's suite, with its planned testcases, for the report before anything runs.
report::TestSuite planned_suite(const SlotPlan& plan, const RunContext& run);

// Runs one slot's plan in the calling thread, its testcases in the report's suite `suite`
// (from planned_suite). Never throws: however it ends, each of the slot's planned testcases is
// in the report (a harness fault makes the running one an error and the rest skipped, both
// naming it).
void run_slot(const SlotPlan& plan, std::size_t suite, RunContext& run);

// The testcase name of a planned run: the scenario's, with the round when the run has rounds.
std::string case_name(const std::string& scenario, int round, bool rounds);
std::string host_name();  // as the report's suites name it

}  // namespace athil::runner
