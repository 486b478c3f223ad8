// libgpiod 2.x backend: the lines of one slot, requested together, once for the whole run.
#include "rig/gpiod_backend.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "rig/gpio_request.hpp"
#include "rig/pins.hpp"

namespace athil::rig {

namespace gpiod_backend {

gpiod::line_settings settings_for(const LineRequest& plan) {
  using namespace gpiod::line;
  gpiod::line_settings s;
  s.set_active_low(plan.active_low);
  if (plan.direction == LineDirection::input) {
    s.set_direction(direction::INPUT);
    if (plan.edge_events) s.set_edge_detection(edge::BOTH).set_event_clock(clock::MONOTONIC);
  } else {
    s.set_direction(direction::OUTPUT).set_output_value(plan.initial == Level::high ? value::ACTIVE : value::INACTIVE);
  }
  return s;
}

namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::vector<std::filesystem::path> gpiochip_devices() {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/dev", ec))
    if (entry.path().filename().string().rfind("gpiochip", 0) == 0 && gpiod::is_gpiochip_device(entry.path())) out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::string find_chip(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  std::filesystem::path by_name = "/dev/" + (all_digits(name) ? "gpiochip" + name : name);
  if (gpiod::is_gpiochip_device(by_name)) return by_name;
  std::vector<std::string> seen;
  for (const auto& path : gpiochip_devices()) {
    try {
      auto label = gpiod::chip(path).get_info().label();
      if (label == name) return path;
      seen.push_back(fmt::format("{} ({})", path.filename().string(), label));
    } catch (const std::exception& e) {
      seen.push_back(fmt::format("{} (cannot be opened: {})", path.filename().string(), e.what()));
    }
  }
  throw std::runtime_error(
      fmt::format("no chip of that path, name, number or label; chips here: {}", seen.empty() ? "none" : fmt::format("{}", fmt::join(seen, ", "))));
}

}  // namespace gpiod_backend

namespace {

gpiod::chip open_chip(const std::string& name) { return gpiod::chip(gpiod_backend::find_chip(name)); }

class GpiodPins final : public Pins {
 public:
  GpiodPins(std::string slot, const RealSlot& wiring) : slot_(std::move(slot)), chip_name_(wiring.gpio_chip) {
    std::optional<gpiod::chip> chip;
    try {
      chip.emplace(open_chip(chip_name_));
    } catch (const std::exception& e) {
      throw InfraError(fmt::format("slot {}: GPIO chip '{}' cannot be opened: {} ({})", slot_, chip_name_, e.what(), gpio_open_hint));
    }
    auto builder = chip->prepare_request();
    builder.set_consumer(gpio_consumer(slot_));
    for (const auto& l : wiring.lines) {
      check_free(*chip, l);
      auto plan = plan_request(l);
      builder.add_line_settings(l.offset, gpiod_backend::settings_for(plan));
      offsets_.emplace(l.role, l.offset);
      if (plan.edge_events) edge_roles_.emplace(l.offset, l.role);
    }
    // One request for the slot's lines: each output at its released level from the start.
    try {
      request_.emplace(builder.do_request());
    } catch (const std::exception& e) {
      throw InfraError(fmt::format("slot {}: cannot request the lines of GPIO {}: {}", slot_, chip_name_, e.what()));
    }
  }

  ~GpiodPins() override {
    // Released lines keep their last level on most GPIO drivers: leave them at the safe one.
    try {
      release_outputs();
      request_->release();
    } catch (...) {  // a line that cannot be set is released all the same, by the request's destructor
    }
  }

  bool has(PinRole role) const override { return offsets_.count(role) != 0; }

  void set(PinRole role, Level level) override {
    try {
      request_->set_value(offset(role), level == Level::high ? gpiod::line::value::ACTIVE : gpiod::line::value::INACTIVE);
    } catch (const std::exception& e) {
      throw InfraError(fmt::format("slot {}: setting {} {}: {}", slot_, to_string(role), to_string(level), e.what()));
    }
  }

  Level get(PinRole role) override {
    try {
      return request_->get_value(offset(role)) == gpiod::line::value::ACTIVE ? Level::high : Level::low;
    } catch (const std::exception& e) {
      throw InfraError(fmt::format("slot {}: reading {}: {}", slot_, to_string(role), e.what()));
    }
  }

  std::vector<PinEvent> take_events() override {
    std::vector<PinEvent> events;
    if (edge_roles_.empty()) return events;
    try {
      // The kernel reports logical edges, active-low applied: rising is the module-side level going high.
      while (request_->wait_edge_events(std::chrono::nanoseconds(0))) {
        request_->read_edge_events(buffer_);
        for (const auto& e : buffer_) {
          auto role = edge_roles_.find(e.line_offset());
          if (role == edge_roles_.end()) continue;
          auto level = e.type() == gpiod::edge_event::event_type::RISING_EDGE ? Level::high : Level::low;
          events.push_back(PinEvent{role->second, level, monotonic_us(std::chrono::nanoseconds(e.timestamp_ns().ns()))});
        }
      }
    } catch (const std::exception& e) {
      throw InfraError(fmt::format("slot {}: reading edges on GPIO {}: {}", slot_, chip_name_, e.what()));
    }
    std::sort(events.begin(), events.end(), [](const PinEvent& a, const PinEvent& b) { return a.t_us < b.t_us; });
    return events;
  }

  std::string describe() const override { return fmt::format("GPIO chip {} (libgpiod {})", chip_name_, libgpiod_version()); }

 private:
  void check_free(gpiod::chip& chip, const GpioLine& l) const {
    std::optional<gpiod::line_info> info;
    try {
      info.emplace(chip.get_line_info(l.offset));
    } catch (const std::exception& e) {
      throw InfraError(fmt::format("slot {}: GPIO chip '{}' has no line {} for {} ({})", slot_, chip_name_, l.offset, to_string(l.role), e.what()));
    }
    if (info->used())
      throw InfraError(
          fmt::format("slot {}: GPIO {} line {} ({}) is busy, held by consumer '{}'", slot_, chip_name_, l.offset, to_string(l.role), info->consumer()));
  }

  gpiod::line::offset offset(PinRole role) const {
    auto it = offsets_.find(role);
    if (it == offsets_.end()) throw InfraError(fmt::format("slot {}: the rig wires no '{}' line", slot_, to_string(role)));
    return it->second;
  }

  std::string slot_;
  std::string chip_name_;
  std::optional<gpiod::line_request> request_;
  std::map<PinRole, gpiod::line::offset> offsets_;
  std::map<gpiod::line::offset, PinRole> edge_roles_;
  gpiod::edge_event_buffer buffer_{16};
};

}  // namespace

std::vector<GpioFinding> inspect_gpio(const RealSlot& wiring) {
  std::optional<gpiod::chip> chip;
  return gpio_findings(
      wiring,
      [&] {
        chip.emplace(open_chip(wiring.gpio_chip));
        auto info = chip->get_info();
        return ChipLook{.name = info.name(), .label = info.label(), .num_lines = static_cast<unsigned>(info.num_lines())};
      },
      [&](unsigned offset) {
        auto info = chip->get_line_info(offset);
        return LineLook{.used = info.used(), .consumer = info.consumer(), .name = info.name()};
      });
}

std::unique_ptr<Pins> open_gpio_pins(const std::string& slot, const RealSlot& wiring) { return std::make_unique<GpiodPins>(slot, wiring); }

}  // namespace athil::rig
