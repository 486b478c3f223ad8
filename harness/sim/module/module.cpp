// The module's state, clock and outputs: timers in model time, the bytes and pin levels it sends.
#include "sim/module/common.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace athil::sim {

VirtualModule::VirtualModule(const ModelInfo& model, std::string firmware, double time_scale, Outputs outputs, Faults faults)
    : model_(model),
      initial_firmware_(firmware),
      firmware_(std::move(firmware)),
      time_scale_(time_scale),
      out_(std::move(outputs)),
      faults_(faults),
      ipr_(model.default_ipr),
      stuck_cfun5_(faults.stuck_cfun5_at_boot) {
  auto one_of = [](std::vector<std::string> allowed) {  // owned: an initializer_list would dangle
    return [allowed = std::move(allowed)](const std::string& v) { return std::find(allowed.begin(), allowed.end(), v) != allowed.end(); };
  };
  auto any_args = [](const std::string& v) { return !v.empty(); };
  // Settings answered as "+NAME: value" and changed with AT+NAME=value.
  settings_ = {
      {"+CNMP", {"38", one_of({"2", "13", "38", "51"})}},  // preferred mode: auto, GSM, LTE, GSM and LTE
      {"+CMNB", {"1", one_of({"1", "2", "3"})}},           // Cat-M, NB-IoT, both
      {"+IFC", {"0,0", one_of({"0,0", "2,2"})}},           // flow control: none, RTS/CTS
      {"+CBANDCFG", {"\"CAT-M\",1,2,3,4,5,8,12,13,18,19,20,26,28", any_args}},
      {"+CGDCONT", {"1,\"IP\",\"\"", any_args}},
  };
}

Time::duration VirtualModule::scaled(Millis model_delay) const {
  return std::chrono::duration_cast<Time::duration>(std::chrono::duration<double, std::milli>(static_cast<double>(model_delay.count()) * time_scale_));
}

Time VirtualModule::after(Millis model_delay) const { return now_ + scaled(model_delay); }

Millis VirtualModule::network_timeout(Millis model_timeout) const {
  return std::max(std::chrono::duration_cast<Millis>(scaled(model_timeout)), min_network_timeout);
}

void VirtualModule::at(Time when, std::function<void()> fn) { timers_.emplace(when, std::move(fn)); }

void VirtualModule::later(Millis model_delay, std::function<void()> fn) {
  auto life = life_;
  at(after(model_delay), [this, life, fn = std::move(fn)] {
    if (life == life_) fn();
  });
}

void VirtualModule::advance(Time now) {
  while (!timers_.empty() && timers_.begin()->first <= now) {
    auto node = timers_.extract(timers_.begin());
    now_ = node.key();  // chained delays count from when the timer was due, not when it ran
    node.mapped()();
  }
  now_ = now;
}

std::optional<Time> VirtualModule::next_deadline() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first;
}

Level VirtualModule::pin(Pin p) const {
  switch (p) {
    case Pin::status: return status_;
    case Pin::pwrkey: return pwrkey_low_ ? Level::low : Level::high;
    case Pin::netlight: return netlight_;
    case Pin::reset: return Level::high;
    case Pin::supply: return supplied_ ? Level::high : Level::low;
    case Pin::dtr: return dtr_high_ ? Level::high : Level::low;
  }
  return Level::low;
}

unsigned VirtualModule::line_rate() const {
  if (usb()) return 0;  // a USB port has no line rate
  return ipr_ != 0 ? ipr_ : locked_rate_;
}

bool VirtualModule::reset_state() {
  if (state_ != State::off) return false;
  firmware_ = initial_firmware_;
  files_.clear();
  converted_.clear();
  sms_.clear();
  ipr_ = model_.default_ipr;
  fota_status_ = 8;
  fota_flag_ = false;
  fota_progress_.reset();
  stuck_cfun5_ = faults_.stuck_cfun5_at_boot;
  return true;
}

const char* VirtualModule::state_name() const {
  switch (state_) {
    case State::off: return "off";
    case State::booting: return "booting";
    case State::on: return "on";
    case State::powering_down: return "powering-down";
    case State::updating: return "updating";
    case State::psm: return "psm";
  }
  return "?";
}

// ---- output ---------------------------------------------------------------------------

