#include "base/escape.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace athil {

std::string escape_bytes(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (char c : bytes) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\r': out += "\\r"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u >= 0x20 && u < 0x7f) out += c;
        else out += fmt::format("\\x{:02x}", u);
    }
  }
  return out;
}

std::string unescape_bytes(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) throw std::invalid_argument("escape sequence cut off at the end");
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
          throw std::invalid_argument(fmt::format("\\x needs two hex digits, got '{}'", hex));
        out += static_cast<char>(std::stoi(std::string(hex), nullptr, 16));
        i += 2;
        break;
      }
      default: throw std::invalid_argument(fmt::format("unknown escape '\\{}'", text[i]));
    }
  }
  return out;
}

}  // namespace athil
