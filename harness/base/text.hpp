#pragma once
// Small text helpers shared by the readers of scenario files and module logs, and the results store.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace athil {

// Without the blanks (space, tab, CR, LF) at either end.
inline std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// The parts between separators, trimmed, empty ones left out: "a, b,,c" gives a, b and c.
inline std::vector<std::string> split(std::string_view s, char separator) {
  std::vector<std::string> parts;
  for (std::size_t at = 0; at <= s.size();) {
    auto end = std::min(s.find(separator, at), s.size());
    if (auto part = trim(s.substr(at, end - at)); !part.empty()) parts.push_back(std::move(part));
    at = end + 1;
  }
  return parts;
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
