#include "runner/slot_runner.hpp"

#include <unistd.h>

#include <fstream>
#include <memory>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/error.hpp"
#include "base/escape.hpp"
#include "base/interrupt.hpp"
#include "field/divergences.hpp"
#include "report/vcd.hpp"
#include "rig/module_log.hpp"
#include "rig/slot_session.hpp"
#include "runner/executor.hpp"
#include "runner/identity.hpp"
#include "runner/recovery.hpp"

namespace athil::runner {

namespace fs = std::filesystem;
using report::TestCase;
using report::TestSuite;
using report::Verdict;

std::string case_name(const std::string& scenario, int round, bool rounds) {
  // Each round is its own testcase, and (classname, name) stays unique.
  return rounds ? fmt::format("{} [round {}]", scenario, round) : scenario;
}

namespace {
// A testcase as planned: which scenario, from which file, in which round.
TestCase planned_case(const scenario::Scenario& s, int round, bool rounds, std::string classname) {
  TestCase c{.name = case_name(s.name, round, rounds),
             .classname = std::move(classname),
             .scenario = s.name,
             .file = s.path,
             .content_hash = s.content_hash,
             .round = rounds ? round : 0,
             .tags = s.tags};
  c.properties = {{"scenario", s.name}, {"scenario_file", s.path}, {"tags", fmt::format("{}", fmt::join(s.tags, ","))}};
  if (c.round > 0) c.properties.emplace_back("round", std::to_string(c.round));
  return c;
}

// What the run learnt of the testcase, as properties: the revision it began on, its measurements.
void add_run_properties(TestCase& c) {
  if (!c.revision_at_start.empty()) c.properties.emplace_back("revision_at_start", c.revision_at_start);
  for (const auto& m : c.measurements) {
    for (const auto& [stat, value] : m.values) c.properties.emplace_back(fmt::format("{}.{}", m.name, stat), value);
    c.properties.emplace_back(m.name + ".verdict", m.verdict);
  }
}
}  // namespace

// A file as CI's attachment readers take it: from the working directory when it is under it.
std::string attachment_path(const fs::path& file) {
  std::error_code ec;
  auto relative = fs::relative(file, fs::current_path(ec), ec);
  return !ec && !relative.empty() && *relative.begin() != ".." ? relative.generic_string() : file.generic_string();
}

std::string host_name() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

namespace {

using report::verdict_name;
using report::verdict_word;

void raise_to(std::atomic<int>& value, int at_least) {
  for (int now = value; now < at_least && !value.compare_exchange_weak(now, at_least);) {}
}

Tone verdict_tone(const TestCase& c) {
  if (c.flaky()) return Tone::warn;
  return c.verdict == Verdict::passed ? Tone::good : c.verdict == Verdict::skipped ? Tone::warn : Tone::bad;
}

bool has_rounds(const RunOptions& o) { return o.plan.repeat > 1 || o.until_fail; }
std::string classname(const RunContext& run, const rig::Slot& slot) { return fmt::format("athil.{}.{}", run.rig.name, slot.name); }

class SlotRunner {
 public:
  SlotRunner(const SlotPlan& plan, std::size_t suite, RunContext& run) : slot_(*plan.slot), plan_(plan), run_(run), scale_(run.rig.time_scale), suite_(suite) {
    no_device_.slot = slot_.name;
    no_device_.model = slot_.model;
  }

