#pragma once
// What an action's handler is given, and the handlers: one per action kind,
// perform(const scenario::<Kind>&, Step&), in the file named for its concern:
//   exchange.cpp  send, expect, urc, expect-any, forbid, sync, echo
//   pins.cpp      power, power-key, reset, supply, dtr, expect-pin, expect-reboot
//   flow.cpp      check, repeat, fixture scopes, sleep, log
//   file.cpp      send-file
//   network.cpp   network-sms
//   current.cpp   mark, current
// A handler throws StepFailure when the module did not do what the scenario says,
// InputError for a mistake only a run could find, InfraError when the rig failed.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "instrument/meter.hpp"
#include "instrument/stats.hpp"
#include "report/junit.hpp"
#include "report/vcd.hpp"
#include "rig/device.hpp"
#include "rig/power.hpp"
#include "runner/bounds.hpp"
#include "runner/failure.hpp"
#include "runner/line_match.hpp"
#include "runner/restart_window.hpp"
#include "runner/variables.hpp"
#include "scenario/model.hpp"

namespace athil::runner {

// A <forbid> in force: any line it matches fails the scenario the moment it is read.
struct ActiveForbid {
  AtEngine::LineTest test;
  std::string wanted;
  SourcePos pos;
  std::shared_ptr<const void> compiled;  // the regex `test` points to (LineMatch::compiled)
};

// The slot's current meter while a scenario measures (actions/current.cpp): opened and capturing
// from before its setup, so that any window of it has samples.
struct CurrentState {
  struct Window {
    instrument::CurrentStats stats;
    std::vector<double> sorted;  // sample means, for percentiles
  };
  std::shared_ptr<instrument::CurrentMeter> meter;
  std::unique_ptr<instrument::Capture> capture;
  std::vector<instrument::Sample> samples;
  std::map<std::string, Clock::time_point> marks;
  std::map<std::string, Window> measured;  // by name, for compare=
};

// A command as written to the module, and when its last byte went.
struct SentCommand {
  std::string text;
  std::int64_t written_us = 0;
};

// What the executor keeps for one scenario while it runs.
struct ScenarioState {
  Variables vars;
  Bounds bounds;
  std::vector<ActiveForbid> forbids;
  std::int64_t block_start_us = 0;
  int reattachments_at_block_start = 0;
  // Waits that ended in time only because the rig's time is compressed (see Step::waited).
  std::vector<std::string> compressed_waits;
  // When the timed action just done (a press, a sleep) was due to end. The next wait counts
  // from there: a host descheduled past it must not lengthen the module's budget.
  std::optional<Clock::time_point> timed_end;
  // The <send> just performed: a <urc> right after it waits for what that command causes.
  std::optional<SentCommand> just_sent;
  std::unique_ptr<CurrentState> current;      // while it measures current
  std::vector<report::Measurement> measured;  // what it measured, for the report
  std::vector<report::StepTime> step_times;   // each block that ran, however it ended
};

// What only the executor can do for a handler.
class StepHost {
 public:
  virtual void run_body(const std::vector<scenario::Action>& body) = 0;
  virtual rig::PowerControl& power_control() = 0;
  // The pins' events so far onto the timeline; the STATUS edges among them in the window.
  virtual const RestartWindow& take_pin_events() = 0;

 protected:
  virtual ~StepHost() = default;
};

struct Step {
  rig::Device& device;
  const TimeScale& scale;
  ScenarioState& state;
  StepHost& host;
  LineMatchers& matchers;
  const std::filesystem::path& fixtures;  // where <send-file> paths point
  const SourcePos& pos;                   // the action's
  Clock::time_point waits_from;           // where a wait for the module counts from (see ScenarioState::timed_end)
  std::optional<SentCommand> after_send;  // the action before this one was this <send>