bool VirtualModule::lost() { return faults_.byte_loss && std::uniform_real_distribution<double>(0, 1)(loss_random_) < *faults_.byte_loss; }

void VirtualModule::emit(std::string_view bytes) {
  if (line_rate() == 0 && !usb()) return;                         // autobauding: nothing goes out before the rate is known
  if (silence_ != Silence::none || state_ == State::psm) return;  // asleep: nothing goes out
  if (!faults_.byte_loss) return out_.uart(bytes);
  std::string kept;
  for (char c : bytes)
    if (!lost()) kept += c;
  if (!kept.empty()) out_.uart(kept);
}

void VirtualModule::emit_final(std::string_view bytes) {
  if (faults_.late_reply) return later(*faults_.late_reply, [this, s = std::string(bytes)] { emit(s); });
  emit(bytes);
}

void VirtualModule::urc(std::string_view line) { emit(fmt::format("\r\n{}\r\n", line)); }
void VirtualModule::reply(std::initializer_list<std::string_view> lines) {
  std::string s;
  for (auto l : lines) s += fmt::format("\r\n{}\r\n", l);
  emit(s);
  ok();
}
void VirtualModule::ok() {
  // The urc-storm fault puts an unsolicited line inside every response, before its result.
  if (faults_.urc_storm) urc(storm_lines[storm_next_++ % std::size(storm_lines)]);
  emit_final("\r\nOK\r\n");
}
void VirtualModule::error() { emit_final("\r\nERROR\r\n"); }
void VirtualModule::cme_error(int code, std::string_view text) {
  if (cmee_ == 0)
    error();
  else if (cmee_ == 1)
    emit_final(fmt::format("\r\n+CME ERROR: {}\r\n", code));
  else
    emit_final(fmt::format("\r\n+CME ERROR: {}\r\n", text));
}

void VirtualModule::set_status(Level level) {
  if (status_ == level) return;
  status_ = level;
  out_.pin(Pin::status, level, now_);
}

void VirtualModule::set_netlight(Level level) {
  if (netlight_ == level) return;
  netlight_ = level;
  out_.pin(Pin::netlight, level, now_);
}

void VirtualModule::blink() {
  // 64 ms on, then off for a time that says the state: searching, registered, data.
  if (state_ != State::on || silence_ != Silence::none) return set_netlight(Level::low);
  auto chain = ++blink_chain_;
  bool data = std::any_of(bearers_.begin(), bearers_.end(), [](const auto& b) { return b.second.active; });
  Millis off = data ? netlight_off_data : reg_stat_ == 1 ? netlight_off_registered : netlight_off_unregistered;
  if (netlight_enabled_) set_netlight(Level::high);
  later(netlight_on, [this] { set_netlight(Level::low); });
  later(netlight_on + off, [this, chain] {
    if (chain == blink_chain_) blink();
  });
}

void VirtualModule::register_network() {
  set_registration(2);
  // A new search supersedes one still under way (AT+CFUN=0 then 1 searches from the start).
  auto search = ++registration_search_;
  later(registration_time, [this, search] {
    if (cfun_ == 1 && search == registration_search_) set_registration(1);
  });
}

void VirtualModule::set_registration(int stat) {
  if (reg_stat_ == stat) return;
  reg_stat_ = stat;
  if (cereg_n_ > 0) urc(fmt::format("+CEREG: {}", registration(cereg_n_)));
  if (cgreg_n_ > 0) urc(fmt::format("+CGREG: {}", registration(cgreg_n_)));
  if (stat == 1 && clts_) network_time();  // the network's time comes with the attach
  if (stat == 1) registered_at_ = now_;
  if (stat == 1) plan_psm();
}

std::string VirtualModule::registration(int n) const {
  // With n=2 a registered module adds tracking area, cell id and access technology (7: Cat-M).
  return n == 2 && reg_stat_ == 1 ? fmt::format("{},\"1A2B\",\"01A2D101\",7", reg_stat_) : std::to_string(reg_stat_);
}

void VirtualModule::storm() {
  if (state_ == State::psm) return later(*faults_.urc_storm, [this] { storm(); });  // quiet while asleep, on again after
  if (state_ != State::on) return;
  urc(storm_lines[storm_next_++ % std::size(storm_lines)]);
  later(*faults_.urc_storm, [this] { storm(); });
}

}  // namespace athil::sim
