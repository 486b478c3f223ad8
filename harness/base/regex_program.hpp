#pragma once
// A parsed line regex compiled for a Pike VM: every thread of the match advances one byte at a
// time, in ECMAScript's order of preference, so a line takes time proportional to its length
// times the program's size, whatever the pattern. (std::regex backtracks: "(a*)*b" against 24
// a's takes minutes.) The first match in that order gives the groups, as std::regex_match's
// would, except inside a repeated group that can match nothing: a thread that reaches an
// instruction another reached at the same byte stops, so "(a*)*" on "aa" captures "aa" here
// (as ECMAScript says), "" in libstdc++.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/regex_syntax.hpp"

namespace athil::regex {

class Program {
 public:
  // Bounds a match's time and memory: a line of 8 KiB takes at most about 0.15 s (a thread an
  // instruction at every byte), a module's usual line of under 100 bytes a few ms.
  static constexpr std::size_t max_instructions = 5'000;

  // Throws RefusedPattern when the repeats written out need over max_instructions.
  explicit Program(const Syntax& syntax);

  // Whether the whole line matches; when it does and `groups` is given, it holds the groups'
  // texts (group 1 first; "" for one that took no part).
  bool match(std::string_view line, std::vector<std::string>* groups) const;

 private:
  enum class Op : std::uint8_t { byte, split, jump, save, assert, match };
  struct Instruction {
    Op op;
    Assertion assertion = Assertion::line_start;
    std::uint32_t x = 0, y = 0;  // byte: the set; split: preferred, then other; jump: target; save: slot
  };
  class Run;

  std::uint32_t emit(Instruction i);
  ByteSet first_bytes() const;
  void emit(const Node& n);
  void emit_repeat(const Node& n);

  std::vector<Instruction> code_;
  std::vector<ByteSet> sets_;
  std::size_t slots_ = 0;   // two a group: where it starts, where it ends
  ByteSet first_;           // the bytes a line that matches can start with, unless it is empty
  std::size_t prefix_ = 0;  // how many instructions, from the first, each read a byte: no choice among them
};

}  // namespace athil::regex