  void run() {
    started_ = Clock::now();
    run_.console.status(slot_.name, "bringing the slot up", started_);
    try {
      session_ = rig::SlotSession::open(run_.rig, slot_, {.executable = run_.options.executable, .run_dir = run_.temp_dir, .slot_dir = slot_dir()});
      // A virtual module's pty is the run's own, gone when it ends: no port to reach later.
      run_.report.set_property(suite_, slot_.is_virtual() ? "virtual_pty" : "port", session_->port_name());
    } catch (const InfraError& e) {
      unreachable_ = e.what();
    }
    Executor executor(device(), scale_, variables(), run_.options.fixtures, model_variables());
    executor.on_block([this](const scenario::Block& block) {
      current_block_ = &block;
      show_progress(block);
    });
    executor.on_update_progress([this](int percent) {
      if (current_block_) show_progress(*current_block_, fmt::format("  update {}%", percent));
    });
    executor.after_setup([this, &executor] {
      note_identity(executor);
      // What the module runs as its steps begin, as far as the module has said.
      revision_at_start_ = last_reported_revision(device().timeline).value_or(known_revision_);
    });
    run_plan(executor);
    if (!identity_.complete())
      run_.report.set_property(suite_, "revision", identity_.revision.empty() ? fmt::format("unknown ({})", identity_problem()) : identity_.revision);
    run_.console.status(slot_.name, "");
  }

 private:
  bool has_rounds() const { return runner::has_rounds(run_.options); }
  std::string classname() const { return runner::classname(run_, slot_); }

  // The session's, or while the slot is unreachable one with nothing behind it.
  rig::Device& device() { return session_ ? session_->device() : no_device_; }

  Executor::Vars variables() const {
    Executor::Vars vars = {
        {"slot", slot_.name}, {"model", slot_.model}, {"firmware", slot_.firmware}, {"rig", run_.rig.name}, {"port_kind", slot_.usb_port() ? "usb" : "uart"}};
    if (!run_.firmware_url.empty()) vars["firmware_url"] = run_.firmware_url;
    if (run_.firmware_server) {
      vars["firmware_host"] = run_.firmware_server->host;
      vars["firmware_port"] = std::to_string(run_.firmware_server->port);
    }
    if (!slot_.fota_target.empty()) vars["fota_target"] = slot_.fota_target;
    if (auto broker = slot_.uses_run_broker() ? run_.mqtt_broker : slot_.mqtt_broker) {
      vars["mqtt_host"] = broker->host;
      vars["mqtt_port"] = std::to_string(broker->port);
    }
    for (const auto& [k, v] : run_.rig.vars) vars[k] = v;
    for (const auto& [k, v] : run_.options.defines) vars[k] = v;
    return vars;
  }

  Executor::Vars model_variables() const {
    auto model_vars = run_.profiles.for_model(slot_.model);
    return Executor::Vars(model_vars.begin(), model_vars.end());
  }

  // The plan's runs, and with --until-fail and no --repeat, round after round of them.
  void run_plan(Executor& executor) {
    const bool endless = run_.options.until_fail && run_.options.plan.repeat <= 1;
    int rounds_in_plan = 1;
    for (const auto& r : plan_.runs) rounds_in_plan = std::max(rounds_in_plan, r.round);
    for (int cycle = 0;; ++cycle) {
      bool ran_any = false;
      for (std::size_t i = 0; i < plan_.runs.size(); ++i) {
        if (run_.found_failure || (cycle > 0 && interrupt::requested())) break;
        const auto& planned = plan_.runs[i];
        int round = planned.round + cycle * rounds_in_plan;
        // Rounds beyond the plan are listed as they begin: a hunt plans no end.
        std::size_t index = cycle == 0 ? i : run_.report.add_planned(suite_, planned_case(*planned.scenario, round, true, classname()));
        bool more = i + 1 < plan_.runs.size() || endless;
        ran_any |= run_one(executor, index, planned, round, more);
      }
      // A cycle in which nothing could run (all skipped, slot gone) would only repeat itself.
      if (!endless || !ran_any || run_.found_failure || interrupt::requested()) break;
    }
  }

  // ": add ...; wire ...", what the rig file needs for the missing capabilities.
  std::string how_to_provide(const std::vector<std::string>& missing) const {
    std::vector<std::string> hints;
    for (const auto& m : missing)
      if (auto hint = slot_.how_to_provide(m); !hint.empty()) hints.push_back(hint);
    return hints.empty() ? "" : fmt::format(": {} in {}", fmt::join(hints, "; "), run_.rig.path);
  }

