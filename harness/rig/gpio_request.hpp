#pragma once
// What athil asks of each GPIO line, whichever libgpiod is underneath: the backends
// (gpiod_pins_v1.cpp for libgpiod 1.6, gpiod_pins_v2.cpp for 2.x) translate this plan into
// their API and nothing else, so both request the same lines the same way.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "rig/model.hpp"
#include "rig/pins.hpp"

namespace athil::rig {

enum class LineDirection { input, output };

struct LineRequest {
  LineDirection direction = LineDirection::output;
  // The inputs' edges go on the timeline: STATUS's for the rules, NETLIGHT's for the waveform.
  // NETLIGHT blinks all the time: libgpiod 2 requests it apart, so that its edges have a kernel
  // event buffer of their own; a full one loses old NETLIGHT edges, never STATUS's.
  bool edge_events = false;
  // The kernel inverts values, initial level and edges alike: athil speaks module-side levels.
  bool active_low = false;
  // Outputs are requested at this level in the same call (no glitch between request and
  // first set): released, that is PWRKEY and RESET not pressed, supply on.
  Level initial = Level::high;
};

LineRequest plan_request(const GpioLine& line);
// "athil:<slot>", cut to what the kernel keeps (31 characters), so a busy line names us.
std::string gpio_consumer(const std::string& slot);
// Event times come from the kernel: CLOCK_MONOTONIC since Linux 5.7, CLOCK_REALTIME before.
// The harness's clock is the monotonic one; a realtime stamp is moved onto it.
std::int64_t monotonic_us(std::chrono::nanoseconds stamp);
// What either API says of a chip and of one of its lines, for the preflight.
struct ChipLook {
  std::string name, label;
  unsigned num_lines = 0;
};
struct LineLook {
  bool used = false;
  std::string consumer, name;
};
// The preflight's findings (inspect_gpio): `chip` opens and looks at the chip, `line` at one
// line; each throws what its API throws (no such chip, a line out of range). Requests nothing.
std::vector<GpioFinding> gpio_findings(const RealSlot& wiring, const std::function<ChipLook()>& chip, const std::function<LineLook(unsigned offset)>& line);
// `pins` with their edges read every 200 ms on a thread of its own, kept until take_events():
// the kernel's event buffers (16 edges a line under libgpiod 1) never fill while the harness
// waits on bytes for minutes. The edges keep the kernel's stamps.
std::unique_ptr<Pins> drained(std::unique_ptr<Pins> pins);
// Said with every chip that cannot be opened.
inline constexpr const char* gpio_open_hint = "is the chip present, and may this user open /dev/gpiochip*?";

// The libgpiod this build uses, as pkg-config reported it at configure time ("2.1.3").
std::string_view libgpiod_version();

}  // namespace athil::rig
