#include "scenario/expr.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace athil::scenario {

struct Expr::Node {
  enum class Kind { variable, literal, compare, logical_and, logical_or, logical_not } kind;
  std::string text;  // variable name, literal (may hold ${..}), or comparison operator
  std::shared_ptr<const Node> left, right;
};

namespace {

using NodePtr = std::shared_ptr<const Expr::Node>;
using Kind = Expr::Node::Kind;

struct Token {
  enum class Type { variable, literal, op, open, close, end } type;
  std::string text;
  std::size_t column;
};

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    std::size_t start = i;
    if (c == '$' && i + 1 < s.size() && s[i + 1] == '{') {
      auto close = Reference::close_of(s, i);
      if (close == std::string_view::npos) throw ExprError(start, "'${' without a closing '}'");
      out.push_back({Token::Type::variable, std::string(s.substr(i + 2, close - i - 2)), start});
      i = close + 1;
    } else if (c == '\'' || c == '"') {
      auto close = s.find(c, i + 1);
      if (close == std::string_view::npos) throw ExprError(start, fmt::format("string opened with {} is not closed", c));
      out.push_back({Token::Type::literal, std::string(s.substr(i + 1, close - i - 1)), start});
      i = close + 1;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || (c == '-' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      ++i;
      while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
      out.push_back({Token::Type::literal, std::string(s.substr(start, i - start)), start});
    } else if (c == '(' || c == ')') {
      out.push_back({c == '(' ? Token::Type::open : Token::Type::close, std::string(1, c), start});
      ++i;
    } else {
      static constexpr std::string_view two[] = {"==", "!=", "<=", ">=", "&&", "||", "^="};
      std::string_view op;
      for (auto candidate : two)
        if (s.substr(i, 2) == candidate) op = candidate;
      if (op.empty() && (c == '<' || c == '>' || c == '!')) op = s.substr(i, 1);
      if (op.empty()) {
        std::size_t end = i;
        while (end < s.size() && (std::isalnum(static_cast<unsigned char>(s[end])) || s[end] == '_')) ++end;
        if (end > i) throw ExprError(start, fmt::format("unquoted word '{}': write strings in quotes, variables as ${{name}}", s.substr(i, end - i)));
        // Operators as other languages (or fingers) write them.
        static constexpr std::pair<std::string_view, std::string_view> meant[] = {{"=>", ">="}, {"=<", "<="}, {"=", "=="}, {"&", "&&"}, {"|", "||"}};
        for (auto [typed, intended] : meant)
          if (s.substr(i, typed.size()) == typed) throw ExprError(start, fmt::format("unexpected character '{}' (did you mean '{}'?)", c, intended));
        throw ExprError(start, fmt::format("unexpected character '{}'", c));
      }
      out.push_back({Token::Type::op, std::string(op), start});
      i += op.size();
    }
  }
  out.push_back({Token::Type::end, "", s.size()});
  return out;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  NodePtr parse() {
    auto node = parse_or();
    if (peek().type != Token::Type::end) throw ExprError(peek().column, fmt::format("unexpected '{}'", peek().text));
    return node;
  }

 private:
  const Token& peek() const { return tokens_[at_]; }
  const Token& next() { return tokens_[at_++]; }
  bool take_op(std::string_view op) {
    if (peek().type == Token::Type::op && peek().text == op) {
      ++at_;
      return true;
    }
    return false;
  }

