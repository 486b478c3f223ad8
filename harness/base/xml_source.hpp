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
  const std::string& text() const { return text_; }
  SourcePos pos(pugi::xml_node node) const;
  // Position of an attribute's value inside its element's start tag (the element's when not found).
  SourcePos pos(pugi::xml_node node, const char* attribute) const;
  SourcePos pos_at_offset(std::ptrdiff_t offset) const;

  // Checks the element's attributes against the allowed ones; an unknown one is an InputError.
  void only_attributes(pugi::xml_node node, std::initializer_list<const char*> allowed) const;
  // The attribute's value; an absent required attribute is an InputError.
  std::string required(pugi::xml_node node, const char* attribute) const;
  [[noreturn]] void fail(pugi::xml_node node, const std::string& message) const;
  [[noreturn]] void fail(pugi::xml_node node, const char* attribute, const std::string& message) const;

 private:
  XmlSource() = default;
  FileName name_;  // shared by every position in the file
  std::string text_;
  std::vector<std::size_t> line_starts_;  // offset of each line's first byte
  pugi::xml_document doc_;
};

}  // namespace athil
