#include "sim/socket_client.hpp"

#include <array>
#include <deque>
#include <string>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace athil::sim {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;
using boost::system::error_code;

// One socket: TCP connected to its peer, or UDP bound to one.
class SocketClient::Link : public std::enable_shared_from_this<Link> {
 public:
  Link(asio::io_context& io, std::function<void(SocketEvent)> events, std::uint64_t link)
      : resolver_(io), tcp_(io), udp_(io), timer_(io), events_(std::move(events)), link_(link) {}

  void open(const SocketRequest& r) {
    udp_mode_ = r.udp;
    timer_.expires_after(r.timeout);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec && !self->open_) self->end(SocketEvent::Kind::failed);
    });
    resolver_.async_resolve(r.host, std::to_string(r.port), [self = shared_from_this()](error_code ec, tcp::resolver::results_type found) {
      if (ec) return self->end(SocketEvent::Kind::unresolved);
      if (self->udp_mode_) return self->open_udp(*found.begin());
      asio::async_connect(self->tcp_, found, [self](error_code ec2, const tcp::endpoint&) {
        if (ec2) return self->end(ec2 == asio::error::connection_refused ? SocketEvent::Kind::refused : SocketEvent::Kind::failed);
        self->opened();
      });
    });
  }

  void send(std::string data) {
    if (closed_) return;
    out_.push_back(std::move(data));
    if (out_.size() == 1) write();
  }

  void close() {
    closed_ = true;
    error_code ignored;
    tcp_.close(ignored);
    udp_.close(ignored);
    resolver_.cancel();
    timer_.cancel();
  }

 private:
  void open_udp(const tcp::endpoint& peer) {
    error_code ec;
    udp_.connect(udp::endpoint(peer.address(), peer.port()), ec);
    if (ec) return end(SocketEvent::Kind::failed);
    opened();
  }

  void opened() {
    open_ = true;
    timer_.cancel();
    events_(SocketEvent{.kind = SocketEvent::Kind::opened, .link = link_});
    read();
  }

  void end(SocketEvent::Kind kind) {
    if (closed_) return;
    close();
    events_(SocketEvent{.kind = kind, .link = link_});
  }

  void write() {
    auto done = [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec) return self->end(SocketEvent::Kind::closed);
      self->out_.pop_front();
      if (!self->out_.empty()) self->write();
    };
    if (udp_mode_) return udp_.async_send(asio::buffer(out_.front()), done);
    asio::async_write(tcp_, asio::buffer(out_.front()), done);
  }

  void read() {
    auto got = [self = shared_from_this()](error_code ec, std::size_t n) {
      if (ec) return self->end(SocketEvent::Kind::closed);  // the peer closed, or the network broke
      self->events_(SocketEvent{.kind = SocketEvent::Kind::data, .link = self->link_, .data = std::string(self->chunk_.data(), n)});
      if (!self->closed_) self->read();
    };
    if (udp_mode_) return udp_.async_receive(asio::buffer(chunk_), got);
    tcp_.async_read_some(asio::buffer(chunk_), got);
  }

  tcp::resolver resolver_;
  tcp::socket tcp_;
  udp::socket udp_;
  asio::steady_timer timer_;
  std::function<void(SocketEvent)> events_;
  std::uint64_t link_;
  bool udp_mode_ = false, open_ = false, closed_ = false;
  std::deque<std::string> out_;
  std::array<char, 1460> chunk_{};
};

SocketClient::SocketClient(asio::io_context& io, std::function<void(SocketEvent)> events) : io_(io), events_(std::move(events)) {}

SocketClient::~SocketClient() {
  for (auto& [id, link] : links_) link->close();
}

void SocketClient::request(const SocketRequest& r) {
  if (r.kind == SocketRequest::Kind::open) {
    auto link = std::make_shared<Link>(io_, events_, r.link);
    links_[r.link] = link;
    return link->open(r);
  }
  auto it = links_.find(r.link);
  if (it == links_.end()) return;
  if (r.kind == SocketRequest::Kind::send) return it->second->send(r.data);
  it->second->close();
  links_.erase(it);
}

}  // namespace athil::sim
