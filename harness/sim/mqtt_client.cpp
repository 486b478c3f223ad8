#include "sim/mqtt_client.hpp"

#include <array>
#include <deque>
#include <string>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "sim/mqtt_wire.hpp"

namespace athil::sim {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// One TCP connection to a broker. The module's requests wait in `pending_` for their
// acknowledgement, by packet identifier.
class MqttClient::Link : public std::enable_shared_from_this<Link> {
 public:
  Link(asio::io_context& io, std::function<void(MqttEvent)> events, std::uint64_t link)
      : resolver_(io), socket_(io), timer_(io), ping_(io), events_(std::move(events)), link_(link) {}

  void connect(const MqttRequest& r) {
    connect_id_ = r.id;
    keepalive_ = std::chrono::seconds(r.keepalive_s);
    hello_ = mqtt::encode_connect(mqtt::Connect{.client_id = r.client_id,
                                                .username = r.username,
                                                .password = r.password,
                                                .keepalive_s = r.keepalive_s,
                                                .clean = r.clean,
                                                .will_topic = r.topic,
                                                .will_message = r.payload,
                                                .will_qos = r.qos,
                                                .will_retain = r.retain});
    timer_.expires_after(r.timeout);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec && self->connect_id_) self->fail("no CONNACK within the module's timeout");
    });
    resolver_.async_resolve(r.host, std::to_string(r.port), [self = shared_from_this()](error_code ec, tcp::resolver::results_type found) {
      if (ec) return self->fail("the broker's name did not resolve: " + ec.message());
      asio::async_connect(self->socket_, found, [self](error_code ec2, const tcp::endpoint&) {
        if (ec2) return self->fail("no TCP connection to the broker: " + ec2.message());
        self->send(self->hello_);
        self->read();
      });
    });
  }

  void request(const MqttRequest& r) {
    switch (r.kind) {
      case MqttRequest::Kind::publish: {
        std::uint16_t id = r.qos > 0 ? next_packet_id() : 0;
        send(mqtt::encode_publish(r.topic, r.payload, r.qos, r.retain, id));
        if (r.qos == 0) return done(r.id);  // written: all QoS 0 promises
        pending_[id] = r.id;
        return;
      }
      case MqttRequest::Kind::subscribe: {
        auto id = next_packet_id();
        pending_[id] = r.id;
        return send(mqtt::encode_subscribe(id, r.topic, r.qos));
      }
      case MqttRequest::Kind::unsubscribe: {
        auto id = next_packet_id();
        pending_[id] = r.id;
        return send(mqtt::encode_unsubscribe(id, r.topic));
      }
      case MqttRequest::Kind::disconnect: send(mqtt::encode_disconnect()); return close_after_writes();
      case MqttRequest::Kind::drop: return close();
      case MqttRequest::Kind::connect: return;
    }
  }

  void close() {
    closed_ = true;
    error_code ignored;
    socket_.close(ignored);
    resolver_.cancel();
    timer_.cancel();
    ping_.cancel();
  }

 private:
  std::uint16_t next_packet_id() {
    if (++packet_id_ == 0) ++packet_id_;
    return packet_id_;
  }

  void done(std::uint64_t id) { events_(MqttEvent{.kind = MqttEvent::Kind::done, .link = link_, .id = id}); }

  // Before CONNACK the connect fails; after it, the link is lost.
  void fail(const std::string& why) {
    if (closed_) return;
    close();
    if (connect_id_) return events_(MqttEvent{.kind = MqttEvent::Kind::failed, .link = link_, .id = std::exchange(connect_id_, 0), .why = why});
    events_(MqttEvent{.kind = MqttEvent::Kind::lost, .link = link_, .why = why});
  }

  void send(std::string bytes) {
    if (closed_) return;
    out_.push_back(std::move(bytes));
    if (out_.size() == 1) write();
  }

  void write() {
    asio::async_write(socket_, asio::buffer(out_.front()), [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec) return self->fail("writing to the broker: " + ec.message());
      self->out_.pop_front();
      if (!self->out_.empty()) return self->write();
      if (self->close_when_written_) self->close();
    });
  }

  void close_after_writes() {
    if (out_.empty()) return close();
    close_when_written_ = true;
  }

  void read() {
    socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](error_code ec, std::size_t n) {
      if (ec) return self->fail(ec == asio::error::eof ? "the broker closed the connection" : "reading from the broker: " + ec.message());
      self->in_.append(self->chunk_.data(), n);
      try {
        while (auto p = mqtt::take_packet(self->in_)) self->on_packet(*p);
      } catch (const mqtt::MalformedPacket& e) {
        return self->fail(std::string("the broker sent ") + e.what());
      }
      if (!self->closed_) self->read();
    });
  }

  void on_packet(const mqtt::Packet& p) {
    using mqtt::Type;
    switch (p.type) {
      case Type::connack:
        if (p.code != 0) return fail("the broker refused the connection (CONNACK return code " + std::to_string(p.code) + ")");
        timer_.cancel();
        done(std::exchange(connect_id_, 0));
        return keep_alive();
      case Type::publish:
        if (p.qos() == 1) send(mqtt::encode_ack(Type::puback, p.packet_id));
        if (p.qos() == 2) send(mqtt::encode_ack(Type::pubrec, p.packet_id));
        return events_(MqttEvent{.kind = MqttEvent::Kind::message, .link = link_, .topic = p.topic, .payload = p.payload});
      case Type::pubrec: return send(mqtt::encode_ack(Type::pubrel, p.packet_id));  // QoS 2: the answer comes with PUBCOMP
      case Type::pubrel: return send(mqtt::encode_ack(Type::pubcomp, p.packet_id));
      case Type::suback:
        if (p.code == 0x80) return refuse(p.packet_id);
        [[fallthrough]];
      case Type::puback:
      case Type::pubcomp:
      case Type::unsuback: return acknowledge(p.packet_id);
      default: return;  // PINGRESP
    }
  }

  void acknowledge(std::uint16_t packet_id) {
    auto it = pending_.find(packet_id);
    if (it == pending_.end()) return;
    auto id = it->second;
    pending_.erase(it);
    done(id);
  }

  void refuse(std::uint16_t packet_id) {
    auto it = pending_.find(packet_id);
    if (it == pending_.end()) return;
    events_(MqttEvent{.kind = MqttEvent::Kind::failed, .link = link_, .id = it->second, .why = "the broker refused the subscription"});
    pending_.erase(it);
  }

  // A PINGREQ at half the keep-alive, so the broker never counts the link as silent.
  void keep_alive() {
    if (keepalive_.count() == 0) return;
    ping_.expires_after(keepalive_ / 2);
    ping_.async_wait([self = shared_from_this()](error_code ec) {
      if (ec || self->closed_) return;
      self->send(mqtt::encode_pingreq());
      self->keep_alive();
    });
  }

  tcp::resolver resolver_;
  tcp::socket socket_;
  asio::steady_timer timer_, ping_;
  std::function<void(MqttEvent)> events_;
  std::uint64_t link_;
  std::uint64_t connect_id_ = 0;  // the connect request until CONNACK
  std::chrono::seconds keepalive_{};
  std::string hello_;
  std::deque<std::string> out_;
  std::string in_;
  std::array<char, 4096> chunk_{};
  std::map<std::uint16_t, std::uint64_t> pending_;  // packet identifier -> the module's request
  std::uint16_t packet_id_ = 0;
  bool closed_ = false, close_when_written_ = false;
};

MqttClient::MqttClient(asio::io_context& io, std::function<void(MqttEvent)> events) : io_(io), events_(std::move(events)) {}

MqttClient::~MqttClient() {
  for (auto& [id, link] : links_) link->close();
}

void MqttClient::request(const MqttRequest& r) {
  if (r.kind == MqttRequest::Kind::connect) {
    auto link = std::make_shared<Link>(io_, events_, r.link);
    links_[r.link] = link;
    return link->connect(r);
  }
  auto it = links_.find(r.link);
  if (it == links_.end()) return;
  it->second->request(r);
  if (r.kind == MqttRequest::Kind::disconnect || r.kind == MqttRequest::Kind::drop) links_.erase(it);
}

}  // namespace athil::sim
