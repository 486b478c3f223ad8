// Power saving. Sleep mode (AT+CSCLK=1): with DTR high and no input for a while the UART
// sleeps, deaf until DTR goes low (50 ms to wake); the module stays registered and its URCs
// still come out. Power saving mode (3GPP TS 27.007 AT+CPSMS, the timers of TS 24.008 10.5.7.3/10.5.7.4a): once
// registered with PSM requested, the network releases the connection after a spell without
// traffic, the active timer (T3324) runs out and the module sleeps: the UART deaf and silent,
// STATUS and NETLIGHT low, registration kept. The periodic timer (T3412) or a PWRKEY edge wakes
// it; AT+CPSMSTATUS=1 announces both ways.
#include <optional>

#include <fmt/format.h>

#include "sim/module/common.hpp"

namespace athil::sim {

namespace {

bool is_bits(std::string_view s) { return s.size() == 8 && s.find_first_not_of("01") == std::string_view::npos; }

int bits_value(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 2 + (c - '0');
  return v;
}

// T3412 extended: bits 8-6 the unit, 5-1 the multiple. Nullopt: deactivated (or zero).
std::optional<Millis> periodic_tau(std::string_view bits) {
  using std::chrono::hours;
  using std::chrono::minutes;
  using std::chrono::seconds;
  static const std::optional<Millis> units[] = {minutes(10), hours(1), hours(10), seconds(2), seconds(30), minutes(1), hours(320), std::nullopt};
  int v = bits_value(bits);
  auto unit = units[v >> 5];
  if (!unit || (v & 31) == 0) return std::nullopt;
  return *unit * (v & 31);
}

// T3324: 2 s, 1 min or 6 min units (others count as 1 min); 111 deactivates PSM.
std::optional<Millis> active_time(std::string_view bits) {
  int v = bits_value(bits);
  int unit = v >> 5;
  if (unit == 7) return std::nullopt;
  Millis step = unit == 0 ? Millis(2000) : unit == 2 ? Millis(360'000) : Millis(60'000);
  return step * (v & 31);
}

}  // namespace

void VirtualModule::cmd_cpsms(const Invocation& c) {
  if (c.form == Form::read) return reply({fmt::format("+CPSMS: {},,,\"{}\",\"{}\"", psm_.mode, psm_.tau, psm_.active)});
  if (c.form == Form::test) return reply({"+CPSMS: (0-2),,,(\"00000000\"-\"11111111\"),(\"00000000\"-\"11111111\")"});
  auto fields = split_args(c.args);  // quotes dropped
  auto mode = fields.empty() ? std::nullopt : to_int(fields[0]);
  if (!mode || *mode > 2 || fields.size() > 5) return error();
  Psm next = *mode == 2 ? Psm{} : psm_;  // 2: off, and the timers back to their defaults
  next.mode = *mode == 1 ? 1 : 0;
  if (fields.size() > 3 && !fields[3].empty()) next.tau = fields[3];
  if (fields.size() > 4 && !fields[4].empty()) next.active = fields[4];
  if (!is_bits(next.tau) || !is_bits(next.active)) return error();
  psm_ = next;
  ok();
  plan_psm();
}

void VirtualModule::cmd_cpsmstatus(const Invocation& c) {
  if (c.form == Form::read) return reply({fmt::format("+CPSMSTATUS: {}", cpsmstatus_ ? 1 : 0)});
  if (c.args != "0" && c.args != "1") return error();
  cpsmstatus_ = c.args == "1";
  ok();
}

void VirtualModule::cmd_csclk(const Invocation& c) {
  if (c.form == Form::read) return reply({fmt::format("+CSCLK: {}", csclk_)});
  if (c.form == Form::test) return reply({"+CSCLK: (0-2)"});
  if (c.args == "2") return unmodelled("+CSCLK=2");  // sleep on UART idleness alone
  if (c.args != "0" && c.args != "1") return error();
  csclk_ = c.args == "1" ? 1 : 0;
  ok();
  plan_uart_sleep();
}

void VirtualModule::plan_uart_sleep() {
  auto plan = ++sleep_plan_;
  if (csclk_ != 1 || !dtr_high_) return;
  later(uart_idle_before_sleep, [this, plan] {
    if (plan == sleep_plan_ && csclk_ == 1 && dtr_high_ && state_ == State::on) uart_asleep_ = true;
  });
}

// eDRX (3GPP TS 27.007 10.1.41-42): read back per access technology, and as granted.
void VirtualModule::cmd_cedrxs(const Invocation& c) {
  if (c.form == Form::test) return reply({"+CEDRXS: (0-3),(4,5),(\"0000\"-\"1111\")"});
  if (c.form == Form::read) {
    if (edrx_.mode == 0) return ok();
    return reply({fmt::format("+CEDRXS: {},\"{}\"", edrx_.act, edrx_.value)});
  }
  auto fields = split_args(c.args);
  auto mode = fields.empty() ? std::nullopt : to_int(fields[0]);
  if (!mode || *mode > 3 || fields.size() > 3) return error();
  if (*mode == 3) {  // off, and the values discarded
    edrx_ = {};
    return ok();
  }
  Edrx next = edrx_;
  next.mode = *mode;
  if (fields.size() > 1) {
    auto act = to_int(fields[1]);
    if (!act || (*act != 4 && *act != 5)) return error();
    next.act = *act;
  }
  if (fields.size() > 2) next.value = fields[2];
  if (next.value.size() != 4 || next.value.find_first_not_of("01") != std::string::npos) return error();
  edrx_ = next;
  ok();
}

void VirtualModule::cmd_cedrxrdp(const Invocation&) {
  if (edrx_.mode == 0 || reg_stat_ != 1) return reply({"+CEDRXRDP: 0"});  // no access technology using eDRX
  reply({fmt::format("+CEDRXRDP: {},\"{}\",\"{}\",\"0000\"", edrx_.act, edrx_.value, edrx_.value)});
}

void VirtualModule::plan_psm() {
  auto plan = ++psm_plan_;
  auto active = active_time(psm_.active);
  if (psm_.mode != 1 || !active) return;
  later(rrc_inactivity + *active, [this, plan] {
    // psm-no-enter: the module stays registered and awake, paging (LilyGO T-SIM7000G #134, #309).
    if (plan == psm_plan_ && state_ == State::on && reg_stat_ == 1 && psm_.mode == 1 && !faults_.psm_no_enter) enter_psm();
  });
}

void VirtualModule::enter_psm() {
  if (cpsmstatus_) urc("+CPSMSTATUS: \"ENTER PSM\"");
  state_ = State::psm;
  gnss_update();  // LTE leaves the RF path to GNSS while asleep
  line_.clear();
  set_status(Level::low);
  set_netlight(Level::low);
  auto plan = ++psm_plan_;
  auto tau = periodic_tau(psm_.tau);
  if (!tau || faults_.psm_no_wake) return;
  later(*tau, [this, plan] {
    if (plan == psm_plan_ && state_ == State::psm) exit_psm();
  });
}

void VirtualModule::exit_psm() {
  state_ = State::on;
  ++psm_wakes_;
  gnss_update();
  set_status(Level::high);
  blink();
  if (cpsmstatus_) urc("+CPSMSTATUS: \"EXIT PSM\"");
  prompt_lost_ = faults_.no_prompt_after_wake;
  plan_psm();
}

}  // namespace athil::sim
