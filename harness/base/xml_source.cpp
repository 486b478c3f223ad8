#include "base/xml_source.hpp"

#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

namespace athil {

namespace {
bool has_doctype(pugi::xml_node node) {
  for (auto child : node.children())
    if (child.type() == pugi::node_doctype || has_doctype(child)) return true;
  return false;
}
}  // namespace

std::unique_ptr<XmlSource> XmlSource::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(SourcePos{path.string()}, "cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path.string());
}

std::unique_ptr<XmlSource> XmlSource::parse(std::string text, std::string display_name) {
  std::unique_ptr<XmlSource> src(new XmlSource());
  src->name_ = std::move(display_name);
  src->text_ = std::move(text);
  // parse_doctype keeps DOCTYPE as a node so that it can be refused; pugixml never expands
  // entities other than the five predefined ones and character references.
  auto result = src->doc_.load_buffer(src->text_.data(), src->text_.size(),
                                      pugi::parse_default | pugi::parse_doctype, pugi::encoding_utf8);
  if (!result) throw InputError(src->pos_at_offset(result.offset), fmt::format("XML syntax error: {}", result.description()));
  for (auto node : src->doc_.children())
    if (node.type() == pugi::node_doctype || has_doctype(node))
      throw InputError(src->pos(node), "DOCTYPE and entity declarations are not allowed");
  return src;
}

SourcePos XmlSource::pos_at_offset(std::ptrdiff_t offset) const {
  SourcePos p{name_, 1, 1};
  if (offset < 0) return SourcePos{name_};
  auto end = std::min<std::size_t>(static_cast<std::size_t>(offset), text_.size());
  for (std::size_t i = 0; i < end; ++i) {
    if (text_[i] == '\n') {
      ++p.line;
      p.col = 1;
    } else {
      ++p.col;
    }
  }
  return p;
}

SourcePos XmlSource::pos(pugi::xml_node node) const {
  auto offset = node.offset_debug();
  // pugixml points just past '<' for elements; report the '<' itself.
  if (offset > 0 && node.type() == pugi::node_element) --offset;
  return pos_at_offset(offset);
}

SourcePos XmlSource::pos(pugi::xml_node node, const char* attribute) const {
  auto start = node.offset_debug();
  if (start < 0) return pos(node);
  auto tag_end = text_.find('>', static_cast<std::size_t>(start));
  std::size_t at = static_cast<std::size_t>(start);
  std::size_t name_len = std::strlen(attribute);
  while (true) {
    at = text_.find(attribute, at);
    if (at == std::string::npos || at > tag_end) return pos(node);
    bool word_start = at > 0 && std::isspace(static_cast<unsigned char>(text_[at - 1]));
    std::size_t after = at + name_len;
    while (after < text_.size() && std::isspace(static_cast<unsigned char>(text_[after]))) ++after;
    if (word_start && after < text_.size() && text_[after] == '=') return pos_at_offset(static_cast<std::ptrdiff_t>(at));
    at += name_len;
  }
}

void XmlSource::only_attributes(pugi::xml_node node, std::initializer_list<const char*> allowed) const {
  for (auto attr : node.attributes()) {
    bool ok = false;
    for (const char* name : allowed) ok = ok || std::strcmp(name, attr.name()) == 0;
    if (!ok) {
      std::vector<std::string> names(allowed.begin(), allowed.end());
      std::string list;
      for (const auto& name : names) list += fmt::format("{}{}", list.empty() ? "" : ", ", name);
      fail(node, attr.name(), fmt::format("<{}> has no attribute '{}'{} (allowed: {})", node.name(), attr.name(), did_you_mean(attr.name(), names),
                                          list.empty() ? "none" : list));
    }
  }
}

std::string XmlSource::required(pugi::xml_node node, const char* attribute) const {
  auto attr = node.attribute(attribute);
  if (!attr) fail(node, fmt::format("<{}> needs the attribute '{}'", node.name(), attribute));
  return attr.value();
}

void XmlSource::fail(pugi::xml_node node, const std::string& message) const { throw InputError(pos(node), message); }
void XmlSource::fail(pugi::xml_node node, const char* attribute, const std::string& message) const {
  throw InputError(pos(node, attribute), message);
}

}  // namespace athil
