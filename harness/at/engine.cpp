#include "at/engine.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "base/escape.hpp"

namespace athil {

namespace {
// A module that silently drops commands must not grow the debt without bound.
constexpr std::size_t max_owed = 16;

}  // namespace

const char* AtEngine::name_of(Sorted sorted) {
  switch (sorted) {
    case Sorted::echo: return "echo";
    case Sorted::response: return "response";
    case Sorted::final: return "final";
    case Sorted::urc: return "urc";
    case Sorted::late: return "late";
    case Sorted::prompt: return "prompt";
  }
  return "?";
}

AtEngine::AtEngine(Transport& transport, Timeline& timeline, Dialect dialect)
    : transport_(transport), timeline_(timeline), dialect_(std::move(dialect)), framer_(dialect_.payloads) {}

bool AtEngine::is_final_result(std::string_view line) {
  return line == "OK" || line == "ERROR" || line.substr(0, 11) == "+CME ERROR:" || line.substr(0, 11) == "+CMS ERROR:" || line == "NO CARRIER";
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

bool AtEngine::has_response_prefix(std::string_view line, std::string_view prefix) {
  return !prefix.empty() && line.size() > prefix.size() && line.compare(0, prefix.size(), prefix) == 0 && line[prefix.size()] == ':';
}

bool AtEngine::is_set_form(std::string_view command) {
  auto equals = command.find('=');
  return equals != std::string_view::npos && command.substr(equals, 2) != "=?";
}

void AtEngine::record_late(ReceivedLine line, std::string_view why) {
  timeline_.record(Direction::note, fmt::format("late reply ({}): {}", why, escape_bytes(line.text)));
  late_.push_back(std::move(line));
}

void AtEngine::send_command(std::string_view command, Deadline deadline, bool answered) {
  drain_until(Clock::now());  // sort what has already arrived before the window opens
  for (auto& line : responses_) record_late(std::move(line), fmt::format("unclaimed when '{}' was sent", command));
  responses_.clear();
  if (pending_ && !pending_->answered) {
    timeline_.record(Direction::note, fmt::format("'{}' ends with no result code: nothing is owed for it", pending_->text));
    pending_.reset();
  }
  if (pending_) {
    timeline_.record(Direction::note, fmt::format("'{}' has had no final result code yet: when it comes, it is reported late", pending_->text));
    owed_.push_back(std::move(*pending_));
    if (owed_.size() > max_owed) owed_.pop_front();
    pending_.reset();
  }
  std::string bytes = std::string(command) + "\r";
  write(bytes, deadline);
  pending_ = Command{
      .text = std::string(command), .prefix = response_prefix(command), .set_form = is_set_form(command), .answered = answered, .sent_us = last_sent_us_};
}

void AtEngine::send_raw(std::string_view bytes, Deadline deadline) { write(bytes, deadline); }

void AtEngine::write(std::string_view bytes, Deadline deadline) {
  // Stamped before the write: the module may read the bytes and act on them (answer, restart)
  // before this thread sees its write return, on a loaded host long before.
  const std::int64_t began_us = to_us(Clock::now());
  transport_.write_all(bytes, deadline);
  last_sent_us_ = began_us;
  timeline_.record_at(began_us, Direction::to_module, bytes);
}

void AtEngine::module_restarted(std::string_view why) {
  transport_.restart_expected();
  answered_since_restart_ = false;
  commands_lost(fmt::format("module restarted ({})", why));
}

void AtEngine::commands_lost(std::string_view why) {
  if (!pending_ && owed_.empty()) return;
  std::string forgotten;
  for (const auto& c : owed_) forgotten += fmt::format("'{}', ", c.text);
  if (pending_) forgotten += fmt::format("'{}', ", pending_->text);
  forgotten.resize(forgotten.size() - 2);
  timeline_.record(Direction::note, fmt::format("{}: no final result code is owed for {} any more", why, forgotten));
  owed_.clear();
  pending_.reset();
}

void AtEngine::forget_unheard(Duration silence) {
  if (!pending_ || pending_->echoed || pending_->seen_response || !last_ended_ || !last_ended_->echoed) return;
  if (to_us(Clock::now()) - pending_->sent_us < silence.count()) return;  // its echo may still be on the way
  commands_lost(fmt::format("'{}' was neither echoed nor answered by a module that echoes", pending_->text));
}

AtEngine::ExpectResult AtEngine::probe_at(Deadline write_deadline, Deadline answer_deadline, std::string_view lost_why) {
  send_command("AT", write_deadline);
  auto r = expect_response([](const std::string& l) { return l == "OK"; }, answer_deadline);
  if (r.kind != ExpectResult::Kind::timeout) return r;
  // An AT the module echoed was heard: it is slow, not lost, and its OK, when it comes, is late.
  if (pending_ && pending_->echoed)
    timeline_.record(Direction::note, fmt::format("{}, but it was echoed: its final result code is still owed", lost_why));
  else
    commands_lost(lost_why);
  return r;
}

void AtEngine::clear_urcs() {
  if (urcs_.empty()) return;
  std::string unseen;
  constexpr std::size_t named = 10;  // the rest are on the timeline already
  for (std::size_t i = 0; i < std::min(named, urcs_.size()); ++i) unseen += fmt::format("{}'{}'", i == 0 ? "" : ", ", escape_bytes(urcs_[i].text));
  if (urcs_.size() > named) unseen += fmt::format(" and {} more", urcs_.size() - named);
  timeline_.record(Direction::note, fmt::format("URCs nothing waited for: {}", unseen));
  urcs_.clear();
}

AtEngine::Sorted AtEngine::classify(const Frame& frame) {
  if (frame.kind == Frame::Kind::prompt) return Sorted::prompt;
  // A payload goes where its header went.
  if (frame.kind == Frame::Kind::data) return last_line_ == Sorted::urc || last_line_ == Sorted::late ? last_line_ : Sorted::response;
  const std::string& text = frame.text;
  if (pending_ && !pending_->seen_response && text == pending_->text) {
    pending_->echoed = true;
    return Sorted::echo;
  }
  if (std::any_of(owed_.begin(), owed_.end(), [&](const Command& c) { return text == c.text; })) return Sorted::echo;  // a slow command's echo
  // A module answers commands in order: an owed final result code comes before the new one.
  if (is_final_result(text)) return pending_ && owed_.empty() ? Sorted::final : Sorted::late;
  if (pending_ && owed_.empty() && dialect_.ends_command(pending_->prefix, text)) return Sorted::final;
  auto answers = [&](const Command& c) { return has_response_prefix(text, c.prefix); };
  if (!owed_.empty() && answers(owed_.front())) return Sorted::late;
  bool own = pending_ && answers(*pending_);
  // "+CFUN: 1" answers AT+CFUN? but is a URC after AT+CFUN=1; "+HTTPTOFS: 200,..." is always
  // the URC of AT+HTTPTOFS="...", which itself answers only OK.
  bool unsolicited = dialect_.urcs.matches(text) || declared_.matches(text);
  if (unsolicited && !(own && !pending_->set_form)) return Sorted::urc;
  return pending_ ? Sorted::response : Sorted::urc;
}

void AtEngine::sort(Frame&& frame, std::int64_t t_us, std::int64_t absent_us) {
  Sorted sorted = classify(frame);
  if (frame.kind != Frame::Kind::data) last_line_ = sorted;
  // Kept raw and formatted only when a failure asks: the common path stays cheap.
  Recent& recent = recent_[recent_count_++ % recent_.size()];  // assigned in place: no allocation once warm
  recent.kind = frame.kind == Frame::Kind::data ? "data" : name_of(sorted);
  recent.text.assign(frame.text);
  const bool rdy = frame.kind == Frame::Kind::line && frame.text == "RDY";
  ReceivedLine line{std::move(frame.text), t_us, absent_us};
  switch (sorted) {
    case Sorted::echo: break;
    case Sorted::response:
      if (pending_) pending_->seen_response = true;
      responses_.push_back(std::move(line));
      break;
    case Sorted::prompt: responses_.push_back(std::move(line)); break;
    case Sorted::final:
      line.final = true;
      responses_.push_back(std::move(line));
      last_ended_ = EndedCommand{pending_->text, pending_->echoed};
      pending_.reset();
      answered_since_restart_ = true;
      break;
    case Sorted::urc:
      // The transcript and the waveform mark what was taken as unsolicited.
      if (frame.kind == Frame::Kind::line) timeline_.record_at(line.t_us, Direction::note, "urc: " + line.text);
      urcs_.push_back(std::move(line));
      break;
    case Sorted::late:
      if (frame.kind == Frame::Kind::line && is_final_result(line.text)) {
        if (owed_.empty()) {
          record_late(std::move(line), "no command was waiting for a result code");
        } else {
          record_late(std::move(line), fmt::format("the final result code of '{}'", owed_.front().text));
          owed_.pop_front();
        }
      } else {
        record_late(std::move(line), owed_.empty() ? "a payload of a late reply" : fmt::format("a response of '{}'", owed_.front().text));
      }
      break;
  }
  if (rdy) module_restarted("it printed RDY");
}

bool AtEngine::pump(Deadline deadline) {
  const std::int64_t looking_us = to_us(Clock::now());
  std::string bytes = transport_.read_some(deadline);
  // A line this read completes was not there when the last read that took all began.
  const std::int64_t absent_us = looked_us_;
  if (transport_.took_all()) looked_us_ = looking_us;
  if (transport_.reattachments() != reattachments_seen_) {
    reattachments_seen_ = transport_.reattachments();
    module_restarted("its port went away and came back");
  }
  if (bytes.empty()) return false;
  // One stamp for the chunk: its bytes and every line in it arrived together.
  last_received_us_ = to_us(Clock::now());
  timeline_.record_at(last_received_us_, Direction::from_module, bytes);
  frames_.clear();
  framer_.feed(bytes, frames_);
  // The observer hears the chunk once all of it is sorted (it may throw: nothing is left half-sorted).
  observed_.clear();
  for (auto& frame : frames_) {
    if (observer_) observed_.push_back(ReceivedLine{frame.text, last_received_us_, absent_us});
    sort(std::move(frame), last_received_us_, absent_us);
  }
  for (const auto& line : observed_) observer_(line);
  return true;
}

void AtEngine::drain_until(Deadline deadline) {
  while (pump(deadline)) {}
}

void AtEngine::note_read_late(const ReceivedLine& line, Deadline deadline) {
  if (line.t_us <= to_us(deadline)) return;
  timeline_.record(Direction::note, fmt::format("'{}' was read {:.1f} ms past the wait's deadline, the host being late to look: it may have arrived after it",
                                                escape_bytes(line.text), static_cast<double>(line.t_us - to_us(deadline)) / 1000.0));
}

AtEngine::AnyResult AtEngine::expect_any(std::span<const Alternative> alternatives, Deadline deadline, std::int64_t urcs_from_us) {
  AnyResult result;
  auto first_passing = [&](const std::string& text, bool urc) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < alternatives.size(); ++i)
      if (alternatives[i].urc == urc && alternatives[i].test(text)) return i;
    return std::nullopt;
  };
  bool wants_responses = std::any_of(alternatives.begin(), alternatives.end(), [](const Alternative& a) { return !a.urc; });
  std::size_t urcs_checked = 0;
  bool looked_late = false;
  while (true) {
    while (wants_responses && !responses_.empty()) {
      ReceivedLine line = std::move(responses_.front());
      responses_.pop_front();
      result.index = first_passing(line.text, false);
      if (result.index || line.final) {
        if (looked_late) note_read_late(line, deadline);
        result.line = std::move(line);
        return result;
      }
      result.passed_over.push_back(std::move(line));
    }
    for (; urcs_checked < urcs_.size(); ++urcs_checked) {
      if (urcs_[urcs_checked].t_us < urcs_from_us) continue;
      if (auto i = first_passing(urcs_[urcs_checked].text, true)) {
        result.index = i;
        last_urc_absent_us_ = urcs_[urcs_checked].absent_us;
        if (looked_late) note_read_late(urcs_[urcs_checked], deadline);
        result.line = std::move(urcs_[urcs_checked]);
        urcs_.erase(urcs_.begin() + static_cast<std::ptrdiff_t>(urcs_checked));
        return result;
      }
    }
    // Past the deadline, one look at what reached the port by then: a host descheduled
    // across the deadline must not fail a module whose line was waiting to be read.
    if (Clock::now() >= deadline && std::exchange(looked_late, true)) return result;
    pump(deadline);
  }
}

AtEngine::ExpectResult AtEngine::expect_response(const LineTest& test, Deadline deadline) {
  const Alternative alternative[] = {{false, test}};
  auto any = expect_any(alternative, deadline);
  using Kind = ExpectResult::Kind;
  Kind kind = any.index ? Kind::matched : any.line.text.empty() ? Kind::timeout : Kind::other_final;
  return ExpectResult{kind, std::move(any.line), std::move(any.passed_over)};
}

std::optional<ReceivedLine> AtEngine::wait_urc(const LineTest& test, Deadline deadline, std::int64_t from_us) {
  const Alternative alternative[] = {{true, test}};
  auto any = expect_any(alternative, deadline, from_us);
  if (!any.index) return std::nullopt;
  return std::move(any.line);
}

std::vector<std::string> AtEngine::recent_lines(std::size_t n) const {
  std::vector<std::string> out;
  std::size_t kept = std::min(recent_count_, recent_.size());
  for (std::size_t i = recent_count_ - std::min(n, kept); i < recent_count_; ++i) {
    const Recent& r = recent_[i % recent_.size()];
    out.push_back(fmt::format("[{}] {}", r.kind, escape_bytes(r.text)));
  }
  return out;
}

}  // namespace athil
