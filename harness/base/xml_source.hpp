#pragma once
// Safe loading of the XML files users write (scenarios, fixtures, rigs): untrusted input.
// DOCTYPE and entity declarations are refused; positions are reported as file:line:col.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <pugixml.hpp>

#include "base/error.hpp"

namespace athil {

class XmlSource {
 public:
  static constexpr std::size_t max_file_bytes = 1024 * 1024;  // far beyond any real scenario

  // Throws InputError naming the file and position of a syntax error or a DOCTYPE.
  // `max_bytes`: a report read back (a JUnit file from another host) may be larger.
  static std::unique_ptr<XmlSource> load(const std::filesystem::path& path, std::size_t max_bytes = max_file_bytes);
  static std::unique_ptr<XmlSource> parse(std::string text, std::string display_name, std::size_t max_bytes = max_file_bytes);

  const pugi::xml_document& doc() const { return doc_; }
  const std::string& name() const { return name_.str(); }
  // The file's content_hash (base/text.hpp), taken before parsing: the tree is parsed in the
  // file's own text, which parsing writes in.
  const std::string& content_hash() const { return content_hash_; }
  SourcePos pos(pugi::xml_node node) const;
  // Position of an attribute's name inside its element's start tag (the element's when absent).
  SourcePos pos(pugi::xml_node node, const char* attribute) const;
  SourcePos pos_at_offset(std::ptrdiff_t offset) const;

  // Text directly inside an element that is not blank: what it says, trimmed, and where it
  // starts. In order; for "text outside an element" in elements that hold only elements.
  struct LooseText {
    SourcePos pos;
    std::string text;
  };
  std::vector<LooseText> loose_text(pugi::xml_node element) const;

  // Checks the element's attributes against the allowed ones; an unknown one is an InputError.
  void only_attributes(pugi::xml_node node, std::initializer_list<const char*> allowed) const;
  // The attribute's value; an absent required attribute is an InputError.
  std::string required(pugi::xml_node node, const char* attribute) const;
  [[noreturn]] void fail(pugi::xml_node node, const std::string& message) const;
  [[noreturn]] void fail(pugi::xml_node node, const char* attribute, const std::string& message) const;

 private:
  XmlSource() = default;
  // Where a name or value of the tree starts (each points into text_), or the file's name alone.
  SourcePos pos_of(const char* in_text) const;

  FileName name_;  // shared by every position in the file
  std::string content_hash_;
  std::string text_;                      // the tree's names and values; declared before doc_, so it outlives it
  std::vector<std::size_t> line_starts_;  // offset of each line's first byte
  pugi::xml_document doc_;
};

}  // namespace athil
