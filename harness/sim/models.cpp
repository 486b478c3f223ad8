#include "sim/models.hpp"

#include <array>

namespace athil::sim {

namespace {
using namespace std::chrono_literals;

// SIM7000's figures are its hardware design manual's (as quoted in the botletics SIM7000-LTE-Shield
// wiki, "Current Consumption"): off 7 uA, PSM 9 uA, sleep 1 mA, LTE idle 11 mA, GNSS 30 mA,
// LTE data 167 mA at 23 dBm. SIM7080G's PSM is 3.2 uA (../shared/reference/sim70x0.md). Every
// other figure is an assumption, marked so: the search, boot, update and AT+CFUN=0 figures and the
// paging peak for all models; for SIM7070G, SIM7080G and SIM7090G everything but that PSM figure
// (SIM7000's, for want of theirs).
constexpr CurrentFigures sim7000_current = {.off = 7e-6,
                                            .psm = 9e-6,
                                            .sleep = 1e-3,
                                            .idle = 11e-3,
                                            .minimum = 1e-3,     // assumed: as sleep
                                            .searching = 50e-3,  // assumed
                                            .boot = 40e-3,       // assumed
                                            .transmit = 167e-3,
                                            .gnss = 30e-3,
                                            .update = 60e-3,       // assumed: flash writes, radio off
                                            .paging_peak = 60e-3,  // assumed: one paging occasion's receive
                                            .paging_width = 10ms};
constexpr CurrentFigures with_psm(CurrentFigures f, double psm) {
  f.psm = psm;
  return f;
}
constexpr CurrentFigures sim7080_current = with_psm(sim7000_current, 3.2e-6);
// ATI: the SIM7000 names model and release ("SIM7000G R1529" in public TinyGSM logs, e.g.
// tests/field_logs/lilygo-t-sim7000g-145-monitor-tinygsm.log); the SIM7070/7080/7090 family, one
// manual and one firmware line, gives the release alone (R1951.07 on a SIM7080G in
// ../shared/reference/sim70x0.md). No public log shows a SIM7070G's or SIM7090G's ATI: they
// answer in their family's form.
constexpr std::array<ModelInfo, 4> models = {{
    {.name = "SIM7000G",
     .cgmm = "SIMCOM_SIM7000G",
     .ati = "SIM7000G R1529",
     .imei14 = "86995103702387",
     .default_firmware = "1529B08SIM7000G",
     .boot_to_uart_ready = 4500ms,
     .has_reset_pin = true,
     .cnact = CnactSyntax::sim7000,
     .default_ipr = 0,
     .power_down = 4000ms,
     .fota_recovery_codes = true,
     .gnss = GnssReceiver::own_rf,
     .current = sim7000_current},
    {.name = "SIM7070G",
     .cgmm = "SIMCOM_SIM7070",
     .ati = "R1951.07",
     .imei14 = "86134004997099",
     .default_firmware = "1951B05SIM7070",
     .boot_to_uart_ready = 2000ms,
     .has_reset_pin = false,
     .cnact = CnactSyntax::indexed,
     .default_ipr = 115200,
     .power_down = 1900ms,
     .fota_recovery_codes = false,
     .gnss = GnssReceiver::shared_rf,
     .current = sim7080_current},
    {.name = "SIM7080G",
     .cgmm = "SIMCOM_SIM7080",
     .ati = "R1951.07",
     .imei14 = "86014105221456",
     .default_firmware = "1951B02SIM7080G",
     .boot_to_uart_ready = 1800ms,
     .has_reset_pin = false,
     .cnact = CnactSyntax::indexed,
     .default_ipr = 115200,
     .power_down = 1900ms,
     .fota_recovery_codes = false,
     .gnss = GnssReceiver::shared_rf,
     .current = sim7080_current},
    {.name = "SIM7090G",
     .cgmm = "SIMCOM_SIM7090",
     .ati = "R2110.01",
     .imei14 = "86152006530218",
     .default_firmware = "2110B01SIM7090",
     .boot_to_uart_ready = 2000ms,
     .has_reset_pin = false,
     .cnact = CnactSyntax::indexed,
     .default_ipr = 115200,
     .power_down = 1900ms,
     .fota_recovery_codes = false,
     .gnss = GnssReceiver::shared_rf,
     .current = sim7080_current},
}};
}  // namespace

std::string ModelInfo::imei() const {
  // Luhn check digit over the 14 digits.
  int sum = 0;
  for (std::size_t i = 0; i < imei14.size(); ++i) {
    int d = imei14[imei14.size() - 1 - i] - '0';
    if (i % 2 == 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return std::string(imei14) + static_cast<char>('0' + (10 - sum % 10) % 10);
}

const ModelInfo* find_model(std::string_view name) {
  for (const auto& m : models)
    if (m.name == name) return &m;
  return nullptr;
}

std::vector<std::string_view> model_names() {
  std::vector<std::string_view> out;
  for (const auto& m : models) out.push_back(m.name);
  return out;
}

}  // namespace athil::sim
