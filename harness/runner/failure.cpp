#include "runner/failure.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/escape.hpp"

namespace athil::runner {

namespace {
constexpr std::size_t recent_lines_in_report = 12;
constexpr std::size_t urcs_shown = 8;  // the latest; a storm's are all on the timeline
}  // namespace

std::string show_line(const std::string& line) { return fmt::format("'{}'", escape_bytes(line)); }

std::string Bounds::bound_name(Deadline dl) const {
  if (step_deadline && dl == *step_deadline && dl != scenario_deadline) return fmt::format("the step timeout ({})", format_duration(step_timeout));
  bool teardown = block && block->kind == scenario::BlockKind::teardown;
  if (dl == scenario_deadline) return fmt::format("the {} timeout ({})", teardown ? "teardown" : "scenario", format_duration(scenario_timeout));
  return std::string();
}

std::string Bounds::where(const SourcePos& pos) const { return fmt::format("{} ({})", block ? describe(*block) : "scenario", pos.str()); }

StepFailure FailureText::failure(std::string_view summary, std::string_view expected, std::string_view instead) const {
  return StepFailure{.message = fmt::format("{}: {}", where(), summary), .detail = evidence(expected, instead), .instead = std::string(instead)};
}

std::string FailureText::evidence(std::string_view expected, std::string_view instead) const {
  std::string d = fmt::format("{}\nexpected: {}\ninstead:  {}\nlast lines received:\n", where(), expected, instead);
  auto recent = engine_.recent_lines(recent_lines_in_report);
  if (recent.empty()) d += "  (none)\n";
  for (const auto& l : recent) d += "  " + l + "\n";
  return d;
}

std::string FailureText::silence(Duration waited) const {
  auto last = engine_.last_received_us();
  Duration silent = last == 0 ? waited : std::chrono::duration_cast<Duration>(Clock::now() - from_us(last));
  if (silent * 2 < waited) return std::string();  // it spoke during most of the wait
  if (last == 0) return std::string("; the module has sent nothing yet");
  // Its last words are often the cause (NORMAL POWER DOWN), even from a block before this one.
  auto said = engine_.recent_lines(1);
  return fmt::format("; the module has sent nothing for {:.1f}s{}", std::chrono::duration<double>(silent).count(),
                     said.empty() ? "" : fmt::format(", its last line {}", said.front()));
}

std::string FailureText::timed_out(Duration timeout, Deadline dl) const {
  std::string bound = bounds_.bound_name(dl);
  if (bound.empty()) return fmt::format("nothing matched within {}", format_duration(timeout)) + silence(timeout);
  return fmt::format("{} ran out first", bound) + (dl == bounds_.scenario_deadline ? std::string() : silence(bounds_.step_timeout));
}

std::string FailureText::queued_urcs(std::string_view label) const {
  const auto& urcs = engine_.urcs();
  if (urcs.empty()) return std::string();
  std::vector<std::string> latest;
  for (std::size_t i = urcs.size() > urcs_shown ? urcs.size() - urcs_shown : 0; i < urcs.size(); ++i) latest.push_back(show_line(urcs[i].text));
  std::string earlier = urcs.size() > urcs_shown ? fmt::format("{} earlier, then ", urcs.size() - urcs_shown) : "";
  return fmt::format("; {}: {}{}", label, earlier, fmt::join(latest, ", "));
}

}  // namespace athil::runner
