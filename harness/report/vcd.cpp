#include "report/vcd.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "base/escape.hpp"
#include "base/nearly_sorted.hpp"

namespace athil::report {

namespace {

constexpr std::int64_t urc_pulse_us = 1000;
constexpr std::string_view current_window_note = "current window ";

enum class Kind { wire, text, real };

struct Signal {
  std::string name;
  Kind kind = Kind::wire;
};

// A value: "0", "1", the text of a text signal, a reading. It is kept in the waveform's one
// string of values: a string apiece would be most of a waveform's memory (a change or two an event).
struct Change {
  std::int64_t t;
  std::uint32_t signal;
  std::uint32_t size;  // of the value; 0: a URC pulse's end that the next pulse moved
  std::size_t at;      // where the value starts among the values
};

// The fixed signals, then one wire per pin in the order the timeline first shows it.
enum Fixed : std::size_t { at_command, urc, at_text, urc_text, fixed_count };

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
void append_header_safe(std::string& out, std::string_view text) {
  const std::size_t start = out.size();
  append_escaped(out, text);
  std::replace(out.begin() + static_cast<std::ptrdiff_t>(start), out.end(), '$', '_');
  if (out.size() - start > 120) out.replace(start + 117, std::string::npos, "...");
}

std::string header_safe(std::string_view text) {
  std::string out;
  append_header_safe(out, text);
  return out;
}

// A string value is one token: escaped, spaces as '_' (GTKWave shows it on the trace).
std::string text_value(std::string_view text) {
  std::string out = header_safe(text);
  std::replace(out.begin(), out.end(), ' ', '_');
  return out.empty() ? "-" : out;
}

std::string_view without_line_end(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// Identifiers: printable ASCII from '!', without '#' and '$', which readers take for a time or
// a keyword when a string value puts the identifier in a token of its own. A waveform has at
// most a dozen signals: one character each.
char id(std::size_t i) {
  for (char c = '!';; ++c) {
    if (c == '#' || c == '$') continue;
    if (i-- == 0) return c;
  }
}

class Waveform {
 public:
  // `events`: about how many will be added, so that the changes grow once.
  Waveform(std::int64_t origin, std::size_t events) : origin_(origin) { changes_.reserve(2 * events); }

  void add(const TimelineEvent& e) {
    std::int64_t t = e.t_us - origin_;
    if (e.dir == Direction::to_module) {
      change(t, at_command, "1");
      change(t, at_text, text_value(without_line_end(e.data)));
      command_open_ = true;
      marker(t, "> ", e.data);
    } else if (e.dir == Direction::from_module && command_open_) {
      change(t, at_command, "0");
      command_open_ = false;
    } else if (e.dir == Direction::note && e.data.rfind("urc: ", 0) == 0) {
      urc_pulse(t, e.data.substr(5));
    } else if (e.dir == Direction::pin) {
      if (auto c = pin_change(e.data)) change(t, pin_signal(c->first), std::string_view(&c->second, 1));
    } else if (e.dir == Direction::note && e.data.rfind(current_window_note, 0) == 0) {
      window(t, e.data.substr(current_window_note.size()));
    }
  }

  // The samples as a real variable: a value when it moved by more than a percent (or a
  // nanoampere), so that a flat sleep costs a line, not one per millisecond.
  void current(const CurrentTrace& trace) {
    if (trace.empty()) return;
    std::size_t signal = signals_.size();
    signals_.push_back({"current_A", Kind::real});
    double last = -1;
    for (const auto& p : trace) {
      if (last >= 0 && std::fabs(p.amps - last) <= std::max(1e-9, std::fabs(last) * 0.01)) continue;
      change(p.t_us - origin_, signal, fmt::format("{:.6g}", p.amps));
      last = p.amps;
    }
  }

  std::string render(std::string_view title, std::int64_t end) {
    // Only a URC pulse's end or a window's note lands out of order.
    stable_sort_nearly_sorted(changes_, [](const Change& a, const Change& b) { return a.t < b.t; });
    std::string out = fmt::format("$version athil $end\n$comment {} $end\n$timescale 1us $end\n$scope module slot $end\n", header_safe(title));
    out.reserve(out.size() + markers_.size() + 24 * changes_.size());  // about what follows: grown once, not copied as it doubles
    for (std::size_t i = 0; i < signals_.size(); ++i)
      out += fmt::format("$var {} {} $end\n", declaration(signals_[i].kind), fmt::format("{} {}", id(i), signals_[i].name));
    // The texts in the header too: PulseView and sigrok-cli skip string variables.
    out += "$upscope $end\n$comment\n  markers (microseconds, event):\n";
    out += markers_;
    out += "$end\n$enddefinitions $end\n#0\n$dumpvars\n";
    for (std::size_t i = 0; i < signals_.size(); ++i) append_value(out, i, initial(i));
    out += "$end\n";
    std::int64_t last = -1;
    for (const auto& c : changes_) {
      if (c.size == 0) continue;  // a URC pulse's end that the next pulse moved
      if (c.t != last) append_time(out, c.t);
      last = c.t;
      end = std::max(end, c.t);
      append_value(out, c.signal, value(c));
    }
    // A last timestamp after every change, so that a reader shows the final levels too.
    append_time(out, end + 1);
    return out;
  }

 private:
  void change(std::int64_t t, std::size_t signal, std::string_view value) {
    changes_.push_back({.t = t, .signal = static_cast<std::uint32_t>(signal), .size = static_cast<std::uint32_t>(value.size()), .at = values_.size()});
    values_ += value;
  }
  std::string_view value(const Change& c) const { return std::string_view(values_).substr(c.at, c.size); }

  static void append_number(std::string& out, std::int64_t t) {
    char digits[24];
    out.append(digits, static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, t).ptr - digits));
  }

