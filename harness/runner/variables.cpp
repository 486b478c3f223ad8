#include "runner/variables.hpp"

#include <set>

#include <fmt/format.h>

#include "base/escape.hpp"
#include "scenario/expr.hpp"

namespace athil::runner {

namespace {
constexpr int max_model_depth = 8;
}

Variables::Variables(Map fixed, const Map& model) : values_(std::move(fixed)), model_(model) {
  for (const auto& [name, value] : values_) fixed_.insert(name);
}

std::string Variables::lookup(std::string_view name) const {
  if (auto it = values_.find(std::string(name)); it != values_.end()) return it->second;
  auto m = model_.find(std::string(name));
  if (m == model_.end()) throw scenario::UndefinedVariable(fmt::format("undefined variable ${{{}}}", name));
  if (model_depth_ > max_model_depth) throw scenario::UndefinedVariable(fmt::format("model variable ${{{}}} uses itself", name));
  ++model_depth_;
  struct Leave {
    int& depth;
    ~Leave() { --depth; }
  } leave{model_depth_};
  return scenario::substitute(m->second, [this](std::string_view n) { return lookup(n); });
}

std::string Variables::substitute(std::string_view text, const SourcePos& pos, std::string (*quote)(std::string_view)) const {
  if (text.find("${") == std::string_view::npos) return std::string(text);  // most lines name none
  try {
    return scenario::substitute(text, [this, quote](std::string_view n) { return quote ? quote(lookup(n)) : lookup(n); });
  } catch (const scenario::UndefinedVariable& e) {
    throw InputError(pos, e.what());
  }
}

void Variables::set_defaults(const std::vector<scenario::Var>& defaults) {
  for (const auto& v : defaults)
    if (!fixed_.count(v.name)) values_[v.name] = substitute(v.value, v.pos);
}

void Variables::capture(const std::string& name, std::string value) {
  values_[name] = std::move(value);
  fixed_.insert(name);
}

std::string Variables::shown_in(std::string_view text) const {
  std::set<std::string_view> named;
  scenario::for_each_reference(text, [&](const scenario::Reference& r) { named.insert(r.name); });
  std::string shown;
  for (const auto& [name, value] : values_)
    if (named.count(name)) shown += fmt::format("{}{}='{}'", shown.empty() ? "" : ", ", name, escape_bytes(value));
  return shown;
}

Variables::Parameters::Parameters(Variables& vars, const std::vector<scenario::Var>& params, const SourcePos& pos) : vars_(vars) {
  try {
    for (const auto& p : params) {
      if (vars.fixed_.count(p.name)) continue;
      auto it = vars.values_.find(p.name);
      saved_.emplace_back(p.name, it == vars.values_.end() ? std::nullopt : std::optional<std::string>(it->second));
      vars.values_[p.name] = vars.substitute(p.value, pos);
    }
  } catch (...) {
    restore();
    throw;
  }
}

Variables::Parameters::~Parameters() { restore(); }

void Variables::Parameters::restore() {
  for (const auto& [name, value] : saved_) {
    if (vars_.fixed_.count(name)) continue;  // captured inside: the capture stands
    if (value)
      vars_.values_[name] = *value;
    else
      vars_.values_.erase(name);
  }
}

}  // namespace athil::runner
