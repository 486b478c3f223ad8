#pragma once
// The expression language of <check expr> and <repeat until>:
//   ${code} == 200 && ${rev} != 'B02'
// Operands: ${variables} (${name:-default} when it may be undefined), numbers, 'quoted' or "quoted" strings (which may hold ${variables}).
// Operators: == != < <= > >= ^= (starts with) && || ! and parentheses. Two operands that both
// read as numbers compare as numbers, otherwise as strings; ^= always compares text.
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace athil::scenario {

class Expr {
 public:
  struct Node;
  // Looks a variable up; throws when it is not defined.
  using Lookup = std::function<std::string(std::string_view name)>;

  // Throws ExprError with the 0-based column of the problem.
  static Expr parse(std::string_view source);
  bool evaluate(const Lookup& lookup) const;
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::shared_ptr<const Node> root_;
};

struct ExprError : std::runtime_error {
  ExprError(std::size_t column_, const std::string& message) : std::runtime_error(message), column(column_) {}
  std::size_t column;
};

// What a lookup throws for a name it does not know: `message` is the whole sentence.
struct UndefinedVariable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A ${name} or ${name:-default} in a text; the one reader of that syntax.
struct Reference {
  std::size_t begin = 0, end = 0;  // from its "${" to just past its "}"
  std::string_view name;
  std::optional<std::string_view> fallback;  // the default, when one is written

  // "name" or "name:-default", as written between the braces.
  static Reference parse(std::string_view inside);
  // The '}' that closes the reference whose "${" is at `open`: braces in a default pair up
  // (`${n:-\d{1,3}}`). npos when it is never closed, or before another "${" (no default holds
  // one): a text of many "${" is read once, not once for each.
  static std::size_t close_of(std::string_view text, std::size_t open);
};

// Calls `each` with every reference in `text`, in order. A "${" never closed is text.
template <class F>
void for_each_reference(std::string_view text, F&& each) {
  for (std::size_t open = text.find("${"); open != std::string_view::npos; open = text.find("${", open)) {
    const std::size_t close = Reference::close_of(text, open);
    if (close == std::string_view::npos) {
      open += 2;
      continue;
    }
    Reference r = Reference::parse(text.substr(open + 2, close - open - 2));
    r.begin = open, r.end = close + 1;
    each(r);
    open = close + 1;
  }
}

// Replaces every ${name} and ${name:-default} in text. Throws UndefinedVariable naming an
// undefined variable that has no default.
std::string substitute(std::string_view text, const Expr::Lookup& lookup);
// A variable name: letters, digits and '_', not starting with a digit.
bool is_identifier(std::string_view s);
// The value of "name" or "name:-default".
std::string resolve_reference(std::string_view reference, const Expr::Lookup& lookup);

}  // namespace athil::scenario
