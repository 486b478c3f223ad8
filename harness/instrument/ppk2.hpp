#pragma once
// Nordic's Power Profiler Kit II over its USB serial port, natively (libsigrok 0.5 does not
// drive it). The protocol is public through Nordic's pc-nrfconnect-ppk and IRNAS's
// ppk2-api-python: one-byte commands, the calibration as "key: value" lines ending "END", and
// while measuring 4-byte little-endian words at 100 kHz (bits 0-13 the ADC, 14-16 the range,
// 18-23 a counter). This backend reads them on a thread of its own, as the stream never waits.
#include <array>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "instrument/meter.hpp"

namespace athil {
class SerialPort;
}

namespace athil::instrument {

// The per-range calibration the device reports, as its metadata names it.
struct Ppk2Calibration {
  std::array<double, 5> r{1031.64, 101.65, 10.15, 0.94, 0.043};  // sense resistors, ohms
  std::array<double, 5> o{}, s{}, i{}, gs{};                     // offsets and the gain's square term
  std::array<double, 5> gi{1, 1, 1, 1, 1}, ug{1, 1, 1, 1, 1};    // gains
  // Amperes for one word's ADC reading in one range, the device sourcing or expecting `vdd` volts.
  double amps(unsigned adc, unsigned range, double vdd) const;
};
// Reads the metadata text; nullopt when it is not a PPK2's (no END, no resistor).
std::optional<Ppk2Calibration> parse_ppk2_metadata(std::string_view text);

class Ppk2 final : public CurrentMeter {
 public:
  enum class Mode { ampere, source };  // in series with the rig's supply, or the supply itself
  struct Settings {
    std::filesystem::path port;
    Mode mode = Mode::ampere;
    int millivolts = 3800;  // sourced, or in ampere mode the supply's voltage (its calibration uses it)
  };
  // Opens the port, stops a stream a crashed run left going, reads the calibration and sets the
  // mode. Throws InfraError when the port is absent or busy, or what answers is not a PPK2.
  explicit Ppk2(Settings settings);
  ~Ppk2() override;

  // Source mode: the device under test's supply on or off.
  void dut_power(bool on);
  bool supplies() const override { return settings_.mode == Mode::source; }
  void power(bool on) override;
  std::unique_ptr<Capture> start(const CaptureOptions& options) override;
  std::string describe() const override;

 private:
  Settings settings_;
  std::unique_ptr<SerialPort> port_;
  Ppk2Calibration calibration_;
};

}  // namespace athil::instrument
