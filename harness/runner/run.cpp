#include "runner/run.hpp"

#include <sys/resource.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/emergency.hpp"
#include "base/error.hpp"
#include "base/escape.hpp"
#include "base/interrupt.hpp"
#include "base/temp_dir.hpp"
#include "report/run_folder.hpp"
#include "rig/gpio_request.hpp"
#include "rig/model.hpp"
#include "runner/console.hpp"
#include "runner/firmware_server.hpp"
#include "runner/mqtt_broker.hpp"
#include "runner/report_state.hpp"
#include "runner/run_record.hpp"
#include "runner/slot_runner.hpp"
#include "runner/stop_signals.hpp"
#include "scenario/check.hpp"
#include "scenario/loader.hpp"
#include "scenario/model_profiles.hpp"

namespace athil::runner {

namespace fs = std::filesystem;
using report::TestCase;
using report::TestSuite;
using report::Verdict;

namespace {

struct LoadedInput {
  rig::Rig rig;
  std::vector<scenario::Scenario> scenarios;
  scenario::ModelProfiles profiles;   // fixtures/models.xml
  std::vector<std::string> warnings;  // input that loads but is likely a mistake
};

// A -D that no loaded scenario reads (nor a model profile a scenario may read) is most likely a
// misspelling: a typo in a FOTA target would otherwise run the old one without a word.
std::vector<std::string> unused_defines(const LoadedInput& in, const RunOptions& o, const std::vector<std::string>& known) {
  if (o.defines.empty()) return {};  // nothing to look for: no walk over every action
  std::set<std::string> used;
  for (const auto& s : in.scenarios) used.merge(scenario::used_variables(s));
  for (const auto& slot : in.rig.slots)
    for (const auto& [name, value] : in.profiles.for_model(slot.model)) used.merge(scenario::variables_in(value));
  std::vector<std::string> candidates(used.begin(), used.end());
  candidates.insert(candidates.end(), known.begin(), known.end());
  std::vector<std::string> out;
  for (const auto& [name, value] : o.defines) {
    if (used.count(name)) continue;
    std::erase(candidates, name);
    out.push_back(fmt::format("-D {}: no scenario here uses ${{{}}}{}", name, name, did_you_mean(name, candidates)));
  }
  return out;
}

LoadedInput load_input(const RunOptions& o) {
  LoadedInput in;
  in.rig = rig::load_rig(o.rig.string());
  if (o.time_scale) in.rig.time_scale = *o.time_scale;
  in.profiles = scenario::ModelProfiles::load(o.fixtures / "models.xml");
  std::vector<std::string> known = scenario::run_variables();
  for (const auto& name : in.profiles.names()) known.push_back(name);
  for (const auto& [k, v] : in.rig.vars) known.push_back(k);
  for (const auto& [k, v] : o.defines) known.push_back(k);
  in.scenarios = scenario::Loader(o.fixtures, known).load_all(o.paths);
  in.warnings = unused_defines(in, o, known);
  for (const auto& w : in.warnings) fmt::print(stderr, "warning: {}\n", terminal_text(w));
  return in;
}

// Turns the run timeout into a stop request, as a signal would be.
class RunTimer {
 public:
  RunTimer(std::optional<Duration> limit, Console& console, std::atomic<bool>& hunt_time_up, bool hunting) {
    if (!limit) return;
    thread_ = std::thread([this, limit, &console, &hunt_time_up, hunting] {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, *limit, [this] { return done_; })) return;
      std::string why = fmt::format("the run timeout ({})", format_duration(*limit));
      hunt_time_up = hunting;
      console.event(fmt::format("{} ran out: the running scenarios end{}, their teardowns run", why, hunting ? "" : " as errors"),
                    hunting ? Tone::plain : Tone::bad);
      interrupt::request(why);
    });
  }
  ~RunTimer() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

void print_final_summary(Console& console, const std::vector<TestSuite>& suites, const report::RunFolder& folder, const fs::path& junit) {
  std::vector<std::string> problems;
  for (const auto& s : suites)
    for (const auto& c : s.cases) {
      if (c.verdict == Verdict::failed || c.verdict == Verdict::error || c.flaky()) {
        std::string slot = s.name.substr(s.name.rfind('.') + 1);
        std::string word = c.flaky() ? "FLAKY" : c.verdict == Verdict::failed ? "FAIL" : "ERROR";
        std::string why =
            c.flaky() ? fmt::format("passed on attempt {}, after: {}", c.earlier_attempts.size() + 1, c.earlier_attempts.front().message) : c.message;
        std::string line = console.paint(fmt::format("{} {} {}: {}", word, terminal_text(slot), terminal_text(c.name), terminal_text(why)),
                                         c.flaky() ? Tone::warn : Tone::bad);
        if (!c.transcript.empty()) line += fmt::format("\n      transcript {}", terminal_text((folder.path() / c.transcript).string()));
        problems.push_back(std::move(line));
      }
    }
  if (!problems.empty()) {
    console.event("");
    for (const auto& p : problems) console.event(p);
  }
  auto n = report::count_all(suites);
  console.event(fmt::format("\n{} passed ({} flaky), {} failed, {} errors, {} skipped", n.passed, n.flaky, n.failed, n.errors, n.skipped),
                n.failed || n.errors ? Tone::bad : Tone::good);
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  // The harness's own, its modules' not included (they are processes of their own).
  // Page faults beside the memory: where the first touch of a page is dear (a virtual machine's), they are a share of the CPU.
  console.event(
      fmt::format("report {}\nsummary {}\npage {}\npeak memory of the harness: {:.1f} MB ({} page faults); its CPU: {:.6f} s ({:.3f} s user, {:.3f} s system)",
                  terminal_text(junit.string()), terminal_text((folder.path() / "summary.md").string()), terminal_text((folder.path() / "index.html").string()),
                  static_cast<double>(usage.ru_maxrss) / 1024.0, usage.ru_minflt + usage.ru_majflt, seconds(usage.ru_utime) + seconds(usage.ru_stime),
                  seconds(usage.ru_utime), seconds(usage.ru_stime)));
}

// A run that ends before it starts still leaves a report of its own, one error that says why:
// CI never publishes the previous run's results as this one's.
void report_not_started(const fs::path& junit, const std::string& why, const std::string& detail) {
  TestSuite suite{.name = "athil", .timestamp = report::utc_timestamp_now()};
  suite.cases.push_back(TestCase{.name = "input", .classname = "athil.input", .verdict = Verdict::error, .message = why, .detail = detail});
  try {
    std::error_code ec;
    fs::create_directories(junit.parent_path(), ec);
    report::write_junit_atomically(junit, {suite});
  } catch (const InfraError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
  }
}

struct Planned {
  LoadedInput in;
  Plan plan;
};

// Loads and plans, or prints what is wrong and says how to exit.
std::optional<Planned> load_and_plan(const RunOptions& o, int& exit_code, std::string& problem) {
  Planned p;
  try {
    p.in = load_input(o);
  } catch (const InputError& e) {
    fmt::print(stderr, "{}\n", terminal_lines(e.diagnostic()));
    problem = e.diagnostic();
    exit_code = bad_input;
    return std::nullopt;
  }
  p.plan = make_plan(p.in.rig, p.in.scenarios, o.plan);
  if (p.plan.run_count() == 0 && !o.plan.shard) {
    for (const auto& n : p.plan.unplaced) fmt::print(stderr, "warning: {}\n", terminal_text(n));
    for (const auto& n : p.plan.notes) fmt::print(stderr, "note: {}\n", terminal_text(n));
    std::vector<std::string> paths;
    for (const auto& path : o.paths) paths.push_back(path.string());
    problem =
        fmt::format("nothing to run: no scenario of {} is for a slot of rig {} ({}) after the filters", fmt::join(paths, ", "), p.in.rig.name, p.in.rig.path);
    fmt::print(stderr, "error: {}\n", terminal_text(problem));
    exit_code = bad_input;
    return std::nullopt;
  }
  return p;
}

// Why --junit cannot name the report, if it cannot: checked before anything is written.
std::optional<std::string> junit_problem(const fs::path& junit) {
  std::error_code ec;
  if (junit.empty()) return "--junit needs a file name, such as reports/junit.xml";
  if (!junit.has_filename() || fs::is_directory(junit, ec))
    return fmt::format("--junit {} is a folder: name the report file in it, such as {}", junit.string(), (junit / "junit.xml").lexically_normal().string());
  return std::nullopt;
}

// The exit code and the last words of a run that got as far as its slots.
int conclude(const RunContext& run, ReportState& report, Console& console, const report::RunFolder& folder, const fs::path& junit) {
  if (run.options.until_fail) report.set_rounds(run.rounds_started);
  if (!report.publish()) report.publish();  // once more: a disk that was full a moment ago
  if (auto problem = report.publish_html()) console.event(fmt::format("the run's page could not be written: {}", terminal_text(*problem)), Tone::warn);
  console.finish();
  auto suites = report.suites();
  print_final_summary(console, suites, folder, junit);
  auto n = report::count_all(suites);
  if (auto problem = report.write_error(); !problem.empty()) {
    fmt::print(stderr, "error: the report could not be written whole: {}\n", terminal_text(problem));
    return infrastructure;
  }
  if (run.hunt_time_up && n.failed == 0 && n.errors == 0) {
    console.event(fmt::format("--until-fail: no failure in {} round(s) before {}", run.rounds_started.load(), interrupt::reason()), Tone::good);
    return all_passed;
  }
  if (interrupt::requested()) {
    fmt::print(stderr, "the run was interrupted by {}\n", terminal_text(interrupt::reason()));
    return infrastructure;
  }
  return n.errors || run.harness_fault ? infrastructure : n.failed ? scenario_failed : all_passed;
}

// Why the testcases that never ended did not, when the slots have all stopped.
std::string why_left_open(const RunContext& run) {
  if (interrupt::requested()) return fmt::format("the run was interrupted by {}", interrupt::reason());
  if (run.found_failure) return "--until-fail: a run did not pass, so no more started";
  return "the slot's runner ended before it";
}

struct RunBroker {
  std::unique_ptr<MqttBroker> broker;
  std::string error;  // why it did not start: the runs that need it are errors that say so
};

// mosquitto on loopback, when a virtual slot without a broker of its own will run a scenario
// that requires one.
RunBroker start_broker(const Plan& plan, const fs::path& dir, Console& console) {
  bool needed = std::any_of(plan.slots.begin(), plan.slots.end(), [](const SlotPlan& s) {
    return s.slot->uses_run_broker() && std::any_of(s.runs.begin(), s.runs.end(), [](const PlannedRun& r) {
             const auto& needs = r.scenario->requires_;
             return std::find(needs.begin(), needs.end(), "mqtt-broker") != needs.end();
           });
  });
  if (!needed) return {};
  try {
    auto broker = std::make_unique<MqttBroker>(dir);
    console.event(fmt::format("MQTT broker (mosquitto) at {}:{}", broker->host(), broker->port()), Tone::dim);
    return {.broker = std::move(broker)};
  } catch (const InfraError& e) {
    console.event(e.what(), Tone::bad);
    return {.error = e.what()};
  }
}

int run_slots(const Planned& planned, const RunOptions& o, report::RunFolder& folder, ReportState& report, Console& console) {
  const auto& in = planned.in;
  const auto& plan = planned.plan;
  RunTempDir temp_dir;
  // A second signal ends the process at once: the run's pty links and sockets go with it.
  auto remove_temp_dir = EmergencyActions::add([dir = temp_dir.path()] {
    std::error_code ec;
    fs::remove_all(dir, ec);
  });
  std::unique_ptr<FirmwareServer> server;
  bool serves_firmware = std::any_of(plan.slots.begin(), plan.slots.end(), [](const SlotPlan& s) { return s.slot->fetches_run_firmware(); });
  fs::path firmware_dir = o.fixtures / "firmware";
  if (serves_firmware && fs::is_directory(firmware_dir)) {
    server = std::make_unique<FirmwareServer>(firmware_dir);
    console.event(fmt::format("serving {} at {}", firmware_dir.string(), server->url()), Tone::dim);
  }
  auto broker = start_broker(plan, temp_dir.path(), console);
  RunContext context{.rig = in.rig,
                     .profiles = in.profiles,
                     .options = o,
                     .temp_dir = temp_dir.path(),
                     .firmware_url = server ? server->url() : "",
                     .firmware_server = server ? std::optional(rig::Endpoint{.host = "127.0.0.1", .port = server->port()}) : std::nullopt,
                     .mqtt_broker = broker.broker ? std::optional(rig::Endpoint{.host = broker.broker->host(), .port = broker.broker->port()}) : std::nullopt,
                     .mqtt_broker_error = broker.error,
                     .folder = folder,
                     .report = report,
                     .console = console};
  // Every planned run is in the report before any starts, so that however the run ends (even
  // killed outright) the report lists them all.
  std::vector<std::size_t> suites;
  for (const auto& slot_plan : plan.slots) suites.push_back(report.add_suite(planned_suite(slot_plan, context)));
  if (!report.publish()) throw InfraError(report.write_error());
  auto close_report = EmergencyActions::add(
      [&report] { report.close_open_now(fmt::format("the run was interrupted by {}, and a second signal stopped it at once", interrupt::reason())); });
  {
    RunTimer timer(o.run_timeout, console, context.hunt_time_up, o.until_fail);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < plan.slots.size(); ++i)
      threads.emplace_back([&slot_plan = plan.slots[i], suite = suites[i], &context] { run_slot(slot_plan, suite, context); });
    for (auto& t : threads) t.join();
  }
  if (interrupt::requested()) report.stopped("interrupted by " + interrupt::reason());
  report.close_open(why_left_open(context));
  return conclude(context, report, console, folder, o.junit);
}

}  // namespace