  bool needs_run_broker(const scenario::Scenario& s) const {
    return slot_.uses_run_broker() && std::find(s.requires_.begin(), s.requires_.end(), "mqtt-broker") != s.requires_.end();
  }

  // Why a planned run does not start, if it does not.
  std::optional<std::pair<Verdict, std::string>> reason_not_to_run(const PlannedRun& planned) const {
    const auto& s = *planned.scenario;
    if (interrupt::requested())
      return std::pair{Verdict::skipped,
                       fmt::format("not started: the run was {}", interrupt::reason().empty() ? "interrupted" : "interrupted by " + interrupt::reason())};
    if (!unreachable_.empty()) return std::pair{Verdict::error, fmt::format("slot {} unreachable: {}", slot_.name, unreachable_)};
    if (!quarantine_.empty()) return std::pair{Verdict::error, fmt::format("slot {} quarantined: {}", slot_.name, quarantine_)};
    if (needs_run_broker(s) && !run_.mqtt_broker) return std::pair{Verdict::error, fmt::format("slot {}: {}", slot_.name, run_.mqtt_broker_error)};
    if (!planned.missing.empty())
      return std::pair{Verdict::skipped, fmt::format("slot {} cannot provide {} (the scenario requires {}){}", slot_.name, fmt::join(planned.missing, ", "),
                                                     fmt::join(s.requires_, ", "), how_to_provide(planned.missing))};
    return std::nullopt;
  }

  // One planned run of a scenario, with its retries. Returns whether it ran at all.
  bool run_one(Executor& executor, std::size_t index, const PlannedRun& planned, int round, bool more_to_come) {
    TestCase c = planned_case(*planned.scenario, round, has_rounds(), classname());
    auto not_run = reason_not_to_run(planned);
    if (not_run) {
      c.verdict = not_run->first;
      c.message = c.detail = not_run->second;
      announce(c);
    } else {
      raise_to(run_.rounds_started, round);
      run_.report.start(suite_, index);
      run_attempts(executor, *planned.scenario, round, more_to_come, c);
    }
    stop_if_until_fail(c.name, c.verdict);
    run_.report.finish(suite_, index, c, std::chrono::duration<double>(Clock::now() - started_).count());
    return !not_run;
  }

  // --until-fail: the first run that did not pass stops every slot from starting another.
  void stop_if_until_fail(const std::string& name, Verdict verdict) {
    if (!run_.options.until_fail || (verdict != Verdict::failed && verdict != Verdict::error) || run_.found_failure.exchange(true)) return;
    run_.report.stopped(fmt::format("--until-fail: '{}' did not pass on slot {}", name, slot_.name));
    run_.console.event(fmt::format("--until-fail: '{}' did not pass on slot {}: no more rounds start", terminal_text(name), slot_.name), Tone::bad);
  }

  // A scenario's run as the slot saw it: the executor's outcome, then what only the slot knows
  // (the module process died, the replay diverged, the hunt's time ran out).
  Outcome attempt(Executor& executor, const scenario::Scenario& s) {
    session_->begin_scenario();
    revision_at_start_ = known_revision_;
    auto divergences = session_->divergence_log();
    auto divergences_from = divergences ? field::DivergenceLog(*divergences).mark() : 0;
    auto module_log = session_->virtual_module_log();
    auto module_log_from = module_log ? rig::module_log_mark(*module_log) : 0;
    auto outcome = executor.run(s);
    if (module_log) {
      auto news = rig::module_log_since(*module_log, module_log_from);
      note_unmodelled(std::move(news.unmodelled), outcome);
      note_uart_loss(news.uart_bytes_lost, outcome);
    }
    if (auto reported = last_reported_revision(device().timeline)) known_revision_ = *reported;
    if (divergences) judge_divergences(field::DivergenceLog(*divergences), outcome, divergences_from);
    if (auto ended = session_->end_scenario(outcome.port_gone)) {
      outcome.detail = fmt::format("{} (see {})\n{}", ended->what, ended->log.string(), outcome.detail);
      outcome.verdict = Verdict::error;
      outcome.message = ended->what;
      outcome.mistake = false;
    }
    if (run_.hunt_time_up && outcome.verdict == Verdict::error && interrupt::requested()) {
      outcome.verdict = Verdict::skipped;
      outcome.message = fmt::format("cut short: {} ran out during it, with no failure found (--until-fail)", interrupt::reason());
    }
    return outcome;
  }

