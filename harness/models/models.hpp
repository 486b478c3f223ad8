#pragma once
// What the harness knows of each SIM70x0 model, in one place: its family, the pins it has,
// its power timing, its bearer syntax and the application stack its URCs come from
// (../shared/reference/sim70x0.md). The rig, the AT engine, the scenario loader and the
// field tools read it here. The virtual module keeps a table of its own on purpose
// (harness/sim/models.cpp: it plays the module, and the harness must not share its beliefs);
// a test checks that the two agree where they should.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/duration.hpp"

namespace athil {

enum class Family { sim7000, sim7070, sim7080, sim7090 };

enum class BearerSyntax {
  sim7000,  // AT+CNACT=<mode>[,"apn"], +APP PDP: ACTIVE
  indexed,  // AT+CNACT=<pdpidx>,<mode>, +APP PDP: <idx>,ACTIVE
};

struct PowerTiming {
  Duration on_hold;       // PWRKEY low to power on (>= 1 s)
  Duration off_hold;      // PWRKEY low to power off (>= 1.2 s)
  Duration ready_within;  // STATUS high after the press, with margin over the boot time
  Duration off_within;    // STATUS low after the off press
  Duration off_rest;      // documented wait after power-off before the next power-on
  Duration reset_hold;    // RESET pin pulse, or PWRKEY hold on models without a RESET pin
  // The documented holds at which a PWRKEY press starts to mean something else (power on,
  // power off, and reset on models without a RESET pin; zero where there is none). A press the
  // host releases late can cross one it was not meant to reach.
  Duration pwrkey_on_min;
  Duration pwrkey_off_min;
  Duration pwrkey_reset_min;
};

struct Model {
  std::string_view name;  // "SIM7080G"
  Family family;
  bool reset_pin;  // the SIM7000 has one; the others reset by a long PWRKEY press
  PowerTiming power;
  BearerSyntax bearer;
  // The SIM7000's older application stack: bearer profiles (AT+SAPBR), HTTP and FTP actions,
  // with their URCs and the +HTTPREAD payload header.
  bool legacy_app_stack;
};

std::span<const Model> all_models();
// The model a rig's name or a scenario's prefix names: exactly, or the first model whose name
// starts with it ("SIM7000" names the SIM7000G). Null when none does.
const Model* find_model(std::string_view name);
// As find_model, for a name a loader has already checked; an unknown one (a test's) gets the
// SIM7080G's facts.
const Model& model_or_default(std::string_view name);
// "SIM7000"
std::string_view family_name(Family family);
std::vector<std::string> family_names();
std::vector<std::string> model_names();

}  // namespace athil
