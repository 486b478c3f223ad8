#include "sim/module.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "sim/delta.hpp"

namespace athil::sim {

namespace {

using namespace std::chrono_literals;
using namespace std::string_view_literals;

// Documented timings (../shared/reference/sim70x0.md), in model time.
constexpr Millis pwrkey_on_hold = 1000ms;
constexpr Millis pwrkey_off_hold = 1200ms;
constexpr Millis off_before_on = 2000ms;       // a press sooner than this after power-off is ignored
constexpr Millis pwrkey_reset_hold = 12600ms;  // models without a RESET pin reset on a long press
constexpr Millis urgent_power_down = 100ms;
constexpr Millis registration_time = 3000ms;  // searching, then registered on the home network
constexpr Millis netlight_on = 64ms;
constexpr Millis netlight_off_unregistered = 800ms;
constexpr Millis netlight_off_registered = 3000ms;
constexpr Millis netlight_off_data = 300ms;
constexpr Millis fota_recovery = 8000ms;  // restoring the old image after an interrupted update
constexpr Millis bearer_activation = 500ms;
constexpr Millis fota_reset_delay = 500ms;
constexpr Millis fota_updater_start = 1500ms;
constexpr Millis fota_verify_fail = 2000ms;
constexpr Millis fota_duration = 150'000ms;  // "several minutes"
constexpr int fota_progress_steps = 10;
constexpr double download_bytes_per_s = 40'000;  // Cat-M throughput for a delta download
constexpr Millis min_network_timeout = 2000ms;

constexpr std::string_view fota_package = "/fota/update.zip";
constexpr std::string_view fs_dirs[] = {"/custapp/", "/fota/", "/datatx/", "/customer/"};
constexpr std::size_t max_file_chunk = 10240;  // AT+CFSWFILE and AT+CFSRFILE sizes

// What sits in the UART's FIFO and the host's buffers after a power cycle, as real logs show:
// a stale URC, fragments of an old PPP frame, bytes that are not UTF-8.
constexpr std::string_view boot_garbage = "\r\nNORMAL POWER DOWN\r\n~}#\xc0!}!}!} }8}\"}&} } } } }%}&\xde\xad\xbe\xef~\xff\xfe\x00~"sv;
// Unsolicited lines of the urc-storm fault (network time, as with AT+CLTS=1).
constexpr std::string_view storm_lines[] = {"DST: 0", "*PSUTTZ: 26/11/21,06:04:03\",\"+04\",0", "+CTZV: +04,0"};

// Splits "1,\"a,b\",3" into {"1", "a,b", "3"}; quotes are removed.
std::vector<std::string> split_args(std::string_view args) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (char c : args) {
    if (c == '"')
      quoted = !quoted;
    else if (c == ',' && !quoted)
      out.emplace_back();
    else
      out.back() += c;
  }
  if (args.empty()) out.clear();
  return out;
}

std::optional<int> to_int(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

}  // namespace

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
      {"+CEDRXS", {"0,4,\"0010\"", any_args}},
  };
}

Time::duration VirtualModule::scaled(Millis model_delay) const {
  return std::chrono::duration_cast<Time::duration>(std::chrono::duration<double, std::milli>(static_cast<double>(model_delay.count()) * time_scale_));
}

Time VirtualModule::after(Millis model_delay) const { return now_ + scaled(model_delay); }

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
  }
  return "?";
}

// ---- output ---------------------------------------------------------------------------

bool VirtualModule::lost() { return faults_.byte_loss && std::uniform_real_distribution<double>(0, 1)(loss_random_) < *faults_.byte_loss; }

void VirtualModule::emit(std::string_view bytes) {
  if (line_rate() == 0 && !usb()) return;  // autobauding: nothing goes out before the rate is known
  if (silence_ != Silence::none) return;
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
  bool data = std::any_of(bearers_.begin(), bearers_.end(), [](const auto& b) { return b.second.active; });
  Millis off = data ? netlight_off_data : reg_stat_ == 1 ? netlight_off_registered : netlight_off_unregistered;
  set_netlight(Level::high);
  later(netlight_on, [this] { set_netlight(Level::low); });
  later(netlight_on + off, [this] { blink(); });
}

void VirtualModule::register_network() {
  set_registration(2);
  later(registration_time, [this] {
    if (cfun_ == 1) set_registration(1);
  });
}

