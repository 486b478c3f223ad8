#pragma once
// Electrical quantities as scenario, rig and fault arguments write them ("3.2uA", "1.8 mA",
// "41mC") and as reports print them ("3.2 uA"): a value in the SI base unit, and its text.
#include <string>
#include <string_view>

namespace athil {

enum class Unit { ampere, coulomb, volt };

// "70uA", "1.5 mA", "0.2A", "41mC", "3.8V": prefixes n, u (or µ), m and none; the unit must be
// `unit`'s symbol. Throws InputError with a reason when it is not one.
double parse_quantity(std::string_view text, Unit unit);
// Three significant digits with the prefix that keeps the number from 1 to 999: "3.2 uA",
// "167 mA", "41 mC" (a JUnit property, summary.md, the terminal).
std::string format_quantity(double value, Unit unit);

}  // namespace athil
