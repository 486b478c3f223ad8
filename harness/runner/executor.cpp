#include "runner/executor.hpp"

#include <fmt/format.h>

#include "at/dialect.hpp"
#include "base/escape.hpp"
#include "base/interrupt.hpp"
#include "rig/power.hpp"
#include "scenario/check.hpp"

namespace athil::runner {

namespace {

// Edges carry the time they happened, so taking them a little later changes nothing on the
// timeline; taking them after every action would cost a look at the pins each.
constexpr auto pin_look_interval = std::chrono::milliseconds(10);

std::string block_note(const scenario::Block& block) { return fmt::format("{} {}", block.kind == scenario::BlockKind::step ? "step" : "block", block.name); }

}  // namespace

Executor::Executor(rig::Device& device, TimeScale scale, Vars base_vars, std::filesystem::path fixtures, Vars model_vars)
    : device_(device), scale_(scale), base_vars_(std::move(base_vars)), model_vars_(std::move(model_vars)), fixtures_(std::move(fixtures)) {}

Executor::~Executor() = default;

rig::PowerControl& Executor::power_control() {
  if (!power_) power_ = device_.power_control(scale_);
  return *power_;
}

const RestartWindow& Executor::take_pin_events() {
  if (!device_.pins) return restart_window_;
  for (const auto& e : device_.pins->take_events()) {
    std::string edge = fmt::format("{} {}", rig::to_string(e.role), rig::to_string(e.level));
    if (e.role == rig::PinRole::netlight) {
      device_.timeline.record_at(e.t_us, Direction::pin, edge, Shown::waveform_only);
      continue;
    }
    device_.timeline.record_at(e.t_us, Direction::pin, edge);
    if (e.role == rig::PinRole::status) restart_window_.status_edge(e.t_us, e.level == rig::Level::high);
    // The transcript orders events by when they reached the host: say where the port's bytes
    // came so soon after an edge that its latency may have held them from before it.
    if (auto read = device_.timeline.first_after(Direction::from_module, e.t_us); read && *read - e.t_us <= port_latency_bound_us)
      device_.timeline.record_at(e.t_us, Direction::note,
                                 fmt::format("{} reached the host {:.1f} ms before the bytes read next: a port delivers after its latency, so the module may "
                                             "have sent those bytes before this edge",
                                             edge, static_cast<double>(*read - e.t_us) / 1000.0));
  }
  return restart_window_;
}

void Executor::settle() {
  try {
    if (device_.engine) device_.engine->drain_until(Clock::now());
    take_pin_events();
  } catch (const InfraError& e) {  // a port or pins gone: the evidence is written all the same
    device_.timeline.record(Direction::note, fmt::format("the last bytes and edges could not be read: {}", e.what()));
  }
}

template <class Body>
void Executor::guarded(Outcome& out, Body&& body) {
  auto fail = [&](report::Verdict v, std::string message, std::string detail) {
    if (out.verdict != report::Verdict::passed) return;
    out.verdict = v;
    out.message = std::move(message);
    out.detail = std::move(detail);
  };
  try {
    body();
  } catch (const StepFailure& f) {
    if (out.verdict == report::Verdict::passed) out.instead = f.instead;
    fail(report::Verdict::failed, f.message, f.detail);
  } catch (const InputError& e) {
    // Only what depends on run-time values gets here (a duration from a variable, say).
    fail(report::Verdict::error, fmt::format("scenario mistake: {}", e.what()), e.diagnostic());
    out.mistake = true;
  } catch (const InfraError& e) {
    out.port_gone |= dynamic_cast<const PortGone*>(&e) != nullptr;
    const auto* block = state_ ? state_->bounds.block : nullptr;
    fail(report::Verdict::error, e.what(), block ? fmt::format("in {} ({}): {}", describe(*block), block->pos.str(), e.what()) : e.what());
  } catch (const std::exception& e) {
    fail(report::Verdict::error, fmt::format("harness fault: {}", e.what()), e.what());
  }
}

Outcome Executor::run(const scenario::Scenario& s, const Vars& script_vars) {
  if (state_) {
    if (nested_) throw std::logic_error("a built-in script runs another");
    return run_nested(s, script_vars);
  }
  power_.reset();  // over the device's pins as they are now (a module started anew has new ones)
  restart_window_.clear();
  state_.reset(new ScenarioState{.vars = Variables(with(script_vars), model_vars_)});
  struct EndRun {
    Executor& e;
    ~EndRun() {
      e.device_.engine->set_line_observer(nullptr);
      e.device_.engine->declare_urcs({});
      e.state_.reset();
    }
  } end_run{*this};
  // A forbidden line fails the scenario the moment it is read, whatever is being waited for.
  device_.engine->set_line_observer([this](const ReceivedLine& line) {
    if (auto percent = update_percent(line.text); percent && on_update_progress_) on_update_progress_(*percent);
    for (const auto& f : state_->forbids)
      if (f.test(line.text))
        throw StepFailure{
            .message = fmt::format("forbidden line '{}' arrived (forbid {} at {})", escape_bytes(line.text), f.wanted, f.pos.str()),
            .detail = fmt::format("forbidden: {} (declared at {})\narrived:   '{}' at t={} us\n", f.wanted, f.pos.str(), escape_bytes(line.text), line.t_us),
            .instead = fmt::format("'{}' arrived", escape_bytes(line.text))};
  });
  UrcTable declared;
  for (const auto& u : s.unsolicited) {
    if (u.regex)
      declared.add_regex(*u.regex);
    else
      declared.add_prefix(u.prefix);
  }
  device_.engine->declare_urcs(std::move(declared));
  return walk(s, after_setup_);
}

// A script run while a scenario runs (the identity read after its setup): the scenario's
// forbids stay in force, and its state (variables, bounds, STATUS edges) is its own again after.
Outcome Executor::run_nested(const scenario::Scenario& s, const Vars& script_vars) {
  // The outer state is held aside, not moved: a pointer swap each way.
  struct Restore {
    Executor& e;
    std::unique_ptr<ScenarioState> outer;
    ~Restore() {
      e.state_ = std::move(outer);
      e.nested_ = false;
    }
  } restore{*this, std::move(state_)};
  nested_ = true;
  state_.reset(new ScenarioState{.vars = Variables(with(script_vars), model_vars_), .forbids = restore.outer->forbids});
  return walk(s, nullptr);
}

Executor::Vars Executor::with(const Vars& script_vars) const {
  Vars fixed = base_vars_;
  for (const auto& [name, value] : script_vars) fixed[name] = value;
  return fixed;
}

// The scenario's blocks in order: setup, steps, on-failure when something failed, teardown.
Outcome Executor::walk(const scenario::Scenario& s, const std::function<void()>& after_setup) {
  Outcome out;
  auto started = Clock::now();
  device_.timeline.record(Direction::note, fmt::format("scenario {} on slot {} ({})", s.name, device_.slot, s.path));
  auto timeout = scale_.timeout(s.timeout);
  guarded(out, [&] {
    state_->vars.set_defaults(s.vars);  // -D, rig and slot variables override a scenario's defaults
    if (scenario::measures_current(s)) start_current(device_, *state_, scenario::current_resolution(s));
    run_block(s.setup, started + timeout, timeout);
    if (after_setup) after_setup();
    for (const auto& step : s.steps) run_block(step, started + timeout, timeout);
  });

  run_on_failure(s, out);

  // The teardown always runs, bounded by its own timeout, even while the run is being stopped.
  interrupt::Shield shield;
  auto teardown_timeout = scale_.timeout(s.teardown_timeout);
  Outcome teardown;
  guarded(teardown, [&] { run_block(s.teardown, Clock::now() + teardown_timeout, teardown_timeout); });
  out.teardown_passed = teardown.verdict == report::Verdict::passed;
  if (out.verdict == report::Verdict::passed && !out.teardown_passed) {
    out.verdict = teardown.verdict;
    out.message = "teardown: " + teardown.message;
    out.detail = std::move(teardown.detail);
    out.instead = std::move(teardown.instead);
    out.mistake = teardown.mistake;
  }
  out.port_gone |= teardown.port_gone;

  guarded(out, [&] { take_pin_events(); });
  out.variables = state_->vars.values();
  out.compressed_waits = state_->compressed_waits;
  out.measurements = state_->measured;
  out.steps = state_->step_times;
  if (state_->current) guarded(out, [&] { out.current = current_trace(*state_->current, device_.slot); });
  out.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return out;
}

// On failure, the scenario's diagnostics run and their transcript joins the evidence.
void Executor::run_on_failure(const scenario::Scenario& s, Outcome& out) {
  state_->forbids.clear();
  if (out.verdict == report::Verdict::passed || s.on_failure.actions.empty() || interrupt::requested()) return;
  auto from = device_.timeline.size();
  std::string problem;
  try {
    auto timeout = scale_.timeout(s.teardown_timeout);
    run_block(s.on_failure, Clock::now() + timeout, timeout);
  } catch (const StepFailure& f) {
    problem = f.message;
  } catch (const std::exception& e) {
    problem = e.what();
  }
  out.detail += fmt::format("\n--- on-failure diagnostics{} ---\n{}", problem.empty() ? "" : " (cut short: " + problem + ")",
                            device_.timeline.render(from, device_.timeline.size()));
}

void Executor::run_block(const scenario::Block& block, Deadline scenario_deadline, Duration scenario_timeout) {
  auto& state = *state_;
  state.bounds = Bounds{.scenario_deadline = scenario_deadline, .scenario_timeout = scenario_timeout, .block = &block};
  if (block.timeout) {
    state.bounds.step_timeout = scale_.timeout(*block.timeout);
    state.bounds.step_deadline = Clock::now() + state.bounds.step_timeout;
  }
  if (on_block_ && !nested_) on_block_(block);
  device_.engine->clear_urcs();  // a <urc> counts lines that arrived since its block began
  state.reattachments_at_block_start = device_.port->reattachments();
  take_pin_events();
  state.block_start_us = to_us(Clock::now());
  // An empty block (a script's or a scenario's missing teardown) is no event of the scenario.
  if (!block.actions.empty()) device_.timeline.record(Direction::note, block_note(block));
  // Timed however the block ends (a failing step's time is evidence too), in the module's time:
  // runs at different time scales compare.
  struct Timed {
    std::vector<report::StepTime>* times;
    std::string name;
    double scale;
    Clock::time_point start = Clock::now();
    ~Timed() {
      if (times) times->push_back({.name = name, .seconds = std::chrono::duration<double>(Clock::now() - start).count() / scale});
    }
  } timed{.times = nested_ || block.actions.empty() ? nullptr : &state.step_times, .name = block.name, .scale = scale_.factor()};
  run_actions(block.actions);
}

// Every action, waiting or not, starts within the bounds and unless the run is being stopped:
// a loop that does no I/O ends by them too.
void Executor::check_bounds(const scenario::Action& action, Clock::time_point now) {
  interrupt::check();
  const auto& bounds = state_->bounds;
  if (now < bounds.bound()) return;
  std::string what = fmt::format("{} ran out", bounds.bound_name(bounds.bound()));
  throw FailureText(*device_.engine, bounds, action.pos).failure(what, "to go on", what);
}

void Executor::run_actions(const std::vector<scenario::Action>& actions) {
  // A <forbid> holds to the end of the actions it stands among.
  auto& forbids = state_->forbids;
  struct Restore {
    std::vector<ActiveForbid>& forbids;
    std::size_t size;
    ~Restore() { forbids.resize(size); }
  } restore{forbids, forbids.size()};
  for (const auto& action : actions) {
    auto now = Clock::now();
    check_bounds(action, now);
    // The pins are looked at now and then, so their events reach the timeline while the
    // scenario runs, not all at its end.
    if (now - pins_taken_ >= pin_look_interval) {
      pins_taken_ = now;
      take_pin_events();
    }
    Step step{.device = device_,
              .scale = scale_,
              .state = *state_,
              .host = *this,
              .matchers = matchers_,
              .fixtures = fixtures_,
              .pos = action.pos,
              .waits_from = std::min(now, std::exchange(state_->timed_end, std::nullopt).value_or(now)),
              .after_send = std::exchange(state_->just_sent, std::nullopt)};
    std::visit([&](const auto& a) { perform(scenario::unboxed(a), step); }, action.what);
  }
}

}  // namespace athil::runner
