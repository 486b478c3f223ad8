#include "sim/scpi_supply.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <span>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace athil::sim {

namespace {

constexpr std::size_t error_queue = 30;  // the 66332A's; one more is -350 "Queue overflow"
constexpr int constant_voltage = 1 << 8;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::toupper(x) == std::toupper(y); });
}

std::vector<std::string_view> split(std::string_view s, char by) {
  std::vector<std::string_view> parts;
  for (std::size_t at = 0;;) {
    auto next = s.find(by, at);
    parts.push_back(s.substr(at, next == std::string_view::npos ? std::string_view::npos : next - at));
    if (next == std::string_view::npos) return parts;
    at = next + 1;
  }
}

// A keyword of a pattern such as "[SOURce:]VOLTage[:LEVel]": the header's node is its long form
// or its short form (the capitals).
bool keyword_matches(std::string_view keyword, std::string_view node) {
  std::string brief;
  for (char c : keyword)
    if (std::isupper(static_cast<unsigned char>(c))) brief += c;
  return same(node, keyword) || same(node, brief);
}

struct PatternNode {
  std::string_view keyword;
  bool optional;
};

std::vector<PatternNode> pattern_nodes(std::string_view pattern) {
  std::vector<PatternNode> nodes;
  bool optional = false;
  std::size_t start = 0;
  auto flush = [&](std::size_t end) {
    if (end > start) nodes.push_back({pattern.substr(start, end - start), optional});
    start = end + 1;
  };
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '[' || c == ']' || c == ':') flush(i);
    if (c == '[') optional = true;
    if (c == ']') optional = false;
  }
  flush(pattern.size());
  return nodes;
}

bool nodes_match(std::span<const std::string_view> header, std::span<const PatternNode> pattern) {
  if (pattern.empty()) return header.empty();
  if (pattern.front().optional && nodes_match(header, pattern.subspan(1))) return true;
  return !header.empty() && keyword_matches(pattern.front().keyword, header.front()) && nodes_match(header.subspan(1), pattern.subspan(1));
}

// `header`: "MEAS:CURR" (its '?' already taken off).
bool matches(std::string_view header, std::string_view pattern) {
  auto nodes = split(header, ':');
  auto want = pattern_nodes(pattern);
  return nodes_match(nodes, want);
}

std::optional<double> number(std::string_view text) {
  text = trim(text);
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || trim(std::string_view(end, text.data() + text.size() - end)).size() > 1) return std::nullopt;
  return v;  // a one-letter unit suffix ("3.8V") passes
}

std::optional<bool> boolean(std::string_view text) {
  text = trim(text);
  if (same(text, "ON") || text == "1") return true;
  if (same(text, "OFF") || text == "0") return false;
  return std::nullopt;
}

std::string scientific(double v) { return fmt::format("{:+.5E}", v); }

}  // namespace

std::vector<VirtualDcSource::Reply> VirtualDcSource::line(std::string_view text) {
  std::vector<Reply> replies;
  path_.clear();  // each program message starts at the root
  for (auto part : split(text, ';')) {
    part = trim(part);
    if (part.empty()) continue;
    auto space = part.find_first_of(" \t");
    std::string header(part.substr(0, space));
    std::string_view params = space == std::string_view::npos ? std::string_view() : trim(part.substr(space));
    if (header.front() == ':') {
      header.erase(0, 1);
    } else if (header.front() != '*') {
      header = path_ + header;
    }
    if (header.front() != '*') path_ = header.substr(0, header.rfind(':') == std::string::npos ? 0 : header.rfind(':') + 1);
    if (auto reply = unit(header, params)) replies.push_back(std::move(*reply));
  }
  return replies;
}

