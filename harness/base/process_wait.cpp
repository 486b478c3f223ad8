#include "base/process_wait.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "base/fd.hpp"

namespace athil {

namespace {
bool ended(int pid) {
  siginfo_t info{};
  // WNOWAIT: look without reaping, so that the owner of the child still gets its status.
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return errno == ECHILD;
  return info.si_pid == pid;
}

std::string describe_end(bool exited, int value) {
  if (exited) return fmt::format("exited with status {}", value);
  const char* name = sigabbrev_np(value);
  return fmt::format("killed by signal {}{}", value, name ? fmt::format(" (SIG{})", name) : "");
}
}  // namespace

std::optional<std::string> process_end(int pid) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid != pid) return std::nullopt;
  return describe_end(info.si_code == CLD_EXITED, info.si_status);
}

std::string describe_wait_status(int status) { return WIFEXITED(status) ? describe_end(true, WEXITSTATUS(status)) : describe_end(false, WTERMSIG(status)); }

bool wait_until_ended(int pid, Deadline deadline) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  while (!ended(pid)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{pidfd.get(), POLLIN, 0};
    if (pidfd)
      ::poll(&p, 1, static_cast<int>(left) + 1);
    else
      ::poll(nullptr, 0, 10);  // no pidfd (kernel before 5.3): look again shortly
  }
  return true;
}

}  // namespace athil
