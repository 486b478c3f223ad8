#include "sim/scpi_port.hpp"

#include <array>
#include <cstdio>
#include <set>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "sim/scpi_supply.hpp"

namespace athil::sim {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
// A line longer than any SCPI program message a host sends: the connection is dropped.
constexpr std::size_t max_line = 4096;
}  // namespace

struct ScpiPort::State : std::enable_shared_from_this<ScpiPort::State> {
  State(asio::io_context& context, unsigned short port, const DrawLog& draws, std::function<void(bool)> on_supply)
      : io(context), acceptor(context, tcp::endpoint(asio::ip::address_v4::loopback(), port)), log(draws), supply(std::move(on_supply)) {}

  void accept();
  // One program message from a host: its answers, joined by ';' as SCPI joins a message's
  // responses, after the sweep of any measurement in it.
  template <typename Done>
  void answer(const std::string& line, Done done) {
    bool was_on = device.output_on();
    auto replies = device.line(line);
    if (device.output_on() != was_on) {
      std::fprintf(stderr, "scpi-pps: output %s\n", device.output_on() ? "on" : "off");
      if (supply) supply(device.output_on());
    }
    bool measures = false;
    for (const auto& r : replies) measures |= r.measure != VirtualDcSource::Measure::none;
    auto from = Draw::Time::clock::now();
    auto finish = [this, replies, from, done] {
      std::string text;
      for (const auto& r : replies)
        text += (text.empty() ? "" : ";") + (r.measure == VirtualDcSource::Measure::none ? r.text : device.measured(r.measure, from, log));
      done(replies.empty() ? std::string() : text + "\n");
    };
    if (!measures) return finish();
    auto pending = measuring.insert(from);
    auto timer = std::make_shared<asio::steady_timer>(io, VirtualDcSource::sweep);
    timer->async_wait([this, self = shared_from_this(), timer, pending, finish](boost::system::error_code) {
      finish();
      measuring.erase(pending);
    });
  }

  asio::io_context& io;
  tcp::acceptor acceptor;
  const DrawLog& log;
  std::function<void(bool)> supply;
  VirtualDcSource device;
  std::multiset<Draw::Time> measuring;  // the starts of measurements under way
};

namespace {

// One host's connection: lines in order, each answered before the next is read.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<ScpiPort::State> port) : socket_(std::move(socket)), port_(std::move(port)) {}
  void next() {
    auto end = buffer_.find('\n');
    if (end == std::string::npos) return read();
    std::string line = buffer_.substr(0, end);
    buffer_.erase(0, end + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    port_->answer(line, [self = shared_from_this()](std::string reply) { self->send(std::move(reply)); });
  }

 private:
  void read() {
    if (buffer_.size() > max_line) {
      std::fprintf(stderr, "scpi: a line of over %zu bytes without its end; closing the connection\n", max_line);
      return;
    }
    socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
      if (ec) return;
      self->buffer_.append(self->chunk_.data(), n);
      self->next();
    });
  }
  // The whole answer in one write: libsigrok's raw TCP transport takes a read shorter than its
  // buffer as the answer's end.
  void send(std::string reply) {
    if (reply.empty()) return next();
    auto held = std::make_shared<std::string>(std::move(reply));
    asio::async_write(socket_, asio::buffer(*held), [self = shared_from_this(), held](boost::system::error_code ec, std::size_t) {
      if (!ec) self->next();
    });
  }
  tcp::socket socket_;
  std::shared_ptr<ScpiPort::State> port_;
  std::string buffer_;
  std::array<char, 512> chunk_{};
};

}  // namespace

void ScpiPort::State::accept() {
  acceptor.async_accept([self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
    if (ec) return;
    std::make_shared<Connection>(std::move(socket), self)->next();
    self->accept();
  });
}

ScpiPort::ScpiPort(asio::io_context& io, unsigned short port, const DrawLog& log, std::function<void(bool)> supply)
    : state_(std::make_shared<State>(io, port, log, std::move(supply))) {
  state_->accept();
}

ScpiPort::~ScpiPort() {
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
  state_->supply = nullptr;
}

std::string ScpiPort::conn() const { return fmt::format("tcp-raw/127.0.0.1/{}", state_->acceptor.local_endpoint().port()); }
bool ScpiPort::output_on() const { return state_->device.output_on(); }
DrawLog::Time ScpiPort::needs_since() const { return state_->measuring.empty() ? Draw::Time::clock::now() : *state_->measuring.begin(); }

}  // namespace athil::sim
