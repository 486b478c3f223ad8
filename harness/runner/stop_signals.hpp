#pragma once
// SIGINT, SIGTERM and SIGHUP during a run. The first asks the run to stop (interrupt::request):
// waits end, teardowns run to their bounds, outputs go safe, modules stop, the report is
// written. The second stops at once: the emergency actions run (outputs safe, modules killed)
// and the process exits with `exit_code`, leaving the last report written whole.
// The handlers only write the signal's number to a pipe; a thread does the rest.
#include <functional>
#include <memory>
#include <string>

namespace athil::runner {

class StopSignals {
 public:
  // `on_first` is told which signal came (for the console).
  StopSignals(std::function<void(const std::string&)> on_first, int exit_code);
  ~StopSignals();  // restores the previous handlers
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace athil::runner
