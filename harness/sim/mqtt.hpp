#pragma once
// MQTT as the virtual module plays it (AT+SM*, module/mqtt.cpp): what the module asks of the
// broker through the host's client (mqtt_client.cpp), and what comes back. Plain data: the
// module never touches a socket. One connection per AT+SMCONN, named by `link`.
#include <chrono>
#include <cstdint>
#include <string>

namespace athil::sim {

struct MqttRequest {
  enum class Kind { connect, publish, subscribe, unsubscribe, disconnect, drop };  // drop: the link dies (no DISCONNECT)
  Kind kind = Kind::connect;
  std::uint64_t link = 0;
  std::uint64_t id = 0;  // answered by the MqttEvent with this id (not for disconnect and drop)
  // connect
  std::string host;
  int port = 0;
  std::string client_id, username, password;
  int keepalive_s = 60;  // on the wire, in real seconds: the broker's clock is not scaled
  bool clean = true;
  std::chrono::milliseconds timeout{};
  // publish, subscribe, unsubscribe; on connect, the will (empty topic: none)
  std::string topic, payload;
  int qos = 0;
  bool retain = false;
};

struct MqttEvent {
  enum class Kind { done, failed, message, lost };  // lost: the broker or the network closed the link
  Kind kind = Kind::done;
  std::uint64_t link = 0, id = 0;
  std::string topic, payload;  // a message
  std::string why;             // failed and lost, for the module's log
};

}  // namespace athil::sim
