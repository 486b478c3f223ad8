#pragma once
// Walks one scenario's plain data against one device: the AT engine for the port, the pins
// for power. Decides the verdict: failed when the module did not do what the scenario says,
// error when the port, a pin or the harness failed.
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "report/junit.hpp"
#include "report/vcd.hpp"
#include "rig/device.hpp"
#include "runner/actions/step.hpp"
#include "runner/restart_window.hpp"
#include "scenario/model.hpp"

namespace athil::runner {

struct Outcome {
  report::Verdict verdict = report::Verdict::passed;
  std::string message;  // one line
  std::string detail;   // the evidence
  std::string instead;  // for a failure: what came instead of what was expected, in a few words
  double seconds = 0;
  // A mistake in the scenario found only when it ran (a duration read from a variable, say):
  // an error, but one that running again cannot cure.
  bool mistake = false;
  // The module's port or control channel went away under the scenario (its process may have died).
  bool port_gone = false;
  // The teardown ran to its end without a failure or error of its own (whatever came before).
  bool teardown_passed = false;
  // Waits that fitted only because the rig's time is compressed (Step::waited).
  std::vector<std::string> compressed_waits;
  // Commands the virtual module answered ERROR only because it does not model them (told by the slot runner).
  std::vector<std::string> unmodelled;
  // The variables as the scenario left them: what a built-in script read (a revision, say).
  std::map<std::string, std::string> variables;
  std::vector<report::Measurement> measurements;  // current windows, in order
  std::vector<report::StepTime> steps;            // how long each block took, in module time
  report::CurrentTrace current;                   // what the slot's instrument read, when it measured
};

class Executor : private StepHost {
 public:
  using Vars = Variables::Map;
  // `fixtures` is where <send-file> paths point. `model_vars` (the slot model's profile) rank
  // below everything else and may use other variables, read when they are used.
  Executor(rig::Device& device, TimeScale scale, Vars base_vars, std::filesystem::path fixtures, Vars model_vars = {});
  ~Executor();
  // `script_vars` rank with the slot's variables: a built-in script's inputs. Run while a
  // scenario runs (from after_setup), a script keeps that scenario's forbids in force and
  // leaves its state as it was.
  Outcome run(const scenario::Scenario& scenario, const Vars& script_vars = {});

  // Told each block as it begins (the console's live line).
  void on_block(std::function<void(const scenario::Block& block)> callback) { on_block_ = std::move(callback); }
  // Told each progress report of a firmware update (0-100) as it arrives.
  void on_update_progress(std::function<void(int percent)> callback) { on_update_progress_ = std::move(callback); }
  // Called once the setup has passed: the module is up as the scenario wants it. What it
  // sends lands on the timeline before the first step (the runner reads the revision there).
  void after_setup(std::function<void()> callback) { after_setup_ = std::move(callback); }

 private:
  Outcome run_nested(const scenario::Scenario& s, const Vars& script_vars);
  Outcome walk(const scenario::Scenario& s, const std::function<void()>& after_setup);
  Vars with(const Vars& script_vars) const;
  void run_block(const scenario::Block& block, Deadline scenario_deadline, Duration scenario_timeout);
  void run_actions(const std::vector<scenario::Action>& actions);
  void check_bounds(const scenario::Action& action, Clock::time_point now);
  // Runs the scenario's part in `body`; what it throws becomes the outcome's verdict.
  template <class Body>
  void guarded(Outcome& out, Body&& body);
  void run_on_failure(const scenario::Scenario& s, Outcome& out);

  // StepHost
  void run_body(const std::vector<scenario::Action>& body) override { run_actions(body); }
  rig::PowerControl& power_control() override;
  const RestartWindow& take_pin_events() override;

 public:
  // Takes onto the timeline what the pins and the port have delivered so far: called before a
  // scenario's evidence is written, so that its last edges and bytes stay in its transcript.
  void settle();

 private:
  rig::Device& device_;
  std::unique_ptr<rig::PowerControl> power_;
  TimeScale scale_;
  Vars base_vars_;
  Vars model_vars_;
  std::filesystem::path fixtures_;
  std::function<void(const scenario::Block&)> on_block_;
  std::function<void(int)> on_update_progress_;
  std::function<void()> after_setup_;
  RestartWindow restart_window_;  // this scenario's STATUS edges
  Deadline pins_taken_{};         // when the pins' events were last taken between actions
  LineMatchers matchers_;
  std::unique_ptr<ScenarioState> state_;  // while a scenario runs
  bool nested_ = false;                   // a script runs inside it
};

}  // namespace athil::runner
