#pragma once
// Waiting for a child process to end, with a deadline and without SIGCHLD: Boost 1.74's
// child::wait_for intercepts SIGCHLD, and with several threads waiting one can take another's
// signal and wait forever. A pidfd says when the process has ended.
#include <optional>
#include <string>

#include "base/duration.hpp"

namespace athil {

// True once process `pid` has ended (it is not reaped here); false at the deadline.
bool wait_until_ended(int pid, Deadline deadline);
// How child `pid` ended ("exited with status 1", "killed by signal 9 (SIGKILL)"), or nothing
// while it runs. It is not reaped here.
std::optional<std::string> process_end(int pid);
// The same words for a status from waitpid.
std::string describe_wait_status(int status);

}  // namespace athil
