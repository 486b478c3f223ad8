#include "runner/actions/step.hpp"

#include <fmt/format.h>

#include "base/error.hpp"

namespace athil::runner {

Duration Step::duration(const scenario::DurationText& d) const {
  if (d.fixed) return *d.fixed;
  std::string text = sub(d.text);
  try {
    return parse_duration(text);
  } catch (const InputError& e) {
    throw InputError(pos, fmt::format("{} (from '{}')", e.what(), d.text));
  }
}

std::optional<Duration> Step::past_allowed(Duration allowed, Clock::time_point since) const {
  if (scale.factor() >= 1.0) return std::nullopt;
  auto module_time = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(Clock::now() - since) / scale.factor());
  if (module_time <= allowed) return std::nullopt;
  return module_time;
}

void Step::note_compressed(Duration module_time, Duration allowed, const std::string& what) const {
  std::string note = fmt::format("{}: {} took {} of module time where the scenario allows {}: at real speed (time scale 1) it would fail", pos.str(), what,
                                 format_duration(module_time), format_duration(allowed));
  device.timeline.record(Direction::note, "compressed time: " + note);
  if (state.compressed_waits.size() < 100) state.compressed_waits.push_back(note);
}

}  // namespace athil::runner
