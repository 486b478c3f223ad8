#include "sim/current.hpp"

#include <algorithm>
#include <array>
#include <iterator>

namespace athil::sim {

std::chrono::milliseconds edrx_cycle(std::string_view bits) {
  // Multiples of 5.12 s: 5.12 s, 10.24 s, 20.48 s, ... 10485.76 s.
  static constexpr std::array<int, 16> multiples_of_5120ms = {1, 2, 4, 8, 12, 16, 20, 24, 28, 32, 64, 128, 256, 512, 1024, 2048};
  if (bits.size() != 4 || bits.find_first_not_of("01") != std::string_view::npos) return std::chrono::milliseconds{0};
  int v = 0;
  for (char c : bits) v = v * 2 + (c - '0');
  return std::chrono::milliseconds{5120} * multiples_of_5120ms[static_cast<std::size_t>(v)];
}

double Draw::at(Time t) const {
  if (period.count() <= 0 || t < phase) return floor;
  auto into = (t - phase) % period;
  return into < width ? peak : floor;
}

Draw paging_draw(double average, double peak, std::chrono::nanoseconds width, std::chrono::nanoseconds period, Draw::Time phase) {
  if (period.count() <= 0 || width >= period) return Draw{.floor = average};
  double share = static_cast<double>(width.count()) / static_cast<double>(period.count());
  double floor = std::max(0.0, (average - peak * share) / (1 - share));
  return Draw{.floor = floor, .peak = peak, .period = period, .width = width, .phase = phase};
}

}  // namespace athil::sim

namespace athil::sim {

void DrawLog::record(Time at, const Draw& draw) {
  if (!changes_.empty() && changes_.back().second == draw) return;
  if (!changes_.empty() && at < changes_.back().first) at = changes_.back().first;
  changes_.emplace_back(at, draw);
}

double DrawLog::at(Time t) const {
  auto after = std::upper_bound(changes_.begin(), changes_.end(), t, [](Time v, const auto& c) { return v < c.first; });
  if (after == changes_.begin()) return 0;
  return std::prev(after)->second.at(t);
}

void DrawLog::forget_before(Time t) {
  auto after = std::upper_bound(changes_.begin(), changes_.end(), t, [](Time v, const auto& c) { return v < c.first; });
  if (after == changes_.begin()) return;
  changes_.erase(changes_.begin(), std::prev(after));
}

}  // namespace athil::sim
