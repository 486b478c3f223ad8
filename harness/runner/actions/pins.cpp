// Power and pins: the model's power sequences, single presses and levels, and the restart a
// scenario waits for (STATUS where the rig wires it).
#include <fmt/format.h>

#include "runner/actions/step.hpp"

namespace athil::runner {

namespace {

constexpr auto poll_slice = std::chrono::milliseconds(20);

// Power sequences and presses end by the step's or the scenario's bound.
Deadline power_bound(const Step& step) { return step.state.bounds.bound(); }

StepFailure cut_short(const Step& step, const rig::PowerSequenceCut& e, Deadline bound) {
  std::string got = fmt::format("{}: {} ran out first", e.what(), step.state.bounds.bound_name(bound));
  return step.text().failure(got, "the power sequence to complete", got);
}

// A rig error, with where it happened: the host, not the module, made the press another one.
InfraError overrun(const Step& step, std::string_view action, const rig::PressOverrun& e) {
  return InfraError(fmt::format("slot {}: {} at {}: {}", step.device.slot, action, step.pos.str(), e.what()));
}

void require_pin(const Step& step, rig::PinRole role, std::string_view action) {
  if (!step.device.pins || !step.device.pins->has(role))
    throw InfraError(fmt::format("slot {}: {} at {} but the rig wires no {} line", step.device.slot, action, step.pos.str(), rig::to_string(role)));
}

void press(const Step& step, rig::PinRole role, const scenario::DurationText& hold, std::string_view action) {
  require_pin(step, role, action);
  auto bound = power_bound(step);
  try {
    step.state.timed_end = step.host.power_control().press(role, step.duration(hold), bound);
  } catch (const rig::PowerSequenceCut& e) {
    throw cut_short(step, e, bound);
  } catch (const rig::PressOverrun& e) {
    throw overrun(step, action, e);
  }
  step.engine().module_restarted(fmt::format("{} pressed", rig::to_string(role)));
}

// STATUS is the evidence: low inside the window (a restart before it, such as AT+CFOTA=1's
// into the updater, is not this one), and high again. RDY alone would not do: an
// autobauding SIM7000 prints none.
void await_status_restart(Step& step, Duration timeout, Deadline dl) {
  auto& engine = step.engine();
  auto fell = [&] {
    const auto& window = step.host.take_pin_events();
    return window.fell_after(window.opens(step.state.block_start_us, engine.last_sent_us(), engine.last_urc_absent_us()));
  };
  while (!(fell() && step.device.pins->get(rig::PinRole::status) == rig::Level::high)) {
    if (Clock::now() >= dl) {
      auto text = step.text();
      std::string got = fmt::format("{} {}", fell() ? "STATUS went low but not high again:" : "STATUS never went low:", text.timed_out(timeout, dl));
      throw text.failure(fmt::format("expected the module to restart (STATUS low, then high): {}", got), "a restart (STATUS low, then high)", got);
    }
    engine.drain_until(std::min<Deadline>(Clock::now() + poll_slice, dl));
  }
}

// On a port that re-enumerates, the evidence could be stale: the port must have gone and come
// back. It comes back after the module's boot, often well after STATUS: the host's USB
// enumeration follows the module's (the kernel lab's ttyUSB0: 0.4 s after STATUS).
void await_port_back(Step& step, Duration timeout, Deadline dl) {
  const auto& port = *step.device.port;
  if (!port.can_reattach()) return;
  auto back = [&] { return port.reattachments() != step.state.reattachments_at_block_start; };
  while (!back() && Clock::now() < dl) step.engine().drain_until(std::min<Deadline>(Clock::now() + poll_slice, dl));
  if (!back())
    throw step.text().failure(fmt::format("the module restarted but its port did not go away and come back within {}", format_duration(timeout)),
                              "the port to re-enumerate", "the same port throughout");
}

}  // namespace

void perform(const scenario::Power& a, Step& step) {
  auto& pc = step.host.power_control();
  step.engine().module_restarted("power sequence");
  auto bound = power_bound(step);
  try {
    switch (a.action) {
      case scenario::Power::Action::on: pc.on(bound); break;
      case scenario::Power::Action::off: pc.off(bound); break;
      case scenario::Power::Action::cycle: pc.cycle(bound); break;
      case scenario::Power::Action::hard_cycle: pc.hard_cycle(bound); break;
      case scenario::Power::Action::reset: pc.reset(bound); break;
    }
  } catch (const rig::PowerSequenceCut& e) {
    throw cut_short(step, e, bound);
  } catch (const rig::PressOverrun& e) {
    throw overrun(step, "<power>", e);
  } catch (const rig::PowerSequenceFailure& e) {
    throw step.text().failure(e.what(), "the power sequence to complete", e.what());
  }
}

void perform(const scenario::PowerKey& a, Step& step) { press(step, rig::PinRole::pwrkey, a.hold, "<power-key>"); }

void perform(const scenario::ResetPulse& a, Step& step) { press(step, rig::PinRole::reset, a.hold, "<reset>"); }

void perform(const scenario::Supply& a, Step& step) {
  if (!step.device.pins || !step.device.pins->has(rig::PinRole::supply))
    throw InfraError(fmt::format("slot {}: <supply> at {} but the rig switches no supply", step.device.slot, step.pos.str()));
  step.device.pins->set_within(rig::PinRole::supply, a.on ? rig::Level::high : rig::Level::low, step.state.bounds.bound());
  step.device.timeline.record(Direction::pin, a.on ? "supply on" : "supply off");
  step.engine().module_restarted(a.on ? "supply on" : "supply off");
}

void perform(const scenario::Dtr& a, Step& step) {
  require_pin(step, rig::PinRole::dtr, "<dtr>");
  auto level = a.high ? rig::Level::high : rig::Level::low;
  step.device.pins->set(rig::PinRole::dtr, level);
  step.device.timeline.record(Direction::pin, fmt::format("dtr {}", rig::to_string(level)));
}

void perform(const scenario::ExpectPin& a, Step& step) {
  auto role = *rig::pin_role_from(a.pin);
  if (!step.device.pins || !step.device.pins->has(role))
    throw InfraError(fmt::format("slot {}: <expect-pin name=\"{}\"> at {} but the rig wires no {} line", step.device.slot, a.pin, step.pos.str(), a.pin));
  auto level = a.high ? rig::Level::high : rig::Level::low;
  auto allowed = step.allowed(a.timeout, default_expect_timeout);
  auto timeout = step.scale.timeout(allowed);
  auto since = step.waits_from;
  if (step.host.power_control().wait_level(role, level, step.wait_deadline(timeout)))
    return step.waited(allowed, since, [&] { return fmt::format("{} {}", a.pin, rig::to_string(level)); });
  auto other = level == rig::Level::high ? rig::Level::low : rig::Level::high;
  std::string got = fmt::format("{} stayed {} for {}", a.pin, rig::to_string(other), format_duration(timeout));
  throw step.text().failure(fmt::format("expected {} {}: {}", a.pin, rig::to_string(level), got), a.pin + " " + rig::to_string(level), got);
}

void perform(const scenario::ExpectReboot& a, Step& step) {
  auto allowed = step.allowed(a.timeout, default_urc_timeout);
  auto timeout = step.scale.timeout(allowed);
  auto since = step.waits_from;
  auto dl = step.wait_deadline(timeout);
  if (step.device.pins && step.device.pins->has(rig::PinRole::status)) {
    await_status_restart(step, timeout, dl);
  } else if (!step.engine().wait_urc([](const std::string& l) { return l == "RDY"; }, dl)) {
    auto text = step.text();
    std::string got = text.timed_out(timeout, dl);
    throw text.failure(fmt::format("expected the module to restart (RDY; an autobauding module prints none, and this rig wires no STATUS): {}", got),
                       "a restart (RDY)", got);
  }
  await_port_back(step, timeout, dl);
  step.waited(allowed, since, [] { return std::string("the restart"); });
}

}  // namespace athil::runner
