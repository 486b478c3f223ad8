#pragma once
// The bounds an action runs within: the scenario's (or the teardown's) timeout and its
// step's, and where in the scenario it stands.
#include <algorithm>
#include <optional>
#include <string>

#include "base/duration.hpp"
#include "base/error.hpp"
#include "scenario/model.hpp"

namespace athil::runner {

struct Bounds {
  Deadline scenario_deadline{};
  Duration scenario_timeout{};
  std::optional<Deadline> step_deadline;  // a <step timeout>
  Duration step_timeout{};
  const scenario::Block* block = nullptr;  // the block running

  // The action's own timeout from now, cut by the step's and the scenario's bounds.
  Deadline deadline(Duration timeout) const { return deadline_from(Clock::now(), timeout); }
  Deadline deadline_from(Clock::time_point start, Duration timeout) const { return std::min(start + timeout, bound()); }
  // The nearer of the step's and the scenario's bounds.
  Deadline bound() const { return step_deadline ? std::min(*step_deadline, scenario_deadline) : scenario_deadline; }
  // Whether a deadline from deadline() is the step's or the scenario's bound, not the action's own.
  bool is_bound(Deadline dl) const { return dl == scenario_deadline || (step_deadline && dl == *step_deadline); }
  // Which bound a deadline from deadline() is: "the step timeout (5s)"; empty for the action's own.
  std::string bound_name(Deadline dl) const;
  // "step 'attach' (file:line:col)"
  std::string where(const SourcePos& pos) const;
};

}  // namespace athil::runner
