#pragma once
// A byte pipe to one module: a local serial port, the pseudo-terminal of a virtual module, or
// a TCP port that ser2net exports. The AT engine knows only this interface.
#include <cstdint>
#include <string>
#include <string_view>

#include "base/duration.hpp"
#include "base/error.hpp"

namespace athil {

// The longest a port may hold the module's bytes: a USB-serial adapter's latency timer goes up
// to 255 ms (FTDI). Pin edges reach the host at once.
inline constexpr std::int64_t port_latency_bound_us = 255'000;

class Transport {
 public:
  virtual ~Transport() = default;
  // Waits until bytes arrive or the deadline passes; returns them (empty at the deadline).
  // Throws InfraError when the port is gone.
  virtual std::string read_some(Deadline deadline) = 0;
  // Whether the last read_some took all the port had when it last looked (a read that filled
  // its buffer left bytes behind): bytes that come later were not there then. False: unknown.
  virtual bool took_all() const { return false; }
  // Writes in chunks, at the line's pace where the port has no UART to keep it; a deadline
  // that passes between chunks stops the write. Throws InfraError when the port is gone or
  // the deadline passes before all is written.
  virtual void write_all(std::string_view bytes, Deadline deadline) = 0;
  virtual std::string describe() const = 0;
  // How often the port went away and came back (always 0 for a port that cannot).
  virtual int reattachments() const { return 0; }
  virtual bool can_reattach() const { return false; }
  // The module is being started or restarted: a port that is away (a USB module left off)
  // has the whole reattach limit from now to come back.
  virtual void restart_expected() {}
};

}  // namespace athil
