#include "rig/gpio_request.hpp"

#include <fmt/format.h>

#include "base/duration.hpp"

namespace athil::rig {

LineRequest plan_request(const GpioLine& line) {
  bool input = line.role == PinRole::status || line.role == PinRole::netlight;
  return LineRequest{
      .direction = input ? LineDirection::input : LineDirection::output,
      .edge_events = input,
      .active_low = line.active_low,
      .initial = Level::high,
  };
}

std::string gpio_consumer(const std::string& slot) {
  constexpr std::size_t kernel_limit = 31;  // GPIO_MAX_NAME_SIZE 32, with its terminator
  return ("athil:" + slot).substr(0, kernel_limit);
}

std::int64_t monotonic_us(std::chrono::nanoseconds stamp) {
  using namespace std::chrono;
  auto mono_now = duration_cast<nanoseconds>(Clock::now().time_since_epoch());
  if (abs(stamp - mono_now) < hours(24)) return duration_cast<microseconds>(stamp).count();
  auto real_now = duration_cast<nanoseconds>(system_clock::now().time_since_epoch());
  return duration_cast<microseconds>(stamp - (real_now - mono_now)).count();
}

std::vector<GpioFinding> gpio_findings(const RealSlot& wiring, const std::function<ChipLook()>& chip, const std::function<LineLook(unsigned offset)>& line) {
  std::vector<GpioFinding> out;
  std::string chip_what = fmt::format("gpio {}", wiring.gpio_chip);
  ChipLook c;
  try {
    c = chip();
  } catch (const std::exception& e) {
    out.push_back({chip_what, false, fmt::format("cannot be opened: {} ({})", e.what(), gpio_open_hint)});
    return out;
  }
  out.push_back({chip_what, true, fmt::format("{} ({}, {} lines; libgpiod {})", c.name, c.label, c.num_lines, libgpiod_version())});
  for (const auto& l : wiring.lines) {
    GpioFinding f{fmt::format("gpio {} line {} ({})", wiring.gpio_chip, l.offset, to_string(l.role)), false, ""};
    try {
      auto look = line(l.offset);
      if (look.used)
        f.result = fmt::format("busy: held by consumer '{}'", look.consumer);
      else
        f = {f.what, true, fmt::format("present, free{}", look.name.empty() ? "" : fmt::format(" (named {})", look.name))};
    } catch (const std::exception& e) {
      f.result = fmt::format("missing: the chip has {} lines ({})", c.num_lines, e.what());
    }
    out.push_back(f);
  }
  return out;
}

std::string_view libgpiod_version() { return ATHIL_LIBGPIOD_VERSION; }

}  // namespace athil::rig
