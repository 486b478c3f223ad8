#pragma once
// Checks over a whole loaded scenario, beyond what each element says on its own.
#include <string>
#include <vector>

#include "scenario/model.hpp"

namespace athil::scenario {

// Every ${name} a scenario uses must be defined by the scenario, a capture, or `known`
// (rig variables, -D, the runner's built-ins). Throws InputError naming every undefined use.
void check_variables(const Scenario& scenario, const std::vector<std::string>& known);

}  // namespace athil::scenario
