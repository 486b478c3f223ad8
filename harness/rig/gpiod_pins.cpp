// libgpiod 1.6 backend: the lines of one slot, requested once for the whole run.
#include <gpiod.hpp>

#include <algorithm>
#include <map>
#include <system_error>

#include <fmt/format.h>

#include "base/duration.hpp"
#include "rig/pins.hpp"

namespace athil::rig {

namespace {

bool is_input(PinRole role) { return role == PinRole::status || role == PinRole::netlight; }

// STATUS edges go on the timeline. NETLIGHT is read as a level: it blinks all the time, and
// its edges would flood the timeline (and the kernel's 16-event queue between reads).
bool has_edge_events(PinRole role) { return role == PinRole::status; }

// Event times come from the kernel: CLOCK_MONOTONIC since Linux 5.7, CLOCK_REALTIME before.
// The harness's clock is the monotonic one; a realtime stamp is moved onto it.
std::int64_t monotonic_us(std::chrono::nanoseconds stamp) {
  using namespace std::chrono;
  auto mono_now = duration_cast<nanoseconds>(Clock::now().time_since_epoch());
  if (abs(stamp - mono_now) < hours(24)) return duration_cast<microseconds>(stamp).count();
  auto real_now = duration_cast<nanoseconds>(system_clock::now().time_since_epoch());
  return duration_cast<microseconds>(stamp - (real_now - mono_now)).count();
}

class GpiodPins final : public Pins {
 public:
  GpiodPins(std::string slot, const RealSlot& wiring) : slot_(std::move(slot)), chip_name_(wiring.gpio_chip) {
    try {
      chip_.open(chip_name_, gpiod::chip::OPEN_LOOKUP);
    } catch (const std::exception& e) {
      throw InfraError(fmt::format("slot {}: GPIO chip '{}' cannot be opened: {} (is the chip present, and may this user open /dev/gpiochip*?)",
                                   slot_, chip_name_, e.what()));
    }
    for (const auto& l : wiring.lines) {
      gpiod::line line;
      try {
        line = chip_.get_line(l.offset);
      } catch (const std::exception& e) {
        throw InfraError(fmt::format("slot {}: GPIO chip '{}' has no line {} for {} ({})", slot_, chip_name_, l.offset, to_string(l.role), e.what()));
      }
      if (line.is_used())
        throw InfraError(fmt::format("slot {}: GPIO {} line {} ({}) is busy, held by consumer '{}'", slot_, chip_name_, l.offset,
                                     to_string(l.role), line.consumer()));
      gpiod::line_request req;
      req.consumer = "athil:" + slot_;
      req.request_type = has_edge_events(l.role) ? gpiod::line_request::EVENT_BOTH_EDGES
                         : is_input(l.role)       ? gpiod::line_request::DIRECTION_INPUT
                                                  : gpiod::line_request::DIRECTION_OUTPUT;
      req.flags = l.active_low ? gpiod::line_request::FLAG_ACTIVE_LOW : std::bitset<32>();
      // Outputs start released: PWRKEY and RESET high (not pressed), supply on.
      try {
        line.request(req, is_input(l.role) ? 0 : 1);
      } catch (const std::system_error& e) {
        throw InfraError(fmt::format("slot {}: cannot request GPIO {} line {} ({}): {}", slot_, chip_name_, l.offset, to_string(l.role), e.what()));
      }
      lines_.emplace(l.role, line);
    }
  }

  ~GpiodPins() override {
    // Released lines keep their last level on most GPIO drivers: leave them at the safe one.
    try {
      release_outputs();
    } catch (...) {  // a line that cannot be set is released all the same
    }
    for (auto& [role, line] : lines_) {
      try {
        line.release();
      } catch (...) {
      }
    }
  }

  bool has(PinRole role) const override { return lines_.count(role) != 0; }

  void set(PinRole role, Level level) override {
    try {
      line(role).set_value(level == Level::high ? 1 : 0);
    } catch (const std::exception& e) {
      throw InfraError(fmt::format("slot {}: setting {} {}: {}", slot_, to_string(role), to_string(level), e.what()));
    }
  }

  Level get(PinRole role) override {
    try {
      return line(role).get_value() ? Level::high : Level::low;
    } catch (const std::exception& e) {
      throw InfraError(fmt::format("slot {}: reading {}: {}", slot_, to_string(role), e.what()));
    }
  }

  std::vector<PinEvent> take_events() override {
    std::vector<PinEvent> events;
    for (auto& [role, line] : lines_) {
      if (!has_edge_events(role)) continue;
      try {
        // For both-edge requests the kernel reads the logical level, active-low applied: a
        // rising edge is the module-side level going high.
        while (line.event_wait(std::chrono::nanoseconds(0))) {
          auto e = line.event_read();
          events.push_back(PinEvent{role, e.event_type == gpiod::line_event::RISING_EDGE ? Level::high : Level::low, monotonic_us(e.timestamp)});
        }
      } catch (const std::exception& e) {
        throw InfraError(fmt::format("slot {}: reading {} edges on GPIO {}: {}", slot_, to_string(role), chip_name_, e.what()));
      }
    }
    std::sort(events.begin(), events.end(), [](const PinEvent& a, const PinEvent& b) { return a.t_us < b.t_us; });
    return events;
  }
  std::string describe() const override { return fmt::format("GPIO chip {}", chip_name_); }

 private:
  gpiod::line& line(PinRole role) {
    auto it = lines_.find(role);
    if (it == lines_.end()) throw InfraError(fmt::format("slot {}: the rig wires no '{}' line", slot_, to_string(role)));
    return it->second;
  }

  std::string slot_;
  std::string chip_name_;
  gpiod::chip chip_;
  std::map<PinRole, gpiod::line> lines_;
};

}  // namespace

std::vector<GpioFinding> inspect_gpio(const RealSlot& wiring) {
  std::vector<GpioFinding> out;
  std::string chip_what = fmt::format("gpio {}", wiring.gpio_chip);
  gpiod::chip chip;
  try {
    chip.open(wiring.gpio_chip, gpiod::chip::OPEN_LOOKUP);
  } catch (const std::exception& e) {
    out.push_back({chip_what, false, fmt::format("cannot be opened: {} (is the chip present, and may this user open /dev/gpiochip*?)", e.what())});
    return out;
  }
  out.push_back({chip_what, true, fmt::format("{} ({}, {} lines)", chip.name(), chip.label(), chip.num_lines())});
  for (const auto& l : wiring.lines) {
    GpioFinding f{fmt::format("gpio {} line {} ({})", wiring.gpio_chip, l.offset, to_string(l.role)), false, ""};
    try {
      auto line = chip.get_line(l.offset);
      if (line.is_used()) f.result = fmt::format("busy: held by consumer '{}'", line.consumer());
      else f = {f.what, true, fmt::format("present, free{}", line.name().empty() ? "" : fmt::format(" (named {})", line.name()))};
    } catch (const std::exception& e) {
      f.result = fmt::format("missing: the chip has {} lines ({})", chip.num_lines(), e.what());
    }
    out.push_back(f);
  }
  return out;
}

std::unique_ptr<Pins> open_gpio_pins(const std::string& slot, const RealSlot& wiring) { return std::make_unique<GpiodPins>(slot, wiring); }

}  // namespace athil::rig