  void run_attempts(Executor& executor, const scenario::Scenario& s, int round, bool more_to_come, TestCase& c) {
    current_ = &s;
    auto started = Clock::now();
    for (int attempt_no = 1;; ++attempt_no) {
      scenario_started_ = Clock::now();
      if (!run_.console.live())
        run_.console.event(
            fmt::format("{:<8} {:<40} start{}", slot_.name, terminal_text(c.name), attempt_no > 1 ? fmt::format(" (attempt {})", attempt_no) : ""));
      Outcome outcome;
      try {
        outcome = attempt(executor, s);
      } catch (const InfraError& e) {  // a module that could not be started again
        unreachable_ = e.what();
        outcome = Outcome{.verdict = Verdict::error, .message = fmt::format("slot {} unreachable: {}", slot_.name, e.what())};
        outcome.detail = outcome.message;
      }
      bool retry =
          outcome.verdict == Verdict::error && attempt_no <= run_.options.retries && !interrupt::requested() && !outcome.mistake && unreachable_.empty();
      if (!retry) stop_if_until_fail(c.name, outcome.verdict);
      std::string recovery_text = recover_after(outcome, c.name, retry || (more_to_come && !run_.found_failure), retry);
      // The transcript ends with how the scenario ended, after all that belongs to it.
      executor.settle();
      device().timeline.record(Direction::note,
                               fmt::format("end of {}: {}{}", c.name, verdict_name(outcome.verdict), outcome.message.empty() ? "" : ": " + outcome.message));
      auto evidence = keep_evidence(s, c.name, round, attempt_no, outcome.current);
      if (!evidence.problem.empty()) {
        outcome.detail = fmt::format("{}\nthe scenario itself: {}{}\n{}", evidence.problem, verdict_name(outcome.verdict),
                                     outcome.message.empty() ? "" : ": " + outcome.message, outcome.detail);
        outcome.verdict = Verdict::error;
        outcome.message = evidence.problem;
        retry = false;
        interrupt::request(fmt::format("a write error ({})", evidence.problem));
      }
      if (retry) {
        c.earlier_attempts.push_back({outcome.message, outcome.detail, evidence.transcript.generic_string()});
        run_.console.event(fmt::format("{:<8} {:<40} ERROR, retrying ({} of {}): {}", slot_.name, terminal_text(c.name), attempt_no, run_.options.retries,
                                       terminal_text(outcome.message)),
                           Tone::warn);
        continue;
      }
      c.verdict = outcome.verdict;
      c.message = outcome.message;
      c.detail = outcome.detail;
      c.seconds = std::chrono::duration<double>(Clock::now() - started).count();
      c.transcript = evidence.transcript.generic_string();
      c.waveform = evidence.waveform.generic_string();
      c.compressed_waits = outcome.compressed_waits;
      c.unmodelled = outcome.unmodelled;
      c.measurements = outcome.measurements;
      c.steps = outcome.steps;
      note_firmware(c);
      add_run_properties(c);
      c.system_out = system_out(s, c, evidence, recovery_text);
      report_measurements(c);
      announce(c);
      return;
    }
  }

