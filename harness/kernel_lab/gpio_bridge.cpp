// athil_gpio_bridge: the board between a gpio-sim chip and a virtual module, inside the kernel
// lab's guest. athil drives the chip's lines through the kernel's GPIO character device as it
// drives a rack; this program plays the wires: the levels athil's outputs reach (read where
// gpio-sim shows them, sysfs `value`) go to the module's pins, and the module's STATUS and
// NETLIGHT come back as the inputs' `pull`. It also times every low pulse as the kernel saw it.
//
//   athil_gpio_bridge RIG SLOT SIM_DIR PULSES_FILE [CONTROL ASK]
//
// RIG is the rig file athil runs with: the slot's <gpio> lines (offsets, active-low: the
// transistors this board has) and its serial port, where the module's pty is linked. SIM_DIR is
// the chip's folder in sysfs (/sys/devices/platform/gpio-sim.0/gpiochip0). Beside PULSES_FILE:
// bridge-SLOT.ready once the module is up, and the module's log. Runs until SIGTERM, then
// writes PULSES_FILE: per pin, the low pulses the bridge measured and those the module did.
// Without CONTROL the bridge starts the module itself and links its pty where the rig says the
// slot's port is. With CONTROL and ASK (two paths to the control channel of a module on the
// lab's host, virtio-serial ports) the port is whatever the rig names: the guest's UART or
// USB serial port, which QEMU connects to that module's pty.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/duration.hpp"
#include "base/error.hpp"
#include "base/fd.hpp"
#include "base/temp_dir.hpp"
#include "rig/model.hpp"
#include "rig/pins.hpp"
#include "rig/virtual_module.hpp"

namespace fs = std::filesystem;
using namespace athil;

namespace {

std::atomic<bool> stop{false};

bool is_output(rig::PinRole role) { return role != rig::PinRole::status && role != rig::PinRole::netlight; }

// One gpio-sim line as the board sees it: the wire's level, before any transistor.
struct SimLine {
  rig::GpioLine wiring;
  UniqueFd value;  // sim_gpioN/value, read again from offset 0 each time
  fs::path pull;   // sim_gpioN/pull
  rig::Level module_level = rig::Level::high;
  std::int64_t low_since_us = -1;
  std::vector<double> low_pulses_ms;
};

rig::Level wire_to_module(char wire, bool inverted) {
  bool high = wire == '1';
  return high != inverted ? rig::Level::high : rig::Level::low;
}

char read_wire(const SimLine& line) {
  char c = '?';
  if (::pread(line.value.get(), &c, 1, 0) != 1) throw InfraError(fmt::format("bridge: cannot read the level of line {}", line.wiring.offset));
  return c;
}

// The level a line is pulled to: what an input reads, and an output reads back while nobody drives it.
void drive_input(const SimLine& line, rig::Level module_level) {
  bool wire_high = (module_level == rig::Level::high) != line.wiring.active_low;
  std::ofstream(line.pull) << (wire_high ? "pull-up" : "pull-down");
}

class Bridge {
 public:
  Bridge(const rig::Slot& slot, const rig::RealSlot& real, const fs::path& sim_dir, rig::Pins& module) : module_(module) {
    for (const auto& l : real.lines) {
      auto dir = sim_dir / fmt::format("sim_gpio{}", l.offset);
      SimLine line{.wiring = l, .value = UniqueFd(::open((dir / "value").c_str(), O_RDONLY | O_CLOEXEC)), .pull = dir / "pull"};
      if (!line.value) throw InfraError(fmt::format("bridge: slot {}: no gpio-sim line {} in {}", slot.name, l.offset, sim_dir.string()));
      lines_.emplace(l.role, std::move(line));
    }
    for (auto& [role, line] : lines_) {
      // The board's pull resistors: while nothing drives a line (before athil requests it, after
      // it releases it), the module's pins stay released (PWRKEY and RESET not pressed, supply on).
      if (is_output(role))
        drive_input(line, rig::Level::high);
      else if (module_.has(role))
        drive_input(line, module_.get(role));
    }
  }

