#include "runner/run.hpp"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/error.hpp"
#include "base/interrupt.hpp"
#include "base/temp_dir.hpp"
#include "report/run_folder.hpp"
#include "report/summary.hpp"
#include "report/vcd.hpp"
#include "rig/model.hpp"
#include "rig/power.hpp"
#include "rig/slot_lock.hpp"
#include "rig/virtual_module.hpp"
#include "runner/console.hpp"
#include "runner/executor.hpp"
#include "runner/firmware_server.hpp"
#include "runner/identity.hpp"
#include "runner/recovery.hpp"
#include "runner/stop_signals.hpp"
#include "scenario/loader.hpp"
#include "scenario/model_profiles.hpp"
#include "transport/open_port.hpp"
#include "transport/serial_port.hpp"
#include "transport/tcp_port.hpp"

namespace athil::runner {

namespace fs = std::filesystem;
using report::TestCase;
using report::TestSuite;
using report::Verdict;

namespace {

std::string host_name() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

const char* verdict_word(const TestCase& c) {
  if (c.flaky()) return "FLAKY";
  return c.verdict == Verdict::passed ? "PASS" : c.verdict == Verdict::failed ? "FAIL" : c.verdict == Verdict::skipped ? "SKIP" : "ERROR";
}

Tone verdict_tone(const TestCase& c) {
  if (c.flaky()) return Tone::warn;
  return c.verdict == Verdict::passed ? Tone::good : c.verdict == Verdict::skipped ? Tone::warn : Tone::bad;
}

// The report as it stands: the JUnit file and summary.md, both rewritten whole (atomically)
// after every scenario, so that even a killed run leaves the last complete pair.
class ReportState {
 public:
  ReportState(fs::path junit, const report::RunFolder& folder, report::RunInfo info)
      : junit_(std::move(junit)), folder_(folder), info_(std::move(info)), started_(Clock::now()) {}
  std::size_t add_suite(TestSuite suite) {
    std::lock_guard lock(mutex_);
    suites_.push_back(std::move(suite));
    publish_locked();
    return suites_.size() - 1;
  }
  void add_case(std::size_t suite, TestCase c, double suite_seconds) {
    std::lock_guard lock(mutex_);
    suites_[suite].cases.push_back(std::move(c));
    suites_[suite].seconds = suite_seconds;
    publish_locked();
  }
  // Replaces a property of that name, or adds it.
  void set_property(std::size_t suite, const std::string& name, std::string value) {
    std::lock_guard lock(mutex_);
    auto& props = suites_[suite].properties;
    auto it = std::find_if(props.begin(), props.end(), [&](const auto& p) { return p.first == name; });
    if (it != props.end()) it->second = std::move(value);
    else props.emplace_back(name, std::move(value));
    publish_locked();
  }
  void stopped(std::string why) {
    std::lock_guard lock(mutex_);
    if (info_.stopped.empty()) info_.stopped = std::move(why);
    publish_locked();
  }
  void publish() {
    std::lock_guard lock(mutex_);
    publish_locked();
  }
  std::vector<TestSuite> suites() {
    std::lock_guard lock(mutex_);
    return suites_;
  }

 private:
  void publish_locked() {
    report::write_junit_atomically(junit_, suites_);
    info_.seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    report::write_file_atomically(folder_.path() / "summary.md", report::render_summary(info_, suites_));
  }
  std::mutex mutex_;
  fs::path junit_;
  const report::RunFolder& folder_;
  report::RunInfo info_;
  Deadline started_;
  std::vector<TestSuite> suites_;
};

struct LoadedInput {
  rig::Rig rig;
  std::vector<scenario::Scenario> scenarios;
  scenario::ModelProfiles profiles;  // fixtures/models.xml
};

LoadedInput load_input(const RunOptions& o) {
  LoadedInput in;
  in.rig = rig::load_rig(o.rig.string());
  in.profiles = scenario::ModelProfiles::load(o.fixtures / "models.xml");
  std::vector<std::string> known = {"slot", "model", "firmware", "rig", "firmware_url", "fota_target"};
  for (const auto& name : in.profiles.names()) known.push_back(name);
  for (const auto& [k, v] : in.rig.vars) known.push_back(k);
  for (const auto& [k, v] : o.defines) known.push_back(k);
  in.scenarios = scenario::Loader(o.fixtures, known).load_all(o.paths);
  return in;
}

// What every slot's thread shares.
struct RunContext {
  const LoadedInput& in;
  const RunOptions& o;
  fs::path temp_dir;  // the virtual rack's pty links and control sockets
  std::string firmware_url;
  report::RunFolder& folder;
  ReportState& report;
  Console& console;
  // --until-fail: the first slot to see a failure stops every slot from starting more.
  std::atomic<bool> found_failure = false;
};

class SlotRunner {
 public:
  SlotRunner(const SlotPlan& plan, RunContext& run) : slot_(*plan.slot), plan_(plan), run_(run), scale_(run.in.rig.time_scale) {}

