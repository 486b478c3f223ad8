#pragma once
// The serving side of a pseudo-terminal, as a module (virtual or replayed) offers its UART,
// and the paths such a process publishes (a symlink to the port, a socket) and removes when
// it ends.
#include <optional>
#include <string>
#include <string_view>

#include "base/fd.hpp"

namespace athil {

// The master side serves; the slave side stays open here too, so that the host program can
// close and reopen the port without the master seeing a hang-up. Raw mode, 115200.
struct Pty {
  UniqueFd master;
  UniqueFd slave;
  std::string slave_path;
};
// Throws InfraError naming the call that failed.
Pty open_pty();
// Writes all of `bytes` to the master side, for the host program to read. Throws InfraError.
void write_to_host(const Pty& pty, std::string_view bytes);

// Waits up to `timeout_ms` (-1: no limit) for what the host program wrote, or for `stop_fd`
// (stop_signal_fd()) to become readable. The bytes; empty when nothing came in time; nullopt
// when a stop came. Throws InfraError.
std::optional<std::string> read_from_host(const Pty& pty, int stop_fd, int timeout_ms);

// Blocks SIGINT and SIGTERM for the calling thread (and the threads it starts from now on) and
// returns a descriptor that polls readable when one arrives: a serving loop waits on it beside
// its port. Throws InfraError.
UniqueFd stop_signal_fd();

// A path this process made, removed when the object goes.
class OwnedPath {
 public:
  OwnedPath() = default;
  explicit OwnedPath(std::string path) : path_(std::move(path)) {}
  OwnedPath(OwnedPath&& o) noexcept;
  OwnedPath& operator=(OwnedPath&& o) noexcept;
  OwnedPath(const OwnedPath&) = delete;
  OwnedPath& operator=(const OwnedPath&) = delete;
  ~OwnedPath();

 private:
  std::string path_;
};

// Makes `link` point at `target`, replacing an older link but never a file.
OwnedPath publish_link(const std::string& link, const std::string& target);

}  // namespace athil
