#pragma once
// A current meter behind one interface, whatever drives it (a PPK2 over its USB serial port,
// libsigrok's drivers): a capture started on the slot's timeline yields timestamped samples
// until it goes. The backends know their wire; the runner knows only this.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/duration.hpp"

namespace athil::instrument {

// The current over one sample's span: its mean, and the highest reading inside it (the same
// without decimation), in amperes, from `at` (CLOCK_MONOTONIC, as the rest of the timeline)
// for `span` (a PPK2's are all alike; a polled instrument's are not).
struct Sample {
  Clock::time_point at;
  double amps = 0;
  double peak = 0;
  std::chrono::nanoseconds span{0};
};

struct CaptureOptions {
  int decimate = 1;  // raw samples averaged into one (a PPK2 samples at 100 kHz)
  // Or readings averaged until one sample spans at least this (a polled instrument's, slower
  // than it, pass one by one).
  std::chrono::nanoseconds bin{0};
};

// Samples flow while it lives; its destructor stops the instrument.
class Capture {
 public:
  virtual ~Capture() = default;
  // The samples since the last take. Throws InfraError when the instrument went or failed.
  virtual std::vector<Sample> take() = 0;
  // Waits until the samples held cover `t` (one starts at or after it), or `by`: false then.
  virtual bool wait_covering(Clock::time_point t, Deadline by) = 0;
  // Raw samples the instrument or the host lost (the stream's counter skipped), so far.
  virtual std::size_t lost() const = 0;
  virtual std::chrono::nanoseconds sample_period() const = 0;  // after decimation (on average, when polled)
};

class CurrentMeter {
 public:
  virtual ~CurrentMeter() = default;
  virtual std::unique_ptr<Capture> start(const CaptureOptions& options) = 0;
  virtual std::string describe() const = 0;  // "PPK2 on /dev/ttyACM0, source 3800 mV"
  // Whether it is also the device's supply (a PPK2 in source mode, a bench supply), and turning
  // that supply on or off. Throws InfraError when it cannot, or does not supply.
  virtual bool supplies() const { return false; }
  virtual void power(bool on) = 0;
};

}  // namespace athil::instrument
