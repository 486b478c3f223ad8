#include "base/quantity.hpp"

#include <array>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "base/error.hpp"

namespace athil {

namespace {

std::string_view symbol(Unit unit) {
  switch (unit) {
    case Unit::ampere: return "A";
    case Unit::coulomb: return "C";
    case Unit::volt: return "V";
  }
  return "?";
}

struct Prefix {
  std::string_view text;
  double factor;
};
constexpr std::array<Prefix, 5> prefixes = {{{"n", 1e-9}, {"u", 1e-6}, {"\xc2\xb5", 1e-6}, {"m", 1e-3}, {"", 1}}};

}  // namespace

double parse_quantity(std::string_view text, Unit unit) {
  auto sym = symbol(unit);
  auto bad = [&](std::string_view why) { return InputError(fmt::format("'{}' is not a value in {}: {}", text, sym, why)); };
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || !std::isfinite(value)) throw bad("it does not start with a number");
  std::string_view rest = text.substr(static_cast<std::size_t>(end - text.data()));
  if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.size() < sym.size() || rest.substr(rest.size() - sym.size()) != sym) throw bad(fmt::format("the unit must be {} (with n, u, m or no prefix)", sym));
  rest.remove_suffix(sym.size());
  for (const auto& p : prefixes)
    if (rest == p.text) return value * p.factor;
  throw bad(fmt::format("'{}' is not a prefix (n, u, m or none)", rest));
}

std::string format_quantity(double value, Unit unit) {
  double magnitude = std::fabs(value);
  std::string_view prefix = "";
  double scaled = value;
  if (magnitude > 0 && magnitude < 1e-6) {
    prefix = "n", scaled = value * 1e9;
  } else if (magnitude > 0 && magnitude < 1e-3) {
    prefix = "u", scaled = value * 1e6;
  } else if (magnitude > 0 && magnitude < 1) {
    prefix = "m", scaled = value * 1e3;
  }
  return fmt::format("{:.3g} {}{}", scaled, prefix, symbol(unit));
}

}  // namespace athil
