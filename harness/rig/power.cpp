#include "rig/power.hpp"

#include <fmt/format.h>

namespace athil::rig {

using namespace std::chrono_literals;

namespace {
// To the millisecond: a message says "after 1.5s", not "after 1499.819ms".
Duration since(Clock::time_point start) { return std::chrono::round<std::chrono::milliseconds>(Clock::now() - start); }
}  // namespace

const PowerTiming& power_timing(std::string_view model) { return model_or_default(model).power; }

PowerControl::PowerControl(Pins& pins, std::string model, TimeScale scale, std::function<void(Deadline)> idle, Note note)
    : pins_(pins), model_(std::move(model)), scale_(scale), idle_(std::move(idle)), note_(std::move(note)) {}

Clock::time_point PowerControl::press(PinRole role, Duration d, Deadline bound) {
  if (!pins_.has(role)) throw InfraError(fmt::format("the rig wires no {} line for a {} sequence", to_string(role), model_));
  // Timed from the request, not from its acknowledgement: both edges then take the same path.
  const auto pressed = Clock::now();
  // A press cut short is another press (a 1.2 s power-on press released early does nothing).
  if (bound < pressed + scale_.hold(d)) {
    Duration left = std::max<Duration>(Duration::zero(), std::chrono::round<std::chrono::milliseconds>(bound - pressed));
    throw PowerSequenceCut(
        fmt::format("a {} press of {} does not fit in the {} left", to_string(role), format_duration(scale_.hold(d)), format_duration(left)));
  }
  // Where the line's driver times the pulse (a virtual module), the host only waits it out.
  const bool timed_by_driver = pins_.pulse(role, Level::low, scale_.hold(d));
  if (!timed_by_driver) pins_.set(role, Level::low);
  note(fmt::format("{} low", to_string(role)), timed_by_driver ? pressed : Clock::now());
  struct Release {
    PowerControl& pc;
    PinRole role;
    bool done = false;
    ~Release() {
      if (done || std::uncaught_exceptions() == 0) return;
      try {
        pc.pins_.set(role, Level::high);
        pc.note(fmt::format("{} high (released as the sequence was cut short)", to_string(role)));
      } catch (...) {  // the pins failed too: the first error is the one to report
      }
    }
  } release{*this, role};
  idle_(pressed + scale_.hold(d));
  const auto released = Clock::now();
  if (!timed_by_driver) pins_.set(role, Level::high);
  release.done = true;
  note(fmt::format("{} high", to_string(role)), timed_by_driver ? pressed + scale_.hold(d) : released);
  if (!timed_by_driver) check_held(role, d, std::chrono::duration_cast<Duration>(released - pressed));
  return pressed + scale_.hold(d);
}

void PowerControl::check_held(PinRole role, Duration asked, Duration held_on_host) const {
  if (role != PinRole::pwrkey) return;
  const Duration held = scale_.module_time(held_on_host);
  const auto& t = power_timing(model_);
  struct Hold {
    Duration min;
    const char* meaning;
  };
  for (const Hold& h : {Hold{t.pwrkey_on_min, "power-on"}, Hold{t.pwrkey_off_min, "power-off"}, Hold{t.pwrkey_reset_min, "reset"}}) {
    if (h.min == Duration::zero() || asked >= h.min || held < h.min) continue;
    throw PressOverrun(
        fmt::format("the {} press of {} was held {} ({} on the host at time scale {}): past the {}'s documented {} {} hold, so the module may have done what a "
                    "longer press does; the host is too slow for this time scale",
                    to_string(role), format_duration(asked), format_duration(std::chrono::round<std::chrono::milliseconds>(held)),
                    format_duration(std::chrono::round<std::chrono::microseconds>(held_on_host)), scale_.factor(), model_, format_duration(h.min), h.meaning));
  }
}

bool PowerControl::wait_level(PinRole role, Level level, Deadline deadline) {
  // The virtual channel pushes edges and libgpiod can be read at any time: sample between
  // short spells of servicing the port, so that nothing on the line waits unread.
  constexpr auto slice = 5ms;
  while (true) {
    if (pins_.get(role) == level) return true;
    auto now = Clock::now();
    if (now >= deadline) return false;
    idle_(std::min<Deadline>(now + slice, deadline));
  }
}

void PowerControl::expect_status(Level level, Duration within, const char* what, Deadline bound) {
  if (!pins_.has(PinRole::status)) return;  // nothing to check against
  const auto start = Clock::now();
  const auto allowed = start + scale_.timeout(within);
  if (wait_level(PinRole::status, level, std::min(allowed, bound))) return;
  auto still = to_string(level == Level::high ? Level::low : Level::high);
  if (bound < allowed)
    throw PowerSequenceCut(
        fmt::format("{}: STATUS still {} after {} of the {} it may take", what, still, format_duration(since(start)), format_duration(scale_.timeout(within))));
  throw PowerSequenceFailure(fmt::format("{}: STATUS still {} after {}", what, still, format_duration(scale_.timeout(within))));
}

void PowerControl::rest(Duration rest, const char* what, Deadline bound) {
  const auto start = Clock::now();
  const auto end = start + scale_.hold(rest);
  idle_(std::min(end, bound));
  if (bound < end)
    throw PowerSequenceCut(fmt::format("{}: the rest of {} cut short after {}", what, format_duration(scale_.hold(rest)), format_duration(since(start))));
}

void PowerControl::on(Deadline bound) {
  const auto& t = power_timing(model_);
  if (pins_.has(PinRole::status) && pins_.get(PinRole::status) == Level::high) {
    note("power on: STATUS already high");
    return;
  }
  press(PinRole::pwrkey, t.on_hold, bound);
  expect_status(Level::high, t.ready_within, "power on", bound);
}

void PowerControl::off(Deadline bound) {
  const auto& t = power_timing(model_);
  if (pins_.has(PinRole::status) && pins_.get(PinRole::status) == Level::low) {
    note("power off: STATUS already low");
    return;
  }
  press(PinRole::pwrkey, t.off_hold, bound);
  expect_status(Level::low, t.off_within, "power off", bound);
  rest(t.off_rest, "power off", bound);
}

void PowerControl::reset(Deadline bound) {
  const auto& t = power_timing(model_);
  if (model_or_default(model_).reset_pin && pins_.has(PinRole::reset))
    press(PinRole::reset, t.reset_hold, bound);
  else
    press(PinRole::pwrkey, t.reset_hold, bound);
  // Low first: a module that ignored the reset keeps STATUS high throughout.
  expect_status(Level::low, 3s, "reset", bound);
  expect_status(Level::high, t.ready_within, "reset", bound);
}

void PowerControl::cycle(Deadline bound) {
  off(bound);
  on(bound);
}

void PowerControl::hard_cycle(Deadline bound) {
  const auto& t = power_timing(model_);
  if (!pins_.has(PinRole::supply)) throw InfraError(fmt::format("the rig switches no supply for a {} supply cycle", model_));
  pins_.set_within(PinRole::supply, Level::low, bound);
  note("supply off");
  rest(t.off_rest, "supply cycle", bound);  // cut short, the supply stays off: a rest too short is no rest
  pins_.set_within(PinRole::supply, Level::high, bound);
  note("supply on");
  if (pins_.has(PinRole::pwrkey)) return on(bound);
  // A board with PWRKEY strapped low powers the module on with its supply.
  note("no PWRKEY line: the module starts with its supply");
  expect_status(Level::high, t.ready_within, "power on with the supply", bound);
}

}  // namespace athil::rig
