#pragma once
// The recovery ladder: after a scenario failed or hung, bring the module back to answering AT
// before the slot's next scenario, climbing only as far as needed:
//   1. AT+CFUN=1,1 (the firmware still listens),
//   2. the RESET pin (SIM7000) or PWRKEY held past 12.6 s (the others); PWRKEY power-on
//      instead when STATUS says the module is off,
//   3. a supply cycle (what reaches a module that nothing else does).
// A rung has worked when the module answers AT; it is then powered down by the book
// (AT+CPOWD=1), because a slot rests powered off between scenarios: each scenario powers the
// module on in its setup and off in its teardown.
// A strategy in labgrid's sense: it picks the rungs; their exchanges and power sequences are
// built-in scripts (scripts.hpp) that an executor of its own runs.
#include <string>
#include <vector>

#include "rig/device.hpp"

namespace athil::runner {

struct RecoveryRung {
  std::string name;  // "AT+CFUN=1,1", "RESET pin", "long PWRKEY reset", ...
  bool recovered = false;
  std::string outcome;  // "answering AT after 0.4 s", "no answer within 2 s", "not wired"
};

struct Recovery {
  bool recovered = false;
  std::vector<RecoveryRung> rungs;  // those tried, in order
  // "AT+CFUN=1,1: no answer within 2 s; RESET pin: answering AT after 0.4 s"
  std::string summary() const;
};

// Every step lands on the device's timeline. Throws Interrupted when the run is stopped.
Recovery recover(rig::Device& device, TimeScale scale);

}  // namespace athil::runner
