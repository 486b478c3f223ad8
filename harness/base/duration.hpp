#pragma once
// Durations as scenario and rig files write them: "500ms", "1.2s", "10m", "1h".
#include <chrono>
#include <string>
#include <string_view>

namespace athil {

using Duration = std::chrono::microseconds;
using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC: shared by every process on the machine
using Deadline = Clock::time_point;

// The longest a file may write (about 31 years): what is longer is a mistake, not a wait.
inline constexpr Duration max_duration{1'000'000'000'000'000};

// Throws InputError with a reason when the text is not a duration, or is over max_duration.
Duration parse_duration(std::string_view text);
std::string format_duration(Duration d);

inline std::int64_t to_us(Clock::time_point t) { return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count(); }
inline Clock::time_point from_us(std::int64_t us) { return Clock::time_point(std::chrono::microseconds(us)); }

// The rig's time scale. Holds and sleeps shrink with it; a timeout never shrinks below
// a floor, so that a loaded machine does not turn a slow reply into a failure.
class TimeScale {
 public:
  static constexpr Duration timeout_floor = std::chrono::seconds(2);
  explicit TimeScale(double factor = 1.0) : factor_(factor) {}
  double factor() const { return factor_; }
  Duration hold(Duration d) const { return scaled(d); }
  Duration timeout(Duration d) const {
    Duration floor = d < timeout_floor ? d : timeout_floor;
    Duration s = scaled(d);
    return s < floor ? floor : s;
  }
  // A wait whose end is an answer, not a failure (<expect-any else>): scaled with no floor,
  // since a loaded machine that ends it early fails nothing.
  Duration optional_wait(Duration d) const { return scaled(d); }
  // What a span of host time is on the rig's clock (a press held 22 ms at 0.02 is 1.1 s).
  Duration module_time(Duration host) const { return factor_ > 0 ? Duration(static_cast<std::int64_t>(static_cast<double>(host.count()) / factor_)) : host; }

 private:
  Duration scaled(Duration d) const { return Duration(static_cast<std::int64_t>(static_cast<double>(d.count()) * factor_)); }
  double factor_;
};

}  // namespace athil
