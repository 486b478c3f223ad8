#include "sim/mqtt_wire.hpp"

namespace athil::sim::mqtt {

namespace {

void put16(std::string& out, std::uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}

void put_string(std::string& out, std::string_view s) {
  put16(out, static_cast<std::uint16_t>(s.size()));
  out += s;
}

// The fixed header: type and flags, then the remaining length in 7-bit groups.
std::string packet(Type type, std::uint8_t flags, const std::string& body) {
  std::string out(1, static_cast<char>((static_cast<unsigned>(type) << 4) | flags));
  std::size_t n = body.size();
  do {
    std::uint8_t digit = n % 128;
    n /= 128;
    out += static_cast<char>(n > 0 ? digit | 0x80 : digit);
  } while (n > 0);
  return out + body;
}

std::uint16_t get16(std::string_view s, std::size_t at) {
  if (at + 2 > s.size()) throw MalformedPacket("a packet ends inside a two-byte field");
  return static_cast<std::uint16_t>((static_cast<std::uint8_t>(s[at]) << 8) | static_cast<std::uint8_t>(s[at + 1]));
}

}  // namespace

std::string encode_connect(const Connect& c) {
  std::string body;
  put_string(body, "MQTT");
  body += static_cast<char>(4);  // protocol level 3.1.1
  std::uint8_t flags = c.clean ? 0x02 : 0;
  if (!c.will_topic.empty()) flags |= 0x04 | (c.will_qos << 3) | (c.will_retain ? 0x20 : 0);
  if (!c.username.empty()) flags |= 0x80;
  if (!c.password.empty()) flags |= 0x40;
  body += static_cast<char>(flags);
  put16(body, static_cast<std::uint16_t>(c.keepalive_s));
  put_string(body, c.client_id);
  if (!c.will_topic.empty()) {
    put_string(body, c.will_topic);
    put_string(body, c.will_message);
  }
  if (!c.username.empty()) put_string(body, c.username);
  if (!c.password.empty()) put_string(body, c.password);
  return packet(Type::connect, 0, body);
}

std::string encode_publish(std::string_view topic, std::string_view payload, int qos, bool retain, std::uint16_t packet_id) {
  std::string body;
  put_string(body, topic);
  if (qos > 0) put16(body, packet_id);
  body += payload;
  return packet(Type::publish, static_cast<std::uint8_t>((qos << 1) | (retain ? 1 : 0)), body);
}

std::string encode_subscribe(std::uint16_t packet_id, std::string_view topic, int qos) {
  std::string body;
  put16(body, packet_id);
  put_string(body, topic);
  body += static_cast<char>(qos);
  return packet(Type::subscribe, 0x02, body);
}

std::string encode_unsubscribe(std::uint16_t packet_id, std::string_view topic) {
  std::string body;
  put16(body, packet_id);
  put_string(body, topic);
  return packet(Type::unsubscribe, 0x02, body);
}

std::string encode_ack(Type type, std::uint16_t packet_id) {
  std::string body;
  put16(body, packet_id);
  return packet(type, type == Type::pubrel ? 0x02 : 0, body);
}

std::string encode_pingreq() { return packet(Type::pingreq, 0, {}); }
std::string encode_disconnect() { return packet(Type::disconnect, 0, {}); }

std::optional<Packet> take_packet(std::string& buffer) {
  std::size_t length = 0, at = 1;
  for (int shift = 0;; shift += 7, ++at) {
    if (at >= buffer.size()) return std::nullopt;
    if (at > 4) throw MalformedPacket("a remaining length of more than four bytes");
    auto digit = static_cast<std::uint8_t>(buffer[at]);
    length |= static_cast<std::size_t>(digit & 0x7f) << shift;
    if (!(digit & 0x80)) break;
  }
  ++at;
  if (length > max_packet) throw MalformedPacket("a packet of " + std::to_string(length) + " bytes, over the client's limit");
  if (buffer.size() < at + length) return std::nullopt;
  auto head = static_cast<std::uint8_t>(buffer[0]);
  std::string_view body(buffer.data() + at, length);
  Packet p{.type = static_cast<Type>(head >> 4), .flags = static_cast<std::uint8_t>(head & 0x0f)};
  switch (p.type) {
    case Type::connack: p.code = body.size() == 2 ? static_cast<std::uint8_t>(body[1]) : throw MalformedPacket("a CONNACK that is not two bytes"); break;
    case Type::publish: {
      auto topic_length = get16(body, 0);
      std::size_t pos = 2 + topic_length;
      if (pos > body.size()) throw MalformedPacket("a PUBLISH whose topic runs past its end");
      p.topic = std::string(body.substr(2, topic_length));
      if (p.qos() == 3) throw MalformedPacket("a PUBLISH with QoS 3");
      if (p.qos() > 0) p.packet_id = get16(body, pos), pos += 2;
      p.payload = std::string(body.substr(pos));
      break;
    }
    case Type::puback:
    case Type::pubrec:
    case Type::pubrel:
    case Type::pubcomp:
    case Type::unsuback: p.packet_id = get16(body, 0); break;
    case Type::suback:
      p.packet_id = get16(body, 0);
      if (body.size() < 3) throw MalformedPacket("a SUBACK without a return code");
      p.code = static_cast<std::uint8_t>(body[2]);
      break;
    case Type::pingresp: break;
    default: throw MalformedPacket("a packet of type " + std::to_string(head >> 4) + ", which a broker does not send to a client");
  }
  buffer.erase(0, at + length);
  return p;
}

}  // namespace athil::sim::mqtt
