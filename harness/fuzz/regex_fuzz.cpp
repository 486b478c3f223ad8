// libFuzzer target: a whole-line regex and a line ("PATTERN\nLINE"), matched by base/line_regex
// and by std::regex_match. Checked: the same answer and the same groups, whichever of
// line_regex's matchers ran; a pattern line_regex accepts, std::regex accepts too. Where a
// repeated group can match nothing, only the answer is compared: libstdc++ lets such a pass
// count, ECMAScript and line_regex do not. Patterns and lines are short and hold few open
// repeats, fewer still where a group repeats: std::regex itself backtracks, and takes
// exponential time (and stack) where line_regex does not.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "base/line_regex.hpp"

namespace {

// Whether some group followed by a quantifier can match the empty line, as std::regex reads it.
bool repeats_what_can_be_empty(std::string_view p) {
  std::vector<std::size_t> open;
  bool in_class = false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\') {
      ++i;
    } else if (in_class) {
      in_class = p[i] != ']';
    } else if (p[i] == '[') {
      if (i + 1 < p.size() && p[i + 1] == '^') ++i;
      in_class = i + 1 == p.size() || p[i + 1] != ']';  // "[]" and "[^]" end where they start
      if (!in_class) ++i;
    } else if (p[i] == '(') {
      open.push_back(i);
    } else if (p[i] == ')' && !open.empty()) {
      std::string body(p.substr(open.back() + 1, i - open.back() - 1));
      open.pop_back();
      if (i + 1 == p.size() || std::string_view("*+?{").find(p[i + 1]) == std::string_view::npos) continue;
      if (body.starts_with("?:")) body.erase(0, 2);
      try {
        if (std::regex_match("", std::regex(body))) return true;
      } catch (const std::regex_error&) {
        return true;  // a body that reads differently alone (a back-reference): compare nothing more
      }
    }
  }
  return false;
}

// Whether a count in braces, its least or its most, is above 4 ("{5}", "{3,316}"): either
// makes std::regex try that many passes of what it repeats.
bool has_big_count(std::string_view pattern) {
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '{') continue;
    std::size_t digits = 0;
    for (std::size_t j = i + 1; j < pattern.size() && pattern[j] != '}'; ++j) {
      if (!std::isdigit(static_cast<unsigned char>(pattern[j]))) {
        digits = 0;
        continue;
      }
      if (++digits > 1 || pattern[j] > '4') return true;
    }
  }
  return false;
}

// Whether std::regex, the oracle, could take long: it backtracks through every way a repeated
// group can match, so such patterns get short lines, few alternatives and small counts.
bool too_slow_for_std_regex(std::string_view pattern, std::string_view line) {
  if (std::count_if(pattern.begin(), pattern.end(), [](char c) { return c == '*' || c == '+' || c == '{'; }) > 4) return true;
  int repeated_groups = 0;
  for (std::size_t i = 1; i < pattern.size(); ++i)
    repeated_groups += pattern[i - 1] == ')' && std::string_view("*+?{").find(pattern[i]) != std::string_view::npos;
  if (repeated_groups == 0) return false;
  return line.size() > 8 || repeated_groups > 2 || has_big_count(pattern) || std::count(pattern.begin(), pattern.end(), '|') > 3;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto cut = input.find('\n');
  if (cut == std::string_view::npos) return 0;
  std::string pattern(input.substr(0, cut)), line(input.substr(cut + 1));
  if (pattern.size() > 64 || line.size() > 32 || too_slow_for_std_regex(pattern, line)) return 0;
  std::optional<athil::LineRegex> ours;
  try {
    ours.emplace(pattern);
  } catch (const std::regex_error&) {
    return 0;  // refused: what std::regex refuses, and what cannot be matched in linear time
  }
  const std::regex theirs(pattern);  // throws (and so fails) for a pattern std::regex refuses
  std::smatch m;
  bool expected = std::regex_match(line, m, theirs);
  std::vector<std::string> groups;
  if (ours->match(line, &groups) != expected) std::abort();
  if (ours->group_count() != theirs.mark_count()) std::abort();
  if (expected && !repeats_what_can_be_empty(pattern)) {
    if (groups.size() + 1 != m.size()) std::abort();
    for (std::size_t g = 0; g < groups.size(); ++g)
      if (groups[g] != m[g + 1].str()) std::abort();
  }
  return 0;
}
