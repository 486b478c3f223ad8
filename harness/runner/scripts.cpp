#include "runner/scripts.hpp"

#include <fmt/format.h>

#include "scenario/loader.hpp"

namespace athil::runner::scripts {

namespace {

constexpr const char* models = R"(models="SIM7000 SIM7070 SIM7080 SIM7090")";

scenario::Scenario load(const char* name, const std::string& steps) {
  std::string text = fmt::format(R"(<scenario name="{}" {} timeout="10m">{}</scenario>)", name, models, steps);
  return scenario::Loader({}).load_text(text, fmt::format("built-in {}", name));
}

}  // namespace

const scenario::Scenario& revision() {
  static const auto s = load("identity-revision", R"x(<step name="AT+CGMR"><send>AT+CGMR</send>
    <expect regex="Revision:(.*)" capture="revision" timeout="5s"/><expect timeout="5s">OK</expect></step>)x");
  return s;
}

const scenario::Scenario& imei() {
  static const auto s = load("identity-imei", R"x(<step name="AT+GSN"><send>AT+GSN</send>
    <expect regex="(\d{14,17})" capture="imei" timeout="5s"/><expect timeout="5s">OK</expect></step>)x");
  return s;
}

const scenario::Scenario& soft_restart() {
  static const auto s = load("recovery-soft-restart", R"(<step name="AT+CFUN=1,1"><send>AT+CFUN=1,1</send><expect timeout="10s">OK</expect></step>)");
  return s;
}

const scenario::Scenario& power_on() {
  static const auto s = load("recovery-power-on", R"(<step name="power on"><power action="on"/></step>)");
  return s;
}

const scenario::Scenario& power_reset() {
  static const auto s = load("recovery-reset", R"(<step name="reset"><power action="reset"/></step>)");
  return s;
}

const scenario::Scenario& supply_cycle() {
  static const auto s = load("recovery-supply-cycle", R"(<step name="supply cycle"><power action="hard-cycle"/></step>)");
  return s;
}

const scenario::Scenario& answering() {
  static const auto s = load("recovery-answering", R"(<step name="answering">
    <expect-any capture="boot" timeout="${ready_within}" else="silent"><urc name="ready">RDY</urc></expect-any>
    <sync tries="5" timeout="1s"/></step>)");
  return s;
}

const scenario::Scenario& rest(bool status_wired) {
  static const auto with_status = load("recovery-rest", R"(<step name="rest"><send>AT+CPOWD=1</send><urc timeout="10s">NORMAL POWER DOWN</urc>
    <expect-pin name="status" level="low" timeout="${off_within}"/><sleep duration="${off_rest}"/></step>)");
  static const auto without = load("recovery-rest", R"(<step name="rest"><send>AT+CPOWD=1</send><urc timeout="10s">NORMAL POWER DOWN</urc>
    <sleep duration="${off_within}"/><sleep duration="${off_rest}"/></step>)");
  return status_wired ? with_status : without;
}

}  // namespace athil::runner::scripts
