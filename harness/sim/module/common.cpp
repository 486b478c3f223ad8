#include "sim/module/common.hpp"

#include <algorithm>
#include <cctype>

namespace athil::sim {

std::vector<std::string> split_args(std::string_view args) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (char c : args) {
    if (c == '"')
      quoted = !quoted;
    else if (c == ',' && !quoted)
      out.emplace_back();
    else
      out.back() += c;
  }
  if (args.empty()) out.clear();
  return out;
}

std::optional<int> to_int(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::optional<int> int_arg(const std::vector<std::string>& args, std::size_t i) { return i < args.size() ? to_int(args[i]) : std::nullopt; }

}  // namespace athil::sim
