// GNSS: AT+CGNSPWR, AT+CGNSINF in each family's form, and AT+SGNSCMD (SIM7070/7080/7090).
// The receiver has its fix a time to first fix after it can track: a cold start after every
// boot, a hot one after that while the module stays powered. On SIM7070/7080/7090 GNSS and LTE
// share the RF path: the receiver tracks only while the radio is off (AT+CFUN=0) or asleep (PSM),
// as public reports of these modules say (LilyGO T-SIM7080G #60 and #173, T-SIM7000G #254 for
// the SIM7070G, with the SIM7000G not affected).
#include "sim/module/common.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace athil::sim {

namespace {

using std::chrono::system_clock;
const system_clock::time_point fixed_utc = std::chrono::sys_days{std::chrono::year{2026} / 1 / 1};
// The receiver's own clock before it has the satellites' time: the GPS epoch, as real SIM7000
// logs show it ("19800106002148.000" 21 minutes after power-on).
const system_clock::time_point receiver_epoch = std::chrono::sys_days{std::chrono::year{1980} / 1 / 6};

std::string stamp(system_clock::time_point t) {
  auto ms = std::chrono::floor<std::chrono::milliseconds>(t);
  return fmt::format("{:%Y%m%d%H%M%S}.{:03d}", std::chrono::floor<std::chrono::seconds>(ms), ms.time_since_epoch().count() % 1000);
}

}  // namespace

bool VirtualModule::gnss_rf_free() const { return model_.gnss == GnssReceiver::own_rf || cfun_ == 0 || state_ == State::psm; }

bool VirtualModule::gnss_fixed() const { return gnss_.on && gnss_.fix_from && now_ >= *gnss_.fix_from && !faults_.gnss_no_fix; }

void VirtualModule::gnss_update() {
  if (!gnss_.on || !gnss_rf_free()) {
    gnss_.fix_from.reset();  // LTE took the RF path: the fix is lost
    return;
  }
  if (!gnss_.fix_from) gnss_.fix_from = after(gnss_.ephemeris ? gnss_hot_ttff : gnss_cold_ttff);
}

system_clock::time_point VirtualModule::gnss_utc() const { return out_.network_utc ? out_.network_utc() : fixed_utc; }

GnssTrack::Fix VirtualModule::gnss_position() const {
  double seconds = std::chrono::duration<double>(now_ - *gnss_.track_start).count() / time_scale_;
  return gnss_track_.at(seconds);
}

void VirtualModule::cmd_cgnspwr(const Invocation& c) {
  if (c.form == Form::read) return reply({fmt::format("+CGNSPWR: {}", gnss_.on ? 1 : 0)});
  if (c.form == Form::test) return reply({"+CGNSPWR: (0,1)"});
  if (c.args != "0" && c.args != "1") return error();
  gnss_.on = c.args == "1";
  if (gnss_.on && !gnss_.on_since) gnss_.on_since = now_;
  if (!gnss_.on) gnss_.on_since.reset();
  if (!gnss_.track_start) gnss_.track_start = now_;  // the track plays from the receiver's first start
  gnss_update();
  ok();
}

std::string VirtualModule::cgnsinf_fields() {
  bool own = model_.gnss == GnssReceiver::own_rf;
  if (!gnss_.on) return own ? "0,,,,,,,,,,,,,,,,,,,," : "0,,,,,,,,,,,,,,,,,";
  if (!gnss_fixed()) {
    if (!own) return "1,,,,,,,,,,,,,,,,,";  // an assumption: no field the receiver cannot vouch for
    auto since_on = std::chrono::duration_cast<system_clock::duration>(std::chrono::duration<double>((now_ - *gnss_.on_since)) / time_scale_);
    return fmt::format("1,0,{},,,,0.00,0.0,0,,,,,,0,0,,,,,", stamp(receiver_epoch + since_on));
  }
  gnss_.ephemeris = true;
  auto p = gnss_position();
  std::string common = fmt::format("1,1,{},{:.6f},{:.6f},{:.3f},{:.2f},{:.1f},1,,1.1,1.4,0.9,,{}", stamp(gnss_utc()), p.latitude, p.longitude, p.altitude_m,
                                   p.speed_kmh, p.course_deg, gnss_satellites_in_view);
  return own ? fmt::format("{},{},,,42,,", common, gnss_satellites_used) : common + ",,3.2,4.8";
}

void VirtualModule::cmd_cgnsinf(const Invocation&) { reply({"+CGNSINF: " + cgnsinf_fields()}); }

// AT+SGNSCMD=0 stops; =1[,...] reports one fix; =2,<interval ms 1000..60000>[,<distance>,<accuracy>]
// reports one every interval. It runs the receiver itself (an assumption), under the same RF rule.
void VirtualModule::cmd_sgnscmd(const Invocation& c) {
  auto a = split_args(c.args);
  auto mode = int_arg(a, 0);
  if (!mode || *mode < 0 || *mode > 2) return error();
  std::optional<int> interval = 1000;
  if (*mode == 2) interval = int_arg(a, 1);
  if (!interval || *interval < 1000 || *interval > 60000) return error();
  ok();
  auto chain = ++gnss_.sgns_chain;
  gnss_.sgns_mode = *mode;
  if (*mode == 0) return;
  bool was_on = gnss_.on;
  gnss_.on = true;
  if (!was_on) gnss_.on_since = now_;
  if (!gnss_.track_start) gnss_.track_start = now_;
  gnss_update();
  sgns_report(chain, Millis(*interval));
}

void VirtualModule::sgns_report(std::uint64_t chain, Millis interval) {
  if (chain != gnss_.sgns_chain) return;
  if (gnss_fixed()) {
    gnss_.ephemeris = true;
    auto p = gnss_position();
    auto utc = std::chrono::floor<std::chrono::milliseconds>(gnss_utc());
    // The last field is a flag whose meaning no public source gives: 311 as a SIM7080G printed it.
    urc(fmt::format("+SGNSCMD: {},{:%H:%M:%S},{:.5f},{:.5f},3.20,{:.2f},{:.2f},{:.2f},{:.2f},0x{:x},311", gnss_.sgns_mode,
                    std::chrono::floor<std::chrono::seconds>(utc), p.latitude, p.longitude, p.altitude_m, p.altitude_m, p.speed_kmh, p.course_deg,
                    utc.time_since_epoch().count()));
    if (gnss_.sgns_mode == 1) return;
  }
  later(gnss_.sgns_mode == 1 ? 1000ms : interval, [this, chain, interval] { sgns_report(chain, interval); });
}

}  // namespace athil::sim
