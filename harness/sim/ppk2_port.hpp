#pragma once
// The virtual PPK2 (ppk2.hpp) on a pseudo-terminal of its own beside the module's, as a real one
// enumerates as a USB serial port: it reads the host's commands and streams samples of what the
// module draws in real time. Asio stays in ppk2_port.cpp.
#include <functional>
#include <memory>
#include <string>

#include "sim/current.hpp"

namespace boost::asio {
class io_context;
}

namespace athil::sim {

class Ppk2Port {
 public:
  // `link`: a symlink to the pty. `supply(on)`: in source mode the PPK2 is the module's supply,
  // and its DUT switch turns it on and off.
  Ppk2Port(boost::asio::io_context& io, const std::string& link, const DrawLog& log, std::function<void(bool on)> supply);
  ~Ppk2Port();
  Ppk2Port(const Ppk2Port&) = delete;
  Ppk2Port& operator=(const Ppk2Port&) = delete;
  const std::string& path() const;
  // Whether the device under test is supplied through it now.
  bool dut_supplied() const;
  // The oldest moment whose draw a sample may still need.
  DrawLog::Time needs_since() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace athil::sim
