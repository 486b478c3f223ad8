#include "sim/control_request.hpp"

#include <charconv>
#include <vector>

#include <fmt/format.h>

namespace athil::sim {

namespace {

// A minute: longer than any documented hold (the SIM7070's 12.6 s reset press) at time scale 1.
constexpr std::int64_t max_pulse_us = 60'000'000;

std::vector<std::string_view> words_of(std::string_view line) {
  std::vector<std::string_view> words;
  for (std::size_t at = line.find_first_not_of(" \t"); at != std::string_view::npos; at = line.find_first_not_of(" \t", at)) {
    auto end = line.find_first_of(" \t", at);
    words.push_back(line.substr(at, end - at));
    at = end;
  }
  return words;
}

// A whole word as a number: "5s" is not 5.
bool number(std::string_view word, std::int64_t& out) {
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), out);
  return ec == std::errc() && end == word.data() + word.size();
}

std::variant<ControlRequest, std::string> parse_set(const std::vector<std::string_view>& w) {
  auto p = pin_from(w[1]);
  if (!p || (*p != Pin::pwrkey && *p != Pin::reset && *p != Pin::supply && *p != Pin::dtr) || (w[2] != "low" && w[2] != "high"))
    return fmt::format("error cannot set '{} {}': inputs are pwrkey, reset, supply and dtr, levels low and high", w[1], w[2]);
  ControlRequest r{.verb = ControlRequest::Verb::set, .pin = *p, .level = w[2] == "low" ? Level::low : Level::high};
  std::int64_t t = 0;
  if (w.size() >= 4 && number(w[3], t)) r.edge_us = t;
  return r;
}

// pulse <pwrkey|reset> <low|high> <HOLD_US> [T_US]: the pin at the level, and back HOLD_US later.
std::variant<ControlRequest, std::string> parse_pulse(const std::vector<std::string_view>& w) {
  auto p = pin_from(w[1]);
  if (!p || (*p != Pin::pwrkey && *p != Pin::reset) || (w[2] != "low" && w[2] != "high"))
    return fmt::format("error cannot pulse '{} {}': pulsed inputs are pwrkey and reset, levels low and high", w[1], w[2]);
  ControlRequest r{.verb = ControlRequest::Verb::pulse, .pin = *p, .level = w[2] == "low" ? Level::low : Level::high};
  if (!number(w[3], r.hold_us) || r.hold_us <= 0 || r.hold_us > max_pulse_us)
    return fmt::format("error a pulse lasts 1 to {} microseconds, not '{}'", max_pulse_us, w[3]);
  std::int64_t t = 0;
  if (w.size() >= 5 && number(w[4], t)) r.edge_us = t;
  return r;
}

std::variant<ControlRequest, std::string> parse_watch(const std::vector<std::string_view>& w) {
  ControlRequest r{.verb = ControlRequest::Verb::watch};
  for (std::size_t i = 1; i < w.size(); ++i) {
    if (w[i] == "none") continue;
    auto p = pin_from(w[i]);
    if (!p || (*p != Pin::status && *p != Pin::netlight)) return fmt::format("error cannot watch '{}': outputs are status and netlight", w[i]);
    r.watched.insert(*p);
  }
  return r;
}

// sms <from> <text...>: the text is the rest of the line, as written.
std::variant<ControlRequest, std::string> parse_sms(std::string_view line, const std::vector<std::string_view>& w) {
  if (w.size() < 3) return std::string("error sms needs a sender and a text: sms +15550100 hello");
  auto text = line.substr(static_cast<std::size_t>(w[2].data() - line.data()));
  if (text.size() > 160) return std::string("error an SMS text holds at most 160 characters");
  return ControlRequest{.verb = ControlRequest::Verb::sms, .from = std::string(w[1]), .text = std::string(text)};
}

}  // namespace

const char* pin_name(Pin p) {
  switch (p) {
    case Pin::pwrkey: return "pwrkey";
    case Pin::reset: return "reset";
    case Pin::status: return "status";
    case Pin::netlight: return "netlight";
    case Pin::supply: return "supply";
    case Pin::dtr: return "dtr";
  }
  return "?";
}

const char* level_name(Level l) { return l == Level::high ? "high" : "low"; }

std::optional<Pin> pin_from(std::string_view s) {
  for (Pin p : {Pin::pwrkey, Pin::reset, Pin::supply, Pin::status, Pin::netlight, Pin::dtr})
    if (s == pin_name(p)) return p;
  return std::nullopt;
}

std::variant<ControlRequest, std::string> parse_control(std::string_view line) {
  using Verb = ControlRequest::Verb;
  auto w = words_of(line);
  std::string_view verb = w.empty() ? "" : w[0];
  if (verb == "set" && w.size() >= 3) return parse_set(w);
  if (verb == "pulse" && w.size() >= 4) return parse_pulse(w);
  if (verb == "get" && w.size() == 2) {
    if (auto p = pin_from(w[1])) return ControlRequest{.verb = Verb::get, .pin = *p};
    return fmt::format("error no pin '{}'", w[1]);
  }
  if (verb == "watch") return parse_watch(w);
  if (verb == "sms") return parse_sms(line, w);
  if (w.size() == 1 && verb == "reset-state") return ControlRequest{.verb = Verb::reset_state};
  if (w.size() == 1 && verb == "pins") return ControlRequest{.verb = Verb::pins};
  if (w.size() == 1 && verb == "turnaround") return ControlRequest{.verb = Verb::turnaround};
  if (w.size() == 1 && verb == "state") return ControlRequest{.verb = Verb::state};
  if (verb == "pulses" && w.size() == 2) {
    auto p = pin_from(w[1]);
    if (p && (*p == Pin::pwrkey || *p == Pin::reset)) return ControlRequest{.verb = Verb::pulses, .pin = *p};
  }
  return fmt::format(
      "error unknown request '{}' (set PIN LEVEL [T_US], pulse PIN LEVEL HOLD_US [T_US], get PIN, pins, state, watch PIN..., reset-state, turnaround, pulses "
      "pwrkey|reset)",
      line);
}

}  // namespace athil::sim