void VirtualModule::set_registration(int stat) {
  if (reg_stat_ == stat) return;
  reg_stat_ = stat;
  if (cereg_n_ > 0) urc(fmt::format("+CEREG: {}", registration(cereg_n_)));
  if (cgreg_n_ > 0) urc(fmt::format("+CGREG: {}", registration(cgreg_n_)));
}

std::string VirtualModule::registration(int n) const {
  // With n=2 a registered module adds tracking area, cell id and access technology (7: Cat-M).
  return n == 2 && reg_stat_ == 1 ? fmt::format("{},\"1A2B\",\"01A2D101\",7", reg_stat_) : std::to_string(reg_stat_);
}

void VirtualModule::storm() {
  if (state_ != State::on) return;
  urc(storm_lines[storm_next_++ % std::size(storm_lines)]);
  later(*faults_.urc_storm, [this] { storm(); });
}

// ---- power ----------------------------------------------------------------------------

void VirtualModule::power_on_now(Time now) {
  now_ = now;
  if (state_ == State::off) boot();
}

void VirtualModule::boot() {
  state_ = State::booting;
  // Stale bytes reach the host as the UART comes up, whatever its rate.
  if (faults_.garbage_on_boot && !usb()) out_.uart(boot_garbage);
  if (fota_flag_) {
    later(fota_updater_start, [this] { begin_update(); });
    return;
  }
  Millis boot_time = model_.boot_to_uart_ready + faults_.slow_boot.value_or(0ms);
  if (fota_progress_) {
    // Power was lost while an update was applying: the updater restores the old image first.
    boot_time += fota_recovery;
    fota_status_ = !model_.fota_recovery_codes ? 7 : *fota_progress_ < 50 ? 2 : 4;
    fota_progress_.reset();
  }
  later(boot_time, [this] { ready(); });
}

void VirtualModule::ready() {
  if (out_.usb) out_.usb(true);  // enumerated: the port exists before RDY is written to it
  state_ = State::on;
  uart_ready_ = true;
  echo_ = true;  // ATE is not saved
  cmee_ = 0;
  cereg_n_ = cgreg_n_ = 0;
  locked_rate_ = 0;
  discard_line_ = false;
  first_command_ = true;
  cfun_ = stuck_cfun5_ ? 5 : 1;
  set_status(Level::high);
  blink();
  // Autobauding, the module does not know the host's rate yet and says nothing.
  if (line_rate() != 0 || usb()) {
    urc("RDY");
    later(500ms, [this] { urc(fmt::format("+CFUN: {}", cfun_)); });
    if (cfun_ == 1) later(600ms, [this] { urc("+CPIN: READY"); });
    later(2000ms, [this] { urc("SMS Ready"); });
  }
  if (cfun_ == 1) register_network();
  if (faults_.urc_storm) later(*faults_.urc_storm, [this] { storm(); });
  for (auto& apply : std::exchange(deferred_faults_, {})) apply();
  arm_once_faults();
}

void VirtualModule::arm_once_faults() {
  if (once_faults_armed_) return;
  once_faults_armed_ = true;
  // Each strikes once, AFTER the first boot; if the module is off by then, at its next boot.
  auto once = [this](Millis after, std::function<void()> apply) {
    at(this->after(after), [this, apply = std::move(apply)] {
      if (state_ == State::on)
        apply();
      else
        deferred_faults_.push_back(apply);
    });
  };
  if (faults_.spontaneous_powerdown) once(*faults_.spontaneous_powerdown, [this] { power_down(true, model_.power_down); });
  if (faults_.hang) once(*faults_.hang, [this] { silence_ = Silence::hang; });
  if (faults_.brownout_silent) once(*faults_.brownout_silent, [this] { silence_ = Silence::brownout; });
}

void VirtualModule::cut_power() {
  if (out_.usb) out_.usb(false);
  ++life_;
  state_ = State::off;
  uart_ready_ = false;
  silence_ = Silence::none;
  line_.clear();
  bearers_.clear();
  download_.busy = false;
  file_write_.active = false;
  cfs_ready_ = false;
  reg_stat_ = 0;
  set_status(Level::low);
  set_netlight(Level::low);
  off_since_ = now_;
}

