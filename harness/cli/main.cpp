// athil: the command line. Each subcommand hands over to the component that does the work.
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "base/duration.hpp"
#include "base/error.hpp"
#include "base/escape.hpp"
#include "base/file.hpp"
#include "cli/history_commands.hpp"
#include "field/log_text.hpp"
#include "field/record.hpp"
#include "field/replay.hpp"
#include "field/scaffold.hpp"
#include "instrument/read_tool.hpp"
#include "rig/pins.hpp"
#include "runner/rig_check.hpp"
#include "runner/run.hpp"
#include "sim/delta.hpp"
#include "sim/faults.hpp"
#include "sim/host.hpp"
#include "sim/models.hpp"

namespace fs = std::filesystem;

namespace {

fs::path own_executable(const char* argv0) {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::absolute(argv0) : p;
}

std::pair<std::string, std::string> parse_define(const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) throw CLI::ValidationError("-D", fmt::format("'{}' is not name=value", text));
  return {text.substr(0, eq), text.substr(eq + 1)};
}

// athil import and athil scaffold: the log read once; what the import recognised, then its
// notes with line numbers (the first of them: a day's log can have thousands).
int field_tool(const std::string& log, const std::string& lines, const std::string& format, const std::string& transcript_out, const std::string& scenario_out,
               std::string name, const std::string& models, bool force) {
  namespace field = athil::field;
  std::string out_path = scenario_out.empty() ? transcript_out : scenario_out;
  if (!out_path.empty() && !force && fs::exists(out_path)) {
    fmt::print(stderr, "error: {} exists (--force replaces it)\n", athil::terminal_text(out_path));
    return athil::runner::bad_input;
  }
  std::error_code ec;
  if (auto parent = fs::path(out_path).parent_path(); !parent.empty()) fs::create_directories(parent, ec);  // scenarios/field/ on first use
  // A transcript is written as the log is read: nothing of a long log is held.
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (!out_path.empty()) {
    file.open(out_path, std::ios::binary | std::ios::trunc);
    if (!file) {
      fmt::print(stderr, "error: cannot write {}\n", athil::terminal_text(out_path));
      return athil::runner::infrastructure;
    }
    out = &file;
  }
  std::optional<field::TranscriptWriter> transcript;
  field::ImportOptions options{.keep_notes = scenario_out.empty()};
  if (scenario_out.empty()) {
    transcript.emplace(*out);
    options.sink = [&transcript](const field::SessionEvent& e) { (*transcript)(e); };
  }
  auto refuse = [&](const std::string& why) {
    file.close();
    if (!out_path.empty()) fs::remove(out_path, ec);  // no half a file where a scenario or transcript should be
    fmt::print(stderr, "error: {}: {}\n", athil::terminal_text(log), athil::terminal_text(why));
    return athil::runner::bad_input;
  };
  field::Session session;
  try {
    session = field::import_log(field::read_log_file(log, lines), field::parse_log_format(format), std::move(options));
  } catch (const athil::InputError& e) {
    return refuse(fmt::format("cannot import: {}", e.what()));
  }
  fmt::print(stderr, "{}: {}\n", athil::terminal_text(log), athil::terminal_lines(field::describe_detection(session)));
  constexpr std::size_t notes_shown = 50;
  for (std::size_t i = 0; i < session.problems.size() && i < notes_shown; ++i) {
    const auto& p = session.problems[i];
    fmt::print(stderr, "{}:{}: note: {}{}\n", athil::terminal_text(log), p.line, athil::terminal_text(p.why),
               p.text.empty() ? "" : fmt::format(": '{}'", athil::escape_bytes(p.text)));
  }
  if (auto more = session.problems.size() + session.problems_not_kept; more > notes_shown)
    fmt::print(stderr, "{}: ... and {} more note(s)\n", athil::terminal_text(log), more - notes_shown);
  if (!scenario_out.empty()) {
    if (name.empty()) name = "field-" + fs::path(scenario_out).stem().string();
    try {
      *out << field::scaffold(std::move(session), {name, log, models});
    } catch (const athil::InputError& e) {
      return refuse(e.what());
    }
  }
  if (!out->flush()) {
    fmt::print(stderr, "error: cannot write {}\n", athil::terminal_text(out_path.empty() ? std::string("standard output") : out_path));
    return athil::runner::infrastructure;
  }
  if (!out_path.empty()) fmt::print(stderr, "{}: wrote {}\n", athil::terminal_text(log), athil::terminal_text(out_path));
  return 0;
}

