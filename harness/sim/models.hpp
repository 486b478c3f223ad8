#pragma once
// The SIM70x0 family as the virtual module plays it (../shared/reference/sim70x0.md).
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "sim/current.hpp"

namespace athil::sim {

enum class CnactSyntax {
  sim7000,  // AT+CNACT=<0/1/2>[,"apn"]        -> +APP PDP: ACTIVE
  indexed,  // AT+CNACT=<pdpidx>,<0/1/2>       -> +APP PDP: <idx>,ACTIVE
};

// The GNSS receiver, as each family's manual has it.
enum class GnssReceiver {
  own_rf,     // SIM7000: works beside LTE; AT+CGNSINF in the 21-field form of the SIM868 line
  shared_rf,  // SIM7070/7080/7090: shares the RF path with LTE, so it tracks only while the radio leaves it alone; 18 fields
};

struct ModelInfo {
  std::string_view name;    // SIM7080G
  std::string_view cgmm;    // AT+CGMM
  std::string_view ati;     // ATI
  std::string_view imei14;  // IMEI without its Luhn check digit
  std::string_view default_firmware;
  std::chrono::milliseconds boot_to_uart_ready;
  bool has_reset_pin;
  CnactSyntax cnact;
  unsigned default_ipr;                  // AT+IPR out of the factory: 0 autobaud
  std::chrono::milliseconds power_down;  // NORMAL POWER DOWN to STATUS low
  bool fota_recovery_codes;              // AT+CFOTA? documents 2-5 (recovery), not only 1, 6, 7, 8
  GnssReceiver gnss;
  CurrentFigures current;
  std::string imei() const;
};

const ModelInfo* find_model(std::string_view name);
std::vector<std::string_view> model_names();

}  // namespace athil::sim
