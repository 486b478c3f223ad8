#include "runner/recovery.hpp"

#include <fmt/format.h>

#include "base/interrupt.hpp"
#include "models/models.hpp"
#include "runner/executor.hpp"
#include "runner/scripts.hpp"

namespace athil::runner {

namespace {

std::string seconds_since(Clock::time_point t) { return fmt::format("{:.1f} s", std::chrono::duration<double>(Clock::now() - t).count()); }

// The rungs, each its built-in scripts (scripts.hpp) run by an executor of its own; this
// decides only which to climb and what their outcomes mean.
class Ladder {
 public:
  Ladder(rig::Device& d, TimeScale scale) : d_(d), model_(model_or_default(d.model)), executor_(d, scale, {}, {}) {}

  RecoveryRung soft_reset() {
    const std::string name = "AT+CFUN=1,1";
    // An unpowered module hears nothing: STATUS low sends the ladder straight to the pins.
    if (status_low()) return {name, false, "skipped: STATUS low, the module is off"};
    auto started = Clock::now();
    if (auto problem = run(scripts::soft_restart()); !problem.empty()) return {name, false, problem};
    d_.engine->module_restarted(name);
    return back_or_not(name, started);
  }

  RecoveryRung pin_reset() {
    const bool reset_pin = model_.reset_pin && d_.pins && d_.pins->has(rig::PinRole::reset);
    const bool off = status_low();
    std::string name = off ? "PWRKEY power-on (STATUS low)" : reset_pin ? "RESET pin" : "long PWRKEY reset";
    if (!d_.pins || (!d_.pins->has(rig::PinRole::pwrkey) && !reset_pin)) return {name, false, "not wired"};
    auto started = Clock::now();
    if (auto problem = run(off ? scripts::power_on() : scripts::power_reset()); !problem.empty()) return {name, false, problem};
    return back_or_not(name, started);
  }

  RecoveryRung supply_cycle() {
    const std::string name = "supply cycle";
    if (!d_.pins || !d_.pins->has(rig::PinRole::supply)) return {name, false, "not wired"};
    auto started = Clock::now();
    if (auto problem = run(scripts::supply_cycle()); !problem.empty()) return {name, false, problem};
    return back_or_not(name, started);
  }

 private:
  bool status_wired() const { return d_.pins && d_.pins->has(rig::PinRole::status); }
  bool status_low() const { return d_.status_low(); }

  // What went wrong, in the executor's words; empty when the script passed.
  std::string run(const scenario::Scenario& script, const Executor::Vars& vars = {}) {
    auto out = executor_.run(script, vars);
    interrupt::check();  // a stop request ends the ladder, whatever the script made of it
    if (out.verdict == report::Verdict::passed) return {};
    return out.instead.empty() ? out.message : out.instead;
  }

  // After a rung's action: the module must answer AT; then it rests, as every scenario
  // starts from a module powered off by the book.
  RecoveryRung back_or_not(const std::string& name, Clock::time_point started) {
    const auto& power = model_.power;
    if (auto problem = run(scripts::answering(), {{"ready_within", format_duration(power.ready_within)}}); !problem.empty()) return {name, false, problem};
    std::string answered = "answering AT after " + seconds_since(started);
    auto problem = run(scripts::rest(status_wired()), {{"off_within", format_duration(power.off_within)}, {"off_rest", format_duration(power.off_rest)}});
    d_.engine->module_restarted("AT+CPOWD=1");
    if (!problem.empty()) return {name, false, fmt::format("{}, but {}", answered, problem)};
    return {name, true, answered + ", then powered down to rest"};
  }

  rig::Device& d_;
  const Model& model_;
  Executor executor_;
};

}  // namespace

std::string Recovery::summary() const {
  std::string out;
  for (const auto& r : rungs) out += fmt::format("{}{}: {}", out.empty() ? "" : "; ", r.name, r.outcome);
  return out;
}

Recovery recover(rig::Device& device, TimeScale scale) {
  Recovery result;
  int number = 0;
  Ladder ladder(device, scale);
  for (auto rung : {&Ladder::soft_reset, &Ladder::pin_reset, &Ladder::supply_cycle}) {
    ++number;
    device.timeline.record(Direction::note, fmt::format("recovery rung {}", number));
    device.engine->clear_urcs();
    RecoveryRung outcome;
    try {
      outcome = (ladder.*rung)();
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
