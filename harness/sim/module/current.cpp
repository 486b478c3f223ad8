// What the module draws from its supply in each state (the figures: models.cpp). Registered, the
// radio wakes for paging every DRX cycle (1.28 s), or every eDRX cycle with AT+CEDRXS on; the
// figures are averages over those cycles, so the floor between peaks is what is left of them.
#include "sim/module/common.hpp"

namespace athil::sim {

Draw VirtualModule::draw() const {
  const CurrentFigures& f = model_.current;
  if (!supplied_) return {};
  double gnss = gnss_.on ? f.gnss : 0;
  switch (state_) {
    case State::off: return Draw{.floor = f.off};
    case State::booting: return Draw{.floor = f.boot};
    case State::updating: return Draw{.floor = f.update};
    case State::psm: return Draw{.floor = f.psm + psm_wakes_ * faults_.sleep_current_creep.value_or(0) + gnss};
    case State::on:
    case State::powering_down: break;
  }
  if (waiting_on_network() || download_.busy) return Draw{.floor = f.transmit + gnss};
  if (cfun_ != 1) return Draw{.floor = f.minimum + gnss};
  if (reg_stat_ != 1) return Draw{.floor = f.searching + gnss};
  Draw d = paging_draw(uart_asleep_ ? f.sleep : f.idle, f.paging_peak, scaled(f.paging_width), scaled(drx_cycle), registered_at_);
  if (edrx_.mode != 0 && edrx_cycle(edrx_.value).count() > 0) d.period = scaled(edrx_cycle(edrx_.value));
  d.floor += gnss;
  d.peak += gnss;
  return d;
}

}  // namespace athil::sim
