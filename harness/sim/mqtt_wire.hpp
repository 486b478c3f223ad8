#pragma once
// MQTT 3.1.1 packets on the wire (OASIS mqtt-v3.1.1, section 2 and 3): what the virtual
// module's client sends and reads. No I/O, so that tests can take packets apart.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace athil::sim::mqtt {

enum class Type : std::uint8_t {
  connect = 1,
  connack,
  publish,
  puback,
  pubrec,
  pubrel,
  pubcomp,
  subscribe,
  suback,
  unsubscribe,
  unsuback,
  pingreq,
  pingresp,
  disconnect
};

struct Connect {
  std::string client_id, username, password;
  int keepalive_s = 60;
  bool clean = true;
  std::string will_topic, will_message;  // empty topic: no will
  int will_qos = 0;
  bool will_retain = false;
};

std::string encode_connect(const Connect& c);
std::string encode_publish(std::string_view topic, std::string_view payload, int qos, bool retain, std::uint16_t packet_id);
std::string encode_subscribe(std::uint16_t packet_id, std::string_view topic, int qos);
std::string encode_unsubscribe(std::uint16_t packet_id, std::string_view topic);
std::string encode_ack(Type type, std::uint16_t packet_id);  // puback, pubrec, pubrel, pubcomp
std::string encode_pingreq();
std::string encode_disconnect();

struct Packet {
  Type type;
  std::uint8_t flags = 0;  // the fixed header's low nibble
  std::uint16_t packet_id = 0;
  std::uint8_t code = 0;       // connack's return code, suback's first granted QoS (0x80: refused)
  std::string topic, payload;  // publish
  int qos() const { return (flags >> 1) & 3; }
};

struct MalformedPacket : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A packet larger than this from the broker closes the link (bounded memory).
inline constexpr std::size_t max_packet = 256 * 1024;

// Takes the first whole packet off the front of `buffer`; nothing while it is incomplete.
// Throws MalformedPacket.
std::optional<Packet> take_packet(std::string& buffer);

}  // namespace athil::sim::mqtt
