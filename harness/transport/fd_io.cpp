#include "transport/fd_io.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/interrupt.hpp"
#include "transport/transport.hpp"

namespace athil {

namespace {

constexpr auto chunk_time = std::chrono::milliseconds(2);

bool gone(int error) { return error == EIO || error == ENXIO || error == ENODEV || error == ECONNRESET || error == EPIPE; }

// How long to wait for `until`, to the microsecond rather than the millisecond epoll_wait()
// takes. The kernel lets a wait of a normal task overrun by a thousandth of its timeout
// (0.25 ms on a 252 ms RESET pulse): a long wait aims that much early and ends with nothing,
// and the caller waits again for the short rest.
timespec wait_time(Clock::time_point until) {
  auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(until - Clock::now()).count();
  left = std::clamp<long long>(left, 0, 60'000'000'000LL);
  if (left > 2'000'000) left -= left / 1000 + 50'000;
  return timespec{static_cast<time_t>(left / 1'000'000'000), static_cast<long>(left % 1'000'000'000)};
}

}  // namespace

int poll_timeout_ms(Clock::time_point until) {
  auto left = std::chrono::duration_cast<std::chrono::microseconds>(until - Clock::now()).count();
  if (left <= 0) return 0;
  return static_cast<int>(std::min<long long>((left + 999) / 1000, 60'000));
}

LinePacer::LinePacer(double baud) {
  if (baud <= 0) return;
  byte_time_ = 10.0 / baud;
  chunk_ = std::max<std::size_t>(1, static_cast<std::size_t>(std::chrono::duration<double>(chunk_time).count() / byte_time_));
}

void LinePacer::wrote(std::size_t bytes) {
  if (!paced()) return;
  auto wire = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(static_cast<double>(bytes) * byte_time_));
  // A writer that woke a little late keeps the average rate (the line had the chunk queued);
  // a line idle for longer than a chunk starts afresh.
  auto now = Clock::now();
  free_at_ = (now > free_at_ + chunk_time ? now : free_at_) + wire;
}

FdReader::FdReader(int fd, std::string name) : fd_(fd), name_(std::move(name)), epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (!epoll_) throw InfraError(fmt::format("{}: epoll_create1 failed: {}", name_, errno_text(errno)));
  for (int watched : {fd_, interrupt::wake_fd()}) {
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    event.data.fd = watched;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, watched, &event) != 0)
      throw InfraError(fmt::format("{}: cannot watch descriptor {}: {}", name_, watched, errno_text(errno)));
  }
}

bool FdReader::wait(Deadline deadline) {
  epoll_event events[2];
  while (true) {
    interrupt::check();
    timespec timeout = wait_time(deadline);
    int n = ::epoll_pwait2(epoll_.get(), events, 2, &timeout, nullptr);
    if (n < 0 && errno == ENOSYS)  // a kernel before 5.11: milliseconds, rounded up
      n = ::epoll_wait(epoll_.get(), events, 2, poll_timeout_ms(deadline));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw InfraError(fmt::format("{}: epoll_pwait2 failed: {}", name_, errno_text(errno)));
    }
    // The other event is a stop request: check() throws, except on a thread that is running a
    // teardown, whose waits go on (the request reports once: the next wait is the port's).
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd != fd_) continue;
      if (events[i].events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) ended_ = true;
      return true;
    }
    if (n == 0 && Clock::now() >= deadline) return false;
  }
}

std::string FdReader::read(Deadline deadline) {
  // A terminal's read, unlike the epoll set, first takes in what its driver has received and
  // not yet handed on: a look at what is there by the deadline (passed or passing) reads.
  bool last_look = Clock::now() >= deadline;
  while (true) {
    if (!read_first_ && !last_look && !wait(deadline)) last_look = true;
    interrupt::check();
    char buf[4096];
    ssize_t got = ::read(fd_, buf, sizeof buf);
    if (got > 0) {
      read_first_ = got == static_cast<ssize_t>(sizeof buf) || ended_;
      return std::string(buf, static_cast<std::size_t>(got));
    }
    if (got == 0 && ended_) throw PortGone(fmt::format("{}: the port went away (end of file)", name_));
    // A raw terminal answers "nothing yet" with 0 (no VMIN), a socket with EAGAIN: the event
    // was for bytes an earlier read took.
    if (got == 0 || errno == EAGAIN || errno == EINTR) {
      read_first_ = false;
      if (last_look) return {};
      continue;
    }
    if (gone(errno)) throw PortGone(fmt::format("{}: the port went away ({})", name_, errno_text(errno)));
    throw InfraError(fmt::format("{}: read failed: {}", name_, errno_text(errno)));
  }
}

std::size_t write_fd(int fd, FdKind kind, std::string_view bytes, Deadline deadline, LinePacer& pacer, const std::string& name) {
  while (!bytes.empty()) {
    interrupt::check();
    // The line is busy with the last chunk: wait for it, unless the deadline comes first.
    if (pacer.paced() && Clock::now() < pacer.free_at()) {
      if (pacer.free_at() > deadline) return bytes.size();
      std::this_thread::sleep_until(pacer.free_at());  // the line model's own time, not a guess
      continue;
    }
    std::size_t chunk = std::min(bytes.size(), pacer.chunk_bytes());
    ssize_t n = kind == FdKind::socket ? ::send(fd, bytes.data(), chunk, MSG_NOSIGNAL) : ::write(fd, bytes.data(), chunk);
    if (n > 0) {
      pacer.wrote(static_cast<std::size_t>(n));
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && gone(errno)) throw PortGone(fmt::format("{}: the port went away ({})", name, errno_text(errno)));
    if (n < 0 && errno != EAGAIN && errno != EINTR) throw InfraError(fmt::format("{}: write failed: {}", name, errno_text(errno)));
    if (Clock::now() >= deadline) return bytes.size();
    pollfd p{fd, POLLOUT, 0};
    ::poll(&p, 1, poll_timeout_ms(deadline));
  }
  return 0;
}

}  // namespace athil
