#include "runner/stop_signals.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>
#include <exception>
#include <thread>

#include <fmt/format.h>

#include "base/emergency.hpp"
#include "base/error.hpp"
#include "base/fd.hpp"
#include "base/interrupt.hpp"

namespace athil::runner {

namespace {

constexpr int watched[] = {SIGINT, SIGTERM, SIGHUP};

int signal_pipe_write = -1;

extern "C" void on_signal(int signo) {
  int saved = errno;
  unsigned char b = static_cast<unsigned char>(signo);
  [[maybe_unused]] auto n = ::write(signal_pipe_write, &b, 1);
  errno = saved;
}

}  // namespace

struct StopSignals::State {
  UniqueFd pipe_read, pipe_write, quit;
  struct sigaction previous[std::size(watched)] = {};
  std::terminate_handler previous_terminate = nullptr;
  std::thread watcher;
};

StopSignals::StopSignals(std::function<void(const std::string&)> on_first, int exit_code) : state_(std::make_unique<State>()) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) throw InfraError(fmt::format("pipe: {}", errno_text(errno)));
  state_->pipe_read.reset(fds[0]);
  state_->pipe_write.reset(fds[1]);
  state_->quit.reset(::eventfd(0, EFD_CLOEXEC));
  if (!state_->quit) throw InfraError(fmt::format("eventfd: {}", errno_text(errno)));
  signal_pipe_write = state_->pipe_write.get();

  state_->watcher = std::thread([s = state_.get(), on_first = std::move(on_first), exit_code] {
    int seen = 0;
    while (true) {
      pollfd p[2] = {{s->pipe_read.get(), POLLIN, 0}, {s->quit.get(), POLLIN, 0}};
      if (::poll(p, 2, -1) < 0) continue;  // EINTR
      if (p[1].revents) return;
      unsigned char signo = 0;
      while (::read(s->pipe_read.get(), &signo, 1) == 1) {
        std::string name = fmt::format("SIG{}", sigabbrev_np(signo) ? sigabbrev_np(signo) : std::to_string(signo).c_str());
        if (++seen == 1) {
          interrupt::request(name);
          on_first(name);
          continue;
        }
        fmt::print(stderr, "{} again: stopping at once (outputs to their safe levels, modules killed)\n", name);
        EmergencyActions::run_all();
        std::fflush(nullptr);
        ::_exit(exit_code);
      }
    }
  });

  // An unhandled fault ends the process without unwinding: the emergency actions still run.
  state_->previous_terminate = std::set_terminate([] {
    EmergencyActions::run_all();
    std::abort();
  });
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  ::sigemptyset(&sa.sa_mask);
  for (std::size_t i = 0; i < std::size(watched); ++i) ::sigaction(watched[i], &sa, &state_->previous[i]);
}

StopSignals::~StopSignals() {
  for (std::size_t i = 0; i < std::size(watched); ++i) ::sigaction(watched[i], &state_->previous[i], nullptr);
  std::set_terminate(state_->previous_terminate);
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(state_->quit.get(), &one, sizeof one);
  state_->watcher.join();
  signal_pipe_write = -1;
}

}  // namespace athil::runner
