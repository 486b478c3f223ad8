#include "base/duration.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "base/error.hpp"

namespace athil {

Duration parse_duration(std::string_view text) {
  std::size_t unit_at = 0;
  while (unit_at < text.size() && (std::isdigit(static_cast<unsigned char>(text[unit_at])) || text[unit_at] == '.')) ++unit_at;
  std::string_view number = text.substr(0, unit_at);
  std::string_view unit = text.substr(unit_at);
  if (number.empty()) throw InputError(fmt::format("'{}' is not a duration (expected a number and a unit: ms, s, m, h)", text));
  double value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || end != number.data() + number.size()) throw InputError(fmt::format("'{}' is not a duration: bad number '{}'", text, number));
  double us_per_unit = 0;
  if (unit == "ms")
    us_per_unit = 1e3;
  else if (unit == "s")
    us_per_unit = 1e6;
  else if (unit == "m")
    us_per_unit = 60e6;
  else if (unit == "h")
    us_per_unit = 3600e6;
  else
    throw InputError(fmt::format("'{}' is not a duration: unit '{}' is not one of ms, s, m, h", text, unit));
  double us = value * us_per_unit;
  if (!std::isfinite(us) || us > static_cast<double>(max_duration.count())) throw InputError(fmt::format("'{}' is too long a duration", text));
  return Duration(static_cast<std::int64_t>(std::llround(us)));
}

std::string format_duration(Duration d) {
  auto us = d.count();
  if (us % 3'600'000'000 == 0 && us != 0) return fmt::format("{}h", us / 3'600'000'000);
  if (us % 60'000'000 == 0 && us != 0) return fmt::format("{}m", us / 60'000'000);
  if (us % 1'000'000 == 0) return fmt::format("{}s", us / 1'000'000);
  if (us % 1000 == 0) return fmt::format("{}ms", us / 1000);
  return fmt::format("{:.3f}ms", static_cast<double>(us) / 1000.0);
}

}  // namespace athil
