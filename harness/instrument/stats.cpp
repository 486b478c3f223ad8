#include "instrument/stats.hpp"

#include <algorithm>

namespace athil::instrument {

CurrentStats summarize(std::span<const Sample> samples) {
  CurrentStats s;
  if (samples.empty()) return s;
  s.peak = samples.front().peak;
  s.lowest = samples.front().amps;
  for (const auto& x : samples) {
    s.charge += x.amps * std::chrono::duration<double>(x.span).count();
    s.span += x.span;
    s.peak = std::max(s.peak, x.peak);
    s.lowest = std::min(s.lowest, x.amps);
  }
  s.samples = samples.size();
  double seconds = std::chrono::duration<double>(s.span).count();
  s.average = seconds > 0 ? s.charge / seconds : samples.front().amps;
  return s;
}

}  // namespace athil::instrument
