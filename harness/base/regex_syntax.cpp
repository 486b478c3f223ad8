#include "base/regex_syntax.hpp"

#include <array>
#include <optional>

#include <fmt/format.h>

namespace athil::regex {

namespace {

constexpr unsigned max_groups = 100;
constexpr unsigned max_depth = 50;  // groups in groups: the parser recurses once a level

ByteSet of(bool (*belongs)(unsigned char)) {
  ByteSet s;
  for (unsigned c = 0; c < 256; ++c) s[c] = belongs(static_cast<unsigned char>(c));
  return s;
}

ByteSet single(unsigned char c) {
  ByteSet s;
  s[c] = true;
  return s;
}

// As std::regex_traits<char> classifies in the "C" locale: ASCII only.
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }
bool is_alpha(unsigned char c) { return is_upper(c) || is_lower(c); }
bool is_alnum(unsigned char c) { return is_alpha(c) || is_digit(c); }
bool is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool is_graph(unsigned char c) { return c > ' ' && c < 0x7f; }
bool is_punct(unsigned char c) { return is_graph(c) && !is_alnum(c); }
bool is_xdigit(unsigned char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

const ByteSet digits = of(is_digit), word = of(is_word), space = of(is_space);
const ByteSet any_but_line_end = ~(single('\n') | single('\r'));

// The names "[[:name:]]" may give (C++'s ECMAScript has them; JavaScript's has not).
std::optional<ByteSet> named_class(std::string_view name) {
  struct Named {
    std::string_view name;
    bool (*belongs)(unsigned char);
  };
  static const std::array<Named, 15> names{{{"alnum", is_alnum},
                                            {"alpha", is_alpha},
                                            {"blank", [](unsigned char c) { return c == ' ' || c == '\t'; }},
                                            {"cntrl", [](unsigned char c) { return c < ' ' || c == 0x7f; }},
                                            {"digit", is_digit},
                                            {"d", is_digit},
                                            {"graph", is_graph},
                                            {"lower", is_lower},
                                            {"print", [](unsigned char c) { return is_graph(c) || c == ' '; }},
                                            {"punct", is_punct},
                                            {"space", is_space},
                                            {"s", is_space},
                                            {"upper", is_upper},
                                            {"w", is_word},
                                            {"xdigit", is_xdigit}}};
  for (const auto& n : names)
    if (n.name == name) return of(n.belongs);
  return std::nullopt;
}

// One member of a bracket: a byte (a range may start or end there) or a class.
struct ClassAtom {
  ByteSet set;
  std::optional<unsigned char> byte;
};

class Parser {
 public:
  explicit Parser(std::string_view p) : p_(p) {}

  Syntax parse() {
    if (p_.size() > max_pattern_bytes) throw RefusedPattern(fmt::format("a pattern of {} bytes, over {}", p_.size(), max_pattern_bytes));
    Node root = disjunction(0);
    if (at_ < p_.size()) refuse("a ')' that closes no group");  // the only place a disjunction stops early
    return {.root = std::move(root), .groups = groups_};
  }

 private:
  [[noreturn]] void refuse(std::string_view what) const { refuse_at(what, at_); }
  [[noreturn]] void refuse_at(std::string_view what, std::size_t at) const { throw RefusedPattern(std::string(what), at); }

  char peek(std::size_t ahead = 0) const { return at_ + ahead < p_.size() ? p_[at_ + ahead] : '\0'; }
  bool ahead(std::string_view text) const { return p_.substr(at_).starts_with(text); }

  static Node only_or(Node many) {
    if (many.children.size() != 1) return many;
    Node one = std::move(many.children.front());
    return one;
  }

  Node disjunction(unsigned depth) {
    if (depth > max_depth) refuse(fmt::format("groups nested more than {} deep", max_depth));
    Node any{.kind = Node::Kind::alternation};
    any.children.push_back(alternative(depth));
    while (peek() == '|') ++at_, any.children.push_back(alternative(depth));
    return only_or(std::move(any));
  }

  Node alternative(unsigned depth) {
    Node all{.kind = Node::Kind::sequence};
    while (at_ < p_.size() && peek() != '|' && peek() != ')') all.children.push_back(term(depth));
    return only_or(std::move(all));
  }

  Node term(unsigned depth) {
    if (quantifier_length() > 0) refuse("nothing to repeat");
    if (peek() == '{') refuse("a '{' that starts no repeat count ({n}, {n,} or {n,m}); \\{ is the character");
    if (peek() == '^' || peek() == '$' || ahead("\\b") || ahead("\\B")) {
      const char c = p_[at_];
      at_ += c == '\\' ? 2 : 1;
      const Assertion a = c == '^'             ? Assertion::line_start
                          : c == '$'           ? Assertion::line_end
                          : p_[at_ - 1] == 'b' ? Assertion::word_boundary
                                               : Assertion::not_word_boundary;
      if (quantifier_length() > 0) refuse("nothing to repeat: an assertion matches no character");
      return {.kind = Node::Kind::assertion, .assertion = a};
    }
    return quantified(atom(depth));
  }

  // The length of the quantifier at the current character: * + ? {n} {n,} {n,m}; 0 for none.
  std::size_t quantifier_length() const {
    const char c = peek();
    if (c == '*' || c == '+' || c == '?') return 1;
    if (c != '{') return 0;
    std::size_t i = at_ + 1;
    for (int count = 0; count < 2; ++count) {
      const std::size_t start = i;
      while (i < p_.size() && is_digit(static_cast<unsigned char>(p_[i]))) ++i;
      if (i == start && count == 0) return 0;
      if (count == 1 || i >= p_.size() || p_[i] != ',') break;
      ++i;
    }
    return i < p_.size() && p_[i] == '}' ? i + 1 - at_ : 0;
  }

  unsigned count(std::string_view digits_text) const {
    if (digits_text.size() > 5 || std::stoul(std::string(digits_text)) > max_repeat_count) refuse(fmt::format("a repeat count over {}", max_repeat_count));
    return static_cast<unsigned>(std::stoul(std::string(digits_text)));
  }

  Node quantified(Node atom) {
    const std::size_t length = quantifier_length();
    if (length == 0) return atom;
    Node r{.kind = Node::Kind::repeat};
    const char c = p_[at_];
    if (c == '*') r.min = 0, r.max = unbounded;
    if (c == '+') r.min = 1, r.max = unbounded;
    if (c == '?') r.min = 0, r.max = 1;
    if (c == '{') {
      const std::string_view counts = p_.substr(at_ + 1, length - 2);  // "n", "n," or "n,m"
      const auto comma = counts.find(',');
      r.min = r.max = count(counts.substr(0, comma));
      if (comma != std::string_view::npos) r.max = comma + 1 == counts.size() ? unbounded : count(counts.substr(comma + 1));
      if (r.max < r.min) refuse("a repeat {n,m} with m below n");
    }
    at_ += length;
    if (peek() == '?') ++at_, r.lazy = true;
    if (quantifier_length() > 0) refuse("nothing to repeat: a quantifier on a quantifier");
    r.children.push_back(std::move(atom));
    return r;
  }

  Node atom(unsigned depth) {
    const char c = p_[at_++];
    if (c == '(') return group(depth);
    if (c == '.') return bytes(any_but_line_end);
    if (c == '[') return bytes(bracket());
    if (c == '\\') return bytes(escape().set);
    return bytes(single(static_cast<unsigned char>(c)));  // ']' and '}' too, as std::regex reads them
  }

  static Node bytes(const ByteSet& set) { return {.kind = Node::Kind::bytes, .bytes = set}; }

  Node group(unsigned depth) {
    const std::size_t open = at_ - 1;
    Node g{.kind = Node::Kind::group};
    if (ahead("?:")) {
      at_ += 2;
    } else if (ahead("?=") || ahead("?!")) {
      refuse_at("a lookahead (?= or (?!, which this matcher does not run", open);
    } else if (peek() == '?') {
      refuse_at("a '(?' that starts no group this matcher runs (\"(?:\" does)", open);
    } else {
      if (groups_ == max_groups) refuse(fmt::format("more than {} groups", max_groups));
      g.group = ++groups_;  // numbered by their '(' in order
    }
    g.children.push_back(disjunction(depth + 1));
    if (peek() != ')') refuse_at("a '(' never closed", open);
    ++at_;
    return g;
  }

  ByteSet bracket() {
    const std::size_t open = at_ - 1;
    const bool negated = peek() == '^';
    if (negated) ++at_;
    ByteSet set;
    for (;;) {
      if (at_ >= p_.size()) refuse_at("a '[' never closed", open);
      if (p_[at_] == ']') break;
      const ClassAtom from = class_atom();
      if (peek() != '-' || peek(1) == ']' || at_ + 1 >= p_.size()) {
        set |= from.set;
        continue;
      }
      ++at_;  // '-'
      const ClassAtom to = class_atom();
      if (!from.byte || !to.byte) refuse("a range from or to a class");
      if (*from.byte >= 0x80 || *to.byte >= 0x80) refuse("a range past ASCII (its bytes' order depends on char's sign)");
      if (*from.byte > *to.byte) refuse("a range whose end comes before its start");
      for (unsigned b = *from.byte; b <= *to.byte; ++b) set[b] = true;
    }
    ++at_;  // ']'
    return negated ? ~set : set;
  }

  ClassAtom class_atom() {
    const char c = p_[at_++];
    if (c == '\\') return escape();
    if (c == '[' && (peek() == '.' || peek() == '=')) refuse("a collating element ([. or [=)");
    if (c == '[' && peek() == ':') {
      const auto end = p_.find(":]", at_ + 1);
      if (end == std::string_view::npos) refuse("a '[:' never closed by ':]'");
      const auto set = named_class(p_.substr(at_ + 1, end - at_ - 1));
      if (!set) refuse(fmt::format("an unknown class [:{}:]", p_.substr(at_ + 1, end - at_ - 1)));
      at_ = end + 2;
      return {.set = *set};
    }
    return {.set = single(static_cast<unsigned char>(c)), .byte = static_cast<unsigned char>(c)};
  }

  ClassAtom literal(unsigned char c) const { return {.set = single(c), .byte = c}; }

  // After a backslash (\b and \B outside a bracket are assertions, read by term()).
  ClassAtom escape() {
    const std::size_t backslash = at_ - 1;
    if (at_ >= p_.size()) refuse_at("a pattern ending in a backslash", backslash);
    const char c = p_[at_++];
    switch (c) {
      case 'd': return {.set = digits};
      case 'D': return {.set = ~digits};
      case 'w': return {.set = word};
      case 'W': return {.set = ~word};
      case 's': return {.set = space};
      case 'S': return {.set = ~space};
      case 'f': return literal('\f');
      case 'n': return literal('\n');
      case 'r': return literal('\r');
      case 't': return literal('\t');
      case 'v': return literal('\v');
      case 'b': return literal('\b');  // inside a bracket: a backspace
      case 'x': return literal(hex(2, backslash));
      case 'u': return literal(hex(4, backslash));
      case 'c': refuse_at("a control escape (\\c), which std::regex reads otherwise than ECMAScript", backslash);
      case 'B': refuse_at("\\B inside a bracket", backslash);
      default: break;
    }
    if (c == '0' && !is_digit(static_cast<unsigned char>(peek()))) return literal('\0');
    if (is_digit(static_cast<unsigned char>(c)))
      refuse_at("a back-reference or an octal escape, which this matcher does not run (a line is matched in linear time, which back-references rule out)",
                backslash);
    return literal(static_cast<unsigned char>(c));  // the character itself: "\\+", "\\."
  }

  unsigned char hex(std::size_t digits_wanted, std::size_t backslash) {
    unsigned value = 0;
    for (std::size_t i = 0; i < digits_wanted; ++i, ++at_) {
      const auto d = static_cast<unsigned char>(peek());
      if (!is_xdigit(d)) refuse_at(fmt::format("a \\x or \\u escape without its {} hexadecimal digits", digits_wanted), backslash);
      value = value * 16 + (is_digit(d) ? d - '0' : (d | 0x20) - 'a' + 10);
    }
    if (value > 0xff) refuse_at("a \\u escape past one byte (lines are matched byte by byte)", backslash);
    return static_cast<unsigned char>(value);
  }

  std::string_view p_;
  std::size_t at_ = 0;
  unsigned groups_ = 0;
};

}  // namespace

RefusedPattern::RefusedPattern(std::string reason, std::size_t at)
    : std::regex_error(std::regex_constants::error_complexity),
      reason_(std::move(reason)),
      what_(at == nowhere ? reason_ : fmt::format("{} at character {}", reason_, at + 1)),
      at_(at) {}

Syntax parse(std::string_view pattern) { return Parser(pattern).parse(); }

bool is_word(unsigned char c) { return is_alnum(c) || c == '_'; }

}  // namespace athil::regex