  void run() {
    started_ = Clock::now();
    const auto& in = run_.in;
    TestSuite suite;
    suite.name = fmt::format("{}.{}", in.rig.name, slot_.name);
    suite.timestamp = report::utc_timestamp_now();
    suite.hostname = host_name();
    suite.properties = {{"rig", in.rig.name}, {"rig_file", in.rig.path}, {"slot", slot_.name}, {"model", slot_.model}, {"firmware", slot_.firmware}};
    if (!slot_.fota_target.empty()) suite.properties.emplace_back("fota_target", slot_.fota_target);
    // Destroyed in reverse: the emergency registrations go first, then the device (pins left
    // at their safe levels, then the port), the module (stopped) and last the slot's lock.
    std::optional<rig::SlotLock> lock;
    std::unique_ptr<rig::VirtualModuleProcess> module;
    struct DeviceCloser {
      Device& device;
      ~DeviceCloser() {
        device.pins.reset();
        device.engine.reset();
        device.port.reset();
      }
    } closer{device_};
    std::vector<EmergencyActions::Registration> emergency;
    device_.slot = slot_.name;
    device_.model = slot_.model;
    std::string port_name;
    run_.console.status(slot_.name, "bringing the slot up", started_);
    module_ = &module;
    emergency_ = &emergency;
    try {
      port_name = open_device(lock, module, emergency);
    } catch (const InfraError& e) {
      unreachable_ = e.what();
    }
    if (!port_name.empty()) suite.properties.emplace_back("port", port_name);
    suite_ = run_.report.add_suite(suite);

    Executor::Vars vars = {{"slot", slot_.name}, {"model", slot_.model}, {"firmware", slot_.firmware}, {"rig", in.rig.name}};
    if (!run_.firmware_url.empty()) vars["firmware_url"] = run_.firmware_url;
    if (!slot_.fota_target.empty()) vars["fota_target"] = slot_.fota_target;
    for (const auto& [k, v] : in.rig.vars) vars[k] = v;
    for (const auto& [k, v] : run_.o.defines) vars[k] = v;
    auto model_vars = in.profiles.for_model(slot_.model);
    Executor executor(device_, scale_, vars, run_.o.fixtures, Executor::Vars(model_vars.begin(), model_vars.end()));
    executor.on_block([this](const std::string& block) { show_progress(block); });
    executor.after_setup([this] { note_identity(); });

    // --until-fail without --repeat goes round and round; otherwise the plan's rounds are all.
    const bool endless = run_.o.until_fail && run_.o.plan.repeat <= 1;
    int rounds_in_plan = 1;
    for (const auto& r : plan_.runs) rounds_in_plan = std::max(rounds_in_plan, r.round);
    for (int cycle = 0;; ++cycle) {
      bool ran_any = false;
      for (std::size_t i = 0; i < plan_.runs.size(); ++i) {
        if (run_.found_failure) break;
        if (cycle > 0 && interrupt::requested()) break;
        bool more = i + 1 < plan_.runs.size() || endless;
        ran_any |= run_one(executor, plan_.runs[i], plan_.runs[i].round + cycle * rounds_in_plan, more);
      }
      // A cycle in which nothing could run (all skipped, slot gone) would only repeat itself.
      if (!endless || !ran_any || run_.found_failure || interrupt::requested()) break;
    }
    if (!identity_.complete())
      run_.report.set_property(suite_, "revision", identity_.revision.empty() ? fmt::format("unknown ({})", identity_problem()) : identity_.revision);
    run_.console.status(slot_.name, "");
  }

