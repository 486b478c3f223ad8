#pragma once
// How an action says the module did not do what the scenario says: a one-line message and
// the evidence (where, what was expected, what came instead, the last lines received).
#include <string>
#include <string_view>

#include "at/engine.hpp"
#include "runner/bounds.hpp"

namespace athil::runner {

// The module did not behave as the scenario says: the scenario fails (not an error).
struct StepFailure {
  std::string message;
  std::string detail;
  std::string instead;  // what came instead of what was expected, in a few words
};

// "'text'", escaped for any output.
std::string show_line(const std::string& line);

class FailureText {
 public:
  FailureText(const AtEngine& engine, const Bounds& bounds, const SourcePos& pos) : engine_(engine), bounds_(bounds), pos_(pos) {}

  // "step 'attach' (file:line:col)"
  std::string where() const { return bounds_.where(pos_); }
  // The failure: "<where>: <summary>", with the evidence of what was expected and what came.
  StepFailure failure(std::string_view summary, std::string_view expected, std::string_view instead) const;
  // Why a wait ended with nothing: its own timeout or a bound, and the module's silence.
  std::string timed_out(Duration timeout, Deadline dl) const;
  // "; the module has sent nothing for 3.0s, its last line ...": when the module was silent
  // for most of `waited`, since the cause is then the silence, not a wrong answer.
  std::string silence(Duration waited) const;
  // "; <label>: ..." the URCs that came in this block and no wait took (often the cause).
  std::string queued_urcs(std::string_view label) const;

 private:
  std::string evidence(std::string_view expected, std::string_view instead) const;
  const AtEngine& engine_;
  const Bounds& bounds_;
  const SourcePos& pos_;
};

}  // namespace athil::runner
