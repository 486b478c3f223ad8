// What a host reads to know its module and its surroundings: the SIM's ICCID and IMSI, the
// supply (AT+CBC), the real-time clock and the network's time (AT+CCLK, AT+CLTS), the status
// light, the serving cell (AT+CENG), the PDP contexts, and the command list (AT+CLAC).
// Shapes from real logs: *PSUTTZ with its stray quote and DST from a SIM7000's boot
// (../shared/transcripts/06), AT+CENG? and AT+CCLK? from a SIM7070 driver's captured replies.
#include <cstdio>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "sim/command_list.hpp"
#include "sim/module/common.hpp"

namespace athil::sim {

namespace {
using std::chrono::system_clock;
const system_clock::time_point fixed_network_utc = std::chrono::sys_days{std::chrono::year{2026} / 1 / 1};
}  // namespace

void VirtualModule::cmd_ccid(const Invocation&) {
  if (cfun_ != 1) return unmodelled("+CCID (with the SIM off)");
  reply({sim_iccid});
}

void VirtualModule::cmd_cimi(const Invocation&) {
  if (cfun_ != 1) return unmodelled("+CIMI (with the SIM off)");
  reply({sim_imsi});
}

void VirtualModule::cmd_cbc(const Invocation&) { reply({fmt::format("+CBC: 0,{},{}", supply_percent, supply_millivolts)}); }

std::string VirtualModule::clock_text() const {
  auto model_elapsed = std::chrono::duration_cast<std::chrono::seconds>((now_ - rtc_anchor_) / time_scale_);
  auto local = std::chrono::floor<std::chrono::seconds>(rtc_at_anchor_ + model_elapsed);
  return fmt::format("{:%y/%m/%d,%H:%M:%S}{:+03d}", local, rtc_quarters_);
}

void VirtualModule::cmd_cclk(const Invocation& c) {
  if (c.form == Form::read) return reply({fmt::format("+CCLK: \"{}\"", clock_text())});
  int yy = 0, mo = 0, dd = 0, hh = 0, mi = 0, ss = 0, tz = 0;
  char end = 0;
  if (std::sscanf(c.args.c_str(), "\"%2d/%2d/%2d,%2d:%2d:%2d%3d\"%c", &yy, &mo, &dd, &hh, &mi, &ss, &tz, &end) != 7) return error();
  std::chrono::year_month_day day{std::chrono::year{2000 + yy}, std::chrono::month(static_cast<unsigned>(mo)), std::chrono::day(static_cast<unsigned>(dd))};
  if (!day.ok() || hh > 23 || mi > 59 || ss > 59 || hh < 0 || mi < 0 || ss < 0 || tz < -48 || tz > 56) return error();
  rtc_at_anchor_ = std::chrono::sys_days{day} + std::chrono::hours(hh) + std::chrono::minutes(mi) + std::chrono::seconds(ss);
  rtc_anchor_ = now_;
  rtc_quarters_ = tz;
  ok();
}

void VirtualModule::cmd_clts(const Invocation& c) {
  if (c.form == Form::read) return reply({fmt::format("+CLTS: {}", clts_ ? 1 : 0)});
  if (c.form == Form::test) return reply({"+CLTS: (0,1)"});
  if (c.args != "0" && c.args != "1") return error();
  clts_ = c.args == "1";
  ok();
}

void VirtualModule::network_time() {
  auto utc = std::chrono::floor<std::chrono::seconds>(out_.network_utc ? out_.network_utc() : fixed_network_utc);
  rtc_at_anchor_ = utc + std::chrono::minutes(15 * network_quarters);
  rtc_anchor_ = now_;
  rtc_quarters_ = network_quarters;
  urc("DST: 0");
  urc(fmt::format("*PSUTTZ: {:%y/%m/%d,%H:%M:%S}\",\"{:+03d}\",0", utc, network_quarters));
}

void VirtualModule::cmd_cnetlight(const Invocation& c) {
  if (c.form == Form::read) return reply({fmt::format("+CNETLIGHT: {}", netlight_enabled_ ? 1 : 0)});
  if (c.args != "0" && c.args != "1") return error();
  netlight_enabled_ = c.args == "1";
  if (!netlight_enabled_) set_netlight(Level::low);
  ok();
}

// The serving cell's engineering line matches AT+CPSI's cell (network.cpp).
void VirtualModule::cmd_ceng(const Invocation& c) {
  if (c.form == Form::set) {
    int mode = 0, ncell = 0;
    char end = 0;
    int n = std::sscanf(c.args.c_str(), "%d,%d%c", &mode, &ncell, &end);
    if (n < 1 || n > 2 || mode < 0 || mode > 1 || ncell < 0 || ncell > 1) return error();
    ceng_mode_ = mode;
    ceng_ncell_ = n == 2 ? ncell : 0;
    return ok();
  }
  if (reg_stat_ != 1) return unmodelled("+CENG? (off the network)");
  reply({fmt::format("+CENG: {},{},1,LTE CAT-M1", ceng_mode_, ceng_ncell_), "+CENG: 0,\"6350,465,-83,-53,-16,10,2000,12024586,001,01,255\""});
}

void VirtualModule::cmd_cgact(const Invocation&) { reply({fmt::format("+CGACT: 1,{}", reg_stat_ == 1 ? 1 : 0)}); }

void VirtualModule::cmd_gsv(const Invocation&) { reply({"SIMCOM_Ltd", model_.cgmm, fmt::format("Revision:{}", firmware_)}); }

void VirtualModule::cmd_clac(const Invocation&) {
  std::string lines;
  for (auto name : command_list(model_)) lines += fmt::format("\r\nAT{}\r\n", name);
  emit(lines);
  ok();
}

}  // namespace athil::sim
