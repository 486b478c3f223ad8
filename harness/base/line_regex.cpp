#include "base/line_regex.hpp"

#include <bitset>
#include <cctype>
#include <limits>
#include <optional>
#include <regex>
#include <string>

namespace athil {

namespace {

using CharSet = std::bitset<256>;
constexpr unsigned unbounded = std::numeric_limits<unsigned>::max();

// A pattern refused before std::regex sees it, with the reason as its what().
class RefusedPattern final : public std::regex_error {
 public:
  explicit RefusedPattern(std::string why) : std::regex_error(std::regex_constants::error_badrepeat), why_(std::move(why)) {}
  const char* what() const noexcept override { return why_.c_str(); }

 private:
  std::string why_;
};

constexpr unsigned max_repeat_count = 10'000;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The length of the brace quantifier {n}, {n,} or {n,m} at p[at] (0 when there is none: then
// the brace is a character), its counts checked: libstdc++ reads a count into an int that
// overflows, and unrolls a repeat into that many states.
std::size_t brace_quantifier(std::string_view p, std::size_t at) {
  std::size_t i = at + 1;
  for (int count = 0; count < 2; ++count) {
    std::size_t start = i;
    while (i < p.size() && is_digit(p[i])) ++i;
    if (i == start && count == 0) return 0;
    if (i - start > 5 || (i > start && std::stoul(std::string(p.substr(start, i - start))) > max_repeat_count))
      throw RefusedPattern("a repeat count over " + std::to_string(max_repeat_count));
    if (count == 0 && i < p.size() && p[i] == ',')
      ++i;
    else
      break;
  }
  return i < p.size() && p[i] == '}' ? i + 1 - at : 0;
}

bool is_punctuation(char c) { return std::ispunct(static_cast<unsigned char>(c)) && c != '_'; }  // '\\w' matches '_'

// The character a group's body starts or ends with, taken literally ("," or "\\."), where it is
// punctuation and not quantified; 0 when there is none.
char separator(std::string_view body) {
  std::size_t next = body[0] == '\\' ? 2 : 1;
  char first = body[next - 1];
  bool special = std::string_view("^$.|?*+()[]{}").find(first) != std::string_view::npos;
  if (next < body.size() && is_punctuation(first) && (next == 2 || !special) && std::string_view("*+?{").find(body[next]) == std::string_view::npos)
    return first;
  char last = body.back();
  bool escaped = body[body.size() - 2] == '\\';
  special = std::string_view("^$.|?*+()[]{}\\").find(last) != std::string_view::npos;
  return is_punctuation(last) && (escaped || !special) ? last : 0;
}

// Whether a repeated group's body (what its parentheses hold) matches a text one way only, as
// far as a quick look can tell: it holds no quantifier and no alternation, or it starts or
// ends with a separator, a punctuation mark nothing else in it can match ("(,\\d+)*",
// "(\\d+,)*", "(\\.\\d{1,3}){3}"). What fails this is how std::regex's backtracking goes
// exponential: "(a+)+b" and "(a|a)*b" against a line of a's.
bool one_way(std::string_view body) {
  if (body.rfind("?:", 0) == 0) body.remove_prefix(2);
  bool choices = false, alternation = false, in_class = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\\')
      ++i;
    else if (in_class)
      in_class = body[i] != ']';
    else if (body[i] == '[')
      in_class = true;
    else
      choices |= std::string_view("*+?{|").find(body[i]) != std::string_view::npos, alternation |= body[i] == '|';
  }
  if (!choices) return true;
  if (alternation || body.size() < 3) return false;
  const char sep = separator(body);
  if (sep == 0) return false;
  // Nothing but the separator itself may match it: no wildcard, no negated set or class, no set
  // that holds it (listed, escaped, in a range, or in a named class).
  in_class = false;
  for (std::size_t i = 0; i + 1 < body.size(); ++i) {
    const char c = body[i], next = body[i + 1];
    if (c == '\\') {
      if (std::string_view("DWS").find(next) != std::string_view::npos || (in_class && next == sep)) return false;
      ++i;
    } else if (in_class) {
      if (c == sep || (c == '[' && next == ':') || (c == '-' && body[i - 1] != '[' && next != ']' && body[i - 1] <= sep && sep <= next)) return false;
      in_class = c != ']';
    } else if (c == '[') {
      if (next == '^') return false;
      in_class = true;
    } else if (c == '.') {
      return false;
    }
  }
  return body.back() != '.' || body[body.size() - 2] == '\\';
}

// Whether the quantifier at p[at] (of `length` characters) may repeat what it follows more than once.
bool repeats(std::string_view p, std::size_t at, std::size_t length) {
  if (p[at] == '?') return false;
  if (p[at] != '{') return true;
  const std::string counts(p.substr(at + 1, length - 2));  // "n", "n," or "n,m"
  const auto comma = counts.find(',');
  if (comma == std::string::npos) return std::stoul(counts) > 1;
  return comma + 1 == counts.size() || std::stoul(counts.substr(comma + 1)) > 1;
}

// What std::regex must not be given, for the time its backtracking would take:
// - a quantifier on a quantifier ("a**", "a+{2}"), an error in ECMAScript ("nothing to
//   repeat") that libstdc++ lets through: a line of twenty characters takes a minute;
// - a repeated group that can match the same text in more than one way (one_way);
// - a repeat count over max_repeat_count (brace_quantifier), a brace that starts none, and a
//   back-reference of three digits or more.
// A lazy mark ("a*?") is allowed.
void refuse_unsafe(std::string_view p) {
  enum { none, quantified, lazy } last = none;
  bool in_class = false;
  std::vector<std::size_t> open;  // where each group not yet closed starts
  std::string_view group;         // the body of the group that just closed
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\') {
      // libstdc++ reads a back-reference's number, as a repeat count, into an int that overflows.
      std::size_t digits = 0;
      while (i + 1 + digits < p.size() && is_digit(p[i + 1 + digits])) ++digits;
      if (digits > 2 && p[i + 1] != '0') throw RefusedPattern("a back-reference past group 99 at character " + std::to_string(i + 1));
      ++i, last = none, group = {};
      continue;
    }
    if (in_class) {
      in_class = c != ']';
      continue;
    }
    std::size_t length = c == '*' || c == '+' || c == '?' ? 1 : c == '{' ? brace_quantifier(p, i) : 0;
    // As ECMAScript in libstdc++ reads it, a brace always starts a repeat count (a byte past
    // ASCII inside one is read as a digit, into the same overflowing int).
    if (c == '{' && length == 0)
      throw RefusedPattern("a '{' that starts no repeat count ({n}, {n,} or {n,m}) at character " + std::to_string(i + 1) + "; \\{ is the character");
    if (length == 0) {
      if (c == '(') open.push_back(i);
      group = c == ')' && !open.empty() ? p.substr(open.back() + 1, i - open.back() - 1) : std::string_view();
      if (c == ')' && !open.empty()) open.pop_back();
      in_class = c == '[', last = none;
      continue;
    }
    if (c == '?' && last == quantified) {
      last = lazy;
      continue;
    }
    if (last != none) throw RefusedPattern("nothing to repeat at character " + std::to_string(i + 1) + ": a quantifier on a quantifier");
    if (group.data() && repeats(p, i, length) && !one_way(group))
      throw RefusedPattern("the repeated group (" + std::string(group) +
                           ") can match the same text in more than one way, which takes exponential time; "
                           "start or end it with a separator, as in (,\\d+)*");
    last = quantified, group = {};
    i += length - 1;
  }
}

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
  refuse_unsafe(pattern);
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
