#include "sim/ppk2_port.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>

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
// What the device holds that its host's port has not taken. Assumed: Nordic does not publish the
// PPK2 firmware's buffer (its nRF52840 has 256 KiB of RAM). On the host side a pty takes
// about 17 KiB, more than a USB serial port does once its line discipline throttles (4 KiB and a
// few packets in flight), so a host that does not read loses samples after about 0.2 s. It also
// keeps the simulator's own lateness (a busy machine runs it late, and it then makes a late
// batch at once) from losing samples a device that is never late would have sent.
constexpr std::size_t device_holds = 64 * 1024;
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
      bool was_supplied = device.dut_supplied();
      std::string answer = device.input(std::string_view(buffer.data(), n), Draw::Time::clock::now());
      if (!answer.empty()) send(answer);
      if (device.dut_supplied() != was_supplied && supply) supply(device.dut_supplied());
      if (!pumping && (device.measuring() || !held.empty())) pump();
      read();
    });
  }

  // Samples out while measuring, and what the device still holds after: it reaches the host
  // after a stop.
  void pump() {
    send_words(device.samples_until(Draw::Time::clock::now(), log));
    pumping = device.measuring() || !held.empty();
    if (!pumping) return;
    timer.expires_after(send_every);
    timer.async_wait([this](boost::system::error_code ec) {
      if (!ec) pump();
    });
  }

  // Answers and samples leave in the order made, as on the device's one USB pipe.
  void send(const std::string& answer) {
    held += answer;
    flush();
  }

  // Samples the device cannot hold are lost in whole words, the newest first, as a real PPK2's
  // buffer overflows while its host's port is full. The pty may take part of a word: the rest
  // stays first in line, so the stream is never read shifted.
  void send_words(const std::string& words) {
    std::size_t room = device_holds - std::min(held.size(), device_holds);
    std::size_t kept = std::min(words.size(), room / 4 * 4);
    held.append(words, 0, kept);
    if (kept < words.size() && dropped++ == 0) std::fprintf(stderr, "ppk2: the host reads too slowly; %zu bytes lost\n", words.size() - kept);
    flush();
  }

  // As much as the pty takes now.
  void flush() {
    std::size_t taken = 0;
    while (taken < held.size()) {
      ssize_t n = ::write(pty.master.get(), held.data() + taken, held.size() - taken);
      if (n <= 0) break;
      taken += static_cast<std::size_t>(n);
    }
    held.erase(0, taken);
  }

  Pty pty;
  asio::posix::stream_descriptor input;
  asio::steady_timer timer;
  const DrawLog& log;
  std::function<void(bool)> supply;
  OwnedPath link_path;
  VirtualPpk2 device;
  std::array<char, 256> buffer{};
  std::string held;  // bytes made, not yet taken by the pty
  bool pumping = false;
  std::size_t dropped = 0;
};

Ppk2Port::Ppk2Port(asio::io_context& io, const std::string& link, const DrawLog& log, std::function<void(bool)> supply)
    : state_(std::make_unique<State>(io, link, log, std::move(supply))) {}

Ppk2Port::~Ppk2Port() = default;

const std::string& Ppk2Port::path() const { return state_->pty.slave_path; }
bool Ppk2Port::dut_supplied() const { return state_->device.dut_supplied(); }
DrawLog::Time Ppk2Port::needs_since() const { return state_->device.measuring() ? state_->device.next_sample() : Draw::Time::clock::now(); }

}  // namespace athil::sim
