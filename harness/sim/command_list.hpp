#pragma once
// The commands a real module's firmware knows (what its AT+CLAC lists), per family: the
// virtual module answers AT+CLAC with it, and tells a command it does not model (a real one,
// logged "not modelled") from one the real module does not know either (answered ERROR there
// too). From the command indexes of the SIM7000 Series and the SIM7070/SIM7080/SIM7090 Series
// AT Command Manuals; a test checks that every command the virtual module plays is listed.
#include <string_view>
#include <vector>

#include "sim/models.hpp"

namespace athil::sim {

// Names as the command table spells them ("+CGMI", "E", "&W"), in the manual's order.
std::vector<std::string_view> command_list(const ModelInfo& model);
bool lists(const ModelInfo& model, std::string_view name);

}  // namespace athil::sim
