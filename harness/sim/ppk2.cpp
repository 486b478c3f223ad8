#include "sim/ppk2.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace athil::sim {

namespace {

// The opcodes the host sends, and how many argument bytes follow each (unknown ones: none).
enum Op : std::uint8_t {
  trigger_set = 0x01,
  avg_num_set = 0x02,
  trigger_window_set = 0x03,
  trigger_interval_set = 0x04,
  trigger_single_set = 0x05,
  average_start = 0x06,
  average_stop = 0x07,
  range_set = 0x08,
  lcd_set = 0x09,
  trigger_stop = 0x0a,
  device_running_set = 0x0c,
  regulator_set = 0x0d,
  switch_point_down = 0x0e,
  switch_point_up = 0x0f,
  set_power_mode = 0x11,
  res_user_set = 0x12,
  spike_filtering_on = 0x15,
  spike_filtering_off = 0x16,
  get_meta_data = 0x19,
  reset = 0x20,
  set_user_gains = 0x25,
};

std::size_t argument_bytes(std::uint8_t op) {
  switch (op) {
    case trigger_set:
    case avg_num_set:
    case trigger_window_set:
    case trigger_interval_set:
    case regulator_set: return 2;
    case range_set:
    case lcd_set:
    case device_running_set:
    case switch_point_down:
    case switch_point_up:
    case set_power_mode: return 1;
    case set_user_gains: return 5;  // the range, then a 32-bit float
    default: return 0;
  }
}

constexpr double adc_volts_per_count = 1.8 / 163840 * 4;  // a 14-bit reading, as the host scales it
constexpr int adc_full = (1 << 14) - 1;

}  // namespace

std::string VirtualPpk2::input(std::string_view bytes, Time now) {
  pending_.append(bytes);
  std::string answer;
  std::size_t at = 0;
  while (at < pending_.size()) {
    auto op = static_cast<std::uint8_t>(pending_[at]);
    std::size_t need = argument_bytes(op);
    if (pending_.size() - at < 1 + need) break;
    if (op == get_meta_data) {
      // The calibration of a device that has none of its own: the resistors, no offsets, unit gains.
      for (std::size_t r = 0; r < resistors.size(); ++r) answer += fmt::format("R{}: {}\n", r, resistors[r]);
      for (std::string_view key : {"GS", "O", "S", "I"})
        for (std::size_t r = 0; r < resistors.size(); ++r) answer += fmt::format("{}{}: 0\n", key, r);
      for (std::string_view key : {"GI", "UG"})
        for (std::size_t r = 0; r < resistors.size(); ++r) answer += fmt::format("{}{}: 1\n", key, r);
      answer += fmt::format("Calibrated: 0\nVDD: {}\nHW: 9173\nmode: {}\nIA: 56\nEND\n", source_mv_, mode_ == Mode::source ? 2 : 1);
    }
    command(op, std::string_view(pending_).substr(at + 1, need), now);
    at += 1 + need;
  }
  pending_.erase(0, at);
  return answer;
}

void VirtualPpk2::command(std::uint8_t op, std::string_view args, Time now) {
  auto arg = [&](std::size_t i) { return static_cast<std::uint8_t>(args[i]); };
  switch (op) {
    case average_start:
      if (!measuring_) next_ = now;
      measuring_ = true;
      break;
    case average_stop: measuring_ = false; break;
    case set_power_mode: mode_ = arg(0) == 2 ? Mode::source : Mode::ampere; break;
    case device_running_set: dut_power_ = arg(0) == 1; break;
    case regulator_set: source_mv_ = std::clamp(arg(0) * 256 + arg(1), 800, 5000); break;
    case reset:  // back to how it starts: not measuring, an ampere meter, the DUT switch off
      measuring_ = false, mode_ = Mode::ampere, dut_power_ = false, source_mv_ = 3300;
      break;
    default: break;  // triggers, the display, spike filtering: nothing the stream shows here
  }
}

std::uint32_t VirtualPpk2::encode(double amps) {
  // The most sensitive range whose reading does not saturate, as the device switches on its own.
  std::uint32_t range = 0;
  double counts = 0;
  for (; range < resistors.size(); ++range) {
    counts = std::max(0.0, amps) * resistors[range] / adc_volts_per_count;
    if (counts <= adc_full * 0.9 || range + 1 == resistors.size()) break;
  }
  auto adc = static_cast<std::uint32_t>(std::min<double>(std::lround(counts), adc_full));
  return adc | (range << 14) | (static_cast<std::uint32_t>(counter_++ & 0x3f) << 18);
}

std::string VirtualPpk2::samples_until(Time now, const DrawLog& log) {
  std::string out;
  if (!measuring_) return out;
  while (next_ + sample_period <= now) {
    double amps = dut_supplied() ? log.at(next_) : 0;
    std::uint32_t word = encode(amps);
    for (int b = 0; b < 4; ++b) out.push_back(static_cast<char>((word >> (8 * b)) & 0xff));
    next_ += sample_period;
  }
  return out;
}

}  // namespace athil::sim
