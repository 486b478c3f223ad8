#pragma once
// Named faults of the virtual module: how real modules misbehave in the field, chosen per slot
// in a rig file (`<virtual faults="hang=30s pdp-drop"/>`) or with `athil sim --fault`.
// Plain data and a parser, with no I/O, so that the rig loader can check a fault list with
// file:line:col without depending on the module itself.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace athil::sim {

// Every fault is off unless named; delays are model time (scaled by the time scale).
struct Faults {
  using Millis = std::chrono::milliseconds;
  std::optional<int> fota_fail;                 // a valid update fails at this percent
  std::optional<int> fota_stall;                // update progress stops at this percent
  std::optional<int> fota_brick;                // a valid update leaves a module that never boots again, at this percent
  std::optional<Millis> spontaneous_powerdown;  // after the first boot, once
  std::optional<Millis> brownout_silent;        // after the first boot, once: silent until a supply cut
  std::optional<Millis> hang;                   // after the first boot, once: silent until a reset
  bool garbage_on_boot = false;
  bool first_at_lost = false;
  std::optional<Millis> urc_storm;   // interval between unsolicited lines
  std::optional<Millis> late_reply;  // delay of every final result code
  std::optional<double> byte_loss;   // probability that a byte is lost, each way
  std::optional<Millis> pdp_drop;    // after the first bearer activation, once
  bool stuck_cfun5_after_update = false;
  bool stuck_cfun5_at_boot = false;
  bool http_601 = false;
  bool sms_fail = false;                      // every AT+CMGS ends in +CMS ERROR: 500
  bool psm_no_wake = false;                   // PSM's periodic timer (T3412) never wakes the module; PWRKEY does
  std::optional<Millis> mqtt_drop;            // after the first MQTT connection comes up, once: +SMSTATE: 0
  bool gnss_no_fix = false;                   // the receiver runs and never gets a fix (a dead antenna)
  std::optional<Millis> slow_boot;            // added to every boot's time to UART ready
  bool no_prompt_after_wake = false;          // the first AT+CASEND after each wake from PSM: ERROR, no "> "
  std::optional<double> sleep_current_creep;  // amperes the PSM floor rises with each wake since the boot
  bool psm_no_enter = false;                  // PSM asked for and granted, never entered

  bool any() const;
};

struct FaultInfo {
  std::string_view name;
  std::string_view argument;  // "" when it takes none; else what ARG is and its default
  std::string_view effect;
};
const std::vector<FaultInfo>& fault_catalogue();

// The rates AT+IPR accepts, 0 (autobaud) first: a rig may start a virtual module at one.
const std::vector<unsigned>& ipr_rates();

// Parses "NAME[=ARG]" items separated by commas or spaces, adding them to `into`.
// Throws InputError naming the item and what is wrong with it.
void add_faults(Faults& into, std::string_view list);

}  // namespace athil::sim
