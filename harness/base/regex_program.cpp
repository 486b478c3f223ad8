#include "base/regex_program.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace athil::regex {

Program::Program(const Syntax& syntax) : slots_(2 * std::size_t{syntax.groups}) {
  emit(syntax.root);
  emit({.op = Op::match});
  first_ = first_bytes();
}

// What the instructions reachable before a byte is read accept (an assertion counted as
// holding). An alternation has no plain first characters for LineRegex's lead to check, yet most
// lines a `<forbid regex="ERROR|...">` is tried on start with none of its first bytes.
ByteSet Program::first_bytes() const {
  ByteSet out;
  std::vector<bool> seen(code_.size());
  std::vector<std::uint32_t> todo{0};
  while (!todo.empty()) {
    const std::uint32_t pc = todo.back();
    todo.pop_back();
    if (seen[pc]) continue;
    seen[pc] = true;
    const Instruction& i = code_[pc];
    switch (i.op) {
      case Op::byte: out |= sets_[i.x]; break;
      case Op::split: todo.push_back(i.y), todo.push_back(i.x); break;
      case Op::jump: todo.push_back(i.x); break;
      case Op::save:
      case Op::assert: todo.push_back(pc + 1); break;
      case Op::match: break;
    }
  }
  return out;
}

std::uint32_t Program::emit(Instruction i) {
  if (code_.size() >= max_instructions)
    throw RefusedPattern(
        fmt::format("a pattern whose repeats, written out, take over {} steps: repeat fewer times, or match less of the line", max_instructions));
  code_.push_back(i);
  return static_cast<std::uint32_t>(code_.size() - 1);
}

void Program::emit(const Node& n) {
  const auto here = [this] { return static_cast<std::uint32_t>(code_.size()); };
  switch (n.kind) {
    case Node::Kind::bytes:
      sets_.push_back(n.bytes);
      emit({.op = Op::byte, .x = static_cast<std::uint32_t>(sets_.size() - 1)});
      break;
    case Node::Kind::sequence:
      for (const Node& c : n.children) emit(c);
      break;
    case Node::Kind::alternation: {
      std::vector<std::uint32_t> to_end;
      for (std::size_t i = 0; i + 1 < n.children.size(); ++i) {
        const std::uint32_t split = emit({.op = Op::split});
        code_[split].x = here();
        emit(n.children[i]);
        to_end.push_back(emit({.op = Op::jump}));
        code_[split].y = here();
      }
      emit(n.children.back());
      for (std::uint32_t j : to_end) code_[j].x = here();
      break;
    }
    case Node::Kind::group:
      if (n.group > 0) emit({.op = Op::save, .x = 2 * (n.group - 1)});
      emit(n.children.front());
      if (n.group > 0) emit({.op = Op::save, .x = 2 * (n.group - 1) + 1});
      break;
    case Node::Kind::repeat: emit_repeat(n); break;
    case Node::Kind::assertion: emit({.op = Op::assert, .assertion = n.assertion}); break;
  }
}

// x{2,4} is x x (x (x)?)?, x{2,} is x x x*: each optional pass a split between going in and
// going on, in the order the quantifier prefers (greedy: in first).
void Program::emit_repeat(const Node& n) {
  const Node& body = n.children.front();
  for (unsigned i = 0; i < n.min; ++i) emit(body);
  const auto prefer = [&](std::uint32_t split, std::uint32_t out) {
    code_[split].x = n.lazy ? out : split + 1;
    code_[split].y = n.lazy ? split + 1 : out;
  };
  if (n.max == unbounded) {
    const std::uint32_t loop = emit({.op = Op::split});
    emit(body);
    emit({.op = Op::jump, .x = loop});
    prefer(loop, static_cast<std::uint32_t>(code_.size()));
    return;
  }
  std::vector<std::uint32_t> splits;
  for (unsigned i = n.min; i < n.max; ++i) {
    splits.push_back(emit({.op = Op::split}));
    emit(body);
  }
  for (std::uint32_t s : splits) prefer(s, static_cast<std::uint32_t>(code_.size()));
}

// One match of one line: the threads at the current byte, in order of preference, each an
// instruction that reads a byte (or the match) and the group slots it got there with.
class Program::Run {
 public:
  Run(const Program& program, std::string_view line) : p_(program), line_(line), s_(scratch()) {
    s_.added_at.assign(p_.code_.size(), none);
    s_.slots.assign(p_.slots_, none);
    s_.now.pcs.clear(), s_.now.slots.clear();
  }