  // What the scenario left behind must not fail what runs next: bring the module back first.
  // Returns what the ladder did, for the report ("" when it did not run).
  std::string recover_after(const Outcome& outcome, const std::string& name, bool more_to_run, bool& retry) {
    if (outcome.verdict == Verdict::passed || !more_to_run || interrupt::requested() || !unreachable_.empty() || !session_->recoverable()) return "";
    // A module its teardown powered off is at rest, as every scenario expects to find it.
    if (outcome.teardown_passed && device().status_low()) {
      device().timeline.record(Direction::note, "recovery not needed: the teardown left the module powered off (STATUS low)");
      return "not needed: the teardown left the module powered off (STATUS low)";
    }
    run_.console.status(slot_.name, fmt::format("{}  recovery", name), scenario_started_);
    auto recovery = recover_quietly();
    std::string text = recovery.recovered ? fmt::format("recovered: {}", recovery.summary()) : fmt::format("not recovered: {}", recovery.summary());
    if (!recovery.recovered && !interrupt::requested()) {
      quarantine_ = fmt::format("no rung of the recovery ladder brought the module back after '{}' ({})", name, recovery.summary());
      run_.report.set_property(suite_, "quarantined", quarantine_);
      retry = false;
    }
    run_.console.event(fmt::format("{:<8} {:<40} recovery: {}", slot_.name, terminal_text(name), terminal_text(text)),
                       recovery.recovered ? Tone::plain : Tone::bad);
    return text;
  }

  struct Evidence {
    fs::path transcript, waveform;  // relative to the run folder
    fs::path current;               // the current samples (CSV), where the scenario measured
    std::string problem;            // a file that could not be written, and why
  };
  // The whole timeline since the last scenario goes to its files: notes from between
  // scenarios belong here too.
  Evidence keep_evidence(const scenario::Scenario& s, const std::string& name, int round, int attempt_no, const report::CurrentTrace& current) {
    Evidence e;
    std::string transcript = device().timeline.render(0, device().timeline.size());
    try {
      e.transcript = run_.folder.scenario_file(slot_.name, s.name, round, attempt_no, "log");
      e.waveform = run_.folder.scenario_file(slot_.name, s.name, round, attempt_no, "vcd");
      write_evidence(e.transcript, transcript);
      write_evidence(e.waveform, report::render_vcd(device().timeline, 0, device().timeline.size(), fmt::format("{} on slot {}", name, slot_.name), current));
      if (!current.empty()) {
        e.current = run_.folder.scenario_file(slot_.name, s.name, round, attempt_no, "current.csv");
        write_evidence(e.current, report::render_current_csv(current));
      }
    } catch (const InfraError& error) {
      e.problem = error.what();
    }
    last_transcript_ = std::move(transcript);
    device().timeline.clear();
    return e;
  }

  void write_evidence(const fs::path& relative, const std::string& text) const {
    fs::path file = run_.folder.path() / relative;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) {
      int err = errno;
      out.close();
      // A part of the file is no evidence, and on a full disk it takes the room the report needs
      // (the report's system-out keeps the transcript's head and tail).
      std::error_code ec;
      fs::remove(file, ec);
      throw InfraError(fmt::format("cannot write {}: {}", file.string(), errno_text(err ? err : EIO)));
    }
  }

  std::string system_out(const scenario::Scenario& s, const TestCase& c, const Evidence& e, const std::string& recovery_text) const {
    std::string attempts;
    for (std::size_t i = 0; i < c.earlier_attempts.size(); ++i)
      attempts += fmt::format("attempt {}: error: {} (transcript {})\n", i + 1, c.earlier_attempts[i].message,
                              (run_.folder.path() / c.earlier_attempts[i].transcript).string());
    std::string firmware = fmt::format("module revision at start: {}\n", c.revision_at_start.empty() ? "not reported yet" : c.revision_at_start);
    if (!c.left_other_firmware.empty())
      firmware += fmt::format("this scenario left the module at revision {}, not the rig's {}: the next scenario starts there\n", c.left_other_firmware,
                              slot_.firmware);
    std::string measured;  // the values are the testcase's properties
    for (const auto& m : c.measurements) measured += fmt::format("current '{}': {}, limits: {}\n", m.name, m.verdict, m.limits);
    if (!e.current.empty()) measured += fmt::format("current samples file: {}\n", (run_.folder.path() / e.current).string());
    return fmt::format("scenario file: {}\ntranscript file: {}\nwaveform file: {}\n{}{}{}{}{}{}", s.path, (run_.folder.path() / e.transcript).string(),
                       (run_.folder.path() / e.waveform).string(), attachments(e), firmware, measured, attempts,
                       recovery_text.empty() ? "" : "recovery after this scenario: " + recovery_text + "\n", last_transcript_);
  }

