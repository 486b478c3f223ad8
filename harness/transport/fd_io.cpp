#include "transport/fd_io.hpp"

#include <poll.h>
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

// poll() until about `until`, to the microsecond rather than the millisecond poll() takes. The
// kernel lets a poll of a normal task overrun by a thousandth of its timeout (0.25 ms on a
// 252 ms RESET pulse): a long wait aims that much early and returns 0, and the caller polls
// again for the short rest.
int poll_until(pollfd* fds, nfds_t count, Clock::time_point until) {
  auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(until - Clock::now()).count();
  left = std::clamp<long long>(left, 0, 60'000'000'000LL);
  if (left > 2'000'000) left -= left / 1000 + 50'000;
  timespec timeout{static_cast<time_t>(left / 1'000'000'000), static_cast<long>(left % 1'000'000'000)};
  return ::ppoll(fds, count, &timeout, nullptr);
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

std::string read_fd(int fd, Deadline deadline, const std::string& name) {
  // A stop request wakes the wait, except on a thread that is running a teardown.
  pollfd p[2] = {{fd, POLLIN, 0}, {interrupt::wake_fd(), POLLIN, 0}};
  const nfds_t watched = interrupt::shielded() ? 1 : 2;
  while (true) {
    interrupt::check();
    int n = poll_until(p, watched, deadline);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw InfraError(fmt::format("{}: poll failed: {}", name, errno_text(errno)));
    }
    if (n == 0) {
      if (Clock::now() >= deadline) return {};
      continue;
    }
    if (p[0].revents == 0) continue;  // the stop request: check() throws
    char buf[4096];
    ssize_t got = ::read(fd, buf, sizeof buf);
    if (got > 0) return std::string(buf, static_cast<std::size_t>(got));
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (got == 0 || gone(errno)) throw PortGone(fmt::format("{}: the port went away ({})", name, got == 0 ? "end of file" : errno_text(errno)));
    throw InfraError(fmt::format("{}: read failed: {}", name, errno_text(errno)));
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
