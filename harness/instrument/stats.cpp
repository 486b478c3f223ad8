#include "instrument/stats.hpp"

#include <algorithm>

namespace athil::instrument {

CurrentStats summarize(std::span<const Sample> samples, std::chrono::nanoseconds period) {
  CurrentStats s;
  if (samples.empty()) return s;
  double sum = 0;
  s.peak = samples.front().peak;
  s.lowest = samples.front().amps;
  for (const auto& x : samples) {
    sum += x.amps;
    s.peak = std::max(s.peak, x.peak);
    s.lowest = std::min(s.lowest, x.amps);
  }
  s.samples = samples.size();
  s.average = sum / static_cast<double>(samples.size());
  s.span = period * static_cast<long>(samples.size());
  s.charge = s.average * std::chrono::duration<double>(s.span).count();
  return s;
}

}  // namespace athil::instrument
