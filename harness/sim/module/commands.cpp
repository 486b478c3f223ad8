// The commands the virtual module plays, as a table: a command, the forms it answers, its
// handler (in the file of its concern). A command line is parsed once here; anything not in
// the table goes to unmodelled(), which answers as the module answers a command it does not
// know and says in the module's log whether the real module knows it (sim/command_list.hpp).
#include "sim/module/common.hpp"

#include <algorithm>
#include <array>

#include "sim/command_list.hpp"

namespace athil::sim {

bool VirtualModule::Forms::has(Form form) const {
  switch (form) {
    case Form::exec: return exec;
    case Form::read: return read;
    case Form::test: return test;
    case Form::set: return set;
  }
  return false;
}

std::span<const VirtualModule::Command> VirtualModule::command_table() {
  using M = VirtualModule;
  using F = Forms;
  static const auto table = std::to_array<Command>({
      // identity and the basic commands (identity.cpp)
      {"E", F{.exec = true}, &M::cmd_echo},
      {"E0", F{.exec = true}, &M::cmd_echo},
      {"E1", F{.exec = true}, &M::cmd_echo},
      {"I", F{.exec = true}, &M::cmd_ati},
      {"&W", F{.exec = true}, &M::cmd_accepted},
      {"&F", F{.exec = true}, &M::cmd_accepted},
      {"Z", F{.exec = true}, &M::cmd_accepted},
      {"V1", F{.exec = true}, &M::cmd_accepted},
      {"+GMR", F{.exec = true}, &M::cmd_revision},
      {"+CGMR", F{.exec = true}, &M::cmd_revision},
      {"+CGMI", F{.exec = true}, &M::cmd_cgmi},
      {"+CGMM", F{.exec = true}, &M::cmd_cgmm},
      {"+GSN", F{.exec = true}, &M::cmd_imei},
      {"+CGSN", F{.exec = true}, &M::cmd_imei},
      {"+SIMCOMATI", F{.exec = true}, &M::cmd_simcomati},
      {"+CMEE", F{.read = true, .test = true, .set = true}, &M::cmd_cmee},
      {"+CPIN", F{.read = true, .set = true}, &M::cmd_cpin},
      // the SIM, the supply, the clock, the status light, the cell and the command list (housekeeping.cpp)
      {"+CCID", F{.exec = true}, &M::cmd_ccid},
      {"+CIMI", F{.exec = true}, &M::cmd_cimi},
      {"+CBC", F{.exec = true}, &M::cmd_cbc},
      {"+CCLK", F{.read = true, .set = true}, &M::cmd_cclk},
      {"+CLTS", F{.read = true, .test = true, .set = true}, &M::cmd_clts},
      {"+CNETLIGHT", F{.read = true, .set = true}, &M::cmd_cnetlight},
      {"+CENG", F{.read = true, .set = true}, &M::cmd_ceng},
      {"+CGACT", F{.read = true}, &M::cmd_cgact},
      {"+GSV", F{.exec = true}, &M::cmd_gsv},
      {"+CLAC", F{.exec = true}, &M::cmd_clac},
      // network (network.cpp)
      {"+COPS", F{.read = true}, &M::cmd_cops},
      {"+CREG", F{.read = true}, &M::cmd_creg},
      {"+CPSI", F{.read = true}, &M::cmd_cpsi},
      {"+CGNAPN", F{.exec = true}, &M::cmd_cgnapn},
      {"+CEDRXRDP", F{.exec = true}, &M::cmd_cedrxrdp},
      {"+CPSMRDP", F{.exec = true}, &M::cmd_cpsmrdp},
      {"+CNMP", F{.read = true, .set = true}, &M::cmd_setting},
      {"+CMNB", F{.read = true, .set = true}, &M::cmd_setting},
      {"+IFC", F{.read = true, .set = true}, &M::cmd_setting},
      {"+CBANDCFG", F{.read = true, .set = true}, &M::cmd_setting},
      {"+CGDCONT", F{.read = true, .set = true}, &M::cmd_setting},
      {"+CSQ", F{.exec = true}, &M::cmd_csq},
      {"+CGATT", F{.read = true}, &M::cmd_cgatt},
      {"+CEREG", F{.read = true, .test = true, .set = true}, &M::cmd_cereg},
      {"+CGREG", F{.read = true, .test = true, .set = true}, &M::cmd_cereg},
      {"+CFUN", F{.read = true, .set = true}, &M::cmd_cfun},
      // power saving (psm.cpp)
      {"+CPSMS", F{.read = true, .test = true, .set = true}, &M::cmd_cpsms},
      {"+CPSMSTATUS", F{.read = true, .set = true}, &M::cmd_cpsmstatus},
      {"+CSCLK", F{.read = true, .test = true, .set = true}, &M::cmd_csclk},
      {"+CEDRXS", F{.read = true, .test = true, .set = true}, &M::cmd_cedrxs},
      // power (power.cpp) and the line rate (uart.cpp)
      {"+CPOWD", F{.set = true}, &M::cmd_cpowd},
      {"+CREBOOT", F{.exec = true}, &M::cmd_creboot},
      {"+IPR", F{.read = true, .test = true, .set = true}, &M::cmd_ipr},
      // the bearer, HTTP, FOTA and the file system
      {"+CNACT", F{.read = true, .test = true, .set = true}, &M::cmd_cnact},
      {"+HTTPTOFS", F{.read = true, .test = true, .set = true}, &M::cmd_httptofs},
      {"+HTTPTOFSRL", F{.read = true}, &M::cmd_httptofsrl},
      {"+CFOTA", F{.read = true, .test = true, .set = true}, &M::cmd_cfota},
      {"+CFSINIT", F{.exec = true}, &M::cmd_cfsinit},
      {"+CFSTERM", F{.exec = true}, &M::cmd_cfsterm},
      {"+CFSGFIS", F{.set = true}, &M::cmd_cfsgfis},
      {"+CFSRFILE", F{.set = true}, &M::cmd_cfsrfile},
      {"+CFSWFILE", F{.set = true}, &M::cmd_cfswfile},
      {"+CFSDFILE", F{.set = true}, &M::cmd_cfsdfile},
      // SMS in text mode (sms.cpp)
      {"+CMGF", F{.read = true, .test = true, .set = true}, &M::cmd_cmgf},
      {"+CSCS", F{.read = true, .test = true, .set = true}, &M::cmd_cscs},
      {"+CNMI", F{.read = true, .set = true}, &M::cmd_cnmi},
      {"+CMGS", F{.set = true}, &M::cmd_cmgs},
      {"+CMGR", F{.set = true}, &M::cmd_cmgr},
      {"+CMGL", F{.exec = true, .set = true}, &M::cmd_cmgl},
      {"+CMGD", F{.set = true}, &M::cmd_cmgd},
      // GNSS (gnss.cpp)
      {"+CGNSPWR", F{.read = true, .test = true, .set = true}, &M::cmd_cgnspwr},
      {"+CGNSINF", F{.exec = true}, &M::cmd_cgnsinf},
      {"+SGNSCMD", F{.set = true}, &M::cmd_sgnscmd},
      // HTTP(S) and certificates (https.cpp)
      {"+CSSLCFG", F{.set = true}, &M::cmd_csslcfg},
      {"+SHSSL", F{.set = true}, &M::cmd_shssl},
      {"+SHCONF", F{.set = true}, &M::cmd_shconf},
      {"+SHCONN", F{.exec = true}, &M::cmd_shconn},
      {"+SHSTATE", F{.read = true}, &M::cmd_shstate},
      {"+SHAHEAD", F{.set = true}, &M::cmd_shahead},
      {"+SHCHEAD", F{.exec = true}, &M::cmd_shchead},
      {"+SHBOD", F{.set = true}, &M::cmd_shbod},
      {"+SHREQ", F{.set = true}, &M::cmd_shreq},
      {"+SHREAD", F{.set = true}, &M::cmd_shread},
      {"+SHDISC", F{.exec = true}, &M::cmd_shdisc},
      // TCP/UDP, to real peers (sockets.cpp)
      {"+CAOPEN", F{.set = true}, &M::cmd_caopen},
      {"+CASEND", F{.set = true}, &M::cmd_casend},
      {"+CARECV", F{.set = true}, &M::cmd_carecv},
      {"+CACLOSE", F{.set = true}, &M::cmd_caclose},
      {"+CASTATE", F{.read = true}, &M::cmd_castate},
      {"+CACID", F{.set = true}, &M::cmd_ca_setting},
      {"+CASSLCFG", F{.set = true}, &M::cmd_ca_setting},
      // SIM7000's TCP/IP toolkit and bearer profiles (cip.cpp)
      {"+CSTT", F{.read = true, .set = true}, &M::cmd_cstt},
      {"+CIICR", F{.exec = true}, &M::cmd_ciicr},
      {"+CIFSR", F{.exec = true}, &M::cmd_cifsr},
      {"+CIPMUX", F{.read = true, .set = true}, &M::cmd_cipmux},
      {"+CIPQSEND", F{.read = true, .set = true}, &M::cmd_cip_flag},
      {"+CIPHEAD", F{.read = true, .set = true}, &M::cmd_cip_flag},
      {"+CIPSTATUS", F{.exec = true}, &M::cmd_cipstatus},
      {"+CIPSTART", F{.set = true}, &M::cmd_cipstart},
      {"+CIPSEND", F{.exec = true, .set = true}, &M::cmd_cipsend},
      {"+CIPRXGET", F{.set = true}, &M::cmd_ciprxget},
      {"+CIPCLOSE", F{.exec = true, .set = true}, &M::cmd_cipclose},
      {"+CIPSHUT", F{.exec = true}, &M::cmd_cipshut},
      {"+SAPBR", F{.set = true}, &M::cmd_sapbr},
      // MQTT, to a real broker (mqtt.cpp)
      {"+SMCONF", F{.set = true}, &M::cmd_smconf},
      {"+SMCONN", F{.exec = true}, &M::cmd_smconn},
      {"+SMSSL", F{.read = true, .set = true}, &M::cmd_smssl},
      {"+SMPUB", F{.set = true}, &M::cmd_smpub},
      {"+SMSUB", F{.set = true}, &M::cmd_smsub},
      {"+SMUNSUB", F{.set = true}, &M::cmd_smunsub},
      {"+SMDISC", F{.exec = true}, &M::cmd_smdisc},
      {"+SMSTATE", F{.read = true}, &M::cmd_smstate},
  });
  return table;
}

const VirtualModule::Command* VirtualModule::find_command(std::string_view name) {
  auto table = command_table();
  auto it = std::find_if(table.begin(), table.end(), [&](const Command& c) { return c.name == name; });
  return it == table.end() ? nullptr : &*it;
}

std::vector<std::string_view> VirtualModule::modelled_commands() {
  std::vector<std::string_view> out;
  for (const auto& c : command_table()) out.push_back(c.name);
  return out;
}

void VirtualModule::handle_line(std::string line) {
  if (waiting_on_network()) {  // a command still waits on the network: this one runs after it (what is not kept is lost)
    if (held_lines_.size() < max_held_lines) held_lines_.push_back(std::move(line));
    return;
  }
  auto b = line.find_first_not_of(' ');
  if (b == std::string::npos) return;
  line = line.substr(b);
  if (line.size() < 2 || upper(line.substr(0, 2)) != "AT") return;  // not a command: ignored, as the module does
  handle_command(line.substr(2));
}

void VirtualModule::handle_command(const std::string& cmd) {
  if (cmd.empty()) return ok();  // AT
  auto name_end = cmd.find_first_of("=?");
  std::string rest = name_end == std::string::npos ? "" : cmd.substr(name_end);
  if (!rest.empty() && rest != "?" && rest[0] != '=') return error();  // AT+X?=1: a syntax error, not a command
  Invocation c{.name = upper(cmd.substr(0, name_end)),
               .form = rest.empty()   ? Form::exec
                       : rest == "?"  ? Form::read
                       : rest == "=?" ? Form::test
                                      : Form::set,
               .args = rest.size() > 1 && rest != "=?" ? rest.substr(1) : ""};
  const Command* command = find_command(c.name);
  // A family plays only what its firmware knows (AT+SGNSCMD is not a SIM7000's).
  if (!command || !command->forms.has(c.form) || !lists(model_, c.name)) return unmodelled(cmd);
  (this->*command->handle)(c);
}

void VirtualModule::unmodelled(std::string_view command) {
  error();                                                                    // unknown command: plain ERROR, whatever AT+CMEE says
  std::string name = upper(command.substr(0, command.find_first_of("=? ")));  // "+CCID (with the SIM off)" is +CCID
  auto& say = lists(model_, name) ? out_.unmodelled : out_.unknown;
  if (say) say(command);
}

}  // namespace athil::sim
