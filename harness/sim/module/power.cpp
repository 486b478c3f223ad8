// Power: PWRKEY presses by their width, RESET, the supply, boot and power-down, and the faults that strike after the first boot.
#include "sim/module/common.hpp"

#include <utility>

#include <fmt/format.h>

namespace athil::sim {

void VirtualModule::power_on_now(Time now) {
  now_ = now;
  if (state_ == State::off) boot();
}

void VirtualModule::boot() {
  state_ = State::booting;
  psm_wakes_ = 0;
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
  cmgf_ = 0;  // the SMS settings are not saved either
  cnmi_mt_ = 1;
  cscs_ = "IRA";
  cereg_n_ = cgreg_n_ = 0;
  ceng_mode_ = ceng_ncell_ = 0;
  clts_ = false;
  cpsmstatus_ = false;
  csclk_ = 0;
  uart_asleep_ = false;
  netlight_enabled_ = true;
  rtc_at_anchor_ = rtc_power_on;
  rtc_anchor_ = now_;
  rtc_quarters_ = 0;
  locked_rate_ = 0;
  discard_line_ = false;
  first_command_ = true;
  prompt_lost_ = false;
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
  sms_edit_ = {};
  mqtt_reset();
  sockets_reset();
  sh_ = Sh{.next_id = sh_.next_id};                // the connection and the settings go; an answer still on its way is void
  gnss_ = Gnss{.track_start = gnss_.track_start};  // the receiver is off; a cold start after the next boot
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
      if (state_ == State::psm) {  // the falling edge wakes it; the press means nothing more, short of a reset
        press_reached_on_ = press_reached_off_ = true;
        exit_psm();
      }
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
  } else if (p == Pin::dtr) {
    dtr_high_ = level == Level::high;
    if (!dtr_high_ && uart_asleep_) later(dtr_wake, [this] { uart_asleep_ = false; });
    plan_uart_sleep();
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

void VirtualModule::cmd_cpowd(const Invocation& c) {
  if (c.args == "1") return power_down(true, model_.power_down);
  if (c.args == "0") return power_down(false, urgent_power_down);
  error();
}

void VirtualModule::cmd_creboot(const Invocation&) {
  ok();
  later(200ms, [this] { restart(500ms); });
}

}  // namespace athil::sim
