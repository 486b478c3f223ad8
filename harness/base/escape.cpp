#include "base/escape.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "base/error.hpp"

namespace athil {

void append_escaped(std::string& out, std::string_view bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::size_t plain = 0;  // start of the printable run not yet appended: runs go in whole
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto u = static_cast<unsigned char>(bytes[i]);
    if (u >= 0x20 && u < 0x7f && u != '\\') continue;
    out.append(bytes.data() + plain, i - plain);
    plain = i + 1;
    switch (u) {
      case '\\': out += "\\\\"; break;
      case '\r': out += "\\r"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default: {
        const char escaped[] = {'\\', 'x', hex[u >> 4], hex[u & 0xf]};
        out.append(escaped, sizeof escaped);
      }
    }
  }
  out.append(bytes.data() + plain, bytes.size() - plain);
}

std::string escape_bytes(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  append_escaped(out, bytes);
  return out;
}

std::string unescape_bytes(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) throw InputError("escape sequence cut off at the end");
    switch (text[i]) {
      case '\\': out += '\\'; break;
      case 'r': out += '\r'; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'e': out += '\x1b'; break;
      case '0': out += '\0'; break;
      case 'x': {
        auto hex = text.substr(i + 1, 2);
        if (hex.size() != 2 || !std::isxdigit(static_cast<unsigned char>(hex[0])) || !std::isxdigit(static_cast<unsigned char>(hex[1])))
          throw InputError(fmt::format("\\x needs two hex digits, got '{}'", hex));
        out += static_cast<char>(std::stoi(std::string(hex), nullptr, 16));
        i += 2;
        break;
      }
      default: throw InputError(fmt::format("unknown escape '\\{}'", text[i]));
    }
  }
  return out;
}

std::optional<CodePoint> decode_utf8(std::string_view text, std::size_t at) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = byte(at);
  std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || at + len > text.size()) return std::nullopt;
  char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(at + k) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(at + k) & 0x3F);
  }
  bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
  bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
  if (overlong || surrogate || cp > 0x10FFFF) return std::nullopt;
  return CodePoint{cp, len};
}

namespace {
bool is_control(const std::optional<CodePoint>& cp) { return !cp || cp->value < 0x20 || (cp->value >= 0x7F && cp->value < 0xA0); }
}  // namespace

bool has_control_characters(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    auto cp = decode_utf8(text, i);
    if (is_control(cp)) return true;
    i += cp->length;
  }
  return false;
}

std::string terminal_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    auto cp = decode_utf8(text, i);
    if (!is_control(cp)) {
      out.append(text.substr(i, cp->length));
      i += cp->length;
      continue;
    }
    std::size_t n = cp ? cp->length : 1;
    out += escape_bytes(text.substr(i, n));
    i += n;
  }
  return out;
}

std::string terminal_lines(std::string_view text) {
  std::string out;
  for (std::size_t at = 0; at <= text.size();) {
    auto nl = text.find('\n', at);
    out += terminal_text(text.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at));
    if (nl == std::string_view::npos) break;
    out += '\n';
    at = nl + 1;
  }
  return out;
}

}  // namespace athil
