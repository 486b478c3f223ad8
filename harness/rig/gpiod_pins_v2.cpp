// libgpiod 2.x backend: the lines of one slot, requested together (NETLIGHT apart), once for the whole run.
#include "rig/gpiod_backend.hpp"

#include <algorithm>
#include <array>
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
    // NETLIGHT blinks all the time: its edges get a request, and so a kernel event buffer, of
    // their own, where they can never crowd out STATUS's.
    auto lines = chip->prepare_request(), blinking = chip->prepare_request();
    std::array<unsigned, 2> counts{};
    for (const auto& l : wiring.lines) {
      check_free(*chip, l);
      auto plan = plan_request(l);
      std::size_t group = l.role == PinRole::netlight ? 1 : 0;
      (group ? blinking : lines).add_line_settings(l.offset, gpiod_backend::settings_for(plan));
      ++counts[group];
      offsets_.emplace(l.role, Wired{.offset = l.offset, .group = group});
      if (plan.edge_events) edge_roles_.emplace(l.offset, l.role);
    }
    // Each output at its released level from the start.
    try {
      for (std::size_t group = 0; group < counts.size(); ++group)
        if (counts[group]) requests_[group].emplace((group ? blinking : lines).set_consumer(gpio_consumer(slot_)).do_request());
    } catch (const std::exception& e) {
      throw InfraError(fmt::format("slot {}: cannot request the lines of GPIO {}: {}", slot_, chip_name_, e.what()));
    }
  }

  ~GpiodPins() override {
    // Released lines keep their last level on most GPIO drivers: leave them at the safe one.
    try {
      release_outputs();
      for (auto& r : requests_)
        if (r) r->release();
    } catch (...) {  // a line that cannot be set is released all the same, by the request's destructor
    }
  }

  bool has(PinRole role) const override { return offsets_.count(role) != 0; }

  void set(PinRole role, Level level) override {
    try {
      auto [request, offset] = wired(role);
      request.set_value(offset, level == Level::high ? gpiod::line::value::ACTIVE : gpiod::line::value::INACTIVE);
    } catch (const std::exception& e) {
      throw InfraError(fmt::format("slot {}: setting {} {}: {}", slot_, to_string(role), to_string(level), e.what()));
    }
  }

  Level get(PinRole role) override {
    try {
      auto [request, offset] = wired(role);
      return request.get_value(offset) == gpiod::line::value::ACTIVE ? Level::high : Level::low;
    } catch (const std::exception& e) {
      throw InfraError(fmt::format("slot {}: reading {}: {}", slot_, to_string(role), e.what()));
    }
  }

  std::vector<PinEvent> take_events() override {
    std::vector<PinEvent> events;
    if (edge_roles_.empty()) return events;
    try {
      for (auto& request : requests_)
        if (request) read_edges(*request, events);
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

  // The kernel reports logical edges, active-low applied: rising is the module-side level going high.
  void read_edges(gpiod::line_request& request, std::vector<PinEvent>& events) {
    while (request.wait_edge_events(std::chrono::nanoseconds(0))) {
      request.read_edge_events(buffer_);
      for (const auto& e : buffer_) {
        auto role = edge_roles_.find(e.line_offset());
        if (role == edge_roles_.end()) continue;
        auto level = e.type() == gpiod::edge_event::event_type::RISING_EDGE ? Level::high : Level::low;
        events.push_back(PinEvent{role->second, level, monotonic_us(std::chrono::nanoseconds(e.timestamp_ns().ns()))});
      }
    }
  }

  std::pair<gpiod::line_request&, gpiod::line::offset> wired(PinRole role) {
    auto it = offsets_.find(role);
    if (it == offsets_.end()) throw InfraError(fmt::format("slot {}: the rig wires no '{}' line", slot_, to_string(role)));
    return {*requests_[it->second.group], it->second.offset};
  }

  struct Wired {
    gpiod::line::offset offset;
    std::size_t group = 0;  // which of requests_
  };
  std::string slot_;
  std::string chip_name_;
  std::array<std::optional<gpiod::line_request>, 2> requests_;  // the slot's lines; NETLIGHT's own
  std::map<PinRole, Wired> offsets_;
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

std::unique_ptr<Pins> open_gpio_pins(const std::string& slot, const RealSlot& wiring) { return drained(std::make_unique<GpiodPins>(slot, wiring)); }

}  // namespace athil::rig
