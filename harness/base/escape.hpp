#pragma once
// Bytes from a serial line, made printable: any byte survives, and the text is ASCII,
// so it can go into a transcript or an XML report unchanged.
#include <optional>
#include <string>
#include <string_view>

namespace athil {

// Printable ASCII stays; backslash, CR, LF, TAB become \\ \r \n \t; every other byte \xHH.
std::string escape_bytes(std::string_view bytes);
// The same, appended to `out`: a transcript of many lines is built without a string per line.
void append_escaped(std::string& out, std::string_view bytes);
// Appends `text` with each byte for which `entity` gives a non-empty replacement replaced by
// it (markup's entities); the bytes between go in as whole runs.
template <class Entity>
void append_replacing(std::string& out, std::string_view text, Entity entity) {
  std::size_t plain = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string_view replacement = entity(text[i]);
    if (replacement.empty()) continue;
    out.append(text.data() + plain, i - plain);
    out += replacement;
    plain = i + 1;
  }
  out.append(text.data() + plain, text.size() - plain);
}
// The inverse of escape_bytes; also accepts \e (ESC) and \0. Throws InputError.
std::string unescape_bytes(std::string_view text);

// The code point of the well-formed UTF-8 sequence at text[at] and its length in bytes;
// nothing for a byte that starts none (overlong forms, surrogates and beyond U+10FFFF too).
struct CodePoint {
  char32_t value;
  std::size_t length;
};
std::optional<CodePoint> decode_utf8(std::string_view text, std::size_t at);

// Text from a file or a module, made safe for a terminal: valid UTF-8 stays, control
// characters (C0, DEL, C1: escape sequences, line breaks) and bytes that are not UTF-8 are
// written as escape_bytes writes them. A name can then neither repaint the screen nor forge a line.
std::string terminal_text(std::string_view text);
// Whether terminal_text would escape anything: a control character or a byte that is not UTF-8.
bool has_control_characters(std::string_view text);
// The same for text of several lines that athil composed (diagnostics, a plan): its line
// breaks stay, every other control character is escaped.
std::string terminal_lines(std::string_view text);

}  // namespace athil
