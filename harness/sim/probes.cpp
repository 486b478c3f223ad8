#include "sim/probes.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace athil::sim {

namespace {
std::int64_t us_between(Probes::Clock::time_point a, Probes::Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::microseconds>(b - a).count();
}
}  // namespace

void Probes::sent(std::string_view bytes, Clock::time_point now) {
  tx_tail_.append(bytes);
  if (tx_tail_.size() > 64) tx_tail_.erase(0, tx_tail_.size() - 64);
  if (tx_tail_.size() < 2 || tx_tail_.compare(tx_tail_.size() - 2, 2, "\r\n") != 0) return;
  auto start = tx_tail_.rfind("\r\n", tx_tail_.size() - 3);
  std::string_view last = std::string_view(tx_tail_).substr(start == std::string::npos ? 0 : start + 2);
  last.remove_suffix(2);
  if (last == "OK" || last == "ERROR" || last.substr(0, 11) == "+CME ERROR:" || last.substr(0, 11) == "+CMS ERROR:") final_sent_at_ = now;
}

void Probes::received(Clock::time_point now) {
  if (!final_sent_at_) return;
  turnarounds_us_.push_back(us_between(*final_sent_at_, now));
  final_sent_at_.reset();
}

void Probes::pin_edge(Pin p, bool low, Clock::time_point arrived) {
  if (p != Pin::pwrkey && p != Pin::reset) return;
  auto& pressed = pressed_at_[p];
  if (low)
    pressed = arrived;
  else if (pressed)
    pulse_widths_us_[p].push_back(us_between(*std::exchange(pressed, std::nullopt), arrived));
}

std::string Probes::pulses_report(Pin p, std::string_view name) {
  auto widths = std::exchange(pulse_widths_us_[p], {});
  return fmt::format("pulses {} {}{}{}", name, widths.size(), widths.empty() ? "" : " ", fmt::join(widths, " "));
}

std::string Probes::turnaround_report() {
  final_sent_at_.reset();  // a fresh measurement starts with the next final result code
  auto samples = std::exchange(turnarounds_us_, {});
  if (samples.empty()) return "turnaround 0 0 0 0";
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) { return samples[std::min(samples.size() - 1, static_cast<std::size_t>(q * static_cast<double>(samples.size())))]; };
  return fmt::format("turnaround {} {} {} {}", samples.size(), at(0.50), at(0.99), samples.back());
}

}  // namespace athil::sim
