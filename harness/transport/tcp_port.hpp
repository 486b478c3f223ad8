#pragma once
// A module's serial line exported over TCP by ser2net in raw mode (no telnet, no RFC 2217):
// the bytes on the connection are the bytes on the line. Addressed as pyserial does,
// socket://HOST:PORT.
#include <optional>
#include <string>

#include "base/fd.hpp"
#include "transport/fd_io.hpp"
#include "transport/transport.hpp"

namespace athil {

class TcpPort final : public Transport {
 public:
  // `pace_baud` > 0: writes keep the serial line's pace, so that ser2net's buffer never hides
  // a timeout. Throws InfraError naming the address and the cause (refused, unreachable, no
  // answer within `connect_timeout`).
  TcpPort(std::string address, double pace_baud, Duration connect_timeout);

  std::string read_some(Deadline deadline) override;
  bool took_all() const override { return reader_ && reader_->took_all(); }
  void write_all(std::string_view bytes, Deadline deadline) override;
  std::string describe() const override { return address_; }

 private:
  std::string address_;
  UniqueFd fd_;
  std::optional<FdReader> reader_;  // made once fd_ is open
  LinePacer pacer_;
  std::string name_;
};

// socket://HOST:PORT, HOST a name, an IPv4 address or [an IPv6 address].
bool is_tcp_address(std::string_view port);
// What is wrong with a socket:// address, or empty when it is well formed.
std::string tcp_address_problem(std::string_view address);

}  // namespace athil
