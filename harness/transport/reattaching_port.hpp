#pragma once
// A port that comes and goes: a module on USB re-enumerates on every reset, power cycle and
// FOTA restart, and its port comes back behind the same stable path (/dev/serial/by-id/...,
// a virtual module's link); ser2net drops its connection while the device behind it is away.
// While the port is away, reads and writes wait for it; away longer than the reattach limit
// is an infrastructure error that says why the last attempt failed.
#include <functional>
#include <memory>
#include <optional>

#include "transport/transport.hpp"

namespace athil {

class ReattachingPort final : public Transport {
 public:
  // Opens the port, or throws InfraError while it is away.
  using Opener = std::function<std::unique_ptr<Transport>()>;
  // `note` hears "port gone" and "port back" as they happen, for the device's timeline.
  ReattachingPort(std::string name, Opener open, Duration reattach_limit, std::function<void(const std::string&)> note = {});

  std::string read_some(Deadline deadline) override;
  // The open port's word for the last read; a read while away, or one that lost the port, is no look.
  bool took_all() const override { return port_ && port_->took_all(); }
  void write_all(std::string_view bytes, Deadline deadline) override;
  std::string describe() const override;
  int reattachments() const override { return reattachments_; }
  bool can_reattach() const override { return true; }
  void restart_expected() override;

 private:
  // Opens the port if it is there; true when open. Throws when away beyond the limit.
  bool try_open();
  void lost(const PortGone& e);
  void wait_a_little(Deadline deadline) const;

  std::string name_;
  Opener open_;
  Duration limit_;
  std::function<void(const std::string&)> note_;
  std::unique_ptr<Transport> port_;
  std::optional<Clock::time_point> away_since_;
  std::string last_failure_;
  bool ever_open_ = false;
  int reattachments_ = 0;
};

}  // namespace athil
