#pragma once
// A local serial port (or a pseudo-terminal's slave side): raw termios, exclusive use.
#include <filesystem>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "transport/transport.hpp"

namespace athil {

// The device node went away under an open port (USB re-enumeration, a pty whose module ended).
class PortGone : public InfraError {
 public:
  using InfraError::InfraError;
};

class SerialPort final : public Transport {
 public:
  struct Settings {
    unsigned baud = 115200;
    bool rtscts = false;
  };
  // Throws InfraError naming the port and the cause (missing, busy, permission, bad baud).
  SerialPort(std::filesystem::path path, Settings settings);

  std::string read_some(Deadline deadline) override;
  void write_all(std::string_view bytes, Deadline deadline) override;
  std::string describe() const override;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  Settings settings_;
  UniqueFd fd_;
};

}  // namespace athil
