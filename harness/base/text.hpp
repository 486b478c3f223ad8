#pragma once
// Small text helpers shared by the readers of scenario files and module logs.
#include <cstdint>
#include <string>
#include <string_view>

namespace athil {

// Without the blanks (space, tab, CR, LF) at either end.
inline std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// FNV-1a, 64 bits, in hex: tells two texts apart (not a defence against anyone making them collide).
inline std::string content_hash(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) out[static_cast<std::size_t>(i)] = digits[h & 15];
  return out;
}

}  // namespace athil
