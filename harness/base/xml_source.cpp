#include "base/xml_source.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "base/escape.hpp"
#include "base/file.hpp"
#include "base/text.hpp"

namespace athil {

namespace {
// Offset of the first byte that is not part of valid UTF-8, if any.
std::optional<std::size_t> first_invalid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    // ASCII, most of any scenario, needs no decoding: eight bytes at a time.
    std::uint64_t word;
    if (i + sizeof word <= s.size() && (std::memcpy(&word, s.data() + i, sizeof word), (word & 0x8080808080808080u) == 0)) {
      i += sizeof word;
      continue;
    }
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    auto c = decode_utf8(s, i);
    if (!c) return i;
    i += c->length;
  }
  return std::nullopt;
}

// Walks the whole tree without recursion: a hostile file may nest elements very deep.
std::optional<pugi::xml_node> find_doctype(pugi::xml_node root) {
  std::vector<pugi::xml_node> pending = {root};
  while (!pending.empty()) {
    auto node = pending.back();
    pending.pop_back();
    for (auto child = node.first_child(); child; child = child.next_sibling()) {
      if (child.type() == pugi::node_doctype) return child;
      if (child.type() == pugi::node_element) pending.push_back(child);  // text has no children
    }
  }
  return std::nullopt;
}
}  // namespace

std::unique_ptr<XmlSource> XmlSource::load(const std::filesystem::path& path, std::size_t max_bytes) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) throw InputError(SourcePos{path.string()}, fmt::format("cannot read the file: {}", ec.message()));
  if (size > max_bytes)
    throw InputError(SourcePos{path.string()}, fmt::format("the file is {} bytes; {} are limited to {}", size,
                                                           max_bytes == max_file_bytes ? "scenario, fixture and rig files" : "files of this kind", max_bytes));
  auto text = read_file(path);
  if (!text) throw InputError(SourcePos{path.string()}, "cannot read the file");
  return parse(std::move(*text), path.string(), max_bytes);
}

std::unique_ptr<XmlSource> XmlSource::parse(std::string text, std::string display_name, std::size_t max_bytes) {
  std::unique_ptr<XmlSource> src(new XmlSource());
  src->name_ = std::move(display_name);
  src->text_ = std::move(text);
  // Where each line starts, found once: a position is then a search, not a count from the start.
  src->line_starts_.push_back(0);
  for (std::size_t i = src->text_.find('\n'); i != std::string::npos; i = src->text_.find('\n', i + 1)) src->line_starts_.push_back(i + 1);
  if (src->text_.size() > max_bytes) throw InputError(SourcePos{src->name_}, fmt::format("more than {} bytes", max_bytes));
  if (auto bad = first_invalid_utf8(src->text_))
    throw InputError(src->pos_at_offset(static_cast<std::ptrdiff_t>(*bad)),
                     fmt::format("not UTF-8: byte 0x{:02x} here (save the file as UTF-8)", static_cast<unsigned char>(src->text_[*bad])));
  src->content_hash_ = athil::content_hash(src->text_);
  // parse_doctype keeps DOCTYPE as a node so that it can be refused; pugixml never expands
  // entities other than the five predefined ones and character references. In place, and the
  // text of an element that holds only text kept in the element: a tree with no copy of the
  // file and no node for each <send>'s text (a long scenario's largest cost while loading).
  auto result = src->doc_.load_buffer_inplace(src->text_.data(), src->text_.size(), pugi::parse_default | pugi::parse_doctype | pugi::parse_embed_pcdata,
                                              pugi::encoding_utf8);
  if (!result) throw InputError(src->pos_at_offset(result.offset), fmt::format("XML syntax error: {}", result.description()));
  if (auto doctype = find_doctype(src->doc_)) throw InputError(src->pos(*doctype), "DOCTYPE and entity declarations are not allowed");
  return src;
}

SourcePos XmlSource::pos_at_offset(std::ptrdiff_t offset) const {
  if (offset < 0) return SourcePos{name_};
  auto at = std::min<std::size_t>(static_cast<std::size_t>(offset), text_.size());
  // The line whose start is the last one at or before the offset; columns count bytes from 1.
  auto line = std::upper_bound(line_starts_.begin(), line_starts_.end(), at) - line_starts_.begin();
  return SourcePos{name_, static_cast<int>(line), static_cast<int>(at - line_starts_[static_cast<std::size_t>(line) - 1] + 1)};
}

SourcePos XmlSource::pos(pugi::xml_node node) const {
  auto offset = node.offset_debug();
  // pugixml points just past '<' for elements; report the '<' itself.
  if (offset > 0 && node.type() == pugi::node_element) --offset;
  return pos_at_offset(offset);
}

SourcePos XmlSource::pos(pugi::xml_node node, const char* attribute) const {
  auto attr = node.attribute(attribute);
  return attr ? pos_of(attr.name()) : pos(node);
}

SourcePos XmlSource::pos_of(const char* in_text) const {
  auto offset = in_text - text_.data();
  if (offset < 0 || static_cast<std::size_t>(offset) > text_.size()) return SourcePos{name_};
  return pos_at_offset(offset);
}

std::vector<XmlSource::LooseText> XmlSource::loose_text(pugi::xml_node element) const {
  std::vector<LooseText> out;
  auto add = [&](const char* value) {
    std::string_view text = value;
    if (auto start = text.find_first_not_of(" \t\r\n"); start != std::string_view::npos) out.push_back({pos_of(value + start), trim(text)});
  };
  add(element.value());  // text before an element's first child is kept in the element (parse_embed_pcdata)
  for (auto child = element.first_child(); child; child = child.next_sibling())
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) add(child.value());
  return out;
}

void XmlSource::only_attributes(pugi::xml_node node, std::initializer_list<const char*> allowed) const {
  for (auto attr = node.first_attribute(); attr; attr = attr.next_attribute()) {
    std::string_view attr_name = attr.name();
    if (std::any_of(allowed.begin(), allowed.end(), [&](const char* name) { return attr_name == name; })) continue;
    // Namespace declarations and xsi:noNamespaceSchemaLocation let editors find the schema.
    if (!attr_name.starts_with("xmlns") && !attr_name.starts_with("xsi:")) {
      std::vector<std::string> names(allowed.begin(), allowed.end());
      std::string list;
      for (const auto& name : names) list += fmt::format("{}{}", list.empty() ? "" : ", ", name);
      fail(node, attr.name(),
           fmt::format("<{}> has no attribute '{}'{} (allowed: {})", node.name(), attr.name(), did_you_mean(attr.name(), names), list.empty() ? "none" : list));
    }
  }
}

std::string XmlSource::required(pugi::xml_node node, const char* attribute) const {
  auto attr = node.attribute(attribute);
  if (!attr) fail(node, fmt::format("<{}> needs the attribute '{}'", node.name(), attribute));
  return attr.value();
}

void XmlSource::fail(pugi::xml_node node, const std::string& message) const { throw InputError(pos(node), message); }
void XmlSource::fail(pugi::xml_node node, const char* attribute, const std::string& message) const { throw InputError(pos(node, attribute), message); }

}  // namespace athil