  // The evidence files as the junit-attachments plugin and GitLab read them from the output
  // (paths from the run's working directory, as CI jobs archive them).
  std::string attachments(const Evidence& e) const {
    std::string out;
    for (const auto& file : {e.transcript, e.waveform, e.current})
      if (!file.empty()) out += fmt::format("[[ATTACHMENT|{}]]\n", attachment_path(run_.folder.path() / file));
    return out;
  }

  // Each measurement as a suite property too (a reader of the strict flavour finds them there,
  // and `history import` of a JUnit file reads them), named for the testcase:
  // "power-psm-current/psm_floor.average" = "3.2 uA". One write of the report for them all.
  void report_measurements(const TestCase& c) {
    if (c.measurements.empty()) return;
    std::vector<std::pair<std::string, std::string>> properties;
    for (const auto& m : c.measurements) {
      for (const auto& [stat, value] : m.values) properties.emplace_back(fmt::format("{}/{}.{}", c.name, m.name, stat), value);
      properties.emplace_back(fmt::format("{}/{}.verdict", c.name, m.name), m.verdict);
      if (m.verdict == "marginal")
        run_.console.event(fmt::format("{:<8} {:<40} current '{}' is marginal: {}", slot_.name, terminal_text(c.name), terminal_text(m.name), m.limits),
                           Tone::warn);
    }
    run_.report.set_properties(suite_, std::move(properties));
  }

  // The revision the module ran when the scenario's steps began, and whether the scenario left
  // it on another than the rig's: the next scenario's failure is then not blamed on the wrong one.
  void note_firmware(TestCase& c) {
    c.revision_at_start = revision_at_start_;
    if (known_revision_.empty() || slot_.firmware.empty() || known_revision_ == slot_.firmware) return;
    c.left_other_firmware = known_revision_;
    run_.console.event(fmt::format("{:<8} {:<40} left the module at revision {}, not the rig's {}: the next scenario starts there", slot_.name,
                                   terminal_text(c.name), terminal_text(known_revision_), slot_.firmware),
                       Tone::warn);
  }

  void show_progress(const scenario::Block& block, const std::string& detail = "") {
    if (!current_) return;
    run_.console.status(slot_.name, fmt::format("{:<9} {}  {}{}", slot_.model, terminal_text(current_->name), terminal_text(describe(block)), detail),
                        scenario_started_);
  }

  // After a scenario's setup: the revision and IMEI, until the module has told both; only
  // from a module that has answered since it booted, so that a scenario about the first
  // command after boot still sends it first.
  void note_identity(Executor& executor) {
    if (identity_.complete() || identity_tries_ >= 3 || !device().engine->answered_since_restart()) return;
    ++identity_tries_;
    auto id = read_identity(executor, device());
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
    std::string line = fmt::format("{:<8} {:<40} {:<5} {:>7.1f}s{}", slot_.name, terminal_text(c.name), verdict_word(c), c.seconds,
                                   c.message.empty() ? "" : "  " + terminal_text(c.message));
    run_.console.event(line, verdict_tone(c));
  }

  fs::path slot_dir() const { return run_.folder.path() / report::file_safe(slot_.name); }