std::optional<VirtualDcSource::Reply> VirtualDcSource::unit(std::string_view header, std::string_view params) {
  bool query = !header.empty() && header.back() == '?';
  if (query) header.remove_suffix(1);
  auto answer = [](std::string text) { return Reply{.text = std::move(text)}; };
  auto set_number = [&](double& value, double low, double high) -> std::optional<Reply> {
    if (query) return answer(scientific(value));
    auto v = number(params);
    if (!v) return error(-104, "Data type error"), std::nullopt;
    if (*v < low || *v > high) return error(-222, "Data out of range"), std::nullopt;
    value = *v;
    return std::nullopt;
  };
  if (same(header, "*IDN")) return answer("HEWLETT-PACKARD,66332A,0,A.03.01");
  if (same(header, "*OPC") && query) return answer("1");
  if (same(header, "*STB")) return answer(std::to_string(status_byte()));
  if (same(header, "*RST")) return set_output(false), volts_ = 0, std::nullopt;  // the reset state: output off at 0 V
  if (same(header, "*CLS")) return errors_.clear(), oper_event_ = ques_event_ = 0, std::nullopt;
  if (matches(header, "SYSTem:REMote") || matches(header, "SYSTem:LOCal")) return std::nullopt;
  if (matches(header, "SYSTem:ERRor") && query) {
    if (errors_.empty()) return answer("+0,\"No error\"");
    auto first = errors_.front();
    errors_.pop_front();
    return answer(first);
  }
  if (matches(header, "MEASure[:SCALar]:CURRent[:DC]") && query) return Reply{.measure = Measure::current};
  if (matches(header, "MEASure[:SCALar]:VOLTage[:DC]") && query) return Reply{.measure = Measure::voltage};
  if (matches(header, "OUTPut[:STATe]")) {
    if (query) return answer(output_ ? "1" : "0");
    auto on = boolean(params);
    if (!on) return error(-104, "Data type error"), std::nullopt;
    return set_output(*on), std::nullopt;
  }
  if (matches(header, "[SOURce:]VOLTage:PROTection[:LEVel]")) return set_number(ovp_, 0, 22);
  if (matches(header, "[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude]")) return set_number(volts_, 0, 20.475);
  if (matches(header, "[SOURce:]CURRent:PROTection:STATe")) {
    if (query) return answer(ocp_ ? "1" : "0");
    auto on = boolean(params);
    if (!on) return error(-104, "Data type error"), std::nullopt;
    return ocp_ = *on, std::nullopt;
  }
  if (matches(header, "[SOURce:]CURRent[:LEVel][:IMMediate][:AMPLitude]")) return set_number(amps_limit_, 0, 5.1188);
  if (header.size() >= 4 && same(header.substr(0, 4), "STAT")) return status(header, query, params);
  error(-113, "Undefined header");
  return std::nullopt;
}

// The operation and questionable status registers: conditions, events latched through the
// transition filters, and the enables that make them show in the status byte.
std::optional<VirtualDcSource::Reply> VirtualDcSource::status(std::string_view header, bool query, std::string_view params) {
  struct Register {
    std::string_view name;
    int condition, *event, *ptr, *ntr, *enable;
  };
  const Register registers[] = {{"STATus:OPERation", output_ ? constant_voltage : 0, &oper_event_, &oper_ptr_, &oper_ntr_, &oper_enable_},
                                {"STATus:QUEStionable", 0, &ques_event_, &ques_ptr_, &ques_ntr_, &ques_enable_}};
  for (const auto& r : registers) {
    auto is = [&](std::string_view leaf) { return matches(header, fmt::format("{}{}", r.name, leaf)); };
    if (is(":CONDition") && query) return Reply{.text = std::to_string(r.condition)};
    if (is("[:EVENt]") && query) return Reply{.text = std::to_string(std::exchange(*r.event, 0))};
    for (auto [leaf, value] : {std::pair{":PTRansition", r.ptr}, {":NTRansition", r.ntr}, {":ENABle", r.enable}}) {
      if (!is(leaf)) continue;
      if (query) return Reply{.text = std::to_string(*value)};
      auto v = number(params);
      if (!v || *v < 0 || *v > 32767) return error(-222, "Data out of range"), std::nullopt;
      *value = static_cast<int>(*v);
      return std::nullopt;
    }
  }
  error(-113, "Undefined header");
  return std::nullopt;
}

void VirtualDcSource::set_output(bool on) {
  if (on == output_) return;
  output_ = on;
  // Constant voltage begins with the output and ends with it: a transition for the filters.
  if (on && (oper_ptr_ & constant_voltage)) oper_event_ |= constant_voltage;
  if (!on && (oper_ntr_ & constant_voltage)) oper_event_ |= constant_voltage;
}

int VirtualDcSource::status_byte() const {
  int stb = 0;
  if (!errors_.empty()) stb |= 1 << 2;
  if (ques_event_ & ques_enable_) stb |= 1 << 3;
  if (oper_event_ & oper_enable_) stb |= 1 << 7;
  return stb;
}

void VirtualDcSource::error(int code, std::string_view text) {
  if (errors_.size() >= error_queue) {
    errors_.back() = "-350,\"Queue overflow\"";
    return;
  }
  errors_.push_back(fmt::format("{},\"{}\"", code, text));
}

std::string VirtualDcSource::measured(Measure what, Time from, const DrawLog& log) const {
  if (what == Measure::voltage) return scientific(output_ ? volts_ : 0.0);
  if (!output_) return scientific(0.0);
  double sum = 0;
  for (int i = 0; i < sweep_points; ++i) sum += log.at(from + i * sweep_interval);
  return scientific(sum / sweep_points);
}

}  // namespace athil::sim