  // Every millisecond: outputs to the module, the module's edges back to the inputs.
  void step() {
    auto now = to_us(Clock::now());
    for (auto& [role, line] : lines_) {
      if (!is_output(role)) continue;
      auto level = wire_to_module(read_wire(line), line.wiring.active_low);
      if (level == line.module_level) continue;
      line.module_level = level;
      if (level == rig::Level::low)
        line.low_since_us = now;
      else if (line.low_since_us >= 0)
        line.low_pulses_ms.push_back(double(now - line.low_since_us) / 1000.0);
      if (module_.has(role)) module_.set(role, level);
    }
    for (const auto& e : module_.take_events()) {
      auto it = lines_.find(e.role);
      if (it != lines_.end()) drive_input(it->second, e.level);
    }
  }

  void report(std::FILE* out, const rig::Slot& slot, const std::string& control) {
    for (auto role : {rig::PinRole::pwrkey, rig::PinRole::reset}) {
      auto it = lines_.find(role);
      if (it == lines_.end()) continue;
      fmt::print(out, "kernel {} {}\n", rig::to_string(role), fmt::join(it->second.low_pulses_ms, " "));
      auto module = rig::ask_virtual_module(slot.name, control, fmt::format("pulses {}", rig::to_string(role)));
      fmt::print(out, "module {}\n", module);
    }
  }

 private:
  rig::Pins& module_;
  std::map<rig::PinRole, SimLine> lines_;
};

// Where the module's control channel is: a module of the bridge's own (its socket), or one on
// the lab's host (a virtio-serial port for the pins, another for questions asked at the end).
struct ModuleEnd {
  std::string control, ask;
};

void bridge_until_stopped(const rig::Slot& slot, const fs::path& sim_dir, const fs::path& pulses_file, const ModuleEnd& end) {
  const auto& real = std::get<rig::RealSlot>(slot.kind);
  auto pins = rig::connect_virtual_pins(slot.name, end.control, true);
  Bridge bridge(slot, real, sim_dir, *pins);
  std::ofstream(pulses_file.parent_path() / fmt::format("bridge-{}.ready", slot.name)) << "ready\n";
  while (!stop) {
    bridge.step();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  auto* out = std::fopen(pulses_file.c_str(), "w");
  if (!out) throw InfraError(fmt::format("bridge: cannot write {}", pulses_file.string()));
  bridge.report(out, slot, end.ask);
  std::fclose(out);
}

int run(const std::vector<std::string>& args) {
  auto rig = rig::load_rig(args[0]);
  auto slot = std::find_if(rig.slots.begin(), rig.slots.end(), [&](const rig::Slot& s) { return s.name == args[1]; });
  if (slot == rig.slots.end() || !std::holds_alternative<rig::RealSlot>(slot->kind)) throw InputError(fmt::format("no real slot {} in {}", args[1], args[0]));
  fs::path sim_dir = args[2], pulses_file = args[3];
  if (args.size() == 6) {
    bridge_until_stopped(*slot, sim_dir, pulses_file, ModuleEnd{.control = args[4], .ask = args[5]});
    return 0;
  }
  // The module the slot's wires lead to: a virtual one of the slot's model and firmware, its
  // port linked where the rig file says the slot's port is.
  rig::Slot module_slot{.name = slot->name, .model = slot->model, .firmware = slot->firmware, .kind = rig::VirtualSlot{}, .fota_target = slot->fota_target};
  // The control socket needs a file system that has sockets: the run's own folder under TMPDIR.
  RunTempDir run_dir;
  auto log = pulses_file.parent_path() / fmt::format("bridge-{}-module.log", slot->name);
  rig::VirtualModuleProcess module(module_slot, rig.time_scale,
                                   rig::VirtualModuleProcess::Paths{.executable = ATHIL_EXE, .run_dir = run_dir.path(), .log_file = log});
  const auto& port = std::get<rig::RealSlot>(slot->kind).port;
  fs::remove(port);
  fs::create_symlink(module.port_link(), port);
  bridge_until_stopped(*slot, sim_dir, pulses_file, ModuleEnd{.control = module.control_socket(), .ask = module.control_socket()});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && argc != 7) {
    fmt::print(stderr, "usage: athil_gpio_bridge RIG SLOT SIM_DIR PULSES_FILE [CONTROL ASK]\n");
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = [](int) { stop = true; };
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    fmt::print(stderr, "athil_gpio_bridge: {}\n", e.what());
    return 1;
  }
}
