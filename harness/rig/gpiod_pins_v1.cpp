// libgpiod 1.6 backend: the lines of one slot, requested once for the whole run.
#include "rig/gpiod_backend.hpp"

#include <algorithm>
#include <map>
#include <system_error>

#include <fmt/format.h>

#include "base/duration.hpp"
#include "rig/gpio_request.hpp"
#include "rig/pins.hpp"

namespace athil::rig {

namespace gpiod_backend {

V1Request request_for(const LineRequest& plan, const std::string& consumer) {
  gpiod::line_request req;
  req.consumer = consumer;
  req.request_type = plan.edge_events                         ? gpiod::line_request::EVENT_BOTH_EDGES
                     : plan.direction == LineDirection::input ? gpiod::line_request::DIRECTION_INPUT
                                                              : gpiod::line_request::DIRECTION_OUTPUT;
  req.flags = plan.active_low ? gpiod::line_request::FLAG_ACTIVE_LOW : std::bitset<32>();
  bool output = plan.direction == LineDirection::output;
  return {.request = req, .initial = output && plan.initial == Level::high ? 1 : 0};
}

}  // namespace gpiod_backend

namespace {

class GpiodPins final : public Pins {
 public:
  GpiodPins(std::string slot, const RealSlot& wiring) : slot_(std::move(slot)), chip_name_(wiring.gpio_chip) {
    try {
      chip_.open(chip_name_, gpiod::chip::OPEN_LOOKUP);
    } catch (const std::exception& e) {
      throw InfraError(fmt::format("slot {}: GPIO chip '{}' cannot be opened: {} ({})", slot_, chip_name_, e.what(), gpio_open_hint));
    }
    for (const auto& l : wiring.lines) {
      gpiod::line line;
      try {
        line = chip_.get_line(l.offset);
      } catch (const std::exception& e) {
        throw InfraError(fmt::format("slot {}: GPIO chip '{}' has no line {} for {} ({})", slot_, chip_name_, l.offset, to_string(l.role), e.what()));
      }
      if (line.is_used())
        throw InfraError(
            fmt::format("slot {}: GPIO {} line {} ({}) is busy, held by consumer '{}'", slot_, chip_name_, l.offset, to_string(l.role), line.consumer()));
      auto req = gpiod_backend::request_for(plan_request(l), gpio_consumer(slot_));
      try {
        line.request(req.request, req.initial);
      } catch (const std::system_error& e) {
        throw InfraError(fmt::format("slot {}: cannot request GPIO {} line {} ({}): {}", slot_, chip_name_, l.offset, to_string(l.role), e.what()));
      }
      lines_.emplace(l.role, Requested{line, plan_request(l).edge_events});
    }
  }

  ~GpiodPins() override {
    // Released lines keep their last level on most GPIO drivers: leave them at the safe one.
    try {
      release_outputs();
    } catch (...) {  // a line that cannot be set is released all the same
    }
    for (auto& [role, requested] : lines_) {
      try {
        requested.line.release();
      } catch (...) {}
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
    for (auto& [role, requested] : lines_) {
      if (!requested.edge_events) continue;
      auto& line = requested.line;
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
  std::string describe() const override { return fmt::format("GPIO chip {} (libgpiod {})", chip_name_, libgpiod_version()); }

 private:
  gpiod::line& line(PinRole role) {
    auto it = lines_.find(role);
    if (it == lines_.end()) throw InfraError(fmt::format("slot {}: the rig wires no '{}' line", slot_, to_string(role)));
    return it->second.line;
  }

  std::string slot_;
  std::string chip_name_;
  gpiod::chip chip_;
  struct Requested {
    gpiod::line line;
    bool edge_events = false;
  };
  std::map<PinRole, Requested> lines_;
};

}  // namespace

std::vector<GpioFinding> inspect_gpio(const RealSlot& wiring) {
  gpiod::chip chip;
  return gpio_findings(
      wiring,
      [&] {
        chip.open(wiring.gpio_chip, gpiod::chip::OPEN_LOOKUP);
        return ChipLook{.name = chip.name(), .label = chip.label(), .num_lines = chip.num_lines()};
      },
      [&](unsigned offset) {
        auto line = chip.get_line(offset);
        return LineLook{.used = line.is_used(), .consumer = line.consumer(), .name = line.name()};
      });
}

std::unique_ptr<Pins> open_gpio_pins(const std::string& slot, const RealSlot& wiring) { return drained(std::make_unique<GpiodPins>(slot, wiring)); }

}  // namespace athil::rig