 private:
  // Starts the slot's module (virtual) or takes its lock (real), opens the port and the pins.
  // Returns the port's name for the report.
  std::string open_device(std::optional<rig::SlotLock>& lock, std::unique_ptr<rig::VirtualModuleProcess>& module,
                          std::vector<EmergencyActions::Registration>& emergency) {
    const auto& in = run_.in;
    // A port that re-enumerates (USB) is reattached within the limit, and says so on the timeline.
    auto note = [this](const std::string& text) { device_.timeline.record(Direction::note, text); };
    if (slot_.is_simulated()) {
      // '@' is never in a file_safe() name: no scenario's files can take this one's place.
      fs::path log = run_.folder.path() / report::file_safe(slot_.name) / (slot_.is_replay() ? "@replay.log" : "@virtual-module.log");
      fs::create_directories(log.parent_path());
      module = std::make_unique<rig::VirtualModuleProcess>(slot_, in.rig.time_scale, rig::VirtualModuleProcess::Paths{run_.o.executable, run_.temp_dir, log});
      emergency.push_back(EmergencyActions::add([pid = module->pid()] { ::kill(pid, SIGKILL); }));
      // A pseudo-terminal has no UART: the harness keeps the module's line rate, scaled as the module scales it.
      const unsigned baud = SerialPort::Settings{}.baud;  // the host side of every virtual module
      PortSettings port{module->port_link(), baud, false, baud / in.rig.time_scale, std::nullopt};
      if (slot_.is_virtual() && std::get<rig::VirtualSlot>(slot_.kind).usb) port.reattach = scale_.timeout(std::chrono::seconds(30));
      device_.port = open_port(port, note);
      if (slot_.is_virtual()) device_.pins = rig::connect_virtual_pins(slot_.name, module->control_socket());
      device_.engine = std::make_unique<AtEngine>(*device_.port, device_.timeline, Dialect::sim70x0(slot_.model));
      return module->port_link();
    }
    const auto& real = std::get<rig::RealSlot>(slot_.kind);
    lock.emplace(in.rig.name, slot_.name);
    // Through ser2net, the serial line is behind a buffer: the harness keeps its pace.
    double pace = is_tcp_address(real.port) ? real.baud / in.rig.time_scale : 0.0;
    PortSettings port{real.port, real.baud, real.rtscts, pace, std::nullopt};
    if (real.usb) port.reattach = real.reattach;
    device_.port = open_port(port, note);
    device_.pins = rig::open_real_pins(slot_.name, real);
    // Racing the slot's own thread is accepted here: the process is about to end.
    if (device_.pins) emergency.push_back(EmergencyActions::add([pins = device_.pins.get()] { pins->release_outputs(); }));
    device_.engine = std::make_unique<AtEngine>(*device_.port, device_.timeline, Dialect::sim70x0(slot_.model));
    return real.port;
  }

  // One planned run of a scenario, with its retries. Returns whether it ran at all.
  bool run_one(Executor& executor, const PlannedRun& planned, int round, bool more_to_come) {
    const auto& s = *planned.scenario;
    TestCase c;
    const bool rounds = run_.o.plan.repeat > 1 || run_.o.until_fail;
    // Each round is its own testcase, and (classname, name) stays unique.
    c.name = rounds ? fmt::format("{} [round {}]", s.name, round) : s.name;
    c.classname = fmt::format("athil.{}.{}", run_.in.rig.name, slot_.name);
    bool ran = false;
    if (interrupt::requested()) {
      c.verdict = Verdict::skipped;
      c.message = fmt::format("not started: the run was {}", interrupt::reason().empty() ? "interrupted" : "interrupted by " + interrupt::reason());
    } else if (!unreachable_.empty()) {
      c.verdict = Verdict::error;
      c.message = fmt::format("slot {} unreachable: {}", slot_.name, unreachable_);
    } else if (!quarantine_.empty()) {
      c.verdict = Verdict::error;
      c.message = fmt::format("slot {} quarantined: {}", slot_.name, quarantine_);
    } else if (!planned.missing.empty()) {
      c.verdict = Verdict::skipped;
      c.message = fmt::format("slot {} cannot provide {} (the scenario requires {})", slot_.name, fmt::join(planned.missing, ", "), fmt::join(s.requires_, ", "));
    } else {
      ran = true;
      run_attempts(executor, s, round, more_to_come, c);
    }
    if (!ran) {
      c.detail = c.message;
      announce(c);
    }
    stop_if_until_fail(c.name, c.verdict);
    run_.report.add_case(suite_, c, std::chrono::duration<double>(Clock::now() - started_).count());
    return ran;
  }