  NodePtr parse_or() {
    auto left = parse_and();
    while (take_op("||")) left = std::make_shared<Expr::Node>(Expr::Node{Kind::logical_or, "", left, parse_and()});
    return left;
  }
  NodePtr parse_and() {
    auto left = parse_not();
    while (take_op("&&")) left = std::make_shared<Expr::Node>(Expr::Node{Kind::logical_and, "", left, parse_not()});
    return left;
  }
  NodePtr parse_not() {
    if (take_op("!")) return std::make_shared<Expr::Node>(Expr::Node{Kind::logical_not, "", parse_not(), nullptr});
    if (peek().type == Token::Type::open) {
      next();
      auto inner = parse_or();
      if (peek().type != Token::Type::close) throw ExprError(peek().column, "expected ')'");
      next();
      return inner;
    }
    return parse_comparison();
  }
  NodePtr parse_comparison() {
    auto left = parse_operand();
    const Token& op = peek();
    static constexpr std::string_view ops[] = {"==", "!=", "<", "<=", ">", ">=", "^="};
    bool is_cmp = false;
    for (auto candidate : ops) is_cmp = is_cmp || (op.type == Token::Type::op && op.text == candidate);
    if (!is_cmp) throw ExprError(op.column, "expected a comparison (==, !=, <, <=, >, >=, ^=) after the operand");
    next();
    return std::make_shared<Expr::Node>(Expr::Node{Kind::compare, op.text, left, parse_operand()});
  }
  NodePtr parse_operand() {
    const Token& t = next();
    if (t.type == Token::Type::variable) {
      if (t.text.empty() || t.text.rfind(":-", 0) == 0) throw ExprError(t.column, "empty variable name");
      return std::make_shared<Expr::Node>(Expr::Node{Kind::variable, t.text, nullptr, nullptr});
    }
    if (t.type == Token::Type::literal) return std::make_shared<Expr::Node>(Expr::Node{Kind::literal, t.text, nullptr, nullptr});
    if (t.type == Token::Type::end) throw ExprError(t.column, "expression ends where an operand was expected");
    throw ExprError(t.column, fmt::format("expected an operand, found '{}'", t.text));
  }

  std::vector<Token> tokens_;
  std::size_t at_ = 0;
};

std::optional<double> as_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::string operand_value(const Expr::Node& node, const Expr::Lookup& lookup) {
  return node.kind == Kind::variable ? resolve_reference(node.text, lookup) : substitute(node.text, lookup);
}

template <class T>
bool compare(const std::string& op, const T& a, const T& b) {
  if (op == "==") return a == b;
  if (op == "!=") return a != b;
  if (op == "<") return a < b;
  if (op == "<=") return a <= b;
  if (op == ">") return a > b;
  return a >= b;
}

bool eval(const Expr::Node& node, const Expr::Lookup& lookup) {
  switch (node.kind) {
    case Kind::logical_and: return eval(*node.left, lookup) && eval(*node.right, lookup);
    case Kind::logical_or: return eval(*node.left, lookup) || eval(*node.right, lookup);
    case Kind::logical_not: return !eval(*node.left, lookup);
    case Kind::compare: {
      auto a = operand_value(*node.left, lookup);
      auto b = operand_value(*node.right, lookup);
      if (node.text == "^=") return a.compare(0, b.size(), b) == 0;  // starts with: always as text
      auto na = as_number(a), nb = as_number(b);
      if (na && nb) return compare(node.text, *na, *nb);
      return compare(node.text, a, b);
    }
    default: throw std::logic_error("operand evaluated as a condition");
  }
}

}  // namespace

bool is_identifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

Expr Expr::parse(std::string_view source) {
  Expr e;
  e.source_ = std::string(source);
  e.root_ = Parser(tokenize(source)).parse();
  return e;
}

bool Expr::evaluate(const Lookup& lookup) const { return eval(*root_, lookup); }

Reference Reference::parse(std::string_view inside) {
  const auto dash = inside.find(":-");
  if (dash == std::string_view::npos) return {.name = inside};
  return {.name = inside.substr(0, dash), .fallback = inside.substr(dash + 2)};
}

std::size_t Reference::close_of(std::string_view text, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open + 2; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') return std::string_view::npos;
    if (text[i] == '{') ++depth;
    if (text[i] == '}' && depth-- == 0) return i;
  }
  return std::string_view::npos;
}

namespace {
std::string value_of(const Reference& r, const Expr::Lookup& lookup) {
  if (!r.fallback) return lookup(r.name);
  try {
    return lookup(r.name);
  } catch (const UndefinedVariable&) {
    return std::string(*r.fallback);
  }
}
}  // namespace

std::string resolve_reference(std::string_view reference, const Expr::Lookup& lookup) { return value_of(Reference::parse(reference), lookup); }

std::string substitute(std::string_view text, const Expr::Lookup& lookup) {
  std::string out;
  std::size_t done = 0;
  for_each_reference(text, [&](const Reference& r) {
    out.append(text.substr(done, r.begin - done));
    out += value_of(r, lookup);
    done = r.end;
  });
  out.append(text.substr(done));
  return out;
}

}  // namespace athil::scenario
