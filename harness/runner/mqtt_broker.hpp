#pragma once
// An MQTT broker for the virtual rack: Debian's mosquitto, started by the run on loopback (as
// the firmware server is) for scenarios that require "mqtt-broker", stopped with the run.
// Boost.Process stays inside mqtt_broker.cpp.
#include <filesystem>
#include <memory>
#include <string>

namespace athil {
class ChildProcess;
}

namespace athil::runner {

class MqttBroker {
 public:
  // Starts mosquitto listening on 127.0.0.1 on a free port, with its configuration and log in
  // `dir`, and waits until it accepts connections. Throws InfraError saying why not (mosquitto
  // not installed, did not start: with its log).
  explicit MqttBroker(const std::filesystem::path& dir);
  ~MqttBroker();  // stops it: SIGTERM to its process group, a bounded wait, then SIGKILL
  MqttBroker(const MqttBroker&) = delete;
  MqttBroker& operator=(const MqttBroker&) = delete;

  std::string host() const { return "127.0.0.1"; }
  unsigned short port() const { return port_; }

 private:
  std::unique_ptr<ChildProcess> child_;
  unsigned short port_ = 0;
};

// Where mosquitto is (PATH, then /usr/sbin where Debian puts it), or empty.
std::filesystem::path find_mosquitto();

}  // namespace athil::runner
