#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "base/duration.hpp"
#include "base/heap.hpp"
#include "cli/commands.hpp"
#include "runner/rig_check.hpp"
#include "runner/run.hpp"

namespace athil::cli {

namespace fs = std::filesystem;

const char* const exit_codes =
    "Exit codes: 0 all passed; 1 a scenario failed (the module did not do what it says); 2 bad input (scenario, fixture, rig or command line, "
    "at file:line:col); 3 infrastructure (a port, pin, lock or module that cannot be reached; an interrupted run).";

namespace {

std::pair<std::string, std::string> parse_define(const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) throw CLI::ValidationError("-D", fmt::format("'{}' is not name=value", text));
  return {text.substr(0, eq), text.substr(eq + 1)};
}

struct RunGroup final : CommandGroup {
  RunGroup(CLI::App& app, Invocation invocation);
  std::optional<int> run() const override;

  Invocation invocation;
  CLI::App* run_cmd = nullptr;
  CLI::App* list_cmd = nullptr;
  CLI::App* validate_cmd = nullptr;
  CLI::App* check_cmd = nullptr;
  runner::RunOptions options;
  std::vector<std::string> paths, defines;
  std::string rig = "rigs/virtual.xml", junit = "reports/junit.xml", junit_flavour = "strict", fixtures = "fixtures", shard, shard_by = "pair", run_timeout;
  double time_scale = 0;  // 0: the rig's
  std::string check_rig = "rigs/virtual.xml";

  void add_options(CLI::App& cmd, bool running);
  void add_plan_options(CLI::App& cmd);
  void add_report_options(CLI::App& cmd);
  runner::RunOptions parsed_options() const;
};

}  // namespace

void RunGroup::add_options(CLI::App& cmd, bool running) {
  cmd.footer(exit_codes);
  cmd.add_option("paths", paths, "scenario files or folders (default: scenarios/)");
  cmd.add_option("--rig", rig, "rig file")->capture_default_str();
  cmd.add_option("--fixtures", fixtures, "fixtures folder")->capture_default_str();
  // One value per -D, so that a path after it is not taken for a second definition.
  cmd.add_option("-D,--define", defines, "variable for scenarios, name=value (repeatable)")->allow_extra_args(false);
  if (!running) return;
  cmd.add_option("--junit", junit, "JUnit report to write; the run's folder (transcripts, waveforms, summary.md) goes beside it")->capture_default_str();
  add_plan_options(cmd);
  if (cmd.get_name() != "list") add_report_options(cmd);
}

// Which scenarios run where: `list` prints what `run` with the same ones would do.
void RunGroup::add_plan_options(CLI::App& cmd) {
  auto& plan = options.plan;
  cmd.add_option("--filter", plan.filters, "only scenarios whose name or path matches this glob (repeatable)")->allow_extra_args(false);
  cmd.add_option("--tag", plan.tags, "only scenarios with this tag (repeatable, or comma-separated)")->delimiter(',')->allow_extra_args(false);
  cmd.add_option("--model", plan.models, "only slots of this model or model prefix (repeatable)")->delimiter(',')->allow_extra_args(false);
  cmd.add_option("--slot", plan.slots, "only slots whose name matches this glob (repeatable)")->delimiter(',')->allow_extra_args(false);
  cmd.add_flag("--spread", plan.spread, "run each scenario once per model, shared among that model's slots, instead of on every slot");
  cmd.add_option("--shard", shard, "run only part K of N of the plan (such as 2/4), for fanning out over several hosts");
  cmd.add_option("--shard-by", shard_by, "deal (slot, scenario) pairs or whole slots among the shards")
      ->check(CLI::IsMember({"pair", "slot"}))
      ->capture_default_str();
  cmd.add_option("--repeat", plan.repeat, "run the plan this many rounds, each run its own testcase")->check(CLI::PositiveNumber);
}