  // --until-fail: the first run that did not pass stops every slot from starting another.
  void stop_if_until_fail(const std::string& name, Verdict verdict) {
    if (!run_.o.until_fail || (verdict != Verdict::failed && verdict != Verdict::error) || run_.found_failure.exchange(true)) return;
    run_.report.stopped(fmt::format("--until-fail: '{}' did not pass on slot {}", name, slot_.name));
    run_.console.event(fmt::format("--until-fail: '{}' did not pass on slot {}: no more rounds start", name, slot_.name), Tone::bad);
  }

  void run_attempts(Executor& executor, const scenario::Scenario& s, int round, bool more_to_come, TestCase& c) {
    const auto& o = run_.o;
    current_ = &s;
    auto started = Clock::now();
    for (int attempt = 1;; ++attempt) {
      scenario_started_ = Clock::now();
      if (!run_.console.live()) run_.console.event(fmt::format("{:<8} {:<40} start{}", slot_.name, c.name, attempt > 1 ? fmt::format(" (attempt {})", attempt) : ""));
      // A replay serves its session once: every scenario (and attempt) gets it from the start.
      if (slot_.is_replay() && std::exchange(replay_served_, true)) fresh_replay();
      auto divergences_from = slot_.is_replay() ? replay_divergences_size() : 0;
      auto outcome = executor.run(s);
      if (slot_.is_replay()) judge_divergences(outcome, divergences_from);
      bool retry = outcome.verdict == Verdict::error && attempt <= o.retries && !interrupt::requested();
      if (!retry) stop_if_until_fail(c.name, outcome.verdict);
      std::string recovery_text;
      // What the scenario left behind must not fail what runs next: bring the module back first.
      if (outcome.verdict != Verdict::passed && (retry || (more_to_come && !run_.found_failure)) && !interrupt::requested() && !slot_.is_replay()) {
        run_.console.status(slot_.name, fmt::format("{}  recovery", c.name), scenario_started_);
        auto recovery = recover_quietly();
        recovery_text = recovery.recovered ? fmt::format("recovered: {}", recovery.summary()) : fmt::format("not recovered: {}", recovery.summary());
        if (!recovery.recovered && !interrupt::requested()) {
          quarantine_ = fmt::format("no rung of the recovery ladder brought the module back after '{}' ({})", c.name, recovery.summary());
          run_.report.set_property(suite_, "quarantined", quarantine_);
          retry = false;
        }
        run_.console.event(fmt::format("{:<8} {:<40} recovery: {}", slot_.name, c.name, recovery_text), recovery.recovered ? Tone::plain : Tone::bad);
      }
      // The whole timeline since the last scenario: notes from between scenarios belong here too.
      auto transcript_file = run_.folder.scenario_file(slot_.name, s.name, round, attempt, "log");
      auto waveform_file = run_.folder.scenario_file(slot_.name, s.name, round, attempt, "vcd");
      std::string transcript = device_.timeline.render(0, device_.timeline.size());
      write_evidence(transcript_file, transcript);
      write_evidence(waveform_file, report::render_vcd(device_.timeline, 0, device_.timeline.size(), fmt::format("{} on slot {}", c.name, slot_.name)));
      device_.timeline.clear();
      if (retry) {
        c.earlier_attempts.push_back({outcome.message, outcome.detail, transcript_file.generic_string()});
        run_.console.event(fmt::format("{:<8} {:<40} ERROR, retrying ({} of {}): {}", slot_.name, c.name, attempt, o.retries, outcome.message), Tone::warn);
        continue;
      }
      c.verdict = outcome.verdict;
      c.message = outcome.message;
      c.detail = outcome.detail;
      c.seconds = std::chrono::duration<double>(Clock::now() - started).count();
      c.transcript = transcript_file.generic_string();
      c.waveform = waveform_file.generic_string();
      std::string attempts;
      for (std::size_t i = 0; i < c.earlier_attempts.size(); ++i)
        attempts += fmt::format("attempt {}: error: {} (transcript {})\n", i + 1, c.earlier_attempts[i].message, (run_.folder.path() / c.earlier_attempts[i].transcript).string());
      c.system_out = fmt::format("scenario file: {}\ntranscript file: {}\nwaveform file: {}\n{}{}{}", s.path, (run_.folder.path() / transcript_file).string(),
                                 (run_.folder.path() / waveform_file).string(), attempts,
                                 recovery_text.empty() ? "" : "recovery after this scenario: " + recovery_text + "\n", transcript);
      announce(c);
      return;
    }
  }

