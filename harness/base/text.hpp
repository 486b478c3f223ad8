#pragma once
// Small text helpers shared by the readers of scenario files and module logs.
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

}  // namespace athil
