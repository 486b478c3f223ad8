// Who the module is and how it talks: echo, ATI, revision, manufacturer, model, IMEI, the
// error format (AT+CMEE) and the SIM's PIN state.
#include "sim/module/common.hpp"

#include <fmt/format.h>

namespace athil::sim {

void VirtualModule::cmd_echo(const Invocation& c) {
  echo_ = c.name == "E1";  // ATE is ATE0
  ok();
}

void VirtualModule::cmd_ati(const Invocation&) { reply({model_.ati}); }

// Accepted and without effect here: AT&W, AT&F, ATZ, ATV1.
void VirtualModule::cmd_accepted(const Invocation&) { ok(); }

void VirtualModule::cmd_revision(const Invocation&) { reply({fmt::format("Revision:{}", firmware_)}); }
void VirtualModule::cmd_cgmi(const Invocation&) { reply({"SIMCOM_Ltd"}); }
void VirtualModule::cmd_cgmm(const Invocation&) { reply({model_.cgmm}); }
void VirtualModule::cmd_imei(const Invocation&) { reply({model_.imei()}); }

void VirtualModule::cmd_simcomati(const Invocation&) {
  reply({fmt::format("Revision:{}", firmware_), "CSUB:V01", fmt::format("APRev:{},V01", firmware_), fmt::format("QCN:{}_P1.03", model_.name),
         fmt::format("IMEI:{}", model_.imei())});
}

void VirtualModule::cmd_cmee(const Invocation& c) {
  if (c.form == Form::read) return reply({fmt::format("+CMEE: {}", cmee_)});
  if (c.form == Form::test) return reply({"+CMEE: (0-2)"});
  auto v = to_int(c.args);
  if (!v || *v > 2) return error();
  cmee_ = *v;
  ok();
}

void VirtualModule::cmd_cpin(const Invocation& c) {
  if (c.form == Form::read) return reply({cfun_ == 1 ? "+CPIN: READY" : "+CPIN: NOT READY"});
  // The SIM asks for no PIN (3GPP TS 27.007: entering one is then not allowed); the error's form
  // follows AT+CMEE.
  cme_error(3, "operation not allowed");
}

}  // namespace athil::sim