volatile std::sig_atomic_t interrupted = 0;

// `athil pin`: a virtual module's pins from a second terminal, for a person driving it by hand.
int pin_tool(const std::string& target, const std::string& action, const std::vector<std::string>& args) {
  using athil::rig::Level;
  using athil::rig::PinRole;
  std::string socket = target.size() > 4 && target.substr(target.size() - 4) == ".ctl" ? target : target + ".ctl";
  auto role_arg = [&](std::size_t i) {
    if (i >= args.size()) throw athil::InputError(fmt::format("'{}' needs a pin: pwrkey, reset, supply, status or netlight", action));
    auto role = athil::rig::pin_role_from(args[i]);
    if (!role) throw athil::InputError(fmt::format("no pin '{}' (pwrkey, reset, supply, status, netlight)", args[i]));
    return *role;
  };
  auto pins = athil::rig::connect_virtual_pins(target, socket, action == "watch");
  if (action == "press") {
    PinRole role = args.empty() ? PinRole::pwrkey : role_arg(0);
    auto hold = args.size() > 1 ? athil::parse_duration(args[1]) : athil::Duration(std::chrono::milliseconds(1200));
    pins->set(role, Level::low);
    std::this_thread::sleep_for(hold);
    pins->set(role, Level::high);
    fmt::print("{} held low for {}\n", athil::rig::to_string(role), athil::format_duration(hold));
  } else if (action == "set") {
    // The supply is switched on and off; a logic pin is set low or high.
    auto role = role_arg(0);
    bool supply = role == PinRole::supply;
    auto level = args.size() != 2                                   ? std::nullopt
                 : args[1] == "low" || (supply && args[1] == "off") ? std::optional(Level::low)
                 : args[1] == "high" || (supply && args[1] == "on") ? std::optional(Level::high)
                                                                    : std::nullopt;
    if (!level) throw athil::InputError(supply ? "set supply on|off (or low|high)" : "set PIN low|high");
    pins->set(role, *level);
  } else if (action == "get") {
    fmt::print("{} {}\n", args.empty() ? "" : args[0], athil::rig::to_string(pins->get(role_arg(0))));
  } else if (action == "watch") {
    // Prints every STATUS and NETLIGHT edge until Ctrl-C.
    std::signal(SIGINT, [](int) { interrupted = 1; });
    auto start = athil::Clock::now();
    while (!interrupted) {
      for (const auto& e : pins->take_events())
        fmt::print("{:10.3f} s  {} {}\n", static_cast<double>(e.t_us - athil::to_us(start)) / 1e6, athil::rig::to_string(e.role),
                   athil::rig::to_string(e.level));
      std::fflush(stdout);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  } else {
    throw athil::InputError(fmt::format("unknown pin action '{}' (press, set, get, watch)", action));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"athil: hardware-in-the-loop tests for SIMCom SIM70x0 modules"};
  app.require_subcommand(1);
  const std::string exit_codes =
      "Exit codes: 0 all passed; 1 a scenario failed (the module did not do what it says); 2 bad input (scenario, fixture, rig or command line, "
      "at file:line:col); 3 infrastructure (a port, pin, lock or module that cannot be reached; an interrupted run).";
  app.footer(exit_codes);

  athil::runner::RunOptions run_options;
  std::vector<std::string> paths, defines;
  std::string rig = "rigs/virtual.xml", junit = "reports/junit.xml", junit_flavour = "strict", fixtures = "fixtures", shard, shard_by = "pair", run_timeout;
  double time_scale = 0;  // 0: the rig's
  auto add_run_options = [&](CLI::App* cmd, bool running) {
    cmd->add_option("paths", paths, "scenario files or folders (default: scenarios/)");
    cmd->add_option("--rig", rig, "rig file")->capture_default_str();
    cmd->add_option("--fixtures", fixtures, "fixtures folder")->capture_default_str();
    // One value per -D, so that a path after it is not taken for a second definition.
    cmd->add_option("-D,--define", defines, "variable for scenarios, name=value (repeatable)")->allow_extra_args(false);
    if (!running) return;
    cmd->add_option("--junit", junit, "JUnit report to write; the run's folder (transcripts, waveforms, summary.md) goes beside it")->capture_default_str();
    auto& plan = run_options.plan;
    cmd->add_option("--filter", plan.filters, "only scenarios whose name or path matches this glob (repeatable)")->allow_extra_args(false);
    cmd->add_option("--tag", plan.tags, "only scenarios with this tag (repeatable, or comma-separated)")->delimiter(',')->allow_extra_args(false);
    cmd->add_option("--model", plan.models, "only slots of this model or model prefix (repeatable)")->delimiter(',')->allow_extra_args(false);
    cmd->add_option("--slot", plan.slots, "only slots whose name matches this glob (repeatable)")->delimiter(',')->allow_extra_args(false);
    cmd->add_flag("--spread", plan.spread, "run each scenario once per model, shared among that model's slots, instead of on every slot");
    cmd->add_option("--shard", shard, "run only part K of N of the plan (such as 2/4), for fanning out over several hosts");
    cmd->add_option("--shard-by", shard_by, "deal (slot, scenario) pairs or whole slots among the shards")
        ->check(CLI::IsMember({"pair", "slot"}))
        ->capture_default_str();
    cmd->add_option("--repeat", plan.repeat, "run the plan this many rounds, each run its own testcase")->check(CLI::PositiveNumber);
    if (cmd->get_name() == "list") return;
    cmd->add_option("--junit-flavour", junit_flavour,
                    "strict: valid against the Jenkins xunit plugin's schema, a testcase's properties as [[PROPERTY]] lines in its output; extended: "
                    "also a file attribute and <properties> on each testcase (GitLab, junitparser, Jenkins' junit plugin)")
        ->check(CLI::IsMember({"strict", "extended"}))
        ->capture_default_str();
    cmd->add_option("--keep", run_options.keep_runs,
                    "keep at most N run folders in the report folder, this one included (older ones, not still running, are deleted)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--retries", run_options.retries, "run a scenario that ended in an error (never a failure) again, up to N times; a pass on retry is flaky")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--time-scale", time_scale, "run at this time scale instead of the rig's (1: real time; the virtual rack's 0.02 compresses it 50 times)")
        ->check(CLI::Range(0.001, 1000.0));
    cmd->add_flag("--until-fail", run_options.until_fail, "run rounds until a scenario fails or errs (at most --repeat rounds when given)");
    cmd->add_option("--run-timeout", run_timeout, "stop the whole run after this long (wall clock, such as 2h): running scenarios end as errors");
  };
  auto* run_cmd = app.add_subcommand("run", "run scenarios on a rig and write a JUnit report");
  run_cmd->footer(exit_codes);
  add_run_options(run_cmd, true);
  auto* list_cmd = app.add_subcommand("list", "print the plan: which scenario runs on which slot, as `run` with the same options would");
  list_cmd->footer(exit_codes);
  add_run_options(list_cmd, true);
  auto* validate_cmd = app.add_subcommand("validate", "check scenarios, fixtures and the rig without running anything");
  validate_cmd->footer(exit_codes);
  add_run_options(validate_cmd, false);

  athil::sim::HostOptions sim;
  sim.model = "SIM7080G";
  auto* sim_cmd = app.add_subcommand("sim", "run a virtual module on a pseudo-terminal");
  sim_cmd->add_option("--model", sim.model, "SIM7000G, SIM7070G, SIM7080G or SIM7090G")->capture_default_str();
  sim_cmd->add_option("--firmware", sim.firmware, "revision to start at (default: the model's usual one)");
  sim_cmd->add_option("--link", sim.link, "symlink to create to the pty");
  sim_cmd->add_option("--control", sim.control, "control channel socket (default: LINK.ctl)");
  sim_cmd->add_option("--time-scale", sim.time_scale, "factor on every internal delay (1 = real time)")->capture_default_str();
  auto* power_on = sim_cmd->add_flag_callback(
      "--power-on", [&sim] { sim.power_on = athil::sim::PowerOn::at_first_open; }, "power on when a program first opens the port (a person at a terminal)");
  sim_cmd
      ->add_flag_callback(
          "--powered", [&sim] { sim.power_on = athil::sim::PowerOn::now; }, "power on at once (a module that was on before its host came)")
      ->excludes(power_on);
  sim_cmd->add_flag("--usb", sim.usb, "behave as on USB: the port goes away while off and comes back new after boot");
  sim_cmd->add_option("--exit-with-parent", sim.parent_pid, "end when process PID (the runner that started it) ends");
  sim_cmd->add_option("--ipr", sim.ipr, "rate saved with AT+IPR at the start, 0 autobaud (default: SIM7000 0, others 115200)");
  std::string sim_latency;
  sim_cmd->add_option("--latency", sim_latency,
                      "deliver the module's bytes as a USB-serial adapter does: held until this latency timer fires "
                      "or 62 bytes gather (FTDI: 16ms; ser2net over a LAN: more); real time, never scaled");
  sim_cmd->add_option("--gnss-at", sim.gnss_at, "where the GNSS receiver is: LAT,LON[,ALT] (default: 31.221345,121.354753,31.9)");
  sim_cmd->add_option("--gnss-track", sim.gnss_track, "a track the GNSS receiver plays: CSV rows SECONDS,LAT,LON[,ALT] from its first start")
      ->excludes("--gnss-at");
  sim_cmd->add_option("--ppk2", sim.ppk2,
                      "also serve a virtual Power Profiler Kit II measuring the module, on a pty behind this symlink "
                      "(ampere-meter mode in series with the supply, or source mode as its supply)");
  sim_cmd
      ->add_option("--scpi-supply", sim.scpi_port,
                   "also serve a virtual bench DC source (an HP 66332A) supplying and measuring the module, taking SCPI on this loopback "
                   "TCP port (0: any free one; the banner names it as libsigrok does: tcp-raw/127.0.0.1/PORT)")
      ->check(CLI::Range(0, 65535));
  std::vector<std::string> sim_faults;
  std::string fault_help = "a named fault, NAME[=ARG] (repeatable):";
  for (const auto& f : athil::sim::fault_catalogue())
    fault_help += fmt::format("\n  {}{}: {}", f.name, f.argument.empty() ? "" : fmt::format("={}", f.argument), f.effect);
  sim_cmd->add_option("--fault", sim_faults, fault_help)->allow_extra_args(false);

  athil::instrument::ReadOptions current;
  std::string current_span = "1s";
  auto* current_cmd = app.add_subcommand("current", "read a current meter for a while: average, peak, lowest, charge");
  current_cmd->footer(
      "  athil current ppk2:conn=/dev/ttyACM0                          a PPK2 in series with the supply (ampere meter)\n"
      "  athil current ppk2:conn=/dev/ttyACM0:mode=source:voltage=3.8V --power   a PPK2 as the supply, powering the module");
  current_cmd->add_option("instrument", current.spec, "driver:conn=PORT[:key=value]..., as sigrok-cli names a device")->required();
  current_cmd->add_option("--for", current_span, "how long to read")->capture_default_str();
  current_cmd->add_option("--decimate", current.decimate, "raw samples averaged into one (a PPK2 takes 100 000 a second)")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  current_cmd->add_option("--csv", current.csv, "write the samples here: seconds,amps,peak_amps");
  current_cmd->add_flag("--power", current.power, "source mode: supply the device under test while reading");

  std::string pin_target, pin_action;
  std::vector<std::string> pin_args;
  auto* pin_cmd = app.add_subcommand("pin", "drive a virtual module's pins from another terminal");
  pin_cmd->footer(
      "  athil pin /tmp/tty-sim press pwrkey [1.2s]   hold PWRKEY low, then release (power on or off)\n"
      "  athil pin /tmp/tty-sim set supply low|high   cut or restore the supply\n"
      "  athil pin /tmp/tty-sim get status            read STATUS (or netlight, pwrkey, ...)\n"
      "  athil pin /tmp/tty-sim watch                 print STATUS and NETLIGHT edges until Ctrl-C");
  pin_cmd->add_option("link", pin_target, "the module's --link (or its control socket)")->required();
  pin_cmd->add_option("action", pin_action, "press, set, get or watch")->required();
  pin_cmd->add_option("args", pin_args, "pin, then a hold time or a level");

  auto* rig_cmd = app.add_subcommand("rig", "work with a rig file");
  rig_cmd->require_subcommand(1);
  std::string check_rig;
  auto* check_cmd =
      rig_cmd->add_subcommand("check", "try every slot without running a scenario: ports, GPIO lines, supply programs, ModemManager, virtual modules");
  check_rig = "rigs/virtual.xml";
  check_cmd->add_option("rig", check_rig, "rig file")->capture_default_str();
  check_cmd->footer("Exit codes: 0 every slot reachable; 2 the rig file is wrong (at file:line:col); 3 a slot has a problem (the table says which).");

  auto* delta_cmd = app.add_subcommand("delta", "make or inspect a virtual-module firmware delta");
  delta_cmd->require_subcommand(1);
  std::string d_model = "SIM7080G", d_from, d_to, d_out, d_file;
  std::size_t d_size = 64 * 1024;
  auto* make_cmd = delta_cmd->add_subcommand("make", "write a delta package");
  make_cmd->add_option("--model", d_model)->capture_default_str();
  make_cmd->add_option("--from", d_from, "base revision")->required();
  make_cmd->add_option("--to", d_to, "target revision")->required();
  make_cmd->add_option("--size", d_size, "payload bytes")->capture_default_str();
  make_cmd->add_option("-o,--output", d_out, "file to write")->required();
  auto* show_cmd = delta_cmd->add_subcommand("show", "print and verify a delta package");
  show_cmd->add_option("file", d_file)->required();

  // Field failures: a log imported, replayed as a module, scaffolded into a scenario.
  std::string log_path, log_format = "auto", log_lines, import_out, scaffold_out, scaffold_name, scaffold_models;
  const std::string formats_help =
      "the log's shape: auto (chosen from the text), athil, raw, markers, espidf, zephyr-chat, zephyr-hexdump, esp-modem, modemmanager, pppd or python";
  bool scaffold_force = false;
  auto* import_cmd = app.add_subcommand("import", "read a module log (any shape athil knows) and write it as an athil transcript");
  import_cmd->add_option("log", log_path, "the log")->required();
  import_cmd->add_option("--format", log_format, formats_help)->capture_default_str();
  import_cmd->add_option("--lines", log_lines, "only lines FIRST-LAST of the log (the part around the failure)");
  import_cmd->add_option("-o,--output", import_out, "transcript file to write (default: standard output)");
  athil::field::ReplayOptions replay;
  std::string replay_format = "auto";
  auto* replay_cmd = app.add_subcommand("replay", "serve a recorded session as a module on a pseudo-terminal, reporting every divergence");
  replay_cmd->add_option("log", replay.log, "the log")->required();
  replay_cmd->add_option("--format", replay_format, formats_help)->capture_default_str();
  replay_cmd->add_option("--lines", replay.lines, "only lines FIRST-LAST of the log, as scaffold --lines took them");
  replay_cmd->add_option("--link", replay.link, "symlink to create to the pty");
  replay_cmd->add_option("--time-scale", replay.time_scale, "factor on the recorded delays (1 = as recorded)")->capture_default_str();
  replay_cmd->add_option("--vary", replay.vary, "a regex for a part of a command that may differ from the log (repeatable)")->allow_extra_args(false);
  replay_cmd->add_option("--report", replay.report, "file to append the divergences to (they go to standard error too)");
  replay_cmd->add_option("--exit-with-parent", replay.parent_pid, "end when process PID (the runner that started it) ends");
  athil::field::RecordOptions record;
  std::string record_flow = "none";
  bool record_force = false;
  auto* record_cmd =
      app.add_subcommand("record", "a transparent tap: a pty for a host program, the module's port behind it, every byte recorded with its time");
  record_cmd->add_option("--port", record.port, "the module's port: a device, socket://HOST:PORT, or a virtual module's link")->required();
  record_cmd->add_option("--baud", record.baud, "line rate of a serial port")->capture_default_str();
  record_cmd->add_option("--flow", record_flow, "none or rtscts")->check(CLI::IsMember({"none", "rtscts"}))->capture_default_str();
  record_cmd->add_option("--link", record.link, "symlink to create to the pty the host program opens")->required();
  record_cmd->add_option("--out", record.out, "the transcript to write")->required();
  record_cmd->add_flag("--force", record_force, "replace an existing transcript");
  record_cmd->add_option("--control", record.control, "record STATUS and NETLIGHT edges from a virtual module's control channel (its LINK.ctl)");
  auto* record_rig = record_cmd->add_option("--rig", record.rig, "record the pin edges of a real slot of this rig (with --slot)");
  record_cmd->add_option("--slot", record.slot, "the rig slot whose GPIO lines to watch")->needs(record_rig);
  record_rig->excludes(record_cmd->get_option("--control"));
  auto* scaffold_cmd = app.add_subcommand("scaffold", "write a scenario from a log that passes against `athil replay` of it");
  scaffold_cmd->add_option("log", log_path, "the log")->required();
  scaffold_cmd->add_option("--format", log_format, formats_help)->capture_default_str();
  scaffold_cmd->add_option("--lines", log_lines, "only lines FIRST-LAST of the log (a long log's part around the failure; replay takes the same)");
  scaffold_cmd->add_option("-o,--output", scaffold_out, "scenario file to write, such as scenarios/field/NAME.xml")->required();
  scaffold_cmd->add_option("--name", scaffold_name, "the scenario's name (default: field- and the file's name)");
  scaffold_cmd->add_option("--models", scaffold_models, "models the scenario lists (default: the model the log shows, else all four)");
  scaffold_cmd->add_flag("--force", scaffold_force, "replace an existing file");
  athil::cli::HistoryCommands history_commands(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return athil::runner::bad_input;
  }

  try {
    if (run_cmd->parsed() || validate_cmd->parsed() || list_cmd->parsed()) {
      if (!shard.empty()) {
        run_options.plan.shard = athil::runner::parse_shard(shard);
        run_options.plan.shard->by = shard_by == "slot" ? athil::runner::Shard::By::slot : athil::runner::Shard::By::pair;
      }
      if (!run_timeout.empty()) run_options.run_timeout = athil::parse_duration(run_timeout);
      if (time_scale > 0) run_options.time_scale = time_scale;
      for (const auto& p : paths) run_options.paths.emplace_back(p);
      if (run_options.paths.empty()) run_options.paths.emplace_back("scenarios");
      for (const auto& d : defines) run_options.defines.push_back(parse_define(d));
      run_options.rig = rig;
      run_options.junit = junit.empty() ? fs::path() : fs::absolute(junit);  // empty: refused by the run, exit 2
      run_options.fixtures = fixtures;
      run_options.junit_flavour = junit_flavour == "extended" ? athil::report::JunitFlavour::extended : athil::report::JunitFlavour::strict;
      run_options.executable = own_executable(argv[0]);
      for (int i = 1; i < argc; ++i) run_options.command_line += fmt::format("{}{}", i > 1 ? " " : "", argv[i]);
      if (list_cmd->parsed()) return athil::runner::list(run_options);
      return run_cmd->parsed() ? athil::runner::run(run_options) : athil::runner::validate(run_options);
    }
    if (sim_cmd->parsed()) {
      const auto* model = athil::sim::find_model(sim.model);
      if (!model) {
        fmt::print(stderr, "error: unknown model '{}' (known: {})\n", sim.model, fmt::join(athil::sim::model_names(), ", "));
        return athil::runner::bad_input;
      }
      if (sim.firmware.empty()) sim.firmware = std::string(model->default_firmware);
      if (!sim_latency.empty()) sim.latency = std::chrono::duration_cast<std::chrono::microseconds>(athil::parse_duration(sim_latency));
      for (const auto& f : sim_faults) athil::sim::add_faults(sim.faults, f);
      return athil::sim::run_host(sim);
    }
    if (pin_cmd->parsed()) return pin_tool(pin_target, pin_action, pin_args);
    if (auto code = history_commands.run()) return *code;
    if (current_cmd->parsed()) {
      current.span = athil::parse_duration(current_span);
      return athil::instrument::read_current(current);
    }
    if (import_cmd->parsed() || scaffold_cmd->parsed())
      return field_tool(log_path, log_lines, log_format, import_cmd->parsed() ? import_out : "", scaffold_cmd->parsed() ? scaffold_out : "", scaffold_name,
                        scaffold_models, scaffold_force);
    if (record_cmd->parsed()) {
      if (!record_force && fs::exists(record.out)) {
        fmt::print(stderr, "error: {} exists (--force replaces it)\n", record.out);
        return athil::runner::bad_input;
      }
      record.rtscts = record_flow == "rtscts";
      return athil::field::run_record(record);
    }
    if (replay_cmd->parsed()) {
      replay.format = athil::field::parse_log_format(replay_format);
      return athil::field::run_replay(replay);
    }
    if (check_cmd->parsed()) return athil::runner::rig_check(check_rig, own_executable(argv[0]));
    if (make_cmd->parsed()) {
      std::ofstream out(d_out, std::ios::binary);
      out << athil::sim::make_delta(d_model, d_from, d_to, d_size);
      if (!out.flush()) {
        fmt::print(stderr, "error: cannot write {}\n", d_out);
        return athil::runner::infrastructure;
      }
      return 0;
    }
    if (show_cmd->parsed()) {
      auto text = athil::read_file(d_file);
      if (!text) {
        fmt::print(stderr, "error: cannot read {}\n", d_file);
        return athil::runner::bad_input;
      }
      auto d = athil::sim::parse_delta(*text);
      fmt::print("model {}\nfrom {}\nto {}\nlength {}\ncrc32 {:08x} (verified)\n", d.model, d.from, d.to, d.payload.size(), athil::sim::crc32(d.payload));
      return 0;
    }
  } catch (const CLI::ValidationError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return athil::runner::bad_input;
  } catch (const athil::InputError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return athil::runner::bad_input;
  } catch (const athil::InfraError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return athil::runner::infrastructure;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return athil::runner::infrastructure;
  }
  return 0;
}
