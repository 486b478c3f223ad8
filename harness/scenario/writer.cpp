#include "scenario/writer.hpp"

#include <sstream>

#include <pugixml.hpp>

namespace athil::scenario {

namespace {
// XML comments may not hold "--".
std::string comment_text(std::string text) {
  for (auto at = text.find("--"); at != std::string::npos; at = text.find("--", at)) text.replace(at, 2, "- -");
  return " " + text + " ";
}
}  // namespace

std::string to_xml(const ScenarioDraft& draft) {
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto root = doc.append_child("scenario");
  root.append_attribute("xmlns:xsi") = "http://www.w3.org/2001/XMLSchema-instance";
  root.append_attribute("xsi:noNamespaceSchemaLocation") = "../scenario.xsd";
  root.append_attribute("name") = draft.name.c_str();
  root.append_attribute("models") = draft.models.c_str();
  if (!draft.tags.empty()) root.append_attribute("tags") = draft.tags.c_str();
  if (!draft.timeout.empty()) root.append_attribute("timeout") = draft.timeout.c_str();
  root.append_child("description").text() = draft.description.c_str();
  for (const auto& block : draft.blocks) {
    auto b = root.append_child(block.element.c_str());
    if (!block.name.empty()) b.append_attribute("name") = block.name.c_str();
    for (const auto& a : block.actions) {
      if (!a.comment.empty()) b.append_child(pugi::node_comment).set_value(comment_text(a.comment).c_str());
      auto e = b.append_child(a.element.c_str());
      for (const auto& [k, v] : a.attributes) e.append_attribute(k.c_str()) = v.c_str();
      if (!a.text.empty()) e.text() = a.text.c_str();
    }
  }
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

}  // namespace athil::scenario
