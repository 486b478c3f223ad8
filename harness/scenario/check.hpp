#pragma once
// Checks over a whole loaded scenario, beyond what each element says on its own.
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "scenario/model.hpp"

namespace athil::scenario {

// Every ${name} a scenario uses must be defined by the scenario, a capture, or `known`
// (rig variables, -D, the runner's built-ins). Throws InputError naming every undefined use.
void check_variables(const Scenario& scenario, const std::vector<std::string>& known);

// <current> windows that start from a <mark> not set before them, compare with a measurement not
// made before them, or check nothing. Throws InputError naming each.
void check_current(const Scenario& scenario);
// Whether any block measures current: the scenario then needs a slot with an instrument.
bool measures_current(const Scenario& scenario);
// The finest resolution any of its <current> windows asks for: what the instrument captures at.
std::chrono::nanoseconds current_resolution(const Scenario& scenario);

// Actions that can never be reached or never succeed, whatever the module does: a <check>
// over constants that is false (nothing after it runs), a <repeat until> over constants.
void check_reachable(const Scenario& scenario);

// The names of every ${name} the actions use (nested ones included; defaults do not count).
std::set<std::string> referenced_variables(const std::vector<Action>& actions);

// Every variable a scenario reads anywhere: its blocks (fixtures included) and its defaults.
std::set<std::string> used_variables(const Scenario& scenario);
// The names of the ${name} references in a text ("name:-default" is name).
std::set<std::string> variables_in(std::string_view text);

// Calls fn for every action, then for those nested in it, in order.
void for_each_action(const std::vector<Action>& actions, const std::function<void(const Action&)>& fn);

}  // namespace athil::scenario
