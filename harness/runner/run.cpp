#include "runner/run.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/error.hpp"
#include "base/interrupt.hpp"
#include "base/temp_dir.hpp"
#include "rig/model.hpp"
#include "rig/power.hpp"
#include "rig/slot_lock.hpp"
#include "rig/virtual_module.hpp"
#include "runner/executor.hpp"
#include "runner/firmware_server.hpp"
#include "runner/recovery.hpp"
#include "runner/stop_signals.hpp"
#include "scenario/loader.hpp"
#include "transport/open_port.hpp"
#include "transport/serial_port.hpp"
#include "transport/tcp_port.hpp"

namespace athil::runner {

namespace fs = std::filesystem;
using report::TestCase;
using report::TestSuite;
using report::Verdict;

namespace {

std::string file_safe(std::string_view name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ? c : '_';
  if (out.empty() || out[0] == '.') out.insert(0, "_");
  return out;
}

std::string host_name() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

// The report as it stands; rewritten whole after every scenario.
class ReportState {
 public:
  explicit ReportState(fs::path path) : path_(std::move(path)) {}
  std::size_t add_suite(TestSuite suite) {
    std::lock_guard lock(mutex_);
    suites_.push_back(std::move(suite));
    return suites_.size() - 1;
  }
  void add_case(std::size_t suite, TestCase c, double suite_seconds) {
    std::lock_guard lock(mutex_);
    suites_[suite].cases.push_back(std::move(c));
    suites_[suite].seconds = suite_seconds;
    report::write_junit_atomically(path_, suites_);
  }
  void add_property(std::size_t suite, std::string name, std::string value) {
    std::lock_guard lock(mutex_);
    suites_[suite].properties.emplace_back(std::move(name), std::move(value));
    report::write_junit_atomically(path_, suites_);
  }
  void publish() {
    std::lock_guard lock(mutex_);
    report::write_junit_atomically(path_, suites_);
  }
  std::vector<TestSuite> suites() {
    std::lock_guard lock(mutex_);
    return suites_;
  }

 private:
  std::mutex mutex_;
  fs::path path_;
  std::vector<TestSuite> suites_;
};

struct LoadedInput {
  rig::Rig rig;
  std::vector<scenario::Scenario> scenarios;
};

LoadedInput load_input(const RunOptions& o) {
  LoadedInput in;
  in.rig = rig::load_rig(o.rig.string());
  std::vector<std::string> known = {"slot", "model", "firmware", "rig", "firmware_url"};
  for (const auto& [k, v] : in.rig.vars) known.push_back(k);
  for (const auto& [k, v] : o.defines) known.push_back(k);
  in.scenarios = scenario::Loader(o.fixtures, known).load_all(o.paths);
  return in;
}

class SlotRunner {
 public:
  SlotRunner(const rig::Slot& slot, const LoadedInput& in, const RunOptions& o, const fs::path& run_dir, const std::string& firmware_url,
             ReportState& report, std::mutex& console)
      : slot_(slot), in_(in), o_(o), run_dir_(run_dir), firmware_url_(firmware_url), report_(report), console_(console) {}