void VirtualModule::power_down(bool graceful, Millis takes) {
  if (graceful) urc("NORMAL POWER DOWN");
  state_ = State::powering_down;
  uart_ready_ = false;
  ++life_;  // what the running firmware had scheduled (boot URCs, registration) never comes
  later(takes, [this] { cut_power(); });
}

void VirtualModule::restart(Millis down_for) {
  cut_power();
  state_ = State::booting;
  later(down_for, [this] { boot(); });
}

void VirtualModule::pin_in(Pin p, Level level, Time edge, Time now) {
  now_ = now;
  if (bricked_ && p != Pin::supply) return;  // the supply still switches; nothing boots
  // After a brownout the module is wedged beyond what PWRKEY or RESET can reach.
  if ((silence_ == Silence::brownout || silence_ == Silence::stalled_update) && p != Pin::supply) return;
  if (p == Pin::pwrkey) {
    bool low = level == Level::low;
    if (low == pwrkey_low_) return;
    pwrkey_low_ = low;
    auto press = ++press_;
    if (low) {
      press_edge_ = edge;
      press_reached_on_ = press_reached_off_ = false;
      at(edge + scaled(pwrkey_on_hold), [this, press] {
        if (press == press_) press_held(pwrkey_on_hold);
      });
      at(edge + scaled(pwrkey_off_hold), [this, press] {
        if (press == press_) press_held(pwrkey_off_hold);
      });
      if (!model_.has_reset_pin)
        at(edge + scaled(pwrkey_reset_hold), [this, press] {
          if (press == press_) press_held(pwrkey_reset_hold);
        });
    } else {
      // Judge the press by its measured width too: the timers may run after the release
      // arrived on a loaded machine, and the edges carry the times they really happened.
      auto width = edge - press_edge_;
      if (width >= scaled(pwrkey_on_hold)) press_held(pwrkey_on_hold);
      if (width >= scaled(pwrkey_reset_hold) && !model_.has_reset_pin) press_held(pwrkey_reset_hold);
      if (width >= scaled(pwrkey_off_hold)) press_held(pwrkey_off_hold);
    }
  } else if (p == Pin::supply) {
    bool on = level == Level::high;
    if (on == supplied_) return;
    supplied_ = on;
    // A cut is an instant power loss: no URC, no graceful shutdown. Restored, the module
    // stays off until PWRKEY powers it on. The power went at the edge, however late the
    // news arrived: the 2 s rule for the next power-on counts from there.
    if (!on && state_ != State::off) {
      now_ = edge;
      cut_power();
      now_ = now;
    }
  } else if (p == Pin::reset && model_.has_reset_pin && level == Level::low && state_ != State::off) {
    restart(300ms);
  }
}

void VirtualModule::press_held(Millis hold) {
  if (hold == pwrkey_on_hold && !press_reached_on_) {
    press_reached_on_ = true;
    bool too_soon = off_since_ != Time{} && press_edge_ - off_since_ < scaled(off_before_on);
    if (state_ == State::off && !too_soon && supplied_) {
      press_reached_off_ = true;  // the press that powered the module on does not also power it off
      boot();
    }
  } else if (hold == pwrkey_off_hold && !press_reached_off_) {
    // SIM7000 powers down while the key is held; the models without a RESET pin act on the
    // release, so that a hold past 12.6 s can reset them instead.
    if (model_.has_reset_pin || !pwrkey_low_) {
      press_reached_off_ = true;
      // A hung firmware does not run the power-down; only a reset or the supply reach it.
      if (state_ == State::on && silence_ == Silence::none) power_down(true, model_.power_down);
    }
  } else if (hold == pwrkey_reset_hold && state_ != State::off) {
    press_reached_off_ = true;
    restart(500ms);
  }
}

// ---- UART -----------------------------------------------------------------------------

