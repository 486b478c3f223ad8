#pragma once
// Opens the transport a rig slot names: a serial device, or socket://HOST:PORT for ser2net,
// reattaching when the port may go away and come back.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "transport/transport.hpp"

namespace athil {

struct PortSettings {
  std::string port;  // a device path, or socket://HOST:PORT
  unsigned baud = 115200;
  bool rtscts = false;
  double pace_baud = 0;              // see SerialPort::Settings
  std::optional<Duration> reattach;  // the port may go away and come back within this
};

// Throws InfraError naming the port and the cause. `note` hears reattachments.
std::unique_ptr<Transport> open_port(const PortSettings& settings, std::function<void(const std::string&)> note = {});

}  // namespace athil
