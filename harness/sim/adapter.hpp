#pragma once
// A USB-serial adapter between the module's UART and the host, as FTDI's chips behave: bytes
// received from the module are held until the adapter's latency timer fires (16 ms by default
// on FTDI, set in the host's driver) or a USB packet's worth has gathered (62 bytes of payload
// in a 64-byte full-speed packet). ser2net over a LAN holds them alike. The pins are not
// behind it: a GPIO edge reaches the host at once, so the host sees an edge before bytes the
// module sent earlier. The latency is real time, never scaled: the adapter's clock is its own.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace athil::sim {

class UsbSerialAdapter {
 public:
  using Time = std::chrono::steady_clock::time_point;
  static constexpr std::size_t ftdi_packet = 62;

  explicit UsbSerialAdapter(std::chrono::microseconds latency, std::size_t packet = ftdi_packet) : latency_(latency), packet_(packet) {}

  // Bytes from the UART at `now`. Returns what goes to the host at once: whole packets.
  std::string receive(std::string_view bytes, Time now);
  // When the bytes held now are due at the host; nothing when none are held.
  std::optional<Time> due() const { return held_.empty() ? std::nullopt : std::optional(since_ + latency_); }
  // The bytes held, now that they are due (the latency timer fired).
  std::string release();
  void clear() { held_.clear(); }

 private:
  std::chrono::microseconds latency_;
  std::size_t packet_;
  std::string held_;
  Time since_{};  // when the oldest byte held arrived
};

}  // namespace athil::sim