void VirtualModule::uart_in(std::string_view bytes, Time now, unsigned host_rate) {
  now_ = now;
  std::string echo;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    char c = bytes[i];
    if (lost()) continue;
    if (file_write_.active && uart_ready_) {  // raw file data: no echo, no line editing
      // In one piece when no byte can be lost, else byte by byte.
      auto take = faults_.byte_loss ? 1 : std::min(bytes.size() - i, file_write_.size - file_write_.data.size());
      file_bytes(bytes.substr(i, take));
      i += take - 1;
      continue;
    }
    if (!uart_ready_ || state_ != State::on || silence_ != Silence::none) return;  // unpowered, busy or wedged: lost
    if (line_rate() == 0 && !usb()) {
      // Autobauding: the module measures the rate on "AT"; that line is lost.
      if ((c == 'T' || c == 't') && (line_ == "A" || line_ == "a")) {
        locked_rate_ = host_rate != 0 ? host_rate : 115200;
        discard_line_ = true;
        first_command_ = false;
      }
      line_ = c == '\r' ? "" : std::string(1, c);
      if (discard_line_) line_.clear();
      continue;
    }
    if (faults_.first_at_lost && first_command_) discard_line_ = true;
    first_command_ = false;
    if (discard_line_) {
      if (c == '\r') discard_line_ = false;
      continue;
    }
    if (echo_) echo += c;
    if (c == '\r') {
      if (!echo.empty()) emit(std::exchange(echo, {}));
      handle_line(std::exchange(line_, {}));
    } else if (c == '\n') {
      continue;
    } else if (c == '\b' || c == 0x7f) {
      if (!line_.empty()) line_.pop_back();
    } else if (line_.size() < 1024) {
      line_ += c;
    }
  }
  if (!echo.empty()) emit(echo);
}

void VirtualModule::handle_line(std::string line) {
  auto b = line.find_first_not_of(' ');
  if (b == std::string::npos) return;
  line = line.substr(b);
  if (line.size() < 2 || upper(line.substr(0, 2)) != "AT") return;  // not a command: ignored, as the module does
  handle_command(line.substr(2));
}