  void write_evidence(const fs::path& relative, const std::string& text) {
    fs::path file = run_.folder.path() / relative;
    std::ofstream out(file, std::ios::binary);
    out << text;
    if (!out.flush()) run_.console.event(fmt::format("warning: cannot write {}", file.string()), Tone::bad);
  }

  void show_progress(const std::string& block) {
    if (!current_) return;
    std::string where = block == "setup" || block == "teardown" ? block : fmt::format("step '{}'", block);
    run_.console.status(slot_.name, fmt::format("{:<9} {}  {}", slot_.model, current_->name, where), scenario_started_);
  }

  // After a scenario's setup: the revision and IMEI, until the module has told both; only
  // from a module that has answered since it booted, so that a scenario about the first
  // command after boot still sends it first.
  void note_identity() {
    if (identity_.complete() || identity_tries_ >= 3 || !device_.engine->answered_since_restart()) return;
    ++identity_tries_;
    auto id = read_identity(device_, scale_);
    if (!id.revision.empty()) identity_.revision = id.revision;
    if (!id.imei.empty()) identity_.imei = id.imei;
    identity_.problem = id.problem;
    if (!identity_.revision.empty()) run_.report.set_property(suite_, "revision", identity_.revision);
    if (!identity_.imei.empty()) run_.report.set_property(suite_, "imei", identity_.imei);
  }
  std::string identity_problem() const {
    if (!unreachable_.empty()) return "the slot was unreachable";
    return identity_.problem.empty() ? "no scenario's setup left the module answering" : identity_.problem;
  }

  void announce(const TestCase& c) {
    std::string line = fmt::format("{:<8} {:<40} {:<5} {:>7.1f}s{}", slot_.name, c.name, verdict_word(c), c.seconds, c.message.empty() ? "" : "  " + c.message);
    run_.console.event(line, verdict_tone(c));
  }

  // What `athil replay` reported for this slot, beside its log.
  fs::path replay_divergences_file() const {
    return run_.folder.path() / report::file_safe(slot_.name) / rig::VirtualModuleProcess::replay_divergences_name;
  }
  std::uintmax_t replay_divergences_size() const {
    std::error_code ec;
    auto size = fs::file_size(replay_divergences_file(), ec);
    return ec ? 0 : size;
  }
  // A scenario that made the replay diverge from its session did not reproduce it: the
  // divergences (written before the replay answered) go on the timeline, and a pass becomes a
  // failure that names the first.
  void judge_divergences(Outcome& outcome, std::uintmax_t from) {
    std::ifstream in(replay_divergences_file(), std::ios::binary);
    in.seekg(static_cast<std::streamoff>(from));
    std::vector<std::string> found;
    for (std::string line; std::getline(in, line);)
      if (line.rfind("divergence: ", 0) == 0) found.push_back(line.substr(12));
    for (const auto& d : found) device_.timeline.record(Direction::note, "replay divergence: " + d);
    if (found.empty() || outcome.verdict != Verdict::passed) return;
    outcome.verdict = Verdict::failed;
    outcome.message = fmt::format("the replayed session diverged{}: {}", found.size() > 1 ? fmt::format(" {} times", found.size()) : "", found.front());
    for (const auto& d : found) outcome.detail += "replay divergence: " + d + "\n";
  }

