#pragma once
// The virtual module's UART as the wire has it: bytes paced at the line rate (scaled by the
// time scale), and what a host at another rate makes of them.
#include <chrono>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/steady_timer.hpp>

namespace athil::sim {

// The baud rate a host set on its end of the pty (the master reads the slave's termios); 0
// for one termios cannot name.
unsigned host_line_rate(int master_fd);

// What a UART at one rate makes of bytes sent at another: framing errors, a different count
// of bytes, none of them the ones sent (never CR or LF, so no line ever forms).
std::string mangle(std::string_view bytes, unsigned from_rate, unsigned to_rate);

// Bytes leave at their line rate, a few milliseconds' worth at a time; each byte keeps the rate
// it was sent at (an OK to AT+IPR still goes out at the old one).
class PacedUart {
 public:
  using Out = std::function<void(std::string_view chunk, unsigned rate)>;
  PacedUart(boost::asio::io_context& io, double time_scale, Out out) : timer_(io), time_scale_(time_scale), out_(std::move(out)) {}
  void send(std::string_view bytes, unsigned rate);
  void clear() { queue_.clear(); }  // the port went away: what was on its way is lost

 private:
  void next();
  using Clock = std::chrono::steady_clock;
  boost::asio::steady_timer timer_;
  double time_scale_;
  Out out_;
  std::deque<std::pair<unsigned, std::string>> queue_;  // bytes to send, by line rate
  bool busy_ = false;
  Clock::time_point next_{};
};

}  // namespace athil::sim
