#pragma once
// The virtual module's MQTT client: real MQTT 3.1.1 over TCP with Asio (whose headers stay in
// mqtt_client.cpp), one link per AT+SMCONN. Events come back on the io_context's thread.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "sim/mqtt.hpp"

namespace boost::asio {
class io_context;
}

namespace athil::sim {

class MqttClient {
 public:
  MqttClient(boost::asio::io_context& io, std::function<void(MqttEvent)> events);
  ~MqttClient();  // closes every link at once
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  void request(const MqttRequest& r);

 private:
  class Link;
  boost::asio::io_context& io_;
  std::function<void(MqttEvent)> events_;
  std::map<std::uint64_t, std::shared_ptr<Link>> links_;
};

}  // namespace athil::sim
