#pragma once
// A serial port on a path that comes and goes: a module on USB re-enumerates on every reset,
// power cycle and FOTA restart, and its port comes back behind the same stable path
// (/dev/serial/by-id/..., or a virtual module's link). While the port is away, reads wait and
// writes wait for it; away longer than the reattach limit is an infrastructure error.
#include <functional>
#include <optional>

#include "transport/serial_port.hpp"

namespace athil {

class ReattachingPort final : public Transport {
 public:
  // `note` hears "port gone" and "port back" as they happen, for the device's timeline.
  ReattachingPort(std::filesystem::path path, SerialPort::Settings settings, Duration reattach_limit,
                  std::function<void(const std::string&)> note = {});

  std::string read_some(Deadline deadline) override;
  void write_all(std::string_view bytes, Deadline deadline) override;
  std::string describe() const override;
  int reattachments() const override { return reattachments_; }
  bool can_reattach() const override { return true; }

 private:
  // Opens the port if it is there; true when open. Throws when away beyond the limit.
  bool try_open();
  void lost(const PortGone& e);

  std::filesystem::path path_;
  SerialPort::Settings settings_;
  Duration limit_;
  std::function<void(const std::string&)> note_;
  std::optional<SerialPort> port_;
  std::optional<Clock::time_point> away_since_;
  bool ever_open_ = false;
  int reattachments_ = 0;
};

}  // namespace athil
