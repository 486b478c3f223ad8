#include "sim/uart.hpp"

#include <termios.h>

#include <algorithm>

namespace athil::sim {

unsigned host_line_rate(int master_fd) {
  termios t{};
  if (::tcgetattr(master_fd, &t) != 0) return 0;
  switch (::cfgetospeed(&t)) {
    case B300: return 300;
    case B600: return 600;
    case B1200: return 1200;
    case B2400: return 2400;
    case B4800: return 4800;
    case B9600: return 9600;
    case B19200: return 19200;
    case B38400: return 38400;
    case B57600: return 57600;
    case B115200: return 115200;
    case B230400: return 230400;
    case B460800: return 460800;
    case B921600: return 921600;
    case B2000000: return 2000000;
    case B3000000: return 3000000;
    case B4000000: return 4000000;
    default: return 0;
  }
}

std::string mangle(std::string_view bytes, unsigned from_rate, unsigned to_rate) {
  auto n = std::max<std::size_t>(1, static_cast<std::size_t>(static_cast<double>(bytes.size()) * to_rate / from_rate + 0.5));
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    auto b = static_cast<unsigned char>(bytes[i * bytes.size() / n]);
    out[i] = static_cast<char>(0x80 | ((b * 151u + 17u + i) & 0x7f));
  }
  return out;
}

void PacedUart::send(std::string_view bytes, unsigned rate) {
  if (queue_.empty() || queue_.back().first != rate) queue_.emplace_back(rate, std::string());
  queue_.back().second.append(bytes);
  if (!busy_) next();
}

void PacedUart::next() {
  while (!queue_.empty() && queue_.front().second.empty()) queue_.pop_front();
  if (queue_.empty()) {
    busy_ = false;
    return;
  }
  busy_ = true;
  auto& [rate, pending] = queue_.front();
  double bytes_per_s = rate / 10.0 / time_scale_;  // 8N1: ten bits a byte
  // What the wire carries in about 2 ms at a time: fine-grained enough for any reader.
  auto n = std::min(pending.size(), std::max<std::size_t>(1, static_cast<std::size_t>(bytes_per_s * 0.002)));
  std::string chunk = pending.substr(0, n);
  pending.erase(0, n);
  out_(chunk, rate);
  // Absolute times: timer latency does not add up over a long transfer.
  auto now = Clock::now();
  next_ = std::max(next_, now - std::chrono::milliseconds(5)) +
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(static_cast<double>(n) / bytes_per_s));
  timer_.expires_at(next_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) next();
  });
}

}  // namespace athil::sim