void VirtualModule::handle_command(const std::string& cmd) {
  std::string u = upper(cmd);
  if (cmd.empty()) return ok();
  if (u == "E0" || u == "E1" || u == "E") {
    echo_ = u == "E1";
    return ok();
  }
  if (u == "I") return reply({model_.ati});
  if (u == "&W" || u == "&F" || u == "Z" || u == "V1") return ok();
  if (cmd[0] != '+') return error();

  auto name_end = cmd.find_first_of("=?");
  std::string name = upper(cmd.substr(0, name_end));
  std::string rest = name_end == std::string::npos ? "" : cmd.substr(name_end);
  std::string_view form = rest.empty() ? "exec" : rest == "?" ? "read" : rest == "=?" ? "test" : rest[0] == '=' ? "set" : "bad";
  std::string args = form == "set" ? rest.substr(1) : "";
  if (form == "bad") return error();

  if ((name == "+GMR" || name == "+CGMR") && form == "exec") return reply({fmt::format("Revision:{}", firmware_)});
  if (name == "+CGMI" && form == "exec") return reply({"SIMCOM_Ltd"});
  if (name == "+CGMM" && form == "exec") return reply({model_.cgmm});
  if ((name == "+GSN" || name == "+CGSN") && form == "exec") return reply({model_.imei()});
  if (name == "+SIMCOMATI" && form == "exec")
    return reply({fmt::format("Revision:{}", firmware_), "CSUB:V01", fmt::format("APRev:{},V01", firmware_), fmt::format("QCN:{}_P1.03", model_.name),
                  fmt::format("IMEI:{}", model_.imei())});
  if (name == "+CMEE") {
    if (form == "read") return reply({fmt::format("+CMEE: {}", cmee_)});
    if (form == "test") return reply({"+CMEE: (0-2)"});
    auto v = to_int(args);
    if (form == "set" && v && *v <= 2) {
      cmee_ = *v;
      return ok();
    }
    return error();
  }
  if (name == "+CPIN" && form == "read") return reply({cfun_ == 1 ? "+CPIN: READY" : "+CPIN: NOT READY"});
  // The SIM asks for no PIN (3GPP TS 27.007: entering one is then not allowed); the error's form
  // follows AT+CMEE.
  if (name == "+CPIN" && form == "set") return cme_error(3, "operation not allowed");
  if (name == "+IPR") return cmd_ipr(form, args);
  // Network state as a Cat-M module reports it (shapes from real modules' logs).
  bool registered = reg_stat_ == 1;
  if (name == "+COPS" && form == "read") return reply({registered ? "+COPS: 0,0,\"Virtual Operator\",7" : "+COPS: 0"});
  if (name == "+CREG" && form == "read") return reply({fmt::format("+CREG: 0,{}", reg_stat_)});
  if (name == "+CPSI" && form == "read")
    return reply({registered   ? "+CPSI: LTE CAT-M1,Online,001-01,0x07D0,12024586,465,EUTRAN-BAND20,6350,5,5,-16,-83,-53,10"
                  : cfun_ == 1 ? "+CPSI: NO SERVICE,Online"
                               : "+CPSI: NO SERVICE,Low Power Mode"});
  if (name == "+CGNAPN" && form == "exec") return reply({"+CGNAPN: 0,\"\""});
  if (name == "+CEDRXRDP" && form == "exec") return reply({"+CEDRXRDP: 4,\"0010\",\"0010\",\"0000\""});
  if (name == "+CPSMRDP" && form == "exec") return reply({"+CPSMRDP: 0,20,14400,0,0,3600"});
  if (auto setting = settings_.find(name); setting != settings_.end()) {
    auto& [value, valid] = setting->second;
    if (form == "read") return reply({fmt::format("{}: {}", name, value)});
    if (form == "set" && valid(args)) {
      value = args;
      return ok();
    }
    return error();
  }
  if (name == "+CSQ" && form == "exec") return reply({cfun_ == 1 ? "+CSQ: 20,99" : "+CSQ: 99,99"});
  if (name == "+CGATT" && form == "read") return reply({fmt::format("+CGATT: {}", registered ? 1 : 0)});
  if (name == "+CEREG" || name == "+CGREG") {
    int& n = name == "+CEREG" ? cereg_n_ : cgreg_n_;
    if (form == "test") return reply({fmt::format("{}: (0-2)", name)});
    if (form == "read") return reply({fmt::format("{}: {},{}", name, n, registration(n))});
    auto v = to_int(args);
    if (form != "set" || !v || *v > 2) return error();
    n = *v;
    return ok();
  }
  if (name == "+CFUN" && form == "read") return reply({fmt::format("+CFUN: {}", cfun_)});
  if (name == "+CFUN" && form == "set") {
    if (cfun_ == 5) return error();  // stuck in factory test mode: only a reflash helps
    if (args == "1,1") {
      ok();
      return later(200ms, [this] { restart(500ms); });
    }
    if (args != "0" && args != "1") return error();
    int want = args == "0" ? 0 : 1;
    ok();
    if (want == cfun_) return;
    cfun_ = want;
    if (want == 1) {
      urc("+CPIN: READY");
      return register_network();
    }
    urc("+CPIN: NOT READY");
    for (auto& [idx, bearer] : bearers_)
      if (std::exchange(bearer.active, false))
        urc(model_.cnact == CnactSyntax::indexed ? fmt::format("+APP PDP: {},DEACTIVE", idx) : std::string("+APP PDP: DEACTIVE"));
    return set_registration(0);
  }
  if (name == "+CPOWD" && form == "set") {
    if (args == "1") return power_down(true, model_.power_down);
    if (args == "0") return power_down(false, urgent_power_down);
    return error();
  }
  if (name == "+CREBOOT" && form == "exec") {
    ok();
    return later(200ms, [this] { restart(500ms); });
  }
  if (name == "+CNACT") return cmd_cnact(form, args);
  if (name == "+HTTPTOFS" || name == "+HTTPTOFSRL")
    return name == "+HTTPTOFS" ? cmd_httptofs(form, args) : cmd_httptofs(form == "read" ? "progress" : "bad", "");
  if (name == "+CFOTA") return cmd_cfota(form, args);
  if (name.rfind("+CFS", 0) == 0) return cmd_cfs(name, form, args);
  error();  // unknown command: plain ERROR, whatever AT+CMEE says
}

// ---- bearer ---------------------------------------------------------------------------

