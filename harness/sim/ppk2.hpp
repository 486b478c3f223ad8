#pragma once
// Nordic's Power Profiler Kit II as its host sees it over the USB serial port, for the virtual
// rack: one-byte commands with their arguments, the metadata as "key: value" text lines that end
// with "END", and while measuring a stream of 4-byte little-endian words at 100 000 a second
// (bits 0-13 the ADC reading, 14-16 the range, 18-23 a counter, 24-31 the logic inputs). The
// protocol as Nordic's pc-nrfconnect-ppk and IRNAS/ppk2-api-python speak it; no I/O here
// (ppk2_port.* serves it on a pseudo-terminal).
#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/current.hpp"

namespace athil::sim {

class VirtualPpk2 {
 public:
  using Time = Draw::Time;
  static constexpr int sample_rate = 100'000;
  static constexpr std::chrono::nanoseconds sample_period{10'000};
  enum class Mode { ampere, source };  // measures a supply in series, or is the supply

  // Bytes from the host. Returns what the device answers (the metadata), maybe nothing.
  std::string input(std::string_view bytes, Time now);
  // The samples due up to `now` since the last call, the module drawing what `log` says.
  std::string samples_until(Time now, const DrawLog& log);

  bool measuring() const { return measuring_; }
  Mode mode() const { return mode_; }
  int source_millivolts() const { return source_mv_; }
  // Whether the device under test is supplied: always in ampere mode (the rig's supply feeds
  // it through the meter), by the DUT power switch in source mode.
  bool dut_supplied() const { return mode_ == Mode::ampere || dut_power_; }
  Time next_sample() const { return next_; }

  // The sense resistors of the five ranges, in ohms, as the metadata reports them.
  static constexpr std::array<double, 5> resistors = {1031.64, 101.65, 10.15, 0.94, 0.043};

 private:
  std::uint32_t encode(double amps);
  void command(std::uint8_t op, std::string_view args, Time now);

  std::string pending_;  // a command whose arguments have not all come yet
  bool measuring_ = false;
  Mode mode_ = Mode::ampere;
  int source_mv_ = 3300;
  bool dut_power_ = false;
  Time next_{};
  std::uint8_t counter_ = 0;
};

}  // namespace athil::sim
