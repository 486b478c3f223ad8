#include "transport/serial_port.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <termios.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "transport/custom_baud.hpp"
#include "transport/port_holder.hpp"

namespace athil {

namespace {

constexpr std::array<unsigned, 28> standard_rates = {300,     600,     1200,    2400,    4800,    9600,    14400,   19200,   28800,   38400,
                                                     57600,   115200,  230400,  460800,  500000,  576000,  921600,  1000000, 1152000, 1500000,
                                                     2000000, 2500000, 2900000, 3000000, 3200000, 3500000, 3686400, 4000000};

speed_t baud_constant(unsigned baud) {
  switch (baud) {
    case 300: return B300;
    case 600: return B600;
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
    case 500000: return B500000;
    case 576000: return B576000;
    case 921600: return B921600;
    case 1000000: return B1000000;
    case 1152000: return B1152000;
    case 1500000: return B1500000;
    case 2000000: return B2000000;
    case 2500000: return B2500000;
    case 3000000: return B3000000;
    case 3500000: return B3500000;
    case 4000000: return B4000000;
    default: return 0;  // set through termios2
  }
}

std::string held_by(const std::filesystem::path& path) {
  std::string holders = port_holders(path);
  return holders.empty() ? "another process (not visible to this user)" : holders;
}

}  // namespace

bool is_standard_baud(unsigned baud) { return std::find(standard_rates.begin(), standard_rates.end(), baud) != standard_rates.end(); }

std::string standard_bauds_text() { return fmt::format("{}", fmt::join(standard_rates, ", ")); }

SerialPort::SerialPort(std::filesystem::path path, Settings settings)
    : path_(std::move(path)), settings_(settings), pacer_(settings.pace_baud), name_("serial port " + path_.string()) {
  if (!is_standard_baud(settings_.baud)) throw InfraError(fmt::format("{}: {} is not a standard baud rate ({})", name_, settings_.baud, standard_bauds_text()));
  fd_.reset(::open(path_.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (!fd_ && errno == EBUSY) throw InfraError(fmt::format("{}: in use: held exclusively by {}", name_, held_by(path_)));
  if (!fd_) throw InfraError(fmt::format("{}: cannot open: {}", name_, errno_text(errno)));
  // TIOCEXCL keeps other programs out, but root passes it: an advisory lock stops a second athil.
  // The kernel drops the lock with the descriptor, so a killed run leaves the port free.
  if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) throw InfraError(fmt::format("{}: in use: locked by {}", name_, held_by(path_)));
  if (::ioctl(fd_.get(), TIOCEXCL) != 0) throw InfraError(fmt::format("{}: cannot take exclusive use: {}", name_, errno_text(errno)));
  termios tio{};
  if (::tcgetattr(fd_.get(), &tio) != 0) throw InfraError(fmt::format("{}: not a terminal device: {}", name_, errno_text(errno)));
  ::cfmakeraw(&tio);
  tio.c_cflag |= CLOCAL | CREAD;
  if (settings_.rtscts)
    tio.c_cflag |= CRTSCTS;
  else
    tio.c_cflag &= ~static_cast<tcflag_t>(CRTSCTS);
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  speed_t speed = baud_constant(settings_.baud);
  if (speed != 0) {
    ::cfsetispeed(&tio, speed);
    ::cfsetospeed(&tio, speed);
  }
  if (::tcsetattr(fd_.get(), TCSANOW, &tio) != 0)
    throw InfraError(fmt::format("{}: cannot set raw mode at {} baud: {}", name_, settings_.baud, errno_text(errno)));
  errno = 0;
  if (speed == 0 && !set_custom_baud(fd_.get(), settings_.baud))
    throw InfraError(fmt::format("{}: the driver does not take {} baud{}", name_, settings_.baud, errno ? ": " + errno_text(errno) : ""));
  reader_.emplace(fd_.get(), name_);
}

std::string SerialPort::read_some(Deadline deadline) { return reader_->read(deadline); }

void SerialPort::write_all(std::string_view bytes, Deadline deadline) {
  std::size_t left = write_fd(fd_.get(), FdKind::terminal, bytes, deadline, pacer_, name_);
  if (left == 0) return;
  // What the driver still holds would go out after the timeout, into the next exchange.
  ::tcflush(fd_.get(), TCOFLUSH);
  throw InfraError(
      fmt::format("{}: write timed out with {} of {} bytes not written{}", name_, left, bytes.size(), settings_.rtscts ? " (is the module holding CTS?)" : ""));
}

std::string SerialPort::describe() const { return fmt::format("{} @{}{}", path_.string(), settings_.baud, settings_.rtscts ? " rtscts" : ""); }

}  // namespace athil
