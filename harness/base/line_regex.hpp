#pragma once
// A regex matched over a whole line, exactly as std::regex_match (ECMAScript) matches it.
// The patterns scenarios hold are mostly characters, classes and quantifiers, with a few
// groups to capture: those run on a small backtracking matcher, about a tenth of std::regex's
// cost, which is most of an exchange's. Any other pattern (alternation, anchors, nested or
// repeated groups, back-references, lookahead), and a match that backtracks too long, is
// matched by std::regex itself. Either way a line that does not start as every match must
// (the pattern's plain first characters) is turned away first: a URC table tries its regexes
// on every line the module sends.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace athil {

class LineRegex {
 public:
  // Throws std::regex_error for a pattern std::regex refuses, and for two it must not be given:
  // a quantifier on a quantifier ("a**"), which ECMAScript refuses and which backtracks
  // exponentially, and a repeat count over 10,000.
  explicit LineRegex(const std::string& pattern);

  // Whether the whole line matches; when it does and `groups` is given, it holds the groups'
  // texts (group 1 first).
  bool match(std::string_view line, std::vector<std::string>* groups = nullptr) const;
  std::size_t group_count() const;
  // Whether the small matcher runs this pattern (for tests).
  bool fast() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;  // compiled once, never changed: copies share it
};

}  // namespace athil