void VirtualModule::cmd_cnact(std::string_view form, const std::string& args) {
  bool indexed = model_.cnact == CnactSyntax::indexed;
  if (form == "test") return reply({indexed ? "+CNACT: (0-3),(0-2)" : "+CNACT: (0-2),\"APN\""});
  if (form == "read") {
    if (!indexed) {
      auto& b = bearers_[0];
      return reply({fmt::format("+CNACT: {},\"{}\"", b.active ? 1 : 0, b.active ? b.ip : "0.0.0.0")});
    }
    std::string s;
    for (int i = 0; i < 4; ++i) {
      auto& b = bearers_[i];
      s += fmt::format("\r\n+CNACT: {},{},\"{}\"\r\n", i, b.active ? 1 : 0, b.active ? b.ip : "0.0.0.0");
    }
    return emit(s + "\r\nOK\r\n");
  }
  if (form != "set") return error();
  auto a = split_args(args);
  int idx = 0;
  std::optional<int> action;
  if (indexed) {
    if (a.size() != 2) return error();
    auto i = to_int(a[0]);
    if (!i || *i > 3) return error();
    idx = *i;
    action = to_int(a[1]);
  } else {
    if (a.empty() || a.size() > 2) return error();
    action = to_int(a[0]);
  }
  if (!action || *action > 2) return error();
  std::string prefix = indexed ? fmt::format("{},", idx) : "";
  auto& bearer = bearers_[idx];
  if (*action == 0) {
    ok();
    if (bearer.active) {
      bearer.active = false;
      later(bearer_activation, [this, prefix] { urc(fmt::format("+APP PDP: {}DEACTIVE", prefix)); });
    }
    return;
  }
  if (bearer.active) return error();  // activating an active context: plain ERROR
  ok();
  later(bearer_activation, [this, idx, prefix] {
    if (reg_stat_ != 1) return urc(fmt::format("+APP PDP: {}DEACTIVE", prefix));  // not attached: it fails
    bearers_[idx] = Bearer{true, fmt::format("10.{}.{}.{}", 100 + idx, 17, 5 + idx)};
    urc(fmt::format("+APP PDP: {}ACTIVE", prefix));
    if (faults_.pdp_drop && !std::exchange(pdp_drop_armed_, true))
      later(*faults_.pdp_drop, [this, idx, prefix] {
        if (!std::exchange(bearers_[idx].active, false)) return;
        urc(fmt::format("+APP PDP: {}DEACTIVE", prefix));
      });
  });
}

// ---- HTTP download to the file system -------------------------------------------------

void VirtualModule::cmd_httptofs(std::string_view form, const std::string& args) {
  if (form == "progress") {
    return reply({fmt::format("+HTTPTOFSRL: {},{},{}", download_.busy ? 1 : 0, download_.got, download_.total)});
  }
  if (form == "read") return reply({fmt::format("+HTTPTOFS: {},\"{}\",\"{}\"", download_.busy ? 1 : 0, download_.url, download_.path)});
  if (form == "test") return reply({"+HTTPTOFS: \"url\",\"path\",(10-1000),(5-100)"});
  if (form != "set") return error();
  auto a = split_args(args);
  if (a.size() < 2 || a.size() > 4 || a[0].empty()) return error();
  const std::string& path = a[1];
  bool dir_ok = std::any_of(std::begin(fs_dirs), std::end(fs_dirs), [&](std::string_view d) {
    return path.size() > d.size() && path.rfind(d, 0) == 0 && path.find('/', d.size()) == std::string::npos;
  });
  int timeout_s = 50;
  if (a.size() >= 3) {
    auto t = to_int(a[2]);
    if (!t || *t < 10 || *t > 1000) return error();
    timeout_s = *t;
  }
  if (a.size() == 4) {
    auto r = to_int(a[3]);
    if (!r || *r < 5 || *r > 100) return error();
  }
  if (!dir_ok || download_.busy) return error();
  ok();
  download_ = Download{.busy = true, .id = download_.id + 1, .url = a[0], .path = path};
  bool bearer_up = std::any_of(bearers_.begin(), bearers_.end(), [](const auto& b) { return b.second.active; });
  if (!bearer_up || faults_.http_601) {
    // No PDP context: the stack cannot reach the network.
    auto id = download_.id;
    return later(1000ms, [this, id] { http_done(HttpResult{id, HttpResult::Failure::other, 0, {}}, now_); });
  }
  auto scaled = std::chrono::duration_cast<Millis>(std::chrono::duration<double, std::milli>(timeout_s * 1000.0 * time_scale_));
  out_.http_get(HttpGet{download_.id, a[0], std::max(scaled, min_network_timeout)});
}

