#include <csignal>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>

#include "base/duration.hpp"
#include "base/error.hpp"
#include "base/file.hpp"
#include "cli/commands.hpp"
#include "rig/pins.hpp"
#include "runner/run.hpp"
#include "sim/delta.hpp"
#include "sim/faults.hpp"
#include "sim/host.hpp"
#include "sim/models.hpp"

namespace athil::cli {

namespace {

volatile std::sig_atomic_t interrupted = 0;

// Prints every STATUS and NETLIGHT edge until Ctrl-C.
void watch_pins(rig::Pins& pins) {
  std::signal(SIGINT, [](int) { interrupted = 1; });
  auto start = Clock::now();
  while (!interrupted) {
    for (const auto& e : pins.take_events())
      fmt::print("{:10.3f} s  {} {}\n", static_cast<double>(e.t_us - to_us(start)) / 1e6, rig::to_string(e.role), rig::to_string(e.level));
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// `athil pin`: a virtual module's pins from a second terminal, for a person driving it by hand.
int pin_tool(const std::string& target, const std::string& action, const std::vector<std::string>& args) {
  using rig::Level;
  using rig::PinRole;
  std::string socket = target.size() > 4 && target.substr(target.size() - 4) == ".ctl" ? target : target + ".ctl";
  auto role_arg = [&](std::size_t i) {
    if (i >= args.size()) throw InputError(fmt::format("'{}' needs a pin: pwrkey, reset, supply, status or netlight", action));
    auto role = rig::pin_role_from(args[i]);
    if (!role) throw InputError(fmt::format("no pin '{}' (pwrkey, reset, supply, status, netlight)", args[i]));
    return *role;
  };
  auto pins = rig::connect_virtual_pins(target, socket, action == "watch");
  if (action == "press") {
    PinRole role = args.empty() ? PinRole::pwrkey : role_arg(0);
    auto hold = args.size() > 1 ? parse_duration(args[1]) : Duration(std::chrono::milliseconds(1200));
    // Timed by the module, which the virtual pins offer; the tool returns when the press is over.
    const bool timed = pins->pulse(role, Level::low, hold);
    if (!timed) pins->set(role, Level::low);
    std::this_thread::sleep_for(hold);
    if (!timed) pins->set(role, Level::high);
    fmt::print("{} held low for {}\n", rig::to_string(role), format_duration(hold));
  } else if (action == "set") {
    // The supply is switched on and off; a logic pin is set low or high.
    auto role = role_arg(0);
    bool supply = role == PinRole::supply;
    auto level = args.size() != 2                                   ? std::nullopt
                 : args[1] == "low" || (supply && args[1] == "off") ? std::optional(Level::low)
                 : args[1] == "high" || (supply && args[1] == "on") ? std::optional(Level::high)
                                                                    : std::nullopt;
    if (!level) throw InputError(supply ? "set supply on|off (or low|high)" : "set PIN low|high");
    pins->set(role, *level);
  } else if (action == "get") {
    fmt::print("{} {}\n", args.empty() ? "" : args[0], rig::to_string(pins->get(role_arg(0))));
  } else if (action == "watch") {
    watch_pins(*pins);
  } else {
    throw InputError(fmt::format("unknown pin action '{}' (press, set, get, watch)", action));
  }
  return 0;
}

// sim, pin, delta make|show.
struct ModuleGroup final : CommandGroup {
  explicit ModuleGroup(CLI::App& app);
  std::optional<int> run() const override;

  CLI::App* sim_cmd = nullptr;
  sim::HostOptions host{.model = "SIM7080G"};
  std::string latency;
  std::vector<std::string> faults;

  CLI::App* pin_cmd = nullptr;
  std::string pin_target, pin_action;
  std::vector<std::string> pin_args;

  CLI::App* delta_make = nullptr;
  CLI::App* delta_show = nullptr;
  std::string model = "SIM7080G", from, to, out, file;
  std::size_t size = 64 * 1024;

  void add_sim(CLI::App& app);
  void add_pin(CLI::App& app);
  void add_delta(CLI::App& app);
  int run_sim() const;
  int make_delta() const;
  int show_delta() const;
};

}  // namespace

void ModuleGroup::add_sim(CLI::App& app) {
  sim_cmd = app.add_subcommand("sim", "run a virtual module on a pseudo-terminal");
  sim_cmd->add_option("--model", host.model, "SIM7000G, SIM7070G, SIM7080G or SIM7090G")->capture_default_str();
  sim_cmd->add_option("--firmware", host.firmware, "revision to start at (default: the model's usual one)");
  sim_cmd->add_option("--link", host.link, "symlink to create to the pty");
  sim_cmd->add_option("--control", host.control, "control channel socket (default: LINK.ctl)");
  sim_cmd->add_option("--time-scale", host.time_scale, "factor on every internal delay (1 = real time)")->capture_default_str();
  auto* power_on = sim_cmd->add_flag_callback(
      "--power-on", [this] { host.power_on = sim::PowerOn::at_first_open; }, "power on when a program first opens the port (a person at a terminal)");
  sim_cmd
      ->add_flag_callback(
          "--powered", [this] { host.power_on = sim::PowerOn::now; }, "power on at once (a module that was on before its host came)")
      ->excludes(power_on);
  sim_cmd->add_flag("--usb", host.usb, "behave as on USB: the port goes away while off and comes back new after boot");
  sim_cmd->add_option("--exit-with-parent", host.parent_pid, "end when process PID (the runner that started it) ends");
  sim_cmd->add_option("--ipr", host.ipr, "rate saved with AT+IPR at the start, 0 autobaud (default: SIM7000 0, others 115200)");
  sim_cmd->add_option("--latency", latency,
                      "deliver the module's bytes as a USB-serial adapter does: held until this latency timer fires "
                      "or 62 bytes gather (FTDI: 16ms; ser2net over a LAN: more); real time, never scaled");
  sim_cmd->add_option("--gnss-at", host.gnss_at, "where the GNSS receiver is: LAT,LON[,ALT] (default: 31.221345,121.354753,31.9)");
  sim_cmd->add_option("--gnss-track", host.gnss_track, "a track the GNSS receiver plays: CSV rows SECONDS,LAT,LON[,ALT] from its first start")
      ->excludes("--gnss-at");
  sim_cmd->add_option("--ppk2", host.ppk2,
                      "also serve a virtual Power Profiler Kit II measuring the module, on a pty behind this symlink "
                      "(ampere-meter mode in series with the supply, or source mode as its supply)");
  sim_cmd
      ->add_option("--scpi-supply", host.scpi_port,
                   "also serve a virtual bench DC source (an HP 66332A) supplying and measuring the module, taking SCPI on this loopback "
                   "TCP port (0: any free one; the banner names it as libsigrok does: tcp-raw/127.0.0.1/PORT)")
      ->check(CLI::Range(0, 65535));
  std::string fault_help = "a named fault, NAME[=ARG] (repeatable):";
  for (const auto& f : sim::fault_catalogue())
    fault_help += fmt::format("\n  {}{}: {}", f.name, f.argument.empty() ? "" : fmt::format("={}", f.argument), f.effect);
  sim_cmd->add_option("--fault", faults, fault_help)->allow_extra_args(false);
}

void ModuleGroup::add_pin(CLI::App& app) {
  pin_cmd = app.add_subcommand("pin", "drive a virtual module's pins from another terminal");
  pin_cmd->footer(
      "  athil pin /tmp/tty-sim press pwrkey [1.2s]   hold PWRKEY low, then release (power on or off)\n"
      "  athil pin /tmp/tty-sim set supply low|high   cut or restore the supply\n"
      "  athil pin /tmp/tty-sim get status            read STATUS (or netlight, pwrkey, ...)\n"
      "  athil pin /tmp/tty-sim watch                 print STATUS and NETLIGHT edges until Ctrl-C");
  pin_cmd->add_option("link", pin_target, "the module's --link (or its control socket)")->required();
  pin_cmd->add_option("action", pin_action, "press, set, get or watch")->required();
  pin_cmd->add_option("args", pin_args, "pin, then a hold time or a level");
}

void ModuleGroup::add_delta(CLI::App& app) {
  auto* delta = app.add_subcommand("delta", "make or inspect a virtual-module firmware delta");
  delta->require_subcommand(1);
  delta_make = delta->add_subcommand("make", "write a delta package");
  delta_make->add_option("--model", model)->capture_default_str();
  delta_make->add_option("--from", from, "base revision")->required();
  delta_make->add_option("--to", to, "target revision")->required();
  delta_make->add_option("--size", size, "payload bytes")->capture_default_str();
  delta_make->add_option("-o,--output", out, "file to write")->required();
  delta_show = delta->add_subcommand("show", "print and verify a delta package");
  delta_show->add_option("file", file)->required();
}

int ModuleGroup::run_sim() const {
  const auto* model_facts = sim::find_model(host.model);
  if (!model_facts) {
    fmt::print(stderr, "error: unknown model '{}' (known: {})\n", host.model, fmt::join(sim::model_names(), ", "));
    return runner::bad_input;
  }
  auto options = host;
  if (options.firmware.empty()) options.firmware = std::string(model_facts->default_firmware);
  if (!latency.empty()) options.latency = std::chrono::duration_cast<std::chrono::microseconds>(parse_duration(latency));
  for (const auto& f : faults) sim::add_faults(options.faults, f);
  return sim::run_host(options);
}

int ModuleGroup::make_delta() const {
  std::ofstream file_out(out, std::ios::binary);
  file_out << sim::make_delta(model, from, to, size);
  if (!file_out.flush()) {
    fmt::print(stderr, "error: cannot write {}\n", out);
    return runner::infrastructure;
  }
  return 0;
}

int ModuleGroup::show_delta() const {
  auto text = read_file(file);
  if (!text) {
    fmt::print(stderr, "error: cannot read {}\n", file);
    return runner::bad_input;
  }
  auto d = sim::parse_delta(*text);
  fmt::print("model {}\nfrom {}\nto {}\nlength {}\ncrc32 {:08x} (verified)\n", d.model, d.from, d.to, d.payload.size(), sim::crc32(d.payload));
  return 0;
}

ModuleGroup::ModuleGroup(CLI::App& app) {
  add_sim(app);
  add_pin(app);
  add_delta(app);
}

std::optional<int> ModuleGroup::run() const {
  if (sim_cmd->parsed()) return run_sim();
  if (pin_cmd->parsed()) return pin_tool(pin_target, pin_action, pin_args);
  if (delta_make->parsed()) return make_delta();
  if (delta_show->parsed()) return show_delta();
  return std::nullopt;
}

std::unique_ptr<CommandGroup> module_commands(CLI::App& app) { return std::make_unique<ModuleGroup>(app); }

}  // namespace athil::cli
