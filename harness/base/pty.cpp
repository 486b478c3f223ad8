#include "base/pty.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "base/error.hpp"

namespace athil {

namespace {
std::string sys_error(const std::string& what) { return fmt::format("{}: {}", what, std::strerror(errno)); }
}  // namespace

Pty open_pty() {
  Pty p;
  p.master.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!p.master || ::grantpt(p.master.get()) != 0 || ::unlockpt(p.master.get()) != 0) throw InfraError(sys_error("posix_openpt"));
  char name[128];
  if (::ptsname_r(p.master.get(), name, sizeof name) != 0) throw InfraError(sys_error("ptsname_r"));
  p.slave_path = name;
  p.slave.reset(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!p.slave) throw InfraError(sys_error(fmt::format("open {}", name)));
  termios t{};
  ::tcgetattr(p.slave.get(), &t);
  ::cfmakeraw(&t);  // no echo or line editing by the kernel: the module does its own echo
  ::cfsetspeed(&t, B115200);
  ::tcsetattr(p.slave.get(), TCSANOW, &t);
  return p;
}

void write_to_host(const Pty& pty, std::string_view bytes) {
  for (std::size_t at = 0; at < bytes.size();) {
    ssize_t n = ::write(pty.master.get(), bytes.data() + at, bytes.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw InfraError(sys_error("writing to the pseudo-terminal"));
    at += static_cast<std::size_t>(n);
  }
}

std::optional<std::string> read_from_host(const Pty& pty, int stop_fd, int timeout_ms) {
  pollfd fds[2] = {{pty.master.get(), POLLIN, 0}, {stop_fd, POLLIN, 0}};
  int r = ::poll(fds, 2, timeout_ms);
  if (r < 0 && errno == EINTR) return std::string();
  if (r < 0) throw InfraError(sys_error("poll"));
  if (fds[1].revents & POLLIN) return std::nullopt;
  if (!(fds[0].revents & POLLIN)) return std::string();
  char buf[4096];
  ssize_t n = ::read(pty.master.get(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

UniqueFd stop_signal_fd() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  if (::pthread_sigmask(SIG_BLOCK, &stop, nullptr) != 0) throw InfraError("pthread_sigmask failed");
  UniqueFd fd(::signalfd(-1, &stop, SFD_CLOEXEC));
  if (!fd) throw InfraError(sys_error("signalfd"));
  return fd;
}

OwnedPath::OwnedPath(OwnedPath&& o) noexcept : path_(std::exchange(o.path_, {})) {}
OwnedPath& OwnedPath::operator=(OwnedPath&& o) noexcept {
  std::swap(path_, o.path_);
  return *this;
}
OwnedPath::~OwnedPath() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

OwnedPath publish_link(const std::string& link, const std::string& target) {
  struct stat st {};
  if (::lstat(link.c_str(), &st) == 0 && !S_ISLNK(st.st_mode))
    throw InfraError(fmt::format("--link {} exists and is not a symbolic link; refusing to replace it", link));
  std::string tmp = fmt::format("{}.{}.tmp", link, ::getpid());
  ::unlink(tmp.c_str());
  if (::symlink(target.c_str(), tmp.c_str()) != 0 || ::rename(tmp.c_str(), link.c_str()) != 0)
    throw InfraError(sys_error(fmt::format("cannot create the link {}", link)));
  return OwnedPath(link);
}

}  // namespace athil