void VirtualModule::http_done(const HttpResult& r, Time now) {
  now_ = std::max(now_, now);
  if (!download_.busy || r.id != download_.id) return;  // the module restarted meanwhile
  int status = r.status;
  switch (r.failure) {
    case HttpResult::Failure::none: break;
    case HttpResult::Failure::refused: status = 601; break;
    case HttpResult::Failure::other: status = 601; break;
    case HttpResult::Failure::dns: status = 603; break;
    case HttpResult::Failure::timeout: status = 408; break;
  }
  std::size_t length = r.failure == HttpResult::Failure::none ? r.body.size() : 0;
  download_.total = length;
  auto transfer = Millis(static_cast<long long>(static_cast<double>(length) * 1000.0 / download_bytes_per_s));
  later(transfer, [this, status, length, body = r.body] {
    if (status == 200 || status == 206) files_[download_.path] = body;
    download_.busy = false;
    download_.got = length;
    urc(fmt::format("+HTTPTOFS: {},{}", status, length));
  });
}

// ---- FOTA -----------------------------------------------------------------------------

void VirtualModule::cmd_cfota(std::string_view form, const std::string& args) {
  if (form == "read") return reply({fmt::format("+CFOTA: {}", fota_status_)});
  if (form == "test") return reply({"+CFOTA: (0,1)"});
  if (form != "set") return error();
  if (args == "0") {
    fota_flag_ = false;
    fota_status_ = 8;
    return ok();
  }
  if (args != "1") return error();
  ok();
  fota_flag_ = true;
  fota_status_ = 1;
  later(fota_reset_delay, [this] { restart(500ms); });
}

void VirtualModule::begin_update() {
  if (out_.usb) out_.usb(true);
  state_ = State::updating;
  set_status(Level::high);
  urc("+CFOTA: \"Start to update\"");
  fota_flag_ = false;
  std::string why;
  Delta delta;
  auto file = files_.find(std::string(fota_package));
  if (file == files_.end()) {
    why = "no /fota/update.zip";
  } else {
    try {
      delta = parse_delta(file->second);
      if (delta.model != model_.name)
        why = fmt::format("package is for {}", delta.model);
      else if (delta.from != firmware_)
        why = fmt::format("package is from {}, module runs {}", delta.from, firmware_);
    } catch (const std::invalid_argument& e) {
      why = e.what();
    }
  }
  if (!why.empty()) return finish_update(false, fota_verify_fail);
  // Applying: from here a power loss leaves a half-written image that the next boot recovers.
  fota_progress_ = 0;
  for (int step = 1; step <= fota_progress_steps; ++step) {
    int percent = step * 100 / fota_progress_steps;
    if (faults_.fota_stall && percent > *faults_.fota_stall) {
      // The updater stops where the next percent was due: silent, deaf to PWRKEY and RESET,
      // until the supply is cut.
      later(fota_duration * step / fota_progress_steps, [this] { silence_ = Silence::stalled_update; });
      return;
    }
    if (faults_.fota_brick && percent > *faults_.fota_brick) {
      // The image is half written and the boot loader cannot recover it: off for good.
      later(fota_duration * step / fota_progress_steps, [this] {
        cut_power();
        bricked_ = true;
      });
      return;
    }
    if (faults_.fota_fail && percent > *faults_.fota_fail) return finish_update(false, fota_duration * (step - 1) / fota_progress_steps + 1000ms);
    later(fota_duration * step / fota_progress_steps, [this, percent] {
      fota_progress_ = percent;
      urc(fmt::format("+CFOTA: \"Updating\",{}", percent));
    });
  }
  later(fota_duration + 1000ms, [this, to = delta.to] {
    firmware_ = to;
    finish_update(true, 0ms);
  });
}

void VirtualModule::finish_update(bool success, Millis after) {
  later(after, [this, success] {
    fota_progress_.reset();
    fota_status_ = success ? 6 : 7;
    if (faults_.stuck_cfun5_after_update) stuck_cfun5_ = true;
    urc(success ? "+CFOTA: \"Update successfully, please wait for reset\"" : "+CFOTA: \"Update failed, please wait for reset\"");
    later(1000ms, [this] { restart(500ms); });
  });
}

// ---- file system ----------------------------------------------------------------------

