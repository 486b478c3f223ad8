#include "transport/open_port.hpp"

#include <fmt/format.h>

#include "transport/reattaching_port.hpp"
#include "transport/serial_port.hpp"
#include "transport/tcp_port.hpp"

namespace athil {

namespace {
constexpr auto tcp_connect_timeout = std::chrono::seconds(5);
}

std::unique_ptr<Transport> open_port(const PortSettings& s, std::function<void(const std::string&)> note) {
  auto open = [s]() -> std::unique_ptr<Transport> {
    if (is_tcp_address(s.port)) return std::make_unique<TcpPort>(s.port, s.pace_baud, tcp_connect_timeout);
    return std::make_unique<SerialPort>(s.port, SerialPort::Settings{s.baud, s.rtscts, s.pace_baud});
  };
  if (!s.reattach) return open();
  return std::make_unique<ReattachingPort>(s.port, std::move(open), *s.reattach, std::move(note));
}

}  // namespace athil
