#pragma once
// A byte pipe to one module: local serial port, pseudo-terminal of a virtual module, and
// later TCP (ser2net). The AT engine knows only this interface.
#include <string>
#include <string_view>

#include "base/duration.hpp"

namespace athil {

class Transport {
 public:
  virtual ~Transport() = default;
  // Waits until bytes arrive or the deadline passes; returns them (empty at the deadline).
  // Throws InfraError when the port is gone.
  virtual std::string read_some(Deadline deadline) = 0;
  // Throws InfraError when the port is gone or the deadline passes before all is written.
  virtual void write_all(std::string_view bytes, Deadline deadline) = 0;
  virtual std::string describe() const = 0;
  // How often the port went away and came back (always 0 for a port that cannot).
  virtual int reattachments() const { return 0; }
  virtual bool can_reattach() const { return false; }
};

}  // namespace athil