void VirtualModule::file_bytes(std::string_view bytes) {
  file_write_.data.append(bytes);
  if (file_write_.data.size() < file_write_.size) return;
  file_write_.active = false;
  auto& file = files_[file_write_.path];
  if (file_write_.append)
    file += file_write_.data;
  else
    file = std::move(file_write_.data);
  ok();
}

void VirtualModule::cmd_cfs(const std::string& name, std::string_view form, const std::string& args) {
  if (name == "+CFSINIT" && form == "exec") {
    if (cfs_ready_) return error();  // the buffer is already taken
    cfs_ready_ = true;
    return ok();
  }
  if (name == "+CFSTERM" && form == "exec") {
    cfs_ready_ = false;
    return ok();
  }
  auto a = split_args(args);
  if (form != "set" || a.size() < 2) return error();
  auto dir = to_int(a[0]);
  if (!dir || *dir > 3 || a[1].empty() || a[1].find('/') != std::string::npos) return error();
  std::string path = std::string(fs_dirs[*dir]) + a[1];
  auto file = files_.find(path);
  if (name == "+CFSGFIS") return file == files_.end() ? error() : reply({fmt::format("+CFSGFIS: {}", file->second.size())});
  if (name == "+CFSRFILE") return cmd_cfsrfile(path, a);
  if (name == "+CFSWFILE") {
    // AT+CFSWFILE=<index>,"<name>",<mode 0|1>,<size 1..10240>,<input time ms 1..10000>
    if (a.size() != 5 || !cfs_ready_) return error();
    auto mode = to_int(a[2]), size = to_int(a[3]), input_ms = to_int(a[4]);
    if (!mode || *mode > 1 || !size || *size < 1 || *size > static_cast<int>(max_file_chunk) || !input_ms || *input_ms < 1 || *input_ms > 10000) return error();
    file_write_ = FileWrite{true, path, *mode == 1, static_cast<std::size_t>(*size), {}, file_write_.id + 1};
    emit("\r\nDOWNLOAD");  // a prompt: no line end
    auto id = file_write_.id;
    later(Millis(*input_ms), [this, id] {
      if (!file_write_.active || file_write_.id != id) return;
      file_write_.active = false;  // the host was too slow: nothing is written
      error();
    });
    return;
  }
  if (name == "+CFSDFILE") {
    if (file == files_.end()) return error();
    files_.erase(file);
    return ok();
  }
  error();
}

void VirtualModule::cmd_cfsrfile(const std::string& path, const std::vector<std::string>& a) {
  // AT+CFSRFILE=<index>,"<name>",<mode 0 from the start|1 from position>,<size 1..10240>,<position>
  // -> +CFSRFILE: <bytes read>, then the bytes raw, then OK.
  if (!cfs_ready_ || a.size() != 5) return error();
  auto file = files_.find(path);
  auto mode = to_int(a[2]), size = to_int(a[3]), position = to_int(a[4]);
  if (file == files_.end() || !mode || *mode > 1 || !size || *size < 1 || *size > static_cast<int>(max_file_chunk) || !position) return error();
  std::size_t from = *mode == 1 ? static_cast<std::size_t>(*position) : 0;
  if (from > file->second.size()) return error();
  std::string data = file->second.substr(from, static_cast<std::size_t>(*size));
  emit(fmt::format("\r\n+CFSRFILE: {}\r\n", data.size()) + data + "\r\n");
  ok();
}

// ---- line rate ------------------------------------------------------------------------

void VirtualModule::cmd_ipr(std::string_view form, const std::string& args) {
  if (form == "read") return reply({fmt::format("+IPR: {}", ipr_)});
  const auto& rates = ipr_rates();
  if (form == "test") return reply({fmt::format("+IPR: ({})", fmt::join(rates, ","))});
  auto rate = to_int(args);
  if (form != "set" || !rate || std::find(rates.begin(), rates.end(), static_cast<unsigned>(*rate)) == rates.end()) return error();
  // OK still goes out at the old rate; the new one is saved and used from the next byte on.
  // IPR=0 autobauds from the next boot; until then the module keeps the rate it runs at.
  ok();
  if (*rate != 0)
    ipr_ = static_cast<unsigned>(*rate);
  else {
    locked_rate_ = line_rate();
    ipr_ = 0;
  }
}

}  // namespace athil::sim