  void fresh_replay() {
    device_.engine.reset();
    device_.port.reset();
    emergency_->clear();  // the old process's kill registration goes with it
    module_->reset();
    std::optional<rig::SlotLock> no_lock;  // a replay takes no lock
    open_device(no_lock, *module_, *emergency_);
  }

  // The ladder, cut short only by a stop request (nothing more will run then).
  Recovery recover_quietly() {
    try {
      return recover(device_, scale_);
    } catch (const Interrupted& e) {
      Recovery r;
      r.rungs.push_back({"recovery", false, e.what()});
      return r;
    }
  }

  const rig::Slot& slot_;
  const SlotPlan& plan_;
  RunContext& run_;
  TimeScale scale_;
  Device device_;
  std::size_t suite_ = 0;
  Deadline started_, scenario_started_;
  std::string unreachable_, quarantine_;
  const scenario::Scenario* current_ = nullptr;
  Identity identity_;
  int identity_tries_ = 0;
  std::unique_ptr<rig::VirtualModuleProcess>* module_ = nullptr;  // the slot's module process, owned by run()
  std::vector<EmergencyActions::Registration>* emergency_ = nullptr;
  bool replay_served_ = false;
};

// Turns the run timeout into a stop request, as a signal would be.
class RunTimer {
 public:
  explicit RunTimer(std::optional<Duration> limit, Console& console) {
    if (!limit) return;
    thread_ = std::thread([this, limit, &console] {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, *limit, [this] { return done_; })) return;
      std::string why = fmt::format("the run timeout ({})", format_duration(*limit));
      console.event(fmt::format("{} ran out: the running scenarios end as errors, their teardowns run", why), Tone::bad);
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
        std::string why = c.flaky() ? fmt::format("passed on attempt {}, after: {}", c.earlier_attempts.size() + 1, c.earlier_attempts.front().message) : c.message;
        std::string line = console.paint(fmt::format("{} {} {}: {}", verdict_word(c), slot, c.name, why), verdict_tone(c));
        if (!c.transcript.empty()) line += fmt::format("\n      transcript {}", (folder.path() / c.transcript).string());
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
  console.event(fmt::format("report {}\nsummary {}\npeak memory of the harness: {:.1f} MB", junit.string(), (folder.path() / "summary.md").string(),
                            static_cast<double>(usage.ru_maxrss) / 1024.0));
}

struct Planned {
  LoadedInput in;
  Plan plan;
};

// Loads and plans, or prints what is wrong and says how to exit.
std::optional<Planned> load_and_plan(const RunOptions& o, int& exit_code) {
  Planned p;
  try {
    p.in = load_input(o);
  } catch (const InputError& e) {
    fmt::print(stderr, "{}\n", e.diagnostic());
    exit_code = bad_input;
    return std::nullopt;
  }
  p.plan = make_plan(p.in.rig, p.in.scenarios, o.plan);
  if (p.plan.run_count() == 0 && !o.plan.shard) {
    for (const auto& n : p.plan.notes) fmt::print(stderr, "note: {}\n", n);
    std::vector<std::string> paths;
    for (const auto& path : o.paths) paths.push_back(path.string());
    fmt::print(stderr, "error: nothing to run: no scenario of {} is for a slot of rig {} ({}) after the filters\n", fmt::join(paths, ", "), p.in.rig.name, p.in.rig.path);
    exit_code = bad_input;
    return std::nullopt;
  }
  return p;
}

}  // namespace

int validate(const RunOptions& o) {
  try {
    auto in = load_input(o);
    fmt::print("{} scenario(s) valid", in.scenarios.size());
    fmt::print(", rig {} ({} slot(s)) valid\n", in.rig.name, in.rig.slots.size());
    return all_passed;
  } catch (const InputError& e) {
    fmt::print(stderr, "{}\n", e.diagnostic());
    return bad_input;
  }
}

int list(const RunOptions& o) {
  int code = all_passed;
  auto p = load_and_plan(o, code);
  if (!p) return code;
  fmt::print("{}", describe_plan(p->in.rig, p->plan));
  return all_passed;
}

int run(const RunOptions& o) {
  int code = all_passed;
  auto planned = load_and_plan(o, code);
  if (!planned) return code;
  const auto& in = planned->in;
  const auto& plan = planned->plan;

  try {
    Console console(stdout, Console::detect(stdout));
    for (const auto& n : plan.notes) console.event("note: " + n, Tone::dim);
    report::RunFolder folder(o.junit.parent_path());
    report::RunInfo info{folder.id(), in.rig.name, in.rig.path, report::utc_timestamp_now(), 0, fs::relative(o.junit, folder.path()).generic_string(), ""};
    ReportState report(o.junit, folder, info);
    report.publish();  // a valid (empty) report exists before any module is started
    console.event(fmt::format("run {}: {} run(s) on {} slot(s) of rig {}; evidence in {}", folder.id(), plan.run_count(), plan.slots.size(), in.rig.name, folder.path().string()));
    if (o.keep_runs > 0) {
      // Before the modules start: a nightly rack's disk does not fill with old evidence.
      auto deleted = report::prune_runs(o.junit.parent_path(), o.keep_runs);
      if (!deleted.empty()) console.event(fmt::format("--keep {}: deleted {} older run folder(s), the oldest {}", o.keep_runs, deleted.size(), deleted.front().filename().string()), Tone::dim);
    }
    if (plan.run_count() == 0) console.event(fmt::format("shard {}/{} has nothing to run", o.plan.shard->index, o.plan.shard->count));
    StopSignals signals(
        [&report](const std::string& name) {
          fmt::print(stderr, "{}: stopping: the running scenarios end as errors, their teardowns run; {} again stops at once\n", name, name);
          report.stopped("interrupted by " + name);
        },
        infrastructure);
    RunTempDir temp_dir;
    std::unique_ptr<FirmwareServer> server;
    bool has_virtual = std::any_of(plan.slots.begin(), plan.slots.end(), [](const SlotPlan& s) { return s.slot->is_virtual(); });
    fs::path firmware_dir = o.fixtures / "firmware";
    if (has_virtual && fs::is_directory(firmware_dir)) {
      server = std::make_unique<FirmwareServer>(firmware_dir);
      console.event(fmt::format("serving {} at {}", firmware_dir.string(), server->url()), Tone::dim);
    }
    RunContext context{in, o, temp_dir.path(), server ? server->url() : "", folder, report, console};
    std::atomic<bool> harness_fault = false;
    {
      RunTimer timer(o.run_timeout, console);
      std::vector<std::unique_ptr<SlotRunner>> runners;
      std::vector<std::thread> threads;
      for (const auto& slot_plan : plan.slots) {
        runners.push_back(std::make_unique<SlotRunner>(slot_plan, context));
        threads.emplace_back([r = runners.back().get(), &console, &harness_fault] {
          try {
            r->run();
          } catch (const std::exception& e) {
            console.event(fmt::format("error: {}", e.what()), Tone::bad);
            harness_fault = true;
          }
        });
      }
      for (auto& t : threads) t.join();
    }
    if (interrupt::requested()) report.stopped("interrupted by " + interrupt::reason());
    report.publish();
    console.finish();
    auto suites = report.suites();
    print_final_summary(console, suites, folder, o.junit);
    if (interrupt::requested()) {
      fmt::print(stderr, "the run was interrupted by {}\n", interrupt::reason());
      return infrastructure;
    }
    auto n = report::count_all(suites);
    return n.errors || harness_fault ? infrastructure : n.failed ? scenario_failed : all_passed;
  } catch (const InfraError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return infrastructure;
  }
}

}  // namespace athil::runner
