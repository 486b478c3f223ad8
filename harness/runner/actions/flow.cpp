// The scenario's own flow: checks over variables, loops, fixture scopes, pauses and notes.
#include <fmt/format.h>

#include "base/error.hpp"
#include "runner/actions/step.hpp"
#include "scenario/expr.hpp"

namespace athil::runner {

namespace {

bool evaluate(const scenario::Expr& expr, const Step& step) {
  try {
    return expr.evaluate([&](std::string_view n) { return step.vars().lookup(n); });
  } catch (const scenario::UndefinedVariable& e) {
    throw InputError(step.pos, e.what());
  }
}

}  // namespace

void perform(const scenario::Check& a, Step& step) {
  if (evaluate(a.expr, step)) return;
  std::string values = step.vars().shown_in(a.expr.source());
  std::string msg = a.message.empty() ? fmt::format("check failed: {}", a.expr.source()) : step.sub(a.message);
  // Every variable may have taken its default: then there is no value to show.
  if (values.empty()) throw step.text().failure(msg, a.expr.source(), "false");
  throw step.text().failure(fmt::format("{} ({})", msg, values), a.expr.source(), fmt::format("false with {}", values));
}

void perform(const scenario::Repeat& a, Step& step) {
  if (!a.until) {
    for (int i = 0; i < a.count; ++i) step.host.run_body(a.body);
    return;
  }
  for (int round = 0; !evaluate(*a.until, step); ++round) {
    if (round == a.max) {
      std::string got = fmt::format("still false after {} round(s)", a.max);
      throw step.text().failure(fmt::format("'{}' {}", a.until->source(), got), a.until->source(), got);
    }
    step.host.run_body(a.body);
  }
}

void perform(const scenario::Scope& a, Step& step) {
  Variables::Parameters params(step.vars(), a.params, step.pos);
  step.device.timeline.record(Direction::note, fmt::format("fixture {}", a.fixture));
  step.host.run_body(a.body);
}

void perform(const scenario::Sleep& a, Step& step) {
  auto end = step.deadline(step.scale.hold(step.duration(a.duration)));
  step.engine().drain_until(end);
  step.state.timed_end = end;
}

void perform(const scenario::Log& a, Step& step) { step.device.timeline.record(Direction::note, "log: " + step.sub(a.text)); }

}  // namespace athil::runner
