#include "scenario/check.hpp"

#include <map>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "scenario/expr.hpp"

namespace athil::scenario {

namespace {

std::string_view timeout_text(const BoxedOptional<DurationText>& t) { return t ? std::string_view(t->text) : std::string_view(); }

// Calls `each` with every text of an action that may hold ${variables}: views into the action,
// no list built (a scaffolded log has tens of thousands of actions, each walked more than once).
template <class F>
void each_text(const Action& a, F&& each) {
  std::visit(
      [&](const auto& held) {
        const auto& x = unboxed(held);
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Send> || std::is_same_v<T, Log>) {
          each(x.text);
        } else if constexpr (std::is_same_v<T, Expect> || std::is_same_v<T, Urc>) {
          each(std::string_view(x.pattern.text)), each(timeout_text(x.timeout));
        } else if constexpr (std::is_same_v<T, Forbid>) {
          each(std::string_view(x.pattern.text));
        } else if constexpr (std::is_same_v<T, PowerKey> || std::is_same_v<T, ResetPulse>) {
          each(x.hold.text);
        } else if constexpr (std::is_same_v<T, NetworkSms>) {
          each(x.from), each(x.text);
        } else if constexpr (std::is_same_v<T, SendFile>) {
          each(x.path), each(x.command), each(timeout_text(x.timeout));
        } else if constexpr (std::is_same_v<T, Sleep>) {
          each(x.duration.text);
        } else if constexpr (std::is_same_v<T, Current>) {
          each(timeout_text(x.span));
        } else if constexpr (std::is_same_v<T, Sync>) {
          each(x.each.text);
        } else if constexpr (std::is_same_v<T, ExpectPin> || std::is_same_v<T, ExpectReboot>) {
          each(timeout_text(x.timeout));
        } else if constexpr (std::is_same_v<T, Check>) {
          each(x.expr.source()), each(std::string_view(x.message));
        } else if constexpr (std::is_same_v<T, Repeat>) {
          if (x.until) each(x.until->source());
        } else if constexpr (std::is_same_v<T, ExpectAny>) {
          each(timeout_text(x.timeout));
          for (const auto& alt : x.alternatives) each(std::string_view(alt.pattern.text));
        } else if constexpr (std::is_same_v<T, Scope>) {
          for (const auto& p : x.params) each(std::string_view(p.value));
        }
      },
      a.what);
}

// The variables an action defines: captures, the expect-any variable, fixture parameters.
std::vector<std::string> defines_of(const Action& a) {
  std::vector<std::string> out;
  auto add = [&](const LinePattern& p) { out.insert(out.end(), p.captures().begin(), p.captures().end()); };
  if (auto x = std::get_if<Expect>(&a.what)) add(x->pattern);
  if (auto x = std::get_if<Urc>(&a.what)) add(x->pattern);
  if (auto x = kind_if<ExpectAny>(a)) {
    if (!x->variable.empty()) out.push_back(x->variable);
    for (const auto& alt : x->alternatives) add(alt.pattern);
  }
  if (auto x = kind_if<Scope>(a))
    for (const auto& p : x->params) out.push_back(p.name);
  if (kind_if<SendFile>(a)) out.push_back("sent");
  if (auto x = kind_if<Current>(a))
    for (const char* stat : {"_average", "_peak", "_lowest", "_charge"}) out.push_back(x->name + stat);
  return out;
}

}  // namespace

void for_each_action(const std::vector<Action>& actions, const std::function<void(const Action&)>& fn) {
  for (const auto& a : actions) {
    fn(a);
    if (auto r = std::get_if<Repeat>(&a.what)) for_each_action(r->body, fn);
    if (auto sc = kind_if<Scope>(a)) for_each_action(sc->body, fn);
  }
}

std::set<std::string> referenced_variables(const std::vector<Action>& actions) {
  std::set<std::string> out;
  for_each_action(actions,
                  [&](const Action& a) { each_text(a, [&](std::string_view t) { for_each_reference(t, [&](const Reference& r) { out.emplace(r.name); }); }); });
  return out;
}

std::set<std::string> variables_in(std::string_view text) {
  std::set<std::string> out;
  for_each_reference(text, [&](const Reference& r) { out.emplace(r.name); });
  return out;
}

std::set<std::string> used_variables(const Scenario& scenario) {
  std::set<std::string> out;
  for (const auto* block : {&scenario.setup, &scenario.teardown, &scenario.on_failure}) out.merge(referenced_variables(block->actions));
  for (const auto& step : scenario.steps) out.merge(referenced_variables(step.actions));
  for (const auto& v : scenario.vars) out.merge(variables_in(v.value));
  return out;
}

namespace {

// Walks actions in the order they run, each use checked against what is defined by then: a
// variable set only later (a capture inside a <repeat> whose until reads it before the first
// round) is a mistake found here, not when the module is already powered.
class DefinedBeforeUse {
 public:
  DefinedBeforeUse(std::set<std::string> defined, Diagnostics& diagnostics) : defined_(std::move(defined)), diagnostics_(diagnostics) {}

  void require(std::string_view text, const SourcePos& pos) {
    for_each_reference(text, [&](const Reference& ref) {
      const std::string r(ref.name);
      if (ref.fallback || defined_.count(r)) return;
      std::vector<std::string> names(defined_.begin(), defined_.end());
      std::string later =
          set_later_.count(r)
              ? fmt::format(" before it is used here: it is set later, at {}; give it a value first (<var name=\"{}\" value=\"...\"/>) or use ${{{}:-DEFAULT}}",
                            set_later_.at(r).str(), r, r)
              : fmt::format("{} (not a <var>, a capture, a rig variable or -D {}=...)", did_you_mean(r, names), r);
      diagnostics_.attempt([&] { throw InputError(pos, fmt::format("${{{}}} is not defined{}", r, later)); });
    });
  }

