#include "scenario/check.hpp"

#include <functional>
#include <set>

#include <fmt/format.h>

namespace athil::scenario {

namespace {

void collect_refs(std::string_view text, std::vector<std::string>& out) {
  std::size_t i = 0;
  while ((i = text.find("${", i)) != std::string_view::npos) {
    auto close = text.find('}', i);
    if (close == std::string_view::npos) return;
    out.emplace_back(text.substr(i + 2, close - i - 2));
    i = close + 1;
  }
}

void walk(const std::vector<Action>& actions, const std::function<void(const Action&)>& fn) {
  for (const auto& a : actions) {
    fn(a);
    if (auto r = std::get_if<Repeat>(&a.what)) walk(r->body, fn);
  }
}

}  // namespace

void check_variables(const Scenario& s, const std::vector<std::string>& known) {
  std::set<std::string> defined(known.begin(), known.end());
  for (const auto& v : s.vars) defined.insert(v.name);
  std::vector<const std::vector<Action>*> blocks = {&s.setup.actions};
  for (const auto& st : s.steps) blocks.push_back(&st.actions);
  blocks.push_back(&s.teardown.actions);
  auto pattern_of = [](const Action& a) -> const LinePattern* {
    if (auto e = std::get_if<Expect>(&a.what)) return &e->pattern;
    if (auto u = std::get_if<Urc>(&a.what)) return &u->pattern;
    return nullptr;
  };
  for (auto* b : blocks)
    walk(*b, [&](const Action& a) {
      if (auto p = pattern_of(a)) defined.insert(p->capture.begin(), p->capture.end());
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
  for (auto* b : blocks)
    walk(*b, [&](const Action& a) {
      if (auto p = pattern_of(a)) require(p->regex ? *p->regex : p->text, a.pos);
      if (auto x = std::get_if<Send>(&a.what)) require(x->text, a.pos);
      if (auto x = std::get_if<Log>(&a.what)) require(x->text, a.pos);
      if (auto x = std::get_if<Check>(&a.what)) require(x->expr.source() + x->message, a.pos);
      if (auto x = std::get_if<Repeat>(&a.what); x && x->until) require(x->until->source(), a.pos);
    });
  diagnostics.throw_if_any();
}

}  // namespace athil::scenario
