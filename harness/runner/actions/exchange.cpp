// The AT exchanges: what the scenario sends and the lines it waits for.
#include <fmt/format.h>

#include "base/escape.hpp"
#include "base/interrupt.hpp"
#include "runner/actions/step.hpp"

namespace athil::runner {

namespace {
using Kind = AtEngine::ExpectResult::Kind;
// Host time without even an echo after which a command was not heard: well past any
// adapter's or network's latency (16 ms FTDI, 40 ms ser2net over a LAN).
constexpr Duration unheard_after = std::chrono::milliseconds(500);

std::string joined(const std::vector<ReceivedLine>& lines) {
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : ", ") + show_line(l.text);
  return out;
}

// A queued URC that passes the test but came before the <send> this wait follows: why it did not count.
std::string earlier_match(const AtEngine::LineTest& test, const Step& step) {
  if (!step.after_send) return std::string();
  for (const auto& urc : step.engine().urcs())
    if (urc.t_us < step.after_send->written_us && test(urc.text))
      return fmt::format("; {} came {} ms before {} was written, so it is not what that command caused", show_line(urc.text),
                         (step.after_send->written_us - urc.t_us) / 1000, show_line(step.after_send->text));
  return std::string();
}
}  // namespace

void perform(const scenario::Send& a, Step& step) {
  std::string text = step.sub(a.text);
  if (a.raw)
    step.engine().send_raw(unescape_bytes(text), Clock::now() + write_timeout);
  else
    step.engine().send_command(text, Clock::now() + write_timeout, !a.unanswered);
  step.state.just_sent = SentCommand{.text = std::move(text), .written_us = step.engine().last_sent_us()};
}

void perform(const scenario::Expect& a, Step& step) {
  std::vector<std::string> groups;
  auto match = step.matchers.make(a.pattern, step.vars(), step.pos, &groups);
  auto allowed = step.allowed(a.timeout, default_expect_timeout);
  auto timeout = step.scale.timeout(allowed);
  auto since = Clock::now();
  auto dl = step.deadline(timeout);
  auto r = step.engine().expect_response(match.test, dl);
  if (r.kind == Kind::matched) {
    step.waited(allowed, since, [&] { return match.wanted(); });
    return capture(a.pattern, groups, step.vars());
  }
  std::string wanted = match.wanted();
  std::string before = joined(r.passed_over);
  auto text = step.text();
  if (r.kind == Kind::other_final) {
    std::string got = before.empty() ? fmt::format("the command ended with {}", show_line(r.line.text))
                                     : fmt::format("got {} and the command ended with {}", before, show_line(r.line.text));
    throw text.failure(fmt::format("expected {}, {}", wanted, got), wanted, got);
  }
  std::string got = text.timed_out(timeout, dl) + (before.empty() ? "" : fmt::format("; response lines: {}", before)) + text.queued_urcs("URCs meanwhile");
  throw text.failure(fmt::format("expected {}: {}", wanted, got), wanted, got);
}

void perform(const scenario::Urc& a, Step& step) {
  std::vector<std::string> groups;
  auto match = step.matchers.make(a.pattern, step.vars(), step.pos, &groups);
  const auto& test = match.test;
  auto allowed = step.allowed(a.timeout, default_urc_timeout);
  auto timeout = step.scale.timeout(allowed);
  auto since = step.waits_from;
  auto dl = step.wait_deadline(timeout);
  int seen = 0;
  while (seen < a.count && step.engine().wait_urc(test, dl, step.urcs_from_us())) ++seen;
  if (seen == a.count) {
    step.waited(allowed, since, [&] { return "URC " + match.wanted(); });
    return capture(a.pattern, groups, step.vars());
  }
  std::string wanted = match.wanted();
  if (a.count > 1) wanted = fmt::format("{} x {} ({} seen)", a.count, wanted, seen);
  auto text = step.text();
  std::string got = text.timed_out(timeout, dl) + earlier_match(test, step) + text.queued_urcs("other URCs");
  throw text.failure(fmt::format("expected URC {}: {}", wanted, got), "URC " + wanted, got);
}