  AtEngine& engine() const { return *device.engine; }
  Variables& vars() const { return state.vars; }
  FailureText text() const { return FailureText(*device.engine, state.bounds, pos); }
  std::string sub(const std::string& text) const { return state.vars.substitute(text, pos); }
  // Where URCs that can count start: right after a <send>, only what came after it was written.
  std::int64_t urcs_from_us() const { return after_send ? after_send->written_us : 0; }
  // A duration as written: fixed at load time, or read now from its ${variables}.
  Duration duration(const scenario::DurationText& d) const;
  // The action's timeout as written (module time), or the fallback.
  Duration allowed(const scenario::BoxedOptional<scenario::DurationText>& t, Duration fallback) const { return t ? duration(*t) : fallback; }
  // The same, scaled.
  Duration timeout_or(const scenario::BoxedOptional<scenario::DurationText>& t, Duration fallback) const { return scale.timeout(allowed(t, fallback)); }
  Deadline deadline(Duration timeout) const { return state.bounds.deadline(timeout); }
  // For what the module does by itself (a URC, a pin edge, a restart): counted from waits_from.
  Deadline wait_deadline(Duration timeout) const { return state.bounds.deadline_from(waits_from, timeout); }
  // A wait that ended as it should, `allowed` as written (module time): at a compressed time
  // scale, one whose module time went past `allowed` would have failed at real speed. That is
  // noted (timeline, report), so the scenario is fixed before it reaches a real rack.
  // `what` names the wait, built only then.
  template <class Describe>
  void waited(Duration allowed, Clock::time_point since, Describe&& what) const {
    if (auto module_time = past_allowed(allowed, since)) note_compressed(*module_time, allowed, what());
  }
  // The module time since `since`, when it is more than `allowed` on a compressed rig.
  std::optional<Duration> past_allowed(Duration allowed, Clock::time_point since) const;
  void note_compressed(Duration module_time, Duration allowed, const std::string& what) const;
};

void perform(const scenario::Send& a, Step& step);
void perform(const scenario::Expect& a, Step& step);
void perform(const scenario::Urc& a, Step& step);
void perform(const scenario::ExpectAny& a, Step& step);
void perform(const scenario::Forbid& a, Step& step);
void perform(const scenario::Sync& a, Step& step);
void perform(const scenario::EchoCheck& a, Step& step);

void perform(const scenario::Power& a, Step& step);
void perform(const scenario::PowerKey& a, Step& step);
void perform(const scenario::ResetPulse& a, Step& step);
void perform(const scenario::Supply& a, Step& step);
void perform(const scenario::Dtr& a, Step& step);
void perform(const scenario::NetworkSms& a, Step& step);
void perform(const scenario::ExpectPin& a, Step& step);
void perform(const scenario::ExpectReboot& a, Step& step);

void perform(const scenario::Check& a, Step& step);
void perform(const scenario::Repeat& a, Step& step);
void perform(const scenario::Scope& a, Step& step);
void perform(const scenario::Sleep& a, Step& step);
void perform(const scenario::Log& a, Step& step);

void perform(const scenario::SendFile& a, Step& step);

void perform(const scenario::Mark& a, Step& step);
void perform(const scenario::Current& a, Step& step);
// Everything the capture read, on the timeline's clock (the scenario's evidence). Throws InfraError
// when the meter failed.
report::CurrentTrace current_trace(CurrentState& current, const std::string& slot);
// Opens the slot's meter and starts capturing (before the setup of a scenario that measures).
// Throws InfraError when the slot's instrument cannot be used.
// `resolution`: the span of each sample kept (the finest any of its windows asks for).
void start_current(rig::Device& device, ScenarioState& state, std::chrono::nanoseconds resolution);

// Timeouts for actions that name none, before scaling.
inline constexpr Duration default_expect_timeout = std::chrono::seconds(10);
inline constexpr Duration default_urc_timeout = std::chrono::seconds(60);
inline constexpr Duration write_timeout = std::chrono::seconds(10);

}  // namespace athil::runner