  bool match(std::vector<std::string>* groups) {
    add(s_.now, 0, 0);
    for (std::size_t at = 0; at < line_.size() && !s_.now.pcs.empty(); ++at) {
      s_.next.pcs.clear(), s_.next.slots.clear();
      const auto byte = static_cast<unsigned char>(line_[at]);
      for (std::size_t t = 0; t < s_.now.pcs.size(); ++t) {
        const Instruction& i = p_.code_[s_.now.pcs[t]];
        if (i.op != Op::byte || !p_.sets_[i.x][byte]) continue;
        std::copy_n(s_.now.slots.begin() + static_cast<std::ptrdiff_t>(t * p_.slots_), p_.slots_, s_.slots.begin());
        add(s_.next, s_.now.pcs[t] + 1, at + 1);
      }
      std::swap(s_.now, s_.next);
    }
    for (std::size_t t = 0; t < s_.now.pcs.size(); ++t) {
      if (p_.code_[s_.now.pcs[t]].op != Op::match) continue;
      if (groups) fill(groups, s_.now.slots.begin() + static_cast<std::ptrdiff_t>(t * p_.slots_));
      return true;
    }
    return false;
  }

 private:
  static constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
  struct Threads {
    std::vector<std::uint32_t> pcs;
    std::vector<std::size_t> slots;  // p_.slots_ a thread
  };
  struct Step {
    std::uint32_t pc = 0;
    bool restore = false;  // instead: put `value` back into `slot`, as it was before a save
    std::uint32_t slot = 0;
    std::size_t value = 0;
  };

  // Follows every jump, split, save and assertion from pc, depth first in order of
  // preference; an instruction reached a second time at this byte is dropped (a more
  // preferred thread is there already, and whatever it goes on to, this one would too).
  void add(Threads& to, std::uint32_t first, std::size_t at) {
    s_.stack.push_back({.pc = first});
    while (!s_.stack.empty()) {
      const Step s = s_.stack.back();
      s_.stack.pop_back();
      if (s.restore) {
        s_.slots[s.slot] = s.value;
        continue;
      }
      if (s_.added_at[s.pc] == at) continue;
      s_.added_at[s.pc] = at;
      const Instruction& i = p_.code_[s.pc];
      switch (i.op) {
        case Op::jump: s_.stack.push_back({.pc = i.x}); break;
        case Op::split:
          s_.stack.push_back({.pc = i.y});
          s_.stack.push_back({.pc = i.x});
          break;
        case Op::save:
          s_.stack.push_back({.restore = true, .slot = i.x, .value = s_.slots[i.x]});
          s_.slots[i.x] = at;
          s_.stack.push_back({.pc = s.pc + 1});
          break;
        case Op::assert:
          if (holds(i.assertion, at)) s_.stack.push_back({.pc = s.pc + 1});
          break;
        case Op::byte:
        case Op::match:
          to.pcs.push_back(s.pc);
          to.slots.insert(to.slots.end(), s_.slots.begin(), s_.slots.end());
          break;
      }
    }
  }

  bool holds(Assertion a, std::size_t at) const {
    const bool word_before = at > 0 && is_word(static_cast<unsigned char>(line_[at - 1]));
    const bool word_after = at < line_.size() && is_word(static_cast<unsigned char>(line_[at]));
    switch (a) {
      case Assertion::line_start: return at == 0;
      case Assertion::line_end: return at == line_.size();
      case Assertion::word_boundary: return word_before != word_after;
      case Assertion::not_word_boundary: return word_before == word_after;
    }
    return false;
  }

  void fill(std::vector<std::string>* groups, std::vector<std::size_t>::const_iterator slots) const {
    groups->clear();
    for (std::size_t g = 0; g < p_.slots_; g += 2) {
      const std::size_t begin = slots[static_cast<std::ptrdiff_t>(g)], end = slots[static_cast<std::ptrdiff_t>(g + 1)];
      groups->emplace_back(end == none ? std::string_view() : line_.substr(begin, end - begin));  // a group ends after it starts
    }
  }

  // A match's memory, kept for the thread's next match: most lines are matched in a
  // microsecond, which allocating it each time would double.
  struct Scratch {
    std::vector<std::size_t> added_at;  // per instruction: the byte it was last added at
    std::vector<std::size_t> slots;     // the thread being followed
    std::vector<Step> stack;
    Threads now, next;
  };
  static Scratch& scratch() {
    thread_local Scratch s;
    return s;
  }

  const Program& p_;
  std::string_view line_;
  Scratch& s_;
};

bool Program::match(std::string_view line, std::vector<std::string>* groups) const {
  if (!line.empty() && !first_[static_cast<unsigned char>(line.front())]) return false;
  return Run(*this, line).match(groups);
}

}  // namespace athil::regex
