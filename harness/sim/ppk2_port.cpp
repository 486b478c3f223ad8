#include "sim/ppk2_port.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/pty.hpp"
#include "sim/ppk2.hpp"

namespace athil::sim {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
// How often samples go out while measuring: a real PPK2 fills 64-byte USB packets continuously;
// a few milliseconds of samples per write keeps the stream smooth at a reasonable cost.
constexpr auto send_every = 5ms;
}  // namespace

struct Ppk2Port::State {
  State(asio::io_context& io, const std::string& link, const DrawLog& draws, std::function<void(bool)> on_supply)
      : pty(open_pty()), input(io, ::dup(pty.master.get())), timer(io), log(draws), supply(std::move(on_supply)) {
    ::fcntl(pty.master.get(), F_SETFL, ::fcntl(pty.master.get(), F_GETFL) | O_NONBLOCK);
    if (!link.empty()) link_path = publish_link(link, pty.slave_path);
    read();
  }

  void read() {
    input.async_read_some(asio::buffer(buffer), [this](boost::system::error_code ec, std::size_t n) {
      if (ec) return;
      bool was_supplied = device.dut_supplied(), was_measuring = device.measuring();
      std::string answer = device.input(std::string_view(buffer.data(), n), Draw::Time::clock::now());
      if (!answer.empty()) send(answer);
      if (device.dut_supplied() != was_supplied && supply) supply(device.dut_supplied());
      if (device.measuring() && !was_measuring) stream();
      read();
    });
  }

  void stream() {
    if (!device.measuring()) return;
    send(device.samples_until(Draw::Time::clock::now(), log));
    timer.expires_after(send_every);
    timer.async_wait([this](boost::system::error_code ec) {
      if (!ec) stream();
    });
  }

  void send(const std::string& bytes) {
    std::string_view rest = bytes;
    while (!rest.empty()) {
      ssize_t n = ::write(pty.master.get(), rest.data(), rest.size());
      if (n <= 0) {
        // The host reads too slowly: a real PPK2's buffer overflows the same way.
        if (dropped++ == 0) std::fprintf(stderr, "ppk2: the host reads too slowly; %zu bytes lost (%s)\n", rest.size(), std::strerror(errno));
        return;
      }
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  Pty pty;
  asio::posix::stream_descriptor input;
  asio::steady_timer timer;
  const DrawLog& log;
  std::function<void(bool)> supply;
  OwnedPath link_path;
  VirtualPpk2 device;
  std::array<char, 256> buffer{};
  std::size_t dropped = 0;
};

Ppk2Port::Ppk2Port(asio::io_context& io, const std::string& link, const DrawLog& log, std::function<void(bool)> supply)
    : state_(std::make_unique<State>(io, link, log, std::move(supply))) {}

Ppk2Port::~Ppk2Port() = default;

const std::string& Ppk2Port::path() const { return state_->pty.slave_path; }
bool Ppk2Port::dut_supplied() const { return state_->device.dut_supplied(); }
DrawLog::Time Ppk2Port::needs_since() const { return state_->device.measuring() ? state_->device.next_sample() : Draw::Time::clock::now(); }

}  // namespace athil::sim
