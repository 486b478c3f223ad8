#include "report/vcd.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "base/escape.hpp"

namespace athil::report {

namespace {

constexpr std::int64_t urc_pulse_us = 1000;

struct Change {
  std::int64_t t;
  std::size_t signal;
  char value;  // '0', '1'
};

// "status high", "pwrkey low (...)", "supply on": the pin lines of the timeline; other pin
// notes ("power on: STATUS already high") change nothing.
std::optional<std::pair<std::string, char>> pin_change(const std::string& text) {
  static const std::array<const char*, 6> pins = {"pwrkey", "reset", "supply", "status", "netlight", "dtr"};
  auto space = text.find(' ');
  if (space == std::string::npos) return std::nullopt;
  std::string pin = text.substr(0, space);
  if (std::find(pins.begin(), pins.end(), pin) == pins.end()) return std::nullopt;
  std::string rest = text.substr(space + 1, text.find(' ', space + 1) - space - 1);
  if (rest == "high" || rest == "on") return std::pair(pin, '1');
  if (rest == "low" || rest == "off") return std::pair(pin, '0');
  return std::nullopt;
}

// Header text may not hold "$end"; a marker stays on one line.
std::string header_safe(std::string_view text) {
  std::string out = escape_bytes(text);
  std::replace(out.begin(), out.end(), '$', '_');
  return out.size() > 120 ? out.substr(0, 117) + "..." : out;
}

}  // namespace

std::string render_vcd(const Timeline& timeline, std::size_t from, std::size_t to, std::string_view title) {
  const auto& events = timeline.events();
  to = std::min(to, events.size());
  std::vector<const TimelineEvent*> order;
  for (std::size_t i = from; i < to; ++i) order.push_back(&events[i]);
  std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->t_us < b->t_us; });
  std::int64_t origin = order.empty() ? 0 : order.front()->t_us;

  std::vector<std::string> signals = {"at_command", "urc"};
  std::map<std::string, std::size_t> index;
  auto signal = [&](const std::string& name) {
    auto [it, fresh] = index.emplace(name, signals.size());
    if (fresh) signals.push_back(name);
    return it->second;
  };
  std::vector<Change> changes;
  std::vector<std::string> markers;
  bool command_open = false;
  std::int64_t urc_until = -1;
  for (const auto* e : order) {
    std::int64_t t = e->t_us - origin;
    if (e->dir == Direction::to_module) {
      changes.push_back({t, 0, '1'});
      command_open = true;
      markers.push_back(fmt::format("{} > {}", t, header_safe(e->data)));
    } else if (e->dir == Direction::from_module && command_open) {
      changes.push_back({t, 0, '0'});
      command_open = false;
    } else if (e->dir == Direction::note && e->data.rfind("urc: ", 0) == 0) {
      // Pulses that overlap merge into one.
      if (t > urc_until)
        changes.push_back({t, 1, '1'});
      else
        changes.erase(std::remove_if(changes.begin(), changes.end(), [&](const Change& c) { return c.signal == 1 && c.t == urc_until; }), changes.end());
      urc_until = t + urc_pulse_us;
      changes.push_back({urc_until, 1, '0'});
      markers.push_back(fmt::format("{} urc {}", t, header_safe(e->data.substr(5))));
    } else if (e->dir == Direction::pin) {
      if (auto c = pin_change(e->data)) changes.push_back({t, signal(c->first), c->second});
    }
  }
  std::stable_sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) { return a.t < b.t; });

  // Identifiers: printable ASCII from '!'.
  auto id = [](std::size_t i) { return std::string(1, static_cast<char>('!' + i)); };
  std::string out = fmt::format("$version athil $end\n$comment {} $end\n$timescale 1us $end\n$scope module slot $end\n", header_safe(title));
  for (std::size_t i = 0; i < signals.size(); ++i) out += fmt::format("$var wire 1 {} {} $end\n", id(i), signals[i]);
  out += "$upscope $end\n$comment\n  markers (microseconds, event):\n";
  for (const auto& m : markers) out += "  " + m + "\n";
  out += "$end\n$enddefinitions $end\n#0\n$dumpvars\n";
  // Before its first change a pin was at the other level: the timeline records transitions.
  for (std::size_t i = 0; i < signals.size(); ++i) {
    char initial = '0';
    if (i >= 2)
      for (const auto& c : changes)
        if (c.signal == i) {
          initial = c.value == '1' ? '0' : '1';
          break;
        }
    out += fmt::format("{}{}\n", initial, id(i));
  }
  out += "$end\n";
  std::int64_t last = -1, end = 0;
  for (const auto& c : changes) {
    if (c.t != last) out += fmt::format("#{}\n", c.t);
    last = c.t;
    end = std::max(end, c.t);
    out += fmt::format("{}{}\n", c.value, id(c.signal));
  }
  if (!order.empty()) end = std::max(end, order.back()->t_us - origin);
  // A last timestamp after every change, so that a reader shows the final levels too.
  out += fmt::format("#{}\n", end + 1);
  return out;
}

}  // namespace athil::report
