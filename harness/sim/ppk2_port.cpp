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
      if (!device.measuring() && was_measuring) send_words("");  // the last word whole
      read();
    });
  }

  void stream() {
    if (!device.measuring()) return;
    send_words(device.samples_until(Draw::Time::clock::now(), log));
    timer.expires_after(send_every);
    timer.async_wait([this](boost::system::error_code ec) {
      if (!ec) stream();
    });
  }

  // Written as far as the pty takes them; what it does not is lost. Returns how much was.
  std::size_t write_what_fits(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::write(pty.master.get(), bytes.data(), bytes.size());
      if (n <= 0) return bytes.size();
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return 0;
  }

  void send(const std::string& bytes) {
    if (auto lost = write_what_fits(bytes); lost > 0)
      std::fprintf(stderr, "ppk2: an answer of %zu bytes lost %zu (%s)\n", bytes.size(), lost, std::strerror(errno));
  }

  // Samples, lost in whole words when the host reads too slowly, as a real PPK2's buffer
  // overflows: a word the full pty cut is finished first next time, or the stream would be read
  // shifted from there on.
  void send_words(const std::string& words) {
    const std::size_t carried = unfinished.size();  // words start at this offset of `out`
    std::string out = std::move(unfinished) + words;
    std::size_t lost = write_what_fits(out);
    unfinished.clear();
    if (lost == 0) return;
    std::size_t written = out.size() - lost;
    std::size_t left_of_word = written < carried ? carried - written : (4 - (written - carried) % 4) % 4;
    unfinished = out.substr(written, left_of_word);
    if (dropped++ == 0) std::fprintf(stderr, "ppk2: the host reads too slowly; %zu bytes lost (%s)\n", lost - left_of_word, std::strerror(errno));
  }

  Pty pty;
  asio::posix::stream_descriptor input;
  asio::steady_timer timer;
  const DrawLog& log;
  std::function<void(bool)> supply;
  OwnedPath link_path;
  VirtualPpk2 device;
  std::array<char, 256> buffer{};
  std::string unfinished;  // the rest of a sample word the pty took only part of
  std::size_t dropped = 0;
};

Ppk2Port::Ppk2Port(asio::io_context& io, const std::string& link, const DrawLog& log, std::function<void(bool)> supply)
    : state_(std::make_unique<State>(io, link, log, std::move(supply))) {}

Ppk2Port::~Ppk2Port() = default;

const std::string& Ppk2Port::path() const { return state_->pty.slave_path; }
bool Ppk2Port::dut_supplied() const { return state_->device.dut_supplied(); }
DrawLog::Time Ppk2Port::needs_since() const { return state_->device.measuring() ? state_->device.next_sample() : Draw::Time::clock::now(); }

}  // namespace athil::sim
