// FOTA: the update flag (AT+CFOTA), the updater verifying and applying a delta package, its progress and faults.
#include "sim/module/common.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "base/error.hpp"
#include "sim/delta.hpp"

namespace athil::sim {

void VirtualModule::cmd_cfota(const Invocation& c) {
  if (c.form == Form::read) return reply({fmt::format("+CFOTA: {}", fota_status_)});
  if (c.form == Form::test) return reply({"+CFOTA: (0,1)"});
  if (c.args == "0") {
    fota_flag_ = false;
    fota_status_ = 8;
    return ok();
  }
  if (c.args != "1") return error();
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
    } catch (const InputError& e) {
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

}  // namespace athil::sim
