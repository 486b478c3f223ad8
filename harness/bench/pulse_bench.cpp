// How exactly PWRKEY and RESET pulses are timed, as a virtual SIM7000G sees them: the width of
// each low pulse against the hold asked for, timed two ways. By the host, as on GPIO lines and
// as in a scenario (<power-key>, <reset>): the pin low, the port serviced until the hold's end,
// the pin high; widths from the low edge's arrival to the high edge's. By the virtual module,
// as the virtual rig does it: one request, both edges on the module's clock. Prints; asserts
// nothing.
// usage: pulse_bench ATHIL_EXE [PULSES]
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "at/engine.hpp"
#include "base/temp_dir.hpp"
#include "rig/pins.hpp"
#include "rig/power.hpp"
#include "rig/virtual_module.hpp"
#include "transport/serial_port.hpp"

using namespace athil;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::vector<long> widths(const std::string& control, rig::PinRole role) {
  std::istringstream reply(rig::ask_virtual_module("bench", control, fmt::format("pulses {}", rig::to_string(role))));
  std::string word, pin;
  std::size_t count = 0;
  reply >> word >> pin >> count;
  std::vector<long> out(count);
  for (auto& w : out) reply >> w;
  return out;
}

long quantile(std::vector<long> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: pulse_bench ATHIL_EXE [PULSES]\n");
    return 2;
  }
  const fs::path athil = argv[1];
  const int pulses = argc > 2 ? std::stoi(argv[2]) : 100;
  RunTempDir dir;
  // Off, and kept off: short presses and a RESET pulse do nothing to an unpowered SIM7000, so
  // the module's own work never competes with the measurement.
  rig::Slot slot{.name = "bench", .model = "SIM7000G", .firmware = "1529B08SIM7000G", .kind = rig::VirtualSlot{}};
  rig::VirtualModuleProcess module(slot, 1.0, {athil, dir.path(), dir.path() / "sim.log"});
  auto pins = rig::connect_virtual_pins(slot.name, module.control_socket());
  Timeline timeline;
  SerialPort port(module.port_link(), SerialPort::Settings{115200, false, 115200});
  AtEngine engine(port, timeline, Dialect::sim70x0(slot.model));
  auto host_timed = rig::timed_by_host(*pins);
  auto idle = [&](Deadline dl) { engine.drain_until(dl); };
  rig::PowerControl by_host(*host_timed, slot.model, TimeScale(1.0), idle, [](const std::string&, Clock::time_point) {});
  rig::PowerControl by_module(*pins, slot.model, TimeScale(1.0), idle, [](const std::string&, Clock::time_point) {});

  fmt::print("PWRKEY and RESET pulse widths on a virtual SIM7000G, as the module sees them ({} pulses each)\n", pulses);
  fmt::print("{:<8} {:>8} {:<10} {:>12} {:>12} {:>12} {:>12}\n", "pin", "asked", "timed by", "p50 dev us", "p99 dev us", "max dev us", "mean width");
  for (auto [role, hold] :
       {std::pair{rig::PinRole::pwrkey, Duration(50ms)}, std::pair{rig::PinRole::pwrkey, Duration(200ms)}, std::pair{rig::PinRole::reset, Duration(252ms)}}) {
    for (auto [who, power] : {std::pair{"the host", &by_host}, std::pair{"the module", &by_module}}) {
      widths(module.control_socket(), role);  // forget earlier samples
      for (int i = 0; i < pulses; ++i) {
        power->press(role, hold);
        engine.drain_until(Clock::now() + 5ms);  // a gap between pulses, as between steps
      }
      auto w = widths(module.control_socket(), role);
      if (w.empty()) {
        fmt::print(stderr, "the module measured no {} pulses\n", rig::to_string(role));
        return 1;
      }
      std::vector<long> dev;
      double sum = 0;
      for (long x : w) {
        dev.push_back(std::labs(x - static_cast<long>(hold.count())));
        sum += static_cast<double>(x);
      }
      fmt::print("{:<8} {:>8} {:<10} {:>12} {:>12} {:>12} {:>10.0f}us\n", rig::to_string(role), format_duration(hold), who, quantile(dev, 0.5),
                 quantile(dev, 0.99), *std::max_element(dev.begin(), dev.end()), sum / static_cast<double>(w.size()));
    }
  }
  fmt::print("goal: p99 deviation under 1000 us timed by the host (a GPIO rig's pulses)\n");
  return 0;
}
