#pragma once
// The virtual DC source (scpi_supply.hpp) on a loopback TCP port, as a bench supply on a LAN
// takes raw SCPI on port 5025: libsigrok reaches it as "scpi-pps:conn=tcp-raw/127.0.0.1/PORT".
// A measurement answers once its sweep is over, in real time. Asio stays in scpi_port.cpp.
#include <functional>
#include <memory>
#include <string>

#include "sim/current.hpp"

namespace boost::asio {
class io_context;
}

namespace athil::sim {

class ScpiPort {
 public:
  // `port` 0: any free one. `supply(on)`: the source is the module's supply; its output turns
  // it on and off.
  ScpiPort(boost::asio::io_context& io, unsigned short port, const DrawLog& log, std::function<void(bool on)> supply);
  ~ScpiPort();
  ScpiPort(const ScpiPort&) = delete;
  ScpiPort& operator=(const ScpiPort&) = delete;
  std::string conn() const;  // "tcp-raw/127.0.0.1/PORT", as libsigrok names it
  bool output_on() const;
  // The oldest moment whose draw a measurement under way still needs.
  DrawLog::Time needs_since() const;

  struct State;  // shared with the connections, in scpi_port.cpp

 private:
  std::shared_ptr<State> state_;
};

}  // namespace athil::sim