  void define(const std::string& name) { defined_.insert(name); }

  // Every definition anywhere, for the messages: "it is set later, at ...".
  void note_definitions(const std::vector<Action>& actions) {
    for_each_action(actions, [&](const Action& a) {
      for (const auto& d : defines_of(a)) set_later_.emplace(d, a.pos);
    });
  }

  void walk(const std::vector<Action>& actions) {
    for (const auto& a : actions) {
      if (const auto* r = std::get_if<Repeat>(&a.what)) {
        // The condition is read before the first round: the body's captures are not there yet.
        if (r->until) require(r->until->source(), a.pos);
        walk(r->body);
        continue;
      }
      each_text(a, [&](std::string_view t) { require(t, a.pos); });
      if (const auto* scope = kind_if<Scope>(a)) {
        for (const auto& p : scope->params) defined_.insert(p.name);
        walk(scope->body);
        continue;
      }
      for (auto& d : defines_of(a)) defined_.insert(std::move(d));
    }
  }

 private:
  std::set<std::string> defined_;
  std::map<std::string, SourcePos> set_later_;
  Diagnostics& diagnostics_;
};

}  // namespace

void check_variables(const Scenario& s, const std::vector<std::string>& known) {
  Diagnostics diagnostics;
  DefinedBeforeUse uses(std::set<std::string>(known.begin(), known.end()), diagnostics);
  for (const auto* b : {&s.setup, &s.teardown, &s.on_failure}) uses.note_definitions(b->actions);
  for (const auto& st : s.steps) uses.note_definitions(st.actions);
  // A default may use the ones before it.
  for (const auto& v : s.vars) {
    uses.require(v.value, v.pos);
    uses.define(v.name);
  }
  uses.walk(s.setup.actions);
  for (const auto& st : s.steps) uses.walk(st.actions);
  // The teardown and the diagnostics run after whatever got to run: each sees what the setup
  // and the steps may have set, and its own in order.
  for (const auto* b : {&s.teardown, &s.on_failure}) DefinedBeforeUse(uses).walk(b->actions);
  diagnostics.throw_if_any();
}

void check_current(const Scenario& s) {
  Diagnostics diagnostics;
  std::set<std::string> marks, measured;
  auto walk = [&](const std::vector<Action>& actions) {
    for_each_action(actions, [&](const Action& a) {
      if (const auto* m = std::get_if<Mark>(&a.what)) marks.insert(m->name);
      const auto* c = kind_if<Current>(a);
      if (!c) return;
      diagnostics.attempt([&] {
        if (!c->since.empty() && !marks.count(c->since)) throw InputError(a.pos, fmt::format("since=\"{}\" names no <mark> before this <current>", c->since));
        if (!c->compare.empty() && !measured.count(c->compare))
          throw InputError(a.pos, fmt::format("compare=\"{}\" names no <current> before this one", c->compare));
        if (c->limits.empty()) throw InputError(a.pos, "a <current> checks at least one <limit> (of=\"average\" max=\"...\")");
      });
      measured.insert(c->name);
    });
  };
  walk(s.setup.actions);
  for (const auto& st : s.steps) walk(st.actions);
  walk(s.teardown.actions);
  diagnostics.throw_if_any();
}

bool measures_current(const Scenario& s) {
  bool any = false;
  auto look = [&](const Action& a) { any = any || kind_if<Current>(a); };
  for (const auto* b : {&s.setup, &s.teardown, &s.on_failure}) for_each_action(b->actions, look);
  for (const auto& st : s.steps) for_each_action(st.actions, look);
  return any;
}

std::chrono::nanoseconds current_resolution(const Scenario& s) {
  auto finest = Current::default_resolution;
  auto look = [&](const Action& a) {
    if (const auto* c = kind_if<Current>(a)) finest = std::min(finest, c->resolution);
  };
  for (const auto* b : {&s.setup, &s.teardown, &s.on_failure}) for_each_action(b->actions, look);
  for (const auto& st : s.steps) for_each_action(st.actions, look);
  return finest;
}

void check_reachable(const Scenario& s) {
  // A condition without variables has one value, known now. A reference with a default
  // (${reg:-0}) is still a variable: the body may set it.
  struct Variable {};
  auto constant = [](const Expr& e) -> std::optional<bool> {
    try {
      return e.evaluate([](std::string_view) -> std::string { throw Variable{}; });
    } catch (const Variable&) {
      return std::nullopt;
    }
  };
  Diagnostics diagnostics;
  std::vector<const Block*> blocks = {&s.setup};
  for (const auto& st : s.steps) blocks.push_back(&st);
  for (const auto* b : blocks)
    for_each_action(b->actions, [&](const Action& a) {
      diagnostics.attempt([&] {
        if (auto c = kind_if<Check>(a); c && constant(c->expr) == false)
          throw InputError(a.pos, fmt::format("'{}' is always false: this check always fails and nothing after it is ever reached", c->expr.source()));
        if (auto r = std::get_if<Repeat>(&a.what); r && r->until) {
          auto value = constant(*r->until);
          if (value == true) throw InputError(a.pos, fmt::format("'{}' is always true: the repeat's body is never reached", r->until->source()));
          if (value == false)
            throw InputError(a.pos, fmt::format("'{}' is always false: the repeat always fails after {} round(s)", r->until->source(), r->max));
        }
      });
    });
  diagnostics.throw_if_any();
}

}  // namespace athil::scenario