  void run(const std::vector<const scenario::Scenario*>& plan) {
    auto started = Clock::now();
    TestSuite suite;
    suite.name = fmt::format("{}.{}", in_.rig.name, slot_.name);
    suite.timestamp = report::utc_timestamp_now();
    suite.hostname = host_name();
    suite.properties = {{"rig", in_.rig.name}, {"rig_file", in_.rig.path}, {"slot", slot_.name}, {"model", slot_.model}, {"firmware", slot_.firmware}};
    // Destroyed in reverse: the emergency registrations go first, then the pins (left at
    // their safe levels), the port, the module (stopped) and last the slot's lock.
    std::optional<rig::SlotLock> lock;
    std::unique_ptr<rig::VirtualModuleProcess> module;
    Device device;
    std::vector<EmergencyActions::Registration> emergency;
    device.slot = slot_.name;
    device.model = slot_.model;
    std::string unreachable;
    // A port that re-enumerates (USB) is reattached within the limit, and says so on the timeline.
    auto note = [&device](const std::string& text) { device.timeline.record(Direction::note, text); };
    try {
      if (slot_.is_virtual()) {
        fs::path log = o_.junit.parent_path() / "sim" / (file_safe(slot_.name) + ".log");
        fs::create_directories(log.parent_path());
        module = std::make_unique<rig::VirtualModuleProcess>(slot_, in_.rig.time_scale, rig::VirtualModuleProcess::Paths{o_.executable, run_dir_, log});
        emergency.push_back(EmergencyActions::add([pid = module->pid()] { ::kill(pid, SIGKILL); }));
        // A pseudo-terminal has no UART: the harness keeps the module's line rate, scaled as the module scales it.
        const unsigned baud = SerialPort::Settings{}.baud;  // the host side of every virtual module
        PortSettings port{module->port_link(), baud, false, baud / in_.rig.time_scale, std::nullopt};
        if (std::get<rig::VirtualSlot>(slot_.kind).usb) port.reattach = TimeScale(in_.rig.time_scale).timeout(std::chrono::seconds(30));
        device.port = open_port(port, note);
        device.pins = rig::connect_virtual_pins(slot_.name, module->control_socket());
        suite.properties.emplace_back("port", module->port_link());
      } else {
        const auto& real = std::get<rig::RealSlot>(slot_.kind);
        lock.emplace(in_.rig.name, slot_.name);
        // Through ser2net, the serial line is behind a buffer: the harness keeps its pace.
        double pace = is_tcp_address(real.port) ? real.baud / in_.rig.time_scale : 0.0;
        PortSettings port{real.port, real.baud, real.rtscts, pace, std::nullopt};
        if (real.usb) port.reattach = real.reattach;
        device.port = open_port(port, note);
        device.pins = rig::open_real_pins(slot_.name, real);
        // Racing the slot's own thread is accepted here: the process is about to end.
        if (device.pins) emergency.push_back(EmergencyActions::add([pins = device.pins.get()] { pins->release_outputs(); }));
        suite.properties.emplace_back("port", real.port);
      }
      device.engine = std::make_unique<AtEngine>(*device.port, device.timeline, Dialect::sim70x0(slot_.model));
    } catch (const InfraError& e) {
      unreachable = e.what();
    }
    auto suite_index = report_.add_suite(suite);
    report_.publish();

    Executor::Vars vars = {{"slot", slot_.name}, {"model", slot_.model}, {"firmware", slot_.firmware}, {"rig", in_.rig.name}};
    if (!firmware_url_.empty()) vars["firmware_url"] = firmware_url_;
    for (const auto& [k, v] : in_.rig.vars) vars[k] = v;
    for (const auto& [k, v] : o_.defines) vars[k] = v;
    const TimeScale scale(in_.rig.time_scale);
    Executor executor(device, scale, vars, o_.fixtures);
    std::string quarantine;

    for (std::size_t i = 0; i < plan.size(); ++i) {
      const auto* s = plan[i];
      TestCase c;
      c.name = s->name;
      c.classname = fmt::format("athil.{}.{}", in_.rig.name, slot_.name);
      std::vector<std::string> missing;
      for (const auto& r : s->requires_)
        if (!has_capability(device, r)) missing.push_back(r);
      if (interrupt::requested()) {
        c.verdict = Verdict::skipped;
        c.message = fmt::format("not started: the run was {}", interrupt::reason().empty() ? "interrupted" : "interrupted by " + interrupt::reason());
      } else if (!unreachable.empty()) {
        c.verdict = Verdict::error;
        c.message = fmt::format("slot {} unreachable: {}", slot_.name, unreachable);
        c.detail = c.message;
      } else if (!quarantine.empty()) {
        c.verdict = Verdict::error;
        c.message = fmt::format("slot {} quarantined: {}", slot_.name, quarantine);
        c.detail = c.message;
      } else if (!missing.empty()) {
        c.verdict = Verdict::skipped;
        c.message = fmt::format("slot {} cannot provide {} (the scenario requires {})", slot_.name, fmt::join(missing, ", "), fmt::join(s->requires_, ", "));
      } else {
        auto outcome = executor.run(*s);
        c.verdict = outcome.verdict;
        c.message = outcome.message;
        c.detail = outcome.detail;
        c.seconds = outcome.seconds;
        announce(c);
        std::string transcript = device.timeline.render(outcome.timeline_from, outcome.timeline_to);
        std::string recovery_text;
        // What the scenario left behind must not fail the next one: bring the module back first.
        bool next_runs = i + 1 < plan.size() && !interrupt::requested();
        if (c.verdict != Verdict::passed && next_runs) {
          auto from = device.timeline.size();
          auto recovery = recover_quietly(device, scale);
          transcript += device.timeline.render(from, device.timeline.size());
          recovery_text = recovery.recovered ? fmt::format("recovered: {}", recovery.summary())
                                             : fmt::format("not recovered: {}", recovery.summary());
          if (!recovery.recovered && !interrupt::requested()) {
            quarantine = fmt::format("no rung of the recovery ladder brought the module back after '{}' ({})", s->name, recovery.summary());
            report_.add_property(suite_index, "quarantined", quarantine);
          }
          say(fmt::format("{:<8} {:<40} {}", slot_.name, "  recovery", recovery_text));
        }
        fs::path file = o_.junit.parent_path() / "transcripts" / file_safe(slot_.name) / (file_safe(s->name) + ".log");
        fs::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary) << transcript;
        c.system_out = fmt::format("scenario file: {}\ntranscript file: {}\n{}{}", s->path, file.string(),
                                   recovery_text.empty() ? "" : "recovery after this scenario: " + recovery_text + "\n", transcript);
      }
      if (c.system_out.empty()) announce(c);  // not run
      report_.add_case(suite_index, std::move(c), std::chrono::duration<double>(Clock::now() - started).count());
    }
  }

 private:
  void announce(const TestCase& c) {
    const char* word = c.verdict == Verdict::passed ? "PASS" : c.verdict == Verdict::failed ? "FAIL" : c.verdict == Verdict::skipped ? "SKIP" : "ERROR";
    say(fmt::format("{:<8} {:<40} {:<5} {:>7.1f}s{}", slot_.name, c.name, word, c.seconds, c.message.empty() ? "" : "  " + c.message));
  }

