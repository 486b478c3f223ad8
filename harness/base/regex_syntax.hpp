#pragma once
// A line regex read into a tree, as C++'s ECMAScript grammar (std::regex's default) reads it,
// for the matcher of base/regex_program to run in linear time. What that matcher cannot run
// in linear time (back-references, lookahead) is refused here, with the reason and where.
#include <bitset>
#include <climits>
#include <cstdint>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace athil::regex {

using ByteSet = std::bitset<256>;
constexpr unsigned unbounded = UINT_MAX;
constexpr unsigned max_repeat_count = 10'000;
constexpr std::size_t max_pattern_bytes = 20'000;  // the tree holds a node a character

enum class Assertion : std::uint8_t { line_start, line_end, word_boundary, not_word_boundary };

struct Node {
  enum class Kind : std::uint8_t { bytes, sequence, alternation, group, repeat, assertion };
  Kind kind = Kind::sequence;
  ByteSet bytes;               // bytes: one byte, any of these
  std::vector<Node> children;  // sequence and alternation: in order; group and repeat: the one inside
  unsigned group = 0;          // group: its number, from 1 (0 for "(?:...)")
  unsigned min = 1, max = 1;   // repeat: how many times, max possibly unbounded
  bool lazy = false;           // repeat: as few times as it can first ("*?")
  Assertion assertion = Assertion::line_start;
};

struct Syntax {
  Node root;
  unsigned groups = 0;  // capturing groups
};

// A pattern refused: what() says why, and at which character when one is to blame.
class RefusedPattern final : public std::regex_error {
 public:
  static constexpr std::size_t nowhere = std::string::npos;
  explicit RefusedPattern(std::string reason, std::size_t at = nowhere);
  const char* what() const noexcept override { return what_.c_str(); }
  const std::string& reason() const { return reason_; }
  std::size_t at() const { return at_; }  // from 0, or nowhere

 private:
  std::string reason_, what_;
  std::size_t at_;
};

// Throws RefusedPattern.
Syntax parse(std::string_view pattern);

// What \w matches, and \b looks for on either side: ASCII letters, digits and '_'.
bool is_word(unsigned char c);

}  // namespace athil::regex
