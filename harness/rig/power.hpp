#pragma once
// Power sequences by the book (../shared/reference/sim70x0.md), per model, over a slot's
// pins, checked against STATUS where the rig wires it. A strategy in labgrid's sense: it
// knows the pins and the model's timings, nothing of AT.
#include <functional>
#include <stdexcept>
#include <string>

#include "base/duration.hpp"
#include "base/error.hpp"
#include "models/models.hpp"
#include "rig/pins.hpp"

namespace athil::rig {

// The model's power timing (harness/models).
const PowerTiming& power_timing(std::string_view model);

// The module did not follow the sequence (STATUS stayed where it was): a scenario failure,
// not a rig error.
struct PowerSequenceFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// The sequence did not fit in the time it was given (a step's or a scenario's): a press that
// would have outlasted it, or a wait it cut short.
struct PowerSequenceCut : PowerSequenceFailure {
  using PowerSequenceFailure::PowerSequenceFailure;
};

// The host released a press so late that it crossed one of the model's documented PWRKEY
// holds the press was not meant to reach: the module may have done something else (powered
// on from a "short" press). A rig error: the host is too slow for the rig's time scale.
struct PressOverrun : InfraError {
  using InfraError::InfraError;
};

class PowerControl {
 public:
  // `idle(deadline)` keeps the rest of the device serviced (its port read and recorded)
  // until the deadline; `note` records what the sequence does on the device's timeline, at the
  // time it happened (a press the module times ends when it was due, however late this host is).
  using Note = std::function<void(const std::string& text, Clock::time_point when)>;
  PowerControl(Pins& pins, std::string model, TimeScale scale, std::function<void(Deadline)> idle, Note note);

  // Each sequence ends by `bound` (the time a step or a scenario has left): a press that would
  // outlast it is not begun, and a wait it cuts short throws PowerSequenceCut.
  void on(Deadline bound = Deadline::max());
  void off(Deadline bound = Deadline::max());
  void reset(Deadline bound = Deadline::max());
  void cycle(Deadline bound = Deadline::max());  // off, on
  // Supply off for the documented rest, on again, then PWRKEY on: the hard cycle, which
  // reaches a module that nothing else does.
  void hard_cycle(Deadline bound = Deadline::max());
  // The pin held low for `hold` (scaled) and released however the wait ends: a run stopped
  // in the middle of a press never leaves a key pressed. Throws PressOverrun, after the
  // release, when the press as held crossed a documented PWRKEY hold that `hold` does not
  // (only where the host times the press: a virtual module times it itself).
  // Returns when the release was due: later waits count from there, not from a late host's release.
  Clock::time_point press(PinRole role, Duration hold, Deadline bound = Deadline::max());
  // Waits until the pin reads `level`; false at the deadline.
  bool wait_level(PinRole role, Level level, Deadline deadline);

 private:
  void expect_status(Level level, Duration within, const char* what, Deadline bound);
  void rest(Duration rest, const char* what, Deadline bound);
  void check_held(PinRole role, Duration asked, Duration held_on_host) const;

  Pins& pins_;
  std::string model_;
  TimeScale scale_;
  std::function<void(Deadline)> idle_;
  void note(const std::string& text, Clock::time_point when = Clock::now()) const { note_(text, when); }

  Note note_;
};

}  // namespace athil::rig