  void say(const std::string& line) {
    std::lock_guard lock(console_);
    fmt::print("{}\n", line);
    std::fflush(stdout);
  }

  // The ladder, cut short only by a stop request (the next scenario will not run then).
  static Recovery recover_quietly(Device& device, TimeScale scale) {
    try {
      return recover(device, scale);
    } catch (const Interrupted& e) {
      Recovery r;
      r.rungs.push_back({"recovery", false, e.what()});
      return r;
    }
  }

  // What the rig can do to this slot's module, as scenarios name it in `requires`.
  bool has_capability(const Device& device, const std::string& capability) const {
    auto has = [&](rig::PinRole role) { return device.pins && device.pins->has(role); };
    if (capability == "status") return has(rig::PinRole::status);
    if (capability == "supply") return has(rig::PinRole::supply);
    if (capability == "reset") return rig::power_timing(slot_.model).reset_pin ? has(rig::PinRole::reset) : has(rig::PinRole::pwrkey);
    if (capability == "usb") return device.port && device.port->can_reattach();
    return false;
  }

  const rig::Slot& slot_;
  const LoadedInput& in_;
  const RunOptions& o_;
  const fs::path& run_dir_;
  const std::string& firmware_url_;
  ReportState& report_;
  std::mutex& console_;
};

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

int run(const RunOptions& o) {
  LoadedInput in;
  try {
    in = load_input(o);
  } catch (const InputError& e) {
    fmt::print(stderr, "{}\n", e.diagnostic());
    return bad_input;
  }

  std::vector<std::pair<const rig::Slot*, std::vector<const scenario::Scenario*>>> plan;
  std::size_t planned = 0;
  for (const auto& slot : in.rig.slots) {
    std::vector<const scenario::Scenario*> list;
    for (const auto& s : in.scenarios)
      if (s.applies_to(slot.model)) list.push_back(&s);
    planned += list.size();
    plan.emplace_back(&slot, std::move(list));
  }
  for (const auto& s : in.scenarios) {
    bool any = false;
    for (const auto& [slot, list] : plan) any = any || std::find(list.begin(), list.end(), &s) != list.end();
    if (!any) fmt::print("note: {} runs on no slot of rig {} (models {})\n", s.name, in.rig.name, fmt::join(s.models, ", "));
  }
  if (planned == 0) {
    fmt::print(stderr, "error: no scenario applies to a slot of rig {} ({})\n", in.rig.name, in.rig.path);
    return bad_input;
  }

  try {
    fs::create_directories(o.junit.parent_path());
    ReportState report(o.junit);
    report.publish();  // a valid (empty) report exists from the start
    StopSignals signals(
        [](const std::string& name) {
          fmt::print(stderr, "{}: stopping: the running scenarios end as errors, their teardowns run; {} again stops at once\n", name, name);
        },
        infrastructure);
    RunTempDir run_dir;  // the virtual rack's pty links and control sockets
    std::unique_ptr<FirmwareServer> server;
    bool has_virtual = std::any_of(in.rig.slots.begin(), in.rig.slots.end(), [](const rig::Slot& s) { return s.is_virtual(); });
    fs::path firmware_dir = o.fixtures / "firmware";
    if (has_virtual && fs::is_directory(firmware_dir)) {
      server = std::make_unique<FirmwareServer>(firmware_dir);
      fmt::print("serving {} at {}\n", firmware_dir.string(), server->url());
    }
    std::string firmware_url = server ? server->url() : "";

    std::mutex console;
    std::atomic<bool> harness_fault = false;
    std::vector<std::unique_ptr<SlotRunner>> runners;
    std::vector<std::thread> threads;
    for (const auto& [slot, list] : plan) {
      if (list.empty()) continue;
      runners.push_back(std::make_unique<SlotRunner>(*slot, in, o, run_dir.path(), firmware_url, report, console));
      threads.emplace_back([r = runners.back().get(), l = list, &console, &harness_fault] {
        try {
          r->run(l);
        } catch (const std::exception& e) {
          std::lock_guard lock(console);
          fmt::print(stderr, "error: {}\n", e.what());
          harness_fault = true;
        }
      });
    }
    for (auto& t : threads) t.join();

    int passed = 0, failed = 0, errors = 0, skipped = 0;
    for (const auto& s : report.suites())
      for (const auto& c : s.cases) {
        passed += c.verdict == Verdict::passed;
        failed += c.verdict == Verdict::failed;
        errors += c.verdict == Verdict::error;
        skipped += c.verdict == Verdict::skipped;
      }
    fmt::print("{} passed, {} failed, {} errors, {} skipped; report {}\n", passed, failed, errors, skipped, o.junit.string());
    if (interrupt::requested()) {
      fmt::print(stderr, "the run was interrupted by {}\n", interrupt::reason());
      return infrastructure;
    }
    return errors || harness_fault ? infrastructure : failed ? scenario_failed : all_passed;
  } catch (const InfraError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return infrastructure;
  }
}

}  // namespace athil::runner
