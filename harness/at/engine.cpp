#include "at/engine.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "base/escape.hpp"

namespace athil {

namespace {
constexpr std::size_t recent_capacity = 40;
}

UrcTable UrcTable::sim70x0() {
  UrcTable t;
  for (const char* e : {"RDY", "SMS Ready", "Call Ready", "NORMAL POWER DOWN", "+CFUN:", "+CPIN:", "+APP PDP:",
                        "+HTTPTOFS:", "+CFOTA:", "UNDER-VOLTAGE WARNNING", "UNDER-VOLTAGE POWER DOWN",
                        "OVER-VOLTAGE WARNNING", "OVER-VOLTAGE POWER DOWN", "DST:", "*PSUTTZ:", "+CTZV:",
                        "+CEREG:", "+CGREG:", "+CREG:", "+SMSTATE:", "+SHSTATE:", "+CADATAIND:", "+CASTATE:",
                        "+CMTI:", "+PDP:"})
    t.add(e);
  return t;
}

bool UrcTable::matches(std::string_view line) const {
  return std::any_of(entries_.begin(), entries_.end(), [&](const std::string& e) {
    bool prefix = !e.empty() && (e.back() == ':' || e.back() == ' ');
    return prefix ? line.substr(0, e.size()) == e : line == e;
  });
}

AtEngine::AtEngine(Transport& transport, Timeline& timeline, UrcTable urcs)
    : transport_(transport), timeline_(timeline), urc_table_(std::move(urcs)) {}

bool AtEngine::is_final_result(std::string_view line) {
  return line == "OK" || line == "ERROR" || line.substr(0, 11) == "+CME ERROR:" || line.substr(0, 11) == "+CMS ERROR:" ||
         line == "NO CARRIER";
}

std::string AtEngine::response_prefix(std::string_view command) {
  if (command.size() < 3 || (command.substr(0, 2) != "AT" && command.substr(0, 2) != "at")) return "";
  std::string_view rest = command.substr(2);
  if (rest[0] != '+' && rest[0] != '*' && rest[0] != '$') return "";
  std::string out(1, rest[0]);
  for (std::size_t i = 1; i < rest.size() && std::isalnum(static_cast<unsigned char>(rest[i])); ++i)
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(rest[i])));
  return out.size() > 1 ? out : "";
}

void AtEngine::send_command(std::string_view command, Deadline deadline) {
  drain_until(Clock::now());  // sort what has already arrived before the window opens
  for (auto& line : responses_) {
    timeline_.record(Direction::note, fmt::format("late reply, not given to '{}': {}", command, escape_bytes(line.text)));
    late_.push_back(std::move(line));
  }
  responses_.clear();
  std::string bytes = std::string(command) + "\r";
  transport_.write_all(bytes, deadline);
  timeline_.record(Direction::to_module, bytes);
  pending_ = true;
  seen_response_ = false;
  pending_command_ = std::string(command);
  pending_prefix_ = response_prefix(command);
}

void AtEngine::send_raw(std::string_view bytes, Deadline deadline) {
  transport_.write_all(bytes, deadline);
  timeline_.record(Direction::to_module, bytes);
}

ReceivedLine AtEngine::sort(const Frame& frame) {
  ReceivedLine line{frame.text, to_us(Clock::now())};
  const char* kind = "urc";
  if (frame.kind == Frame::Kind::prompt) {
    kind = "prompt";
    responses_.push_back(line);
  } else if (pending_ && !seen_response_ && line.text == pending_command_) {
    kind = "echo";
  } else if (pending_ && is_final_result(line.text)) {
    kind = "final";
    responses_.push_back(line);
    pending_ = false;
  } else if (pending_ && !pending_prefix_.empty() && line.text.substr(0, pending_prefix_.size() + 1) == pending_prefix_ + ":") {
    kind = "response";
    seen_response_ = true;
    responses_.push_back(line);
  } else if (urc_table_.matches(line.text) || !pending_) {
    urcs_.push_back(line);
  } else {
    kind = "response";
    seen_response_ = true;
    responses_.push_back(line);
  }
  recent_.push_back(fmt::format("[{}] {}", kind, escape_bytes(line.text)));
  if (recent_.size() > recent_capacity) recent_.pop_front();
  return line;
}

bool AtEngine::pump(Deadline deadline) {
  std::string bytes = transport_.read_some(deadline);
  if (bytes.empty()) return false;
  timeline_.record(Direction::from_module, bytes);
  std::vector<Frame> frames;
  framer_.feed(bytes, frames);
  std::vector<ReceivedLine> sorted;
  for (const auto& f : frames) sorted.push_back(sort(f));
  if (observer_)
    for (const auto& l : sorted) observer_(l);
  return true;
}

void AtEngine::drain_until(Deadline deadline) {
  while (pump(deadline)) {
  }
}

AtEngine::AnyResult AtEngine::expect_any(const std::vector<Alternative>& alternatives, Deadline deadline) {
  AnyResult result;
  auto first_passing = [&](const std::string& text, bool urc) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < alternatives.size(); ++i)
      if (alternatives[i].urc == urc && alternatives[i].test(text)) return i;
    return std::nullopt;
  };
  bool wants_responses = std::any_of(alternatives.begin(), alternatives.end(), [](const Alternative& a) { return !a.urc; });
  std::size_t urcs_checked = 0;
  while (true) {
    while (wants_responses && !responses_.empty()) {
      ReceivedLine line = std::move(responses_.front());
      responses_.pop_front();
      result.index = first_passing(line.text, false);
      if (result.index || is_final_result(line.text)) {
        result.line = std::move(line);
        return result;
      }
      result.passed_over.push_back(std::move(line));
    }
    for (; urcs_checked < urcs_.size(); ++urcs_checked) {
      if (auto i = first_passing(urcs_[urcs_checked].text, true)) {
        result.index = i;
        result.line = std::move(urcs_[urcs_checked]);
        urcs_.erase(urcs_.begin() + static_cast<std::ptrdiff_t>(urcs_checked));
        return result;
      }
    }
    if (Clock::now() >= deadline) return result;
    pump(deadline);
  }
}

AtEngine::ExpectResult AtEngine::expect_response(const LineTest& test, Deadline deadline) {
  auto any = expect_any({Alternative{false, test}}, deadline);
  using Kind = ExpectResult::Kind;
  Kind kind = any.index ? Kind::matched : any.line.text.empty() ? Kind::timeout : Kind::other_final;
  return ExpectResult{kind, std::move(any.line), std::move(any.passed_over)};
}

std::optional<ReceivedLine> AtEngine::wait_urc(const LineTest& test, Deadline deadline) {
  auto any = expect_any({Alternative{true, test}}, deadline);
  if (!any.index) return std::nullopt;
  return std::move(any.line);
}

std::vector<std::string> AtEngine::recent_lines(std::size_t n) const {
  std::size_t from = recent_.size() > n ? recent_.size() - n : 0;
  return {recent_.begin() + static_cast<std::ptrdiff_t>(from), recent_.end()};
}

}  // namespace athil
