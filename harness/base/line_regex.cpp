#include "base/line_regex.hpp"

#include <bitset>
#include <limits>
#include <optional>
#include <regex>

namespace athil {

namespace {

using CharSet = std::bitset<256>;
constexpr unsigned unbounded = std::numeric_limits<unsigned>::max();

// One character class repeated min to max times, greedily.
struct Item {
  CharSet set;
  unsigned min = 1, max = 1;
};

// A capture group spans items [first, last): groups here neither nest nor repeat.
struct Group {
  std::size_t first, last;
};

struct Program {
  std::vector<Item> items;
  std::vector<Group> groups;
};

CharSet of(bool (*belongs)(unsigned char)) {
  CharSet s;
  for (unsigned c = 0; c < 256; ++c) s[c] = belongs(static_cast<unsigned char>(c));
  return s;
}

// As std::regex_traits<char> classifies in the "C" locale.
const CharSet digits = of([](unsigned char c) { return c >= '0' && c <= '9'; });
const CharSet word = of([](unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; });
const CharSet space = of([](unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); });
const CharSet any_but_line_end = of([](unsigned char c) { return c != '\n' && c != '\r'; });

bool is_punct(unsigned char c) { return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~'); }
bool is_alnum(unsigned char c) { return digits[c] || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Reads the subset the small matcher runs; nullopt for anything else.
class Parser {
 public:
  explicit Parser(std::string_view p) : p_(p) {}

  // The classes every match starts with, a character each, as far as the pattern is that plain
  // (the whole of it holds no alternation outside a group): a line that does not start so
  // cannot match, whatever the rest of the pattern is.
  std::vector<CharSet> lead() {
    std::vector<CharSet> out;
    if (alternates_outside_groups()) return out;
    while (at_ < p_.size()) {
      char c = p_[at_++];
      if (c == '(' || c == ')' || c == '*' || c == '+' || c == '?' || c == '{') break;
      auto set = atom(c);
      if (!set || peek() == '*' || peek() == '+' || peek() == '?' || peek() == '{') break;
      out.push_back(*set);
    }
    return out;
  }

  std::optional<Program> parse() {
    constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
    std::size_t open = none;    // where the group being read began
    bool quantifiable = false;  // the last thing read was a character class
    while (at_ < p_.size()) {
      char c = p_[at_++];
      if (c == '(') {
        if (open != none || peek() == '?') return std::nullopt;
        open = out_.items.size(), quantifiable = false;
      } else if (c == ')') {
        if (open == none) return std::nullopt;
        out_.groups.push_back({open, out_.items.size()});
        open = none, quantifiable = false;
        if (peek() == '*' || peek() == '+' || peek() == '?' || peek() == '{') return std::nullopt;
      } else if (c == '*' || c == '+' || c == '?' || c == '{') {
        if (!quantifiable || !quantifier(c)) return std::nullopt;
        quantifiable = false;
      } else {
        auto set = atom(c);
        if (!set) return std::nullopt;
        out_.items.push_back({.set = *set});
        quantifiable = true;
      }
    }
    if (open != none) return std::nullopt;
    return std::move(out_);
  }

 private:
  char peek() const { return at_ < p_.size() ? p_[at_] : '\0'; }

  // A '|' outside every group and bracket; true too for a bracket that may be read more than
  // one way ("[]" and "[^]"), where no lead is safe.
  bool alternates_outside_groups() const {
    int depth = 0;
    for (std::size_t i = 0; i < p_.size(); ++i) {
      char c = p_[i];
      if (c == '\\') {
        ++i;
      } else if (c == '[') {
        if (p_.substr(i).starts_with("[]") || p_.substr(i).starts_with("[^]")) return true;
        for (++i; i < p_.size() && p_[i] != ']'; ++i)
          if (p_[i] == '\\') ++i;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')') {
        --depth;
      } else if (c == '|' && depth <= 0) {
        return true;
      }
    }
    return false;
  }

  std::optional<CharSet> atom(char c) {
    switch (c) {
      case '.': return any_but_line_end;
      case '[': return bracket();
      case '\\': return escape();
      case '|':
      case '^':
      case '$':
      case ']':
      case '}': return std::nullopt;
      default: return single(c);
    }
  }

  static CharSet single(char c) {
    CharSet s;
    s[static_cast<unsigned char>(c)] = true;
    return s;
  }

  // After a backslash: \d \w \s, their complements \D \W \S, or a punctuation character
  // taken literally.
  std::optional<CharSet> escape() {
    if (at_ == p_.size()) return std::nullopt;
    auto c = static_cast<unsigned char>(p_[at_++]);
    switch (c) {
      case 'd': return digits;
      case 'w': return word;
      case 's': return space;
      case 'D': return ~digits;
      case 'W': return ~word;
      case 'S': return ~space;
      default: return is_punct(c) ? std::optional(single(static_cast<char>(c))) : std::nullopt;
    }
  }

  // [...]: characters, ranges of letters or digits, \d \w \s and their complements ("[\s\S]":
  // any byte); '-' first or last.
  std::optional<CharSet> bracket() {
    bool negated = peek() == '^';
    if (negated) ++at_;
    if (peek() == ']') return std::nullopt;  // "[]" and "[]a]" read differently by dialect
    CharSet set;
    bool first = true;
    while (at_ < p_.size() && p_[at_] != ']') {
      char c = p_[at_++];
      if (c == '[') return std::nullopt;  // [:alpha:] and the like
      if (c == '\\') {
        auto s = escape();
        if (!s) return std::nullopt;
        set |= *s;
      } else if (c == '-' && !first && peek() != ']') {
        return std::nullopt;  // a range after a class, or "a-b-c"
      } else if (peek() == '-' && at_ + 1 < p_.size() && p_[at_ + 1] != ']') {
        auto lo = static_cast<unsigned char>(c), hi = static_cast<unsigned char>(p_[at_ + 1]);
        if (!is_alnum(lo) || !is_alnum(hi) || lo > hi) return std::nullopt;
        for (unsigned k = lo; k <= hi; ++k) set[k] = true;
        at_ += 2;
      } else {
        set[static_cast<unsigned char>(c)] = true;
      }
      first = false;
    }
    if (at_ == p_.size()) return std::nullopt;
    ++at_;  // ']'
    return negated ? ~set : set;
  }

  std::optional<unsigned> number() {
    unsigned n = 0;
    std::size_t start = at_;
    while (at_ < p_.size() && digits[static_cast<unsigned char>(p_[at_])] && n <= 1000) n = n * 10 + static_cast<unsigned>(p_[at_++] - '0');
    if (at_ == start || n > 1000) return std::nullopt;
    return n;
  }

  // * + ? {n} {n,} {n,m}, greedy; a lazy one ("*?") is left to std::regex: its groups differ.
  bool quantifier(char c) {
    Item& item = out_.items.back();
    if (c == '*') item.min = 0, item.max = unbounded;
    if (c == '+') item.min = 1, item.max = unbounded;
    if (c == '?') item.min = 0, item.max = 1;
    if (c == '{') {
      auto n = number();
      if (!n) return false;
      item.min = item.max = *n;
      if (peek() == ',') {
        ++at_;
        item.max = unbounded;
        if (peek() != '}') {
          auto m = number();
          if (!m || *m < *n) return false;
          item.max = *m;
        }
      }
      if (peek() != '}') return false;
      ++at_;
    }
    return peek() != '?' && peek() != '*' && peek() != '+' && peek() != '{';
  }

  std::string_view p_;
  std::size_t at_ = 0;
  Program out_;
};

// Depth-first, each item taking as many characters as it can first: the order in which
// ECMAScript tries them, so the first whole-line match has std::regex's groups.
class Run {
 public:
  Run(const Program& program, std::string_view line) : prog_(program), line_(line), spans_(program.groups.size()) {}

  // nullopt: gave up after its budget of steps (a pattern that backtracks on this line).
  std::optional<bool> match() {
    try {
      return from(0, 0);
    } catch (const GaveUp&) {
      return std::nullopt;
    }
  }

  void groups(std::vector<std::string>& out) const {
    out.clear();
    for (auto [begin, end] : spans_) out.emplace_back(line_.substr(begin, end - begin));
  }

 private:
  struct GaveUp {};

  bool from(std::size_t i, std::size_t at) {
    for (;; ++i) {
      if (++steps_ > budget_) throw GaveUp{};
      for (std::size_t g = 0; g < prog_.groups.size(); ++g) {
        if (prog_.groups[g].first == i) spans_[g].first = at;
        if (prog_.groups[g].last == i) spans_[g].second = at;
      }
      if (i == prog_.items.size()) return at == line_.size();
      const Item& item = prog_.items[i];
      std::size_t most = std::min<std::size_t>(item.max, line_.size() - at), n = 0;
      while (n < most && item.set[static_cast<unsigned char>(line_[at + n])]) ++n;
      if (n < item.min) return false;
      if (item.min == item.max) {  // nothing to go back to
        at += n;
        continue;
      }
      for (;; --n) {
        if (from(i + 1, at + n)) return true;
        if (n == item.min) return false;
      }
    }
  }

  const Program& prog_;
  std::string_view line_;
  std::vector<std::pair<std::size_t, std::size_t>> spans_;
  std::size_t steps_ = 0;
  const std::size_t budget_ = 1024 + 16 * line_.size() * (prog_.items.size() + 1);
};

}  // namespace

struct LineRegex::Impl {
  std::regex full;
  std::optional<Program> simple;
  std::vector<CharSet> lead;  // what every matching line starts with, a character each
};

LineRegex::LineRegex(const std::string& pattern) {
  auto impl = std::make_shared<Impl>(Impl{.full = std::regex(pattern), .simple = Parser(pattern).parse(), .lead = Parser(pattern).lead()});
  // A pattern std::regex reads with other groups than the small parser: std::regex decides.
  if (impl->simple && impl->simple->groups.size() != impl->full.mark_count()) impl->simple.reset();
  impl_ = std::move(impl);
}

bool LineRegex::match(std::string_view line, std::vector<std::string>* groups) const {
  // Most lines a URC regex is tried on differ in their first characters: no matcher for those.
  if (line.size() < impl_->lead.size()) return false;
  for (std::size_t i = 0; i < impl_->lead.size(); ++i)
    if (!impl_->lead[i][static_cast<unsigned char>(line[i])]) return false;
  if (impl_->simple) {
    Run run(*impl_->simple, line);
    if (auto matched = run.match()) {
      if (*matched && groups) run.groups(*groups);
      return *matched;
    }
  }
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_match(line.begin(), line.end(), m, impl_->full)) return false;
  if (groups) {
    groups->clear();
    for (std::size_t i = 1; i < m.size(); ++i) groups->push_back(m[i].str());
  }
  return true;
}

std::size_t LineRegex::group_count() const { return impl_->full.mark_count(); }

bool LineRegex::fast() const { return impl_->simple.has_value(); }

}  // namespace athil
