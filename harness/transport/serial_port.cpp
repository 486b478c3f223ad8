#include "transport/serial_port.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <termios.h>

#include <cerrno>

#include <fmt/format.h>

#include "base/error.hpp"

namespace athil {

namespace {

speed_t baud_constant(unsigned baud) {
  switch (baud) {
    case 1200: return B1200;
    case 2400: return B2400;
    case 4800: return B4800;
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 921600: return B921600;
    case 1000000: return B1000000;
    case 1500000: return B1500000;
    case 2000000: return B2000000;
    case 3000000: return B3000000;
    case 3500000: return B3500000;
    case 4000000: return B4000000;
    default: return 0;
  }
}

int poll_timeout_ms(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return static_cast<int>(std::min<long long>(left + 1, 60'000));
}

}  // namespace

SerialPort::SerialPort(std::filesystem::path path, Settings settings) : path_(std::move(path)), settings_(settings) {
  speed_t speed = baud_constant(settings_.baud);
  if (speed == 0) throw InfraError(fmt::format("serial port {}: {} is not a supported baud rate", path_.string(), settings_.baud));
  fd_.reset(::open(path_.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (!fd_) throw InfraError(fmt::format("serial port {}: cannot open: {}", path_.string(), errno_text(errno)));
  // TIOCEXCL keeps other programs out, but root passes it: an advisory lock stops a second athil.
  if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0)
    throw InfraError(fmt::format("serial port {}: in use: another process holds its exclusive lock ({})", path_.string(), errno_text(errno)));
  if (::ioctl(fd_.get(), TIOCEXCL) != 0)
    throw InfraError(fmt::format("serial port {}: cannot take exclusive use: {}", path_.string(), errno_text(errno)));
  termios tio{};
  if (::tcgetattr(fd_.get(), &tio) != 0)
    throw InfraError(fmt::format("serial port {}: not a terminal device: {}", path_.string(), errno_text(errno)));
  ::cfmakeraw(&tio);
  tio.c_cflag |= CLOCAL | CREAD;
  if (settings_.rtscts) tio.c_cflag |= CRTSCTS;
  else tio.c_cflag &= ~static_cast<tcflag_t>(CRTSCTS);
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  ::cfsetispeed(&tio, speed);
  ::cfsetospeed(&tio, speed);
  if (::tcsetattr(fd_.get(), TCSANOW, &tio) != 0)
    throw InfraError(fmt::format("serial port {}: cannot set {} baud raw mode: {}", path_.string(), settings_.baud, errno_text(errno)));
}

std::string SerialPort::read_some(Deadline deadline) {
  pollfd p{fd_.get(), POLLIN, 0};
  while (true) {
    int n = ::poll(&p, 1, poll_timeout_ms(deadline));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw InfraError(fmt::format("serial port {}: poll failed: {}", path_.string(), errno_text(errno)));
    }
    if (n == 0) {
      if (Clock::now() >= deadline) return {};
      continue;
    }
    char buf[4096];
    ssize_t got = ::read(fd_.get(), buf, sizeof buf);
    if (got > 0) return std::string(buf, static_cast<std::size_t>(got));
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    // A pseudo-terminal whose other side closed answers EIO (or EOF): the module is gone.
    throw PortGone(fmt::format("serial port {}: the port went away ({})", path_.string(), got == 0 ? "end of file" : errno_text(errno)));
  }
}

void SerialPort::write_all(std::string_view bytes, Deadline deadline) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_.get(), bytes.data(), bytes.size());
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EIO || errno == ENXIO || errno == ENODEV))
      throw PortGone(fmt::format("serial port {}: the port went away ({})", path_.string(), errno_text(errno)));
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      throw InfraError(fmt::format("serial port {}: write failed: {}", path_.string(), errno_text(errno)));
    if (Clock::now() >= deadline)
      throw InfraError(fmt::format("serial port {}: write timed out with {} bytes left (flow control holding the line?)", path_.string(), bytes.size()));
    pollfd p{fd_.get(), POLLOUT, 0};
    ::poll(&p, 1, poll_timeout_ms(deadline));
  }
}

std::string SerialPort::describe() const {
  return fmt::format("{} @{}{}", path_.string(), settings_.baud, settings_.rtscts ? " rtscts" : "");
}

}  // namespace athil