  // A scenario that made the replay diverge from its session did not reproduce it: the
  // divergences (written before the replay answered) go on the timeline, and a pass becomes a
  // failure that names the first.
  void judge_divergences(const field::DivergenceLog& log, Outcome& outcome, std::uintmax_t from) {
    auto found = log.since(from);
    for (const auto& d : found) device().timeline.record(Direction::note, "replay divergence: " + d);
    if (found.empty() || outcome.verdict != Verdict::passed) return;
    outcome.verdict = Verdict::failed;
    outcome.message = fmt::format("the replayed session diverged{}: {}", found.size() > 1 ? fmt::format(" {} times", found.size()) : "", found.front());
    for (const auto& d : found) outcome.detail += "replay divergence: " + d + "\n";
  }

  // Commands the virtual module answered ERROR only because it does not model them: said on the
  // transcript, in the report, and beside a failure that such an ERROR may have caused, which
  // would otherwise read exactly like a module defect.
  void note_unmodelled(std::vector<std::string> commands, Outcome& outcome) {
    if (commands.empty()) return;
    auto list = fmt::format("{}", fmt::join(commands, ", "));
    device().timeline.record(Direction::note,
                             fmt::format("the virtual module does not model {}: it answered ERROR, as a module answers a command it does not know", list));
    if (outcome.verdict == Verdict::failed && outcome.message.find("ERROR") != std::string::npos)
      outcome.message += fmt::format(" (the virtual module does not model {})", list);
    outcome.unmodelled = std::move(commands);
  }

  // Bytes the virtual module sent while its port was full are gone, as on a line without flow
  // control. The harness reads the port all the time a scenario runs, so it was late: the host
  // was too busy, and a compressed time scale runs the line 1/scale times as fast.
  void note_uart_loss(std::uintmax_t lost, Outcome& outcome) {
    if (lost == 0) return;
    auto what = fmt::format("the virtual module lost {} bytes that the host did not read in time", lost);
    if (scale_.factor() < 1)
      what += fmt::format(" (at time scale {:g} its line runs {:g} times as fast as its baud rate: a larger time scale or fewer slots give the host time)",
                          scale_.factor(), 1 / scale_.factor());
    device().timeline.record(Direction::note, what);
    if (outcome.verdict == Verdict::failed || outcome.verdict == Verdict::error) outcome.message += fmt::format(" ({})", what);
  }

  // The ladder, cut short only by a stop request (nothing more will run then).
  Recovery recover_quietly() {
    try {
      return recover(device(), scale_);
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
  std::unique_ptr<rig::SlotSession> session_;
  rig::Device no_device_;

  std::size_t suite_;
  Deadline started_, scenario_started_;
  std::string unreachable_, quarantine_;
  const scenario::Scenario* current_ = nullptr;
  const scenario::Block* current_block_ = nullptr;  // the block the live line shows
  Identity identity_;
  int identity_tries_ = 0;
  std::string known_revision_;     // the last revision the module reported, in any scenario
  std::string revision_at_start_;  // ... when the running scenario's steps began
  std::string last_transcript_;
};

}  // namespace

TestSuite planned_suite(const SlotPlan& plan, const RunContext& run) {
  const auto& slot = *plan.slot;
  TestSuite suite{.name = fmt::format("{}.{}", run.rig.name, slot.name), .timestamp = report::utc_timestamp_now(), .hostname = host_name()};
  suite.properties = {{"rig", run.rig.name}, {"rig_file", run.rig.path}, {"slot", slot.name}, {"model", slot.model}, {"firmware", slot.firmware}};
  if (!slot.fota_target.empty()) suite.properties.emplace_back("fota_target", slot.fota_target);
  for (const auto& r : plan.runs) suite.cases.push_back(planned_case(*r.scenario, r.round, has_rounds(run.options), classname(run, slot)));
  return suite;
}

void run_slot(const SlotPlan& plan, std::size_t suite, RunContext& run) {
  try {
    SlotRunner(plan, suite, run).run();
  } catch (const std::exception& e) {
    std::string why = fmt::format("harness fault on slot {}: {}", plan.slot->name, e.what());
    run.console.event(fmt::format("error: {}", terminal_text(why)), Tone::bad);
    run.harness_fault = true;
    run.report.close_open(why, suite);
  }
}

}  // namespace athil::runner
