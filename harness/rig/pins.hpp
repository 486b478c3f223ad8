#pragma once
// A slot's control pins, by module-side level: PWRKEY low is a pressed key, whatever
// transistor sits between a GPIO and the module (the rig file's active-low says so).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/duration.hpp"
#include "rig/model.hpp"

namespace athil::instrument {
class CurrentMeter;
}

namespace athil::rig {

struct PinEvent {
  PinRole role;
  Level level;
  std::int64_t t_us;
};

class Pins {
 public:
  virtual ~Pins() = default;
  virtual bool has(PinRole role) const = 0;
  // Throws InfraError naming the slot, the pin and the cause.
  virtual void set(PinRole role, Level level) = 0;
  // The same, ended by `bound` (what a step or a scenario has left): only a level that a
  // program switches can take long enough to need one.
  virtual void set_within(PinRole role, Level level, Deadline bound) {
    (void)bound;
    set(role, level);
  }
  // A pulse timed by what drives the line rather than by this host: the pin at `level` now and
  // back after `hold`. True when the driver took it; false when the host must time it (set,
  // wait, set), as for GPIO lines. A virtual module times both edges on its own clock, so that
  // a harness stalled on a loaded machine cannot stretch a press that a small time scale has
  // made a few milliseconds long.
  virtual bool pulse(PinRole role, Level level, Duration hold) {
    (void)role, (void)level, (void)hold;
    return false;
  }
  virtual Level get(PinRole role) = 0;
  // Changes of the module's output pins seen since the last call, stamped when they happened.
  virtual std::vector<PinEvent> take_events() = 0;
  virtual std::string describe() const = 0;
  // The safe state: PWRKEY, RESET and DTR released (high at the module), whatever a sequence
  // cut short left them at; the supply stays as it is (a cut in the middle of a flash write
  // is the one thing here that can damage a module).
  void release_outputs() {
    for (auto role : {PinRole::pwrkey, PinRole::reset, PinRole::dtr})
      if (has(role)) set(role, Level::high);
  }
};

// The virtual module's control channel (harness/sim/README.md): its Unix socket, or a character
// device that carries it (a virtual machine's virtio-serial port, in harness/kernel_lab).
// Edges are reported for STATUS, and for NETLIGHT too when `netlight_events` (it blinks all the time).
std::unique_ptr<Pins> connect_virtual_pins(const std::string& slot, const std::string& socket_path, bool netlight_events = false);
// One request on a virtual module's control channel, for tools and benchmarks that read what
// the module measured (`turnaround`, `pulses pwrkey`). Throws InfraError.
std::string ask_virtual_module(const std::string& slot, const std::string& socket_path, const std::string& request);
// The same pins with every pulse timed by this host (set, wait, set), as GPIO lines are: what a
// GPIO rig gets, measured on a virtual one (harness/bench/pulse_bench). `pins` outlives it.
std::unique_ptr<Pins> timed_by_host(Pins& pins);
// libgpiod lines, requested once for the run with consumer "athil:<slot>".
std::unique_ptr<Pins> open_gpio_pins(const std::string& slot, const RealSlot& wiring);
// For a preflight: the chip and each line, looked at without requesting any (a request would
// drive the outputs). One finding per line, and one for the chip.
struct GpioFinding {
  std::string what;  // "gpio gpiochip0", "gpio gpiochip0 line 17 (pwrkey)"
  bool ok = false;
  std::string result;  // "present, free", "busy: held by consumer 'athil:s1'", ...
};
std::vector<GpioFinding> inspect_gpio(const RealSlot& wiring);
// A real slot's pins: its GPIO lines, with the supply switched by its <supply on off>
// commands where it has them; null when the slot wires neither.
std::unique_ptr<Pins> open_real_pins(const std::string& slot, const RealSlot& wiring);
// Opens the slot's instrument, or gives the one already open (a scenario measuring through it).
using MeterOpener = std::function<std::shared_ptr<instrument::CurrentMeter>()>;
// A slot whose instrument is its supply (a PPK2 in source mode, a bench supply): the supply role
// switches the instrument's output, on at once; `lines` (maybe null) has the other pins.
std::unique_ptr<Pins> supply_through_instrument(const std::string& slot, std::unique_ptr<Pins> lines, MeterOpener open);

}  // namespace athil::rig
