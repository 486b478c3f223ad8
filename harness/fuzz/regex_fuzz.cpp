// libFuzzer target: a whole-line regex and a line ("PATTERN\nLINE"), matched by base/line_regex
// and by std::regex_match. Checked: the same answer and the same groups, whichever matcher
// ran. Patterns and lines are short and hold few open repeats: std::regex itself takes
// exponential time (and stack) on long ones, which is not what is under test.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "base/line_regex.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto cut = input.find('\n');
  if (cut == std::string_view::npos) return 0;
  std::string pattern(input.substr(0, cut)), line(input.substr(cut + 1));
  if (pattern.size() > 64 || line.size() > 32) return 0;
  if (std::count_if(pattern.begin(), pattern.end(), [](char c) { return c == '*' || c == '+' || c == '{'; }) > 4) return 0;
  std::optional<athil::LineRegex> ours;
  try {
    ours.emplace(pattern);
  } catch (const std::regex_error&) {
    return 0;  // refused: std::regex refuses it too, or its matching would take exponential time
  }
  const std::regex theirs(pattern);  // as the LineRegex built it
  std::smatch m;
  bool expected = std::regex_match(line, m, theirs);
  std::vector<std::string> groups;
  if (ours->match(line, &groups) != expected) std::abort();
  if (ours->group_count() != theirs.mark_count()) std::abort();
  if (expected) {
    if (groups.size() + 1 != m.size()) std::abort();
    for (std::size_t g = 0; g < groups.size(); ++g)
      if (groups[g] != m[g + 1].str()) std::abort();
  }
  return 0;
}