int validate(const RunOptions& o) {
  try {
    auto in = load_input(o);
    // Valid, but a scenario that no slot of this rig can run is most likely not what was meant.
    for (const auto& w : make_plan(in.rig, in.scenarios, o.plan).unplaced) fmt::print(stderr, "warning: {}\n", terminal_text(w));
    fmt::print("{} scenario(s) valid", in.scenarios.size());
    fmt::print(", rig {} ({} slot(s)) valid\n", terminal_text(in.rig.name), in.rig.slots.size());
    return all_passed;
  } catch (const InputError& e) {
    fmt::print(stderr, "{}\n", terminal_lines(e.diagnostic()));
    return bad_input;
  }
}

int list(const RunOptions& o) {
  int code = all_passed;
  std::string problem;
  auto p = load_and_plan(o, code, problem);
  if (!p) return code;
  fmt::print("{}", terminal_lines(describe_plan(p->in.rig, p->plan)));
  return all_passed;
}

int run(const RunOptions& o) {
  if (auto problem = junit_problem(o.junit)) {
    fmt::print(stderr, "error: {}\n", terminal_text(*problem));
    return bad_input;
  }
  // From here on the report is this run's: a run killed while it loads leaves none rather than
  // the last run's, and every later end rewrites it.
  std::error_code removed;
  fs::remove(o.junit, removed);
  StopSignals signals(
      [](const std::string& name) {
        fmt::print(stderr, "{}: stopping: the running scenarios end as errors, their teardowns run; {} again stops at once\n", name, name);
      },
      infrastructure);
  int code = all_passed;
  std::string problem;
  auto planned = load_and_plan(o, code, problem);
  if (!planned) {
    report_not_started(o.junit, fmt::format("the run did not start: {}", problem.substr(0, problem.find('\n'))), problem);
    return code;
  }
  const auto& plan = planned->plan;
  try {
    Console console(stdout, Console::detect(stdout));
    for (const auto& n : plan.unplaced) console.event("warning: " + terminal_text(n), Tone::warn);
    for (const auto& n : plan.notes) console.event("note: " + terminal_text(n), Tone::dim);
    report::RunFolder folder(o.junit.parent_path());
    report::RunInfo info{.id = folder.id(),
                         .rig = planned->in.rig.name,
                         .rig_file = planned->in.rig.path,
                         .started = report::utc_timestamp_now(),
                         .junit = fs::relative(o.junit, folder.path()).generic_string()};
    ReportState report(o.junit, o.junit_flavour, folder.path() / "summary.md", info);
    RunRecord record(o.junit.parent_path(),
                     history::RunRecord{.run_id = folder.id(),
                                        .host = host_name(),
                                        .rig = planned->in.rig.name,
                                        .started = info.started,
                                        .options = o.command_line,
                                        .shard = o.plan.shard ? fmt::format("{}/{}", o.plan.shard->index, o.plan.shard->count) : "",
                                        .time_scale = planned->in.rig.time_scale},
                     [&console](const std::string& text) { console.event(terminal_text(text), Tone::warn); });
    report.on_case_ended([&record](const report::TestSuite& suite, const report::TestCase& c) { record.testcase(suite, c); });
    console.event(fmt::format("run {}: {} run(s) on {} slot(s) of rig {}; evidence in {}", folder.id(), plan.run_count(), plan.slots.size(),
                              terminal_text(planned->in.rig.name), terminal_text(folder.path().string())));
    if (std::any_of(planned->in.rig.slots.begin(), planned->in.rig.slots.end(), [](const rig::Slot& s) { return s.uses_gpio(); }))
      console.event(fmt::format("GPIO lines through libgpiod {}", rig::libgpiod_version()), Tone::dim);
    if (o.keep_runs > 0) {
      // Before the modules start: a nightly rack's disk does not fill with old evidence.
      auto deleted = report::prune_runs(o.junit.parent_path(), o.keep_runs);
      if (!deleted.empty())
        console.event(fmt::format("--keep {}: deleted {} older run folder(s), the oldest {}", o.keep_runs, deleted.size(), deleted.front().filename().string()),
                      Tone::dim);
    }
    if (plan.run_count() == 0) console.event(fmt::format("shard {}/{} has nothing to run", o.plan.shard->index, o.plan.shard->count));
    int result = run_slots(*planned, o, folder, report, console);
    report.on_case_ended(nullptr);
    record.ended();
    return result;
  } catch (const InfraError& e) {
    fmt::print(stderr, "error: {}\n", terminal_text(e.what()));
    return infrastructure;
  }
}

}  // namespace athil::runner