  static void append_time(std::string& out, std::int64_t t) {
    out += '#';
    append_number(out, t);
    out += '\n';
  }

  void marker(std::int64_t t, std::string_view kind, std::string_view text) {
    markers_ += "  ";
    append_number(markers_, t);
    markers_ += ' ';
    markers_ += kind;
    append_header_safe(markers_, text);
    markers_ += '\n';
  }

  static const char* declaration(Kind kind) {
    switch (kind) {
      case Kind::text: return "string 1";
      case Kind::real: return "real 64";
      case Kind::wire: break;
    }
    return "wire 1";
  }

  // "open NAME" or "close NAME": a <current> window, as the runner notes it.
  void window(std::int64_t t, std::string_view what) {
    if (!window_signal_) {
      window_signal_ = signals_.size();
      signals_.push_back({"current_window", Kind::wire});
      signals_.push_back({"current_name", Kind::text});
    }
    bool open = what.rfind("open ", 0) == 0;
    change(t, *window_signal_, open ? "1" : "0");
    if (open) change(t, *window_signal_ + 1, text_value(what.substr(5)));
    marker(t, "current window ", what);
  }

  // A 1 ms pulse per URC; pulses that overlap merge into one.
  void urc_pulse(std::int64_t t, std::string_view text) {
    if (t > urc_until_)
      change(t, urc, "1");
    else
      changes_[urc_end_].size = 0;  // marked, not erased: a log of many URCs stays linear
    urc_until_ = t + urc_pulse_us;
    urc_end_ = changes_.size();
    change(urc_until_, urc, "0");
    change(t, urc_text, text_value(text));
    marker(t, "urc ", text);
  }

  std::size_t pin_signal(const std::string& name) {
    auto [it, fresh] = pins_.emplace(name, signals_.size());
    if (fresh) signals_.push_back({name, Kind::wire});
    return it->second;
  }

  // Before its first change a pin was at the other level: the timeline records transitions.
  std::string_view initial(std::size_t signal) const {
    if (signals_[signal].kind == Kind::text) return "-";
    if (signals_[signal].kind == Kind::real) {
      for (const auto& c : changes_)
        if (c.signal == signal) return value(c);  // no reading before the first: its own value
    }
    if (window_signal_ && signal == *window_signal_) return "0";
    if (signal < fixed_count) return "0";
    for (const auto& c : changes_)
      if (c.signal == signal) return value(c) == "1" ? "0" : "1";
    return "0";
  }

  void append_value(std::string& out, std::size_t signal, std::string_view value) const {
    switch (signals_[signal].kind) {
      case Kind::text: out += 's'; break;
      case Kind::real: out += 'r'; break;
      case Kind::wire: break;
    }
    out += value;
    if (signals_[signal].kind != Kind::wire) out += ' ';
    out += id(signal);
    out += '\n';
  }

  std::int64_t origin_;
  std::vector<Signal> signals_ = {{"at_command", Kind::wire}, {"urc", Kind::wire}, {"at_text", Kind::text}, {"urc_text", Kind::text}};
  std::map<std::string, std::size_t> pins_;
  std::vector<Change> changes_;
  std::string values_;
  std::string markers_;  // "  TIME KIND TEXT" lines, appended in place
  bool command_open_ = false;
  std::int64_t urc_until_ = -1;
  std::size_t urc_end_ = 0;                   // the change that ends the last URC pulse
  std::optional<std::size_t> window_signal_;  // current_window, then current_name
};

}  // namespace

std::string render_vcd(const Timeline& timeline, std::size_t from, std::size_t to, std::string_view title, const CurrentTrace& current) {
  const auto& events = timeline.events();
  to = std::min(to, events.size());
  std::vector<const TimelineEvent*> order;
  order.reserve(to > from ? to - from : 0);
  for (std::size_t i = from; i < to; ++i) order.push_back(&events[i]);
  stable_sort_nearly_sorted(order, [](auto* a, auto* b) { return a->t_us < b->t_us; });
  std::int64_t origin = order.empty() ? 0 : order.front()->t_us;
  Waveform w(origin, order.size());
  for (const auto* e : order) w.add(*e);
  w.current(current);
  return w.render(title, order.empty() ? 0 : order.back()->t_us - origin);
}

std::string render_current_csv(const CurrentTrace& current) {
  std::string out = "seconds,amps,peak_amps\n";
  for (const auto& p : current) out += fmt::format("{:.6f},{:.6g},{:.6g}\n", static_cast<double>(p.t_us - current.front().t_us) / 1e6, p.amps, p.peak);
  return out;
}

}  // namespace athil::report
