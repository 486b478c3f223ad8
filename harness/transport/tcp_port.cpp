#include "transport/tcp_port.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>

#include <fmt/format.h>

#include "base/error.hpp"

namespace athil {

namespace {

constexpr std::string_view scheme = "socket://";

struct HostPort {
  std::string host;
  std::string port;
};

// Throws InputError with what is wrong.
HostPort split_address(std::string_view address) {
  if (address.substr(0, scheme.size()) != scheme) throw InputError("a TCP port is written socket://HOST:PORT");
  std::string_view rest = address.substr(scheme.size());
  std::string_view host, port;
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos) throw InputError("an IPv6 address needs its closing ']'");
    host = rest.substr(1, close - 1);
    rest.remove_prefix(close + 1);
    if (rest.empty() || rest[0] != ':') throw InputError("the address needs :PORT after the host");
    port = rest.substr(1);
  } else {
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) throw InputError("the address needs :PORT after the host");
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) throw InputError("the address has no host");
  unsigned number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || number == 0 || number > 65535)
    throw InputError(fmt::format("'{}' is not a TCP port number (1-65535)", port));
  return HostPort{std::string(host), std::string(port)};
}

}  // namespace

bool is_tcp_address(std::string_view port) { return port.substr(0, scheme.size()) == scheme; }

std::string tcp_address_problem(std::string_view address) {
  try {
    split_address(address);
    return "";
  } catch (const InputError& e) {
    return e.what();
  }
}

TcpPort::TcpPort(std::string address, double pace_baud, Duration connect_timeout)
    : address_(std::move(address)), pacer_(pace_baud), name_("TCP port " + address_) {
  HostPort hp;
  try {
    hp = split_address(address_);
  } catch (const InputError& e) {
    throw InfraError(fmt::format("{}: {}", name_, e.what()));
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(hp.host.c_str(), hp.port.c_str(), &hints, &found); rc != 0)
    throw InfraError(fmt::format("{}: cannot resolve {}: {}", name_, hp.host, ::gai_strerror(rc)));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(found, &::freeaddrinfo);
  std::string why = "no address";
  auto deadline = Clock::now() + connect_timeout;
  for (auto* ai = found; ai; ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd) {
      why = errno_text(errno);
      continue;
    }
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      why = errno_text(errno);
      continue;
    }
    pollfd p{fd.get(), POLLOUT, 0};
    if (::poll(&p, 1, poll_timeout_ms(deadline)) != 1) {
      why = fmt::format("no answer within {}", format_duration(connect_timeout));
      continue;
    }
    int error = 0;
    socklen_t len = sizeof error;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &len);
    if (error != 0) {
      why = errno_text(error);
      continue;
    }
    // Commands are small and the turnaround counts: no Nagle delay.
    int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fd_ = std::move(fd);
    reader_.emplace(fd_.get(), name_);
    return;
  }
  throw InfraError(fmt::format("{}: cannot connect: {} (is ser2net running and exporting it in raw mode?)", name_, why));
}

std::string TcpPort::read_some(Deadline deadline) { return reader_->read(deadline); }

void TcpPort::write_all(std::string_view bytes, Deadline deadline) {
  std::size_t left = write_fd(fd_.get(), FdKind::socket, bytes, deadline, pacer_, name_);
  if (left != 0) throw InfraError(fmt::format("{}: write timed out with {} of {} bytes not written", name_, left, bytes.size()));
}

}  // namespace athil
