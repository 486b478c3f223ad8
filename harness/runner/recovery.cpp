#include "runner/recovery.hpp"

#include <fmt/format.h>

#include "base/interrupt.hpp"
#include "models/models.hpp"

namespace athil::runner {

namespace {

using namespace std::chrono_literals;

constexpr Duration command_timeout = 10s;  // for AT+CFUN=1,1's OK
constexpr Duration answer_within = 5s;     // for AT, once the module had time to boot
constexpr Duration one_try = 1s;           // for each AT's OK: a module that listens answers in milliseconds

std::string seconds_since(Clock::time_point t) { return fmt::format("{:.1f} s", std::chrono::duration<double>(Clock::now() - t).count()); }

bool has_status(const Device& d) { return d.pins && d.pins->has(rig::PinRole::status); }

// A slot rests powered off between scenarios: each powers the module on in its setup
// (fixtures/power-on) and off in its teardown. A module brought back is powered down by the
// book, so that the next scenario starts from rest. Returns what went wrong, or empty.
std::string rest(Device& d, TimeScale scale) {
  const auto& timing = rig::power_timing(d.model);
  d.engine->clear_urcs();
  d.engine->send_command("AT+CPOWD=1", Clock::now() + command_timeout);
  if (!d.engine->wait_urc([](const std::string& l) { return l == "NORMAL POWER DOWN"; }, Clock::now() + scale.timeout(command_timeout)))
    return fmt::format("no NORMAL POWER DOWN within {} of AT+CPOWD=1", format_duration(scale.timeout(command_timeout)));
  d.engine->module_restarted("AT+CPOWD=1");
  if (has_status(d)) {
    if (!d.power_control(scale)->wait_level(rig::PinRole::status, rig::Level::low, Clock::now() + scale.timeout(timing.off_within)))
      return fmt::format("STATUS still high {} after NORMAL POWER DOWN", format_duration(scale.timeout(timing.off_within)));
  } else {
    d.engine->drain_until(Clock::now() + scale.hold(timing.off_within));  // nothing to watch: the longest documented drop
  }
  d.engine->drain_until(Clock::now() + scale.hold(timing.off_rest));
  return {};
}

// After a rung's action: RDY says the firmware is up (a module that autobauds prints none,
// and then the boot budget passes first), then AT must be answered; then the module rests.
RecoveryRung back_or_not(Device& d, TimeScale scale, std::string name, Clock::time_point started) {
  const auto& timing = rig::power_timing(d.model);
  d.engine->wait_urc([](const std::string& l) { return l == "RDY"; }, Clock::now() + scale.timeout(timing.ready_within));
  auto until = Clock::now() + scale.timeout(answer_within);
  while (Clock::now() < until) {
    // Unanswered: lost (an autobauding module's first AT), or the module is not back.
    auto r = d.engine->probe_at(until, std::min(Clock::now() + one_try, until), "no answer to AT within " + format_duration(one_try));
    if (r.kind == AtEngine::ExpectResult::Kind::matched) {
      std::string answered = "answering AT after " + seconds_since(started);
      if (auto problem = rest(d, scale); !problem.empty()) return {std::move(name), false, fmt::format("{}, but {}", answered, problem)};
      return {std::move(name), true, answered + ", then powered down to rest"};
    }
    if (r.kind == AtEngine::ExpectResult::Kind::other_final) d.engine->drain_until(std::min(Clock::now() + one_try, until));
  }
  return {
      std::move(name), false,
      fmt::format("no answer to AT within {} after {}", format_duration(scale.timeout(answer_within)), format_duration(scale.timeout(timing.ready_within)))};
}

RecoveryRung soft_reset(Device& d, TimeScale scale) {
  // An unpowered module hears nothing: STATUS low sends the ladder straight to the pins.
  if (has_status(d) && d.pins->get(rig::PinRole::status) == rig::Level::low) return {"AT+CFUN=1,1", false, "skipped: STATUS low, the module is off"};
  auto started = Clock::now();
  d.engine->send_command("AT+CFUN=1,1", Clock::now() + command_timeout);
  auto r = d.engine->expect_response([](const std::string& l) { return l == "OK"; }, Clock::now() + scale.timeout(command_timeout));
  if (r.kind == AtEngine::ExpectResult::Kind::timeout)
    return {"AT+CFUN=1,1", false, fmt::format("no answer within {}", format_duration(scale.timeout(command_timeout)))};
  if (r.kind == AtEngine::ExpectResult::Kind::other_final) return {"AT+CFUN=1,1", false, fmt::format("answered {}", r.line.text)};
  d.engine->module_restarted("AT+CFUN=1,1");
  return back_or_not(d, scale, "AT+CFUN=1,1", started);
}

RecoveryRung pin_reset(Device& d, TimeScale scale) {
  const bool reset_pin = model_or_default(d.model).reset_pin && d.pins && d.pins->has(rig::PinRole::reset);
  const bool off = has_status(d) && d.pins->get(rig::PinRole::status) == rig::Level::low;
  std::string name = off ? "PWRKEY power-on (STATUS low)" : reset_pin ? "RESET pin" : "long PWRKEY reset";
  if (!d.pins || (!d.pins->has(rig::PinRole::pwrkey) && !reset_pin)) return {name, false, "not wired"};
  auto started = Clock::now();
  auto power = d.power_control(scale);
  d.engine->module_restarted(name);
  try {
    if (off)
      power->on();
    else
      power->reset();
  } catch (const rig::PowerSequenceFailure& e) {
    return {name, false, e.what()};
  }
  return back_or_not(d, scale, name, started);
}

RecoveryRung supply_cycle(Device& d, TimeScale scale) {
  std::string name = "supply cycle";
  if (!d.pins || !d.pins->has(rig::PinRole::supply)) return {name, false, "not wired"};
  auto started = Clock::now();
  auto power = d.power_control(scale);
  d.engine->module_restarted(name);
  try {
    power->hard_cycle();
  } catch (const rig::PowerSequenceFailure& e) {
    return {name, false, e.what()};
  }
  return back_or_not(d, scale, name, started);
}

}  // namespace

std::string Recovery::summary() const {
  std::string out;
  for (const auto& r : rungs) out += fmt::format("{}{}: {}", out.empty() ? "" : "; ", r.name, r.outcome);
  return out;
}

Recovery recover(Device& device, TimeScale scale) {
  Recovery result;
  int number = 0;
  for (auto rung : {soft_reset, pin_reset, supply_cycle}) {
    ++number;
    device.timeline.record(Direction::note, fmt::format("recovery rung {}", number));
    device.engine->clear_urcs();
    RecoveryRung outcome;
    try {
      outcome = rung(device, scale);
    } catch (const Interrupted&) {
      throw;
    } catch (const InfraError& e) {
      // The port or a pin failed under this rung: the next may still reach the module.
      outcome = {fmt::format("rung {}", number), false, e.what()};
    }
    device.timeline.record(Direction::note, fmt::format("recovery rung {} ({}): {}", number, outcome.name, outcome.outcome));
    result.rungs.push_back(outcome);
    if (outcome.recovered) {
      result.recovered = true;
      break;
    }
  }
  return result;
}

}  // namespace athil::runner
