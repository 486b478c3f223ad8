#include "base/interrupt.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>

#include <fmt/format.h>

namespace athil::interrupt {

namespace {

std::mutex reason_mutex;
std::string stop_reason;
std::atomic<bool> stop_requested = false;
thread_local int shields = 0;

int event_fd() {
  // Created on first use and kept for the life of the process.
  static const int fd = [] {
    int f = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (f < 0) throw InfraError(fmt::format("eventfd: {}", errno_text(errno)));
    return f;
  }();
  return fd;
}

}  // namespace

void request(const std::string& why) {
  {
    std::lock_guard lock(reason_mutex);
    if (stop_reason.empty()) stop_reason = why;
  }
  stop_requested = true;
  std::uint64_t one = 1;
  // Never read back: the descriptor stays readable for every later wait.
  [[maybe_unused]] auto n = ::write(event_fd(), &one, sizeof one);
}

bool requested() { return stop_requested; }

std::string reason() {
  std::lock_guard lock(reason_mutex);
  return stop_reason;
}

int wake_fd() { return event_fd(); }

void check() {
  if (stop_requested && shields == 0) throw Interrupted(fmt::format("interrupted by {}", reason()));
}

Shield::Shield() { ++shields; }
Shield::~Shield() { --shields; }
bool shielded() { return shields > 0; }

}  // namespace athil::interrupt
