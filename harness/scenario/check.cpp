#include "scenario/check.hpp"

#include <optional>
#include <stdexcept>

#include <fmt/format.h>

namespace athil::scenario {

namespace {

// The ${...} references in a text, defaults included ("name:-x").
void collect_refs(std::string_view text, std::vector<std::string>& out) {
  std::size_t i = 0;
  while ((i = text.find("${", i)) != std::string_view::npos) {
    auto close = text.find('}', i);
    if (close == std::string_view::npos) return;
    out.emplace_back(text.substr(i + 2, close - i - 2));
    i = close + 1;
  }
}

std::string pattern_text(const LinePattern& p) { return p.regex ? *p.regex : p.text; }

std::string timeout_text(const std::optional<DurationText>& t) { return t ? t->text : ""; }

// Every text of an action that may hold ${variables}.
std::vector<std::string> texts_of(const Action& a) {
  return std::visit(
      [](const auto& x) -> std::vector<std::string> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Send> || std::is_same_v<T, Log>) return {x.text};
        else if constexpr (std::is_same_v<T, Expect> || std::is_same_v<T, Urc>) return {pattern_text(x.pattern), timeout_text(x.timeout)};
        else if constexpr (std::is_same_v<T, Forbid>) return {pattern_text(x.pattern)};
        else if constexpr (std::is_same_v<T, PowerKey> || std::is_same_v<T, ResetPulse>) return {x.hold.text};
        else if constexpr (std::is_same_v<T, SendFile>) return {x.path, x.command, timeout_text(x.timeout)};
        else if constexpr (std::is_same_v<T, Sleep>) return {x.duration.text};
        else if constexpr (std::is_same_v<T, Sync>) return {x.each.text};
        else if constexpr (std::is_same_v<T, ExpectPin> || std::is_same_v<T, ExpectReboot>) return {timeout_text(x.timeout)};
        else if constexpr (std::is_same_v<T, Check>) return {x.expr.source(), x.message};
        else if constexpr (std::is_same_v<T, Repeat>) return x.until ? std::vector<std::string>{x.until->source()} : std::vector<std::string>{};
        else if constexpr (std::is_same_v<T, ExpectAny>) {
          std::vector<std::string> out = {timeout_text(x.timeout)};
          for (const auto& alt : x.alternatives) out.push_back(pattern_text(alt.pattern));
          return out;
        } else if constexpr (std::is_same_v<T, Scope>) {
          std::vector<std::string> out;
          for (const auto& p : x.params) out.push_back(p.value);
          return out;
        } else {
          return {};
        }
      },
      a.what);
}

// The variables an action defines: captures, the expect-any variable, fixture parameters.
std::vector<std::string> defines_of(const Action& a) {
  std::vector<std::string> out;
  auto add = [&](const LinePattern& p) { out.insert(out.end(), p.capture.begin(), p.capture.end()); };
  if (auto x = std::get_if<Expect>(&a.what)) add(x->pattern);
  if (auto x = std::get_if<Urc>(&a.what)) add(x->pattern);
  if (auto x = std::get_if<ExpectAny>(&a.what)) {
    if (!x->variable.empty()) out.push_back(x->variable);
    for (const auto& alt : x->alternatives) add(alt.pattern);
  }
  if (auto x = std::get_if<Scope>(&a.what))
    for (const auto& p : x->params) out.push_back(p.name);
  if (std::get_if<SendFile>(&a.what)) out.push_back("sent");
  return out;
}

}  // namespace

void for_each_action(const std::vector<Action>& actions, const std::function<void(const Action&)>& fn) {
  for (const auto& a : actions) {
    fn(a);
    if (auto r = std::get_if<Repeat>(&a.what)) for_each_action(r->body, fn);
    if (auto sc = std::get_if<Scope>(&a.what)) for_each_action(sc->body, fn);
  }
}

std::set<std::string> referenced_variables(const std::vector<Action>& actions) {
  std::set<std::string> out;
  for_each_action(actions, [&](const Action& a) {
    std::vector<std::string> refs;
    for (const auto& t : texts_of(a)) collect_refs(t, refs);
    for (const auto& r : refs) out.insert(r.substr(0, r.find(":-")));
  });
  return out;
}

void check_variables(const Scenario& s, const std::vector<std::string>& known) {
  std::set<std::string> defined(known.begin(), known.end());
  for (const auto& v : s.vars) defined.insert(v.name);
  std::vector<const Block*> blocks = {&s.setup};
  for (const auto& st : s.steps) blocks.push_back(&st);
  blocks.push_back(&s.teardown);
  blocks.push_back(&s.on_failure);
  for (const auto* b : blocks)
    for_each_action(b->actions, [&](const Action& a) {
      for (auto& d : defines_of(a)) defined.insert(std::move(d));
    });

  Diagnostics diagnostics;
  std::vector<std::string> names(defined.begin(), defined.end());
  auto require = [&](std::string_view text, const SourcePos& pos) {
    std::vector<std::string> refs;
    collect_refs(text, refs);
    for (const auto& r : refs)
      if (r.find(":-") == std::string::npos && !defined.count(r))
        diagnostics.attempt([&] {
          throw InputError(pos, fmt::format("${{{}}} is not defined{} (not a <var>, a capture, a rig variable or -D {}=...)", r, did_you_mean(r, names), r));
        });
  };
  for (const auto& v : s.vars) require(v.value, v.pos);
  for (const auto* b : blocks)
    for_each_action(b->actions, [&](const Action& a) {
      for (const auto& t : texts_of(a)) require(t, a.pos);
    });
  diagnostics.throw_if_any();
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
        if (auto c = std::get_if<Check>(&a.what); c && constant(c->expr) == false)
          throw InputError(a.pos, fmt::format("'{}' is always false: this check always fails and nothing after it is ever reached", c->expr.source()));
        if (auto r = std::get_if<Repeat>(&a.what); r && r->until) {
          auto value = constant(*r->until);
          if (value == true) throw InputError(a.pos, fmt::format("'{}' is always true: the repeat's body is never reached", r->until->source()));
          if (value == false) throw InputError(a.pos, fmt::format("'{}' is always false: the repeat always fails after {} round(s)", r->until->source(), r->max));
        }
      });
    });
  diagnostics.throw_if_any();
}

}  // namespace athil::scenario
