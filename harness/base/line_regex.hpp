#pragma once
// A regex matched over a whole line, as std::regex_match (ECMAScript) matches it, in time
// proportional to the line's length whatever the pattern: scenario files are untrusted, and
// std::regex's backtracking takes minutes on some short patterns. base/regex_syntax reads the
// pattern (and says what it refuses), base/regex_program matches it. The patterns scenarios
// mostly hold (characters, classes and greedy quantifiers, with a few groups to capture) run
// first on a small backtracking matcher within a budget of steps, a few times faster. Either
// way a line that does not start as every match must (the pattern's plain first characters,
// or for the VM any byte a match can start with) is turned away first: a URC table tries its
// regexes on every line the module sends.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace athil {

class LineRegex {
 public:
  // Throws std::regex_error (regex::RefusedPattern) saying why and at which character.
  explicit LineRegex(const std::string& pattern);

  // Whether the whole line matches; when it does and `groups` is given, it holds the groups'
  // texts (group 1 first; "" for one that took no part).
  bool match(std::string_view line, std::vector<std::string>* groups = nullptr) const;
  std::size_t group_count() const;
  // Whether the small matcher runs this pattern first (for tests).
  bool fast() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;  // compiled once, never changed: copies share it
};

// The pattern that matches exactly `text`: its special characters escaped.
std::string regex_literal(std::string_view text);

}  // namespace athil
