#pragma once
// What the virtual module measures of its host for the benchmarks (the control channel's
// `turnaround` and `pulses PIN`): the host's turnaround from a final result code to the next
// command, and each PWRKEY and RESET pulse's width as the module saw it.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/module.hpp"

namespace athil::sim {

class Probes {
 public:
  using Clock = std::chrono::steady_clock;
  // Bytes the module sent, as the host got them: a final result code starts a turnaround.
  void sent(std::string_view bytes, Clock::time_point now);
  // Bytes from the host arrived: the turnaround, if one was running, ends.
  void received(Clock::time_point now);
  void pin_edge(Pin p, bool low, Clock::time_point arrived);
  // "turnaround <count> <p50 us> <p99 us> <max us>"; the samples are then forgotten.
  std::string turnaround_report();
  // "pulses <pin> <count> <width us>..."; the samples are then forgotten.
  std::string pulses_report(Pin p, std::string_view name);

 private:
  std::string tx_tail_;                             // the last bytes sent, to spot a final result code
  std::optional<Clock::time_point> final_sent_at_;  // its last byte left then; no command since
  std::vector<std::int64_t> turnarounds_us_;
  std::map<Pin, std::optional<Clock::time_point>> pressed_at_;
  std::map<Pin, std::vector<std::int64_t>> pulse_widths_us_;
};

}  // namespace athil::sim
