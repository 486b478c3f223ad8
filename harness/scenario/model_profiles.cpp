#include "scenario/model_profiles.hpp"

#include <set>

#include <fmt/format.h>

#include "base/xml_source.hpp"
#include "scenario/expr.hpp"

namespace athil::scenario {

ModelProfiles ModelProfiles::load(const std::filesystem::path& file) {
  ModelProfiles out;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return out;
  auto src = XmlSource::load(file);
  auto root = src->doc().document_element();
  if (!root || std::string_view(root.name()) != "models") src->fail(root, "the root element of a model profile file is <models>");
  src->only_attributes(root, {});
  for (auto node : root.children()) {
    if (node.type() != pugi::node_element) continue;
    if (std::string_view(node.name()) != "model") src->fail(node, fmt::format("<models> holds <model> elements, not <{}>", node.name()));
    src->only_attributes(node, {"prefix"});
    ModelProfile p{src->required(node, "prefix"), {}, src->pos(node)};
    if (p.prefix.rfind("SIM70", 0) != 0) src->fail(node, "prefix", fmt::format("'{}' is not a SIM70x0 model or prefix (SIM7000, SIM7080G, ...)", p.prefix));
    for (auto v : node.children()) {
      if (v.type() != pugi::node_element) continue;
      if (std::string_view(v.name()) != "var") src->fail(v, fmt::format("<model> holds <var> elements, not <{}>", v.name()));
      src->only_attributes(v, {"name", "value"});
      std::string name = src->required(v, "name");
      if (!is_identifier(name)) src->fail(v, "name", fmt::format("'{}' is not a valid variable name", name));
      if (!p.vars.emplace(name, src->required(v, "value")).second) src->fail(v, "name", fmt::format("a second '{}' in this model", name));
    }
    out.profiles_.push_back(std::move(p));
  }
  return out;
}

const std::map<std::string, std::string>& ModelProfiles::for_model(std::string_view model) const {
  static const std::map<std::string, std::string> none;
  for (const auto& p : profiles_)
    if (model.substr(0, p.prefix.size()) == p.prefix) return p.vars;
  return none;
}

std::vector<std::string> ModelProfiles::names() const {
  std::set<std::string> all;
  for (const auto& p : profiles_)
    for (const auto& [k, v] : p.vars) all.insert(k);
  return {all.begin(), all.end()};
}

}  // namespace athil::scenario