void RunGroup::add_report_options(CLI::App& cmd) {
  cmd.add_option("--junit-flavour", junit_flavour,
                 "strict: valid against the Jenkins xunit plugin's schema, a testcase's properties as [[PROPERTY]] lines in its output; extended: "
                 "also a file attribute and <properties> on each testcase (GitLab, junitparser, Jenkins' junit plugin)")
      ->check(CLI::IsMember({"strict", "extended"}))
      ->capture_default_str();
  cmd.add_option("--keep", options.keep_runs, "keep at most N run folders in the report folder, this one included (older ones, not still running, are deleted)")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--retries", options.retries, "run a scenario that ended in an error (never a failure) again, up to N times; a pass on retry is flaky")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--time-scale", time_scale, "run at this time scale instead of the rig's (1: real time; the virtual rack's 0.02 compresses it 50 times)")
      ->check(CLI::Range(0.001, 1000.0));
  cmd.add_flag("--until-fail", options.until_fail, "run rounds until a scenario fails or errs (at most --repeat rounds when given)");
  cmd.add_option("--run-timeout", run_timeout, "stop the whole run after this long (wall clock, such as 2h): running scenarios end as errors");
}

runner::RunOptions RunGroup::parsed_options() const {
  runner::RunOptions o = options;
  if (!shard.empty()) {
    o.plan.shard = runner::parse_shard(shard);
    o.plan.shard->by = shard_by == "slot" ? runner::Shard::By::slot : runner::Shard::By::pair;
  }
  if (!run_timeout.empty()) o.run_timeout = parse_duration(run_timeout);
  if (time_scale > 0) o.time_scale = time_scale;
  for (const auto& p : paths) o.paths.emplace_back(p);
  if (o.paths.empty()) o.paths.emplace_back("scenarios");
  for (const auto& d : defines) o.defines.push_back(parse_define(d));
  o.rig = rig;
  o.junit = junit.empty() ? fs::path() : fs::absolute(junit);  // empty: refused by the run, exit 2
  o.fixtures = fixtures;
  o.junit_flavour = junit_flavour == "extended" ? report::JunitFlavour::extended : report::JunitFlavour::strict;
  o.executable = invocation.executable;
  o.command_line = invocation.command_line;
  return o;
}

RunGroup::RunGroup(CLI::App& app, Invocation invoked) : invocation(std::move(invoked)) {
  run_cmd = app.add_subcommand("run", "run scenarios on a rig and write a JUnit report");
  add_options(*run_cmd, true);
  list_cmd = app.add_subcommand("list", "print the plan: which scenario runs on which slot, as `run` with the same options would");
  add_options(*list_cmd, true);
  validate_cmd = app.add_subcommand("validate", "check scenarios, fixtures and the rig without running anything");
  add_options(*validate_cmd, false);

  auto* rig_cmd = app.add_subcommand("rig", "work with a rig file");
  rig_cmd->require_subcommand(1);
  check_cmd = rig_cmd->add_subcommand("check", "try every slot without running a scenario: ports, GPIO lines, supply programs, ModemManager, virtual modules");
  check_cmd->add_option("rig", check_rig, "rig file")->capture_default_str();
  check_cmd->footer("Exit codes: 0 every slot reachable; 2 the rig file is wrong (at file:line:col); 3 a slot has a problem (the table says which).");
}

std::optional<int> RunGroup::run() const {
  if (check_cmd->parsed()) return runner::rig_check(check_rig, invocation.executable);
  if (!run_cmd->parsed() && !list_cmd->parsed() && !validate_cmd->parsed()) return std::nullopt;
  auto o = parsed_options();
  if (list_cmd->parsed()) return runner::list(o);
  heap_in_huge_pages();  // what loading and running grow with the scenarios
  return run_cmd->parsed() ? runner::run(o) : runner::validate(o);
}

std::unique_ptr<CommandGroup> run_commands(CLI::App& app, Invocation invocation) { return std::make_unique<RunGroup>(app, std::move(invocation)); }

}  // namespace athil::cli
