#pragma once
// The virtual module's TCP and UDP sockets, real ones on the host with Asio (whose headers stay
// in socket_client.cpp). Events come back on the io_context's thread.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "sim/sockets.hpp"

namespace boost::asio {
class io_context;
}

namespace athil::sim {

class SocketClient {
 public:
  SocketClient(boost::asio::io_context& io, std::function<void(SocketEvent)> events);
  ~SocketClient();  // closes every socket at once
  SocketClient(const SocketClient&) = delete;
  SocketClient& operator=(const SocketClient&) = delete;

  void request(const SocketRequest& r);

 private:
  class Link;
  boost::asio::io_context& io_;
  std::function<void(SocketEvent)> events_;
  std::map<std::uint64_t, std::shared_ptr<Link>> links_;
};

}  // namespace athil::sim