void perform(const scenario::ExpectAny& a, Step& step) {
  std::vector<std::vector<std::string>> groups(a.alternatives.size());
  std::vector<AtEngine::Alternative> alternatives;
  std::vector<LineMatch> matches;  // their descriptions are built only if the wait fails
  for (std::size_t i = 0; i < a.alternatives.size(); ++i) {
    const auto& alt = a.alternatives[i];
    matches.push_back(step.matchers.make(alt.pattern, step.vars(), step.pos, &groups[i]));
    alternatives.push_back(AtEngine::Alternative{alt.urc, matches.back().test});
  }
  bool optional = !a.otherwise.empty();
  auto allowed = step.allowed(a.timeout, default_urc_timeout);
  auto timeout = optional ? step.scale.optional_wait(allowed) : step.scale.timeout(allowed);
  auto since = step.waits_from;
  auto dl = step.wait_deadline(timeout);
  auto r = step.engine().expect_any(alternatives, dl, step.urcs_from_us());
  auto& timeline = step.device.timeline;
  if (r.index) {
    const auto& alt = a.alternatives[*r.index];
    if (!a.variable.empty()) step.vars().capture(a.variable, alt.name);
    timeline.record(Direction::note, fmt::format("expect-any: '{}' arrived", alt.name));
    // An optional wait has no deadline to miss: nothing in time is an answer too.
    if (!optional) step.waited(allowed, since, [&] { return fmt::format("'{}' of <expect-any>", alt.name); });
    return capture(alt.pattern, groups[*r.index], step.vars());
  }
  auto text = step.text();
  std::string got = r.line.text.empty() ? text.timed_out(timeout, dl) : fmt::format("the command ended with {}", show_line(r.line.text));
  // An optional wait: nothing in time is an answer too, unless the scenario's own bound ran out.
  if (optional && r.line.text.empty() && !step.state.bounds.is_bound(dl)) {
    step.vars().capture(a.variable, a.otherwise);
    timeline.record(Direction::note, fmt::format("expect-any: nothing within {}: '{}'", format_duration(timeout), a.otherwise));
    step.engine().forget_unheard(unheard_after);
    return;
  }
  std::string wanted;
  for (std::size_t i = 0; i < a.alternatives.size(); ++i) {
    const auto& alt = a.alternatives[i];
    wanted += fmt::format("{}{} '{}': {}", i == 0 ? "" : ", ", alt.urc ? "URC" : "response", alt.name, matches[i].wanted());
  }
  throw text.failure(fmt::format("expected one of {}: {}", wanted, got), "one of " + wanted, got);
}

void perform(const scenario::Forbid& a, Step& step) {
  auto match = step.matchers.make(a.pattern, step.vars(), step.pos, nullptr);
  step.state.forbids.push_back(ActiveForbid{.test = match.test, .wanted = match.wanted(), .pos = step.pos, .compiled = match.compiled});
}

void perform(const scenario::Sync& a, Step& step) {
  auto each = step.scale.timeout(step.duration(a.each));
  auto& engine = step.engine();
  auto late_before = engine.late_replies().size();
  auto late_text = [&] {
    auto late = engine.late_replies().size() - late_before;
    return late == 0 ? std::string() : fmt::format("; {} answer(s) came after their wait", late);
  };
  auto text = step.text();
  for (int attempt = 1; attempt <= a.tries; ++attempt) {
    auto dl = step.deadline(each);
    auto r = engine.probe_at(Clock::now() + write_timeout, dl, fmt::format("sync: no answer to AT within {}", format_duration(each)));
    // The step's or the scenario's bound ran out: more tries would not be waited for.
    if (r.kind == Kind::timeout && step.state.bounds.is_bound(dl)) {
      std::string got = fmt::format("no OK to {} AT command(s): {}", attempt, text.timed_out(each, dl)) + late_text() + text.queued_urcs("URCs meanwhile");
      throw text.failure(fmt::format("the module did not answer AT: {}", got), "OK to AT", got);
    }
    if (r.kind == Kind::matched) {
      if (attempt > 1) step.device.timeline.record(Direction::note, fmt::format("sync: AT answered at try {}", attempt));
      return;
    }
    interrupt::check();
  }
  std::string got = fmt::format("no OK to any of {} AT commands, {} each", a.tries, format_duration(each)) + text.silence(each * a.tries) + late_text() +
                    text.queued_urcs("URCs meanwhile");
  throw text.failure(fmt::format("the module did not answer AT: {}", got), "OK to AT", got);
}

void perform(const scenario::EchoCheck& a, Step& step) {
  const auto& ended = step.engine().last_ended_command();
  auto text = step.text();
  if (!ended) throw text.failure("no command has ended to check its echo", "a command", "none");
  if (ended->echoed == a.on) return;
  std::string want = a.on ? fmt::format("the echo of '{}'", ended->text) : "no echo";
  std::string got = a.on ? "no echo" : fmt::format("'{}' echoed", ended->text);
  throw text.failure(fmt::format("expected {} (echo {}): got {}", want, a.on ? "on" : "off", got), want, got);
}

}  // namespace athil::runner
