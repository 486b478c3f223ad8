#pragma once
// TCP and UDP as the virtual module plays them (AT+CAOPEN and kin, module/sockets.cpp): what
// the module asks of the host's sockets (socket_client.cpp), and what comes back. Plain data.
#include <chrono>
#include <cstdint>
#include <string>

namespace athil::sim {

struct SocketRequest {
  enum class Kind { open, send, close };
  Kind kind = Kind::open;
  std::uint64_t link = 0;  // one per AT+CAOPEN: events of a closed one are void
  bool udp = false;
  std::string host;
  int port = 0;
  std::chrono::milliseconds timeout{};
  std::string data;  // send
};

struct SocketEvent {
  enum class Kind { opened, refused, unresolved, failed, data, closed };  // closed: by the peer or the network
  Kind kind = Kind::opened;
  std::uint64_t link = 0;
  std::string data;
};

}  // namespace athil::sim
