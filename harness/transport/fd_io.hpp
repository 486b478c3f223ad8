#pragma once
// Reading and writing one non-blocking descriptor with deadlines, shared by the serial and
// TCP transports; and the pace of a line that has no UART to keep it.
#include <string>
#include <string_view>

#include "base/duration.hpp"
#include "base/fd.hpp"

namespace athil {

// A UART carries 10 bits a byte (start, 8 data, stop). A pseudo-terminal or a TCP link has
// no UART, so the harness keeps the pace itself, writing in chunks of about 2 ms of line.
class LinePacer {
 public:
  // baud 0: not paced (a real UART paces itself).
  explicit LinePacer(double baud = 0);
  bool paced() const { return byte_time_ > 0; }
  std::size_t chunk_bytes() const { return chunk_; }
  // When the line is free for the next chunk.
  Clock::time_point free_at() const { return free_at_; }
  void wrote(std::size_t bytes);

 private:
  double byte_time_ = 0;  // seconds
  std::size_t chunk_ = 4096;
  Clock::time_point free_at_{};
};

// Milliseconds for poll() until `until`: rounded up (never a busy loop), 0 once passed,
// capped at a minute.
int poll_timeout_ms(Clock::time_point until);

// Reads one non-blocking descriptor (a terminal or a socket) as bytes arrive. The wait is an
// epoll set made once, edge-triggered, beside the stop request's descriptor: a wait then costs
// the kernel no poll set-up of the port, which was a good part of an exchange's CPU
// (harness/bench, "CPU per exchange").
class FdReader {
 public:
  // `fd` stays owned by the caller and must outlive the reader. `name` says which port, for
  // the messages. Throws InfraError when the epoll set cannot be made.
  FdReader(int fd, std::string name);

  // Waits for bytes until the deadline; returns them, or empty at the deadline. Throws
  // PortGone at end of file and when the device or connection went (EIO, ENXIO, ECONNRESET),
  // InfraError otherwise.
  std::string read(Deadline deadline);
  // Whether the last read took all there was (see Transport::took_all).
  bool took_all() const { return !read_first_; }

 private:
  // Until the port reports or the deadline passes (false then). A stop request throws.
  bool wait(Deadline deadline);

  int fd_;
  std::string name_;
  UniqueFd epoll_;
  // Edge-triggered, the port reports only what happened since it last reported: bytes a read
  // that filled its buffer left behind, or the end after the last bytes, are read first.
  bool read_first_ = false;
  bool ended_ = false;  // the port reported a hang-up or an error: a read of nothing is the end
};
// Writes chunk by chunk at the pacer's pace. Returns how many bytes were left when the
// deadline passed (0: all written). Throws PortGone or InfraError as read_fd. A socket is
// written without SIGPIPE: a closed connection is a PortGone, not the end of the process.
enum class FdKind { terminal, socket };
std::size_t write_fd(int fd, FdKind kind, std::string_view bytes, Deadline deadline, LinePacer& pacer, const std::string& name);

}  // namespace athil
