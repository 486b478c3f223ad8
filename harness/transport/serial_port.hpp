#pragma once
// A local serial port (or a pseudo-terminal's slave side): raw termios, exclusive use.
#include <filesystem>
#include <optional>

#include "base/fd.hpp"
#include "transport/fd_io.hpp"
#include "transport/transport.hpp"

namespace athil {

class SerialPort final : public Transport {
 public:
  struct Settings {
    unsigned baud = 115200;
    bool rtscts = false;
    // >0: the harness paces its writes to this rate (a pseudo-terminal has no UART; a virtual
    // module's line runs at its baud rate divided by the rig's time scale). 0: the UART does.
    double pace_baud = 0;
  };
  // Throws InfraError naming the port and the cause (missing, held by which process,
  // permission, a rate the driver refuses).
  SerialPort(std::filesystem::path path, Settings settings);

  std::string read_some(Deadline deadline) override;
  bool took_all() const override { return reader_ && reader_->took_all(); }
  void write_all(std::string_view bytes, Deadline deadline) override;
  std::string describe() const override;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  Settings settings_;
  UniqueFd fd_;
  std::optional<FdReader> reader_;  // made once fd_ is open
  LinePacer pacer_;
  std::string name_;  // "serial port /dev/ttyUSB2", for messages
};

// The rates a rig may give: the standard ones from 300 up to 4000000, including the SIM70x0
// family's own AT+IPR rates (2900000, 3200000, 3686400).
bool is_standard_baud(unsigned baud);
std::string standard_bauds_text();

}  // namespace athil
