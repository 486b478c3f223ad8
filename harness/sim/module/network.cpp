// The network as a Cat-M module reports it (shapes from real modules' logs): operator,
// registration and its URCs, signal, the stored radio settings, and AT+CFUN.
#include "sim/module/common.hpp"

#include <utility>

#include <fmt/format.h>

namespace athil::sim {

void VirtualModule::cmd_cops(const Invocation&) { reply({reg_stat_ == 1 ? "+COPS: 0,0,\"Virtual Operator\",7" : "+COPS: 0"}); }
void VirtualModule::cmd_creg(const Invocation&) { reply({fmt::format("+CREG: 0,{}", reg_stat_)}); }

void VirtualModule::cmd_cpsi(const Invocation&) {
  reply({reg_stat_ == 1 ? "+CPSI: LTE CAT-M1,Online,001-01,0x07D0,12024586,465,EUTRAN-BAND20,6350,5,5,-16,-83,-53,10"
         : cfun_ == 1   ? "+CPSI: NO SERVICE,Online"
                        : "+CPSI: NO SERVICE,Low Power Mode"});
}

void VirtualModule::cmd_cgnapn(const Invocation&) { reply({"+CGNAPN: 0,\"\""}); }
void VirtualModule::cmd_cpsmrdp(const Invocation&) { reply({"+CPSMRDP: 0,20,14400,0,0,3600"}); }
void VirtualModule::cmd_csq(const Invocation&) { reply({cfun_ == 1 ? "+CSQ: 20,99" : "+CSQ: 99,99"}); }
void VirtualModule::cmd_cgatt(const Invocation&) { reply({fmt::format("+CGATT: {}", reg_stat_ == 1 ? 1 : 0)}); }

// Settings answered as "+NAME: value" and changed with AT+NAME=value (their values and what
// each accepts are set up with the module).
void VirtualModule::cmd_setting(const Invocation& c) {
  auto setting = settings_.find(c.name);
  if (setting == settings_.end()) return unmodelled(c.name);
  auto& [value, valid] = setting->second;
  if (c.form == Form::read) return reply({fmt::format("{}: {}", c.name, value)});
  if (!valid(c.args)) return error();
  value = c.args;
  ok();
}

// AT+CEREG and AT+CGREG: <n> says how much the registration URC tells.
void VirtualModule::cmd_cereg(const Invocation& c) {
  int& n = c.name == "+CEREG" ? cereg_n_ : cgreg_n_;
  if (c.form == Form::test) return reply({fmt::format("{}: (0-2)", c.name)});
  if (c.form == Form::read) return reply({fmt::format("{}: {},{}", c.name, n, registration(n))});
  auto v = to_int(c.args);
  if (!v || *v > 2) return error();
  n = *v;
  ok();
}

void VirtualModule::cmd_cfun(const Invocation& c) {
  if (c.form == Form::read) return reply({fmt::format("+CFUN: {}", cfun_)});
  if (cfun_ == 5) return error();  // stuck in factory test mode: only a reflash helps
  if (c.args == "1,1") {
    ok();
    return later(200ms, [this] { restart(500ms); });
  }
  if (c.args != "0" && c.args != "1") return error();
  int want = c.args == "0" ? 0 : 1;
  ok();
  if (want == cfun_) return;
  cfun_ = want;
  gnss_update();
  if (want == 1) {
    urc("+CPIN: READY");
    return register_network();
  }
  urc("+CPIN: NOT READY");
  ++registration_search_;  // the radio is off: a search under way ends with it
  for (auto& [idx, bearer] : bearers_)
    if (std::exchange(bearer.active, false))
      urc(model_.cnact == CnactSyntax::indexed ? fmt::format("+APP PDP: {},DEACTIVE", idx) : std::string("+APP PDP: DEACTIVE"));
  set_registration(0);
}

}  // namespace athil::sim
