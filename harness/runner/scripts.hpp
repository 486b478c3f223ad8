#pragma once
// The harness's own exchanges with a module, as scenarios: the same loader reads them and the
// same executor runs them as a user's, as Zephyr's modem_chat runs its scripts. Each is parsed
// once, from the text in scripts.cpp. Timings come in as variables from harness/models.
#include "scenario/model.hpp"

namespace athil::runner::scripts {

// AT+CGMR: ${revision}, without the "Revision:" label.
const scenario::Scenario& revision();
// AT+GSN: ${imei}.
const scenario::Scenario& imei();

// The recovery ladder's actions (recovery.cpp decides which to climb):
// AT+CFUN=1,1 and its OK, the firmware restarting itself;
const scenario::Scenario& soft_restart();
// the model's power sequences: on, reset (RESET pin or long PWRKEY), supply cycle;
const scenario::Scenario& power_on();
const scenario::Scenario& power_reset();
const scenario::Scenario& supply_cycle();
// then RDY within ${ready_within} (an autobauding module prints none), and AT answered, five
// tries a second apart;
const scenario::Scenario& answering();
// then powered down by the book: AT+CPOWD=1, NORMAL POWER DOWN, STATUS low within
// ${off_within} (that long a wait where the rig wires no STATUS), and the rest of ${off_rest}.
const scenario::Scenario& rest(bool status_wired);
}  // namespace athil::runner::scripts
