#include "base/regex_program.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace athil::regex {

Program::Program(const Syntax& syntax) : slots_(2 * std::size_t{syntax.groups}) {
  emit(syntax.root);
  emit({.op = Op::match});
  first_ = first_bytes();
  while (code_[prefix_].op == Op::byte) ++prefix_;  // ends at the match, if not before
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
    now_->pcs.clear(), now_->slots.clear();
  }

  bool match(std::vector<std::string>* groups) {
    // The program's plain beginning ("\+CGACT: ") is checked at once, not a thread a byte.
    const std::size_t start = p_.prefix_;
    if (line_.size() < start) return false;
    for (std::size_t at = 0; at < start; ++at)
      if (!p_.sets_[p_.code_[at].x][static_cast<unsigned char>(line_[at])]) return false;
    add(*now_, static_cast<std::uint32_t>(start), start);
    for (std::size_t at = start; at < line_.size() && !now_->pcs.empty(); ++at) {
      next_->pcs.clear(), next_->slots.clear();
      const auto byte = static_cast<unsigned char>(line_[at]);
      for (std::size_t t = 0; t < now_->pcs.size(); ++t) {
        const Instruction& i = p_.code_[now_->pcs[t]];
        if (i.op != Op::byte || !p_.sets_[i.x][byte]) continue;
        std::copy_n(now_->slots.begin() + static_cast<std::ptrdiff_t>(t * p_.slots_), p_.slots_, s_.slots.begin());
        add(*next_, now_->pcs[t] + 1, at + 1);
      }
      std::swap(now_, next_);  // the pointers: moving the vectors reads back what was just written
    }
    for (std::size_t t = 0; t < now_->pcs.size(); ++t) {
      if (p_.code_[now_->pcs[t]].op != Op::match) continue;
      if (groups) fill(groups, now_->slots.begin() + static_cast<std::ptrdiff_t>(t * p_.slots_));
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
    // Each instruction is reached once at a byte and leaves at most one step behind: the
    // stack's size is bounded, and set once.
    if (s_.stack.size() < p_.code_.size()) s_.stack.resize(p_.code_.size());
    follow(to, first, at);
    while (top_ > 0) {
      const Step s = s_.stack[--top_];
      if (s.restore)
        s_.slots[s.slot] = s.value;
      else
        follow(to, s.pc, at);
    }
  }

  // From pc on to an instruction that reads a byte (or the match), leaving on the stack the
  // branches not taken and the saves to undo. (Not a push and pop an instruction: reading back
  // a step just written stalled the processor, half of a short match.)
  void follow(Threads& to, std::uint32_t pc, std::size_t at) {
    while (s_.added_at[pc] != at) {
      s_.added_at[pc] = at;
      const Instruction& i = p_.code_[pc];
      switch (i.op) {
        case Op::jump: pc = i.x; break;
        case Op::split:
          s_.stack[top_++] = {.pc = i.y};
          pc = i.x;
          break;
        case Op::save:
          s_.stack[top_++] = {.restore = true, .slot = i.x, .value = s_.slots[i.x]};
          s_.slots[i.x] = at;
          ++pc;
          break;
        case Op::assert:
          if (!holds(i.assertion, at)) return;
          ++pc;
          break;
        case Op::byte:
        case Op::match:
          to.pcs.push_back(pc);
          to.slots.insert(to.slots.end(), s_.slots.begin(), s_.slots.end());
          return;
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
    Threads threads[2];
  };
  static Scratch& scratch() {
    thread_local Scratch s;
    return s;
  }

  const Program& p_;
  std::string_view line_;
  Scratch& s_;
  std::size_t top_ = 0;  // steps on s_.stack
  Threads* now_ = &s_.threads[0];
  Threads* next_ = &s_.threads[1];
};

bool Program::match(std::string_view line, std::vector<std::string>* groups) const {
  if (!line.empty() && !first_[static_cast<unsigned char>(line.front())]) return false;
  return Run(*this, line).match(groups);
}

}  // namespace athil::regex
