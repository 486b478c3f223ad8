#pragma once
// Instruments libsigrok drives (bench supplies over SCPI, multimeters), through its C++
// bindings, named as sigrok-cli names them: "scpi-pps:conn=tcp-raw/10.0.0.5/5025". A polled
// instrument gives one reading per query, unstamped: each is stamped when it arrives and stands
// for the span since the reading before. libsigrok's headers stay in sigrok.cpp.
#include <memory>
#include <string>

#include "instrument/meter.hpp"
#include "instrument/spec.hpp"

namespace athil::instrument {

// Whether libsigrok has a driver of that name ("scpi-pps").
bool sigrok_drives(const std::string& driver);

class SigrokMeter final : public CurrentMeter {
 public:
  // Scans for the device the spec names (its conn= and serialcomm= are libsigrok's scan
  // options; channel= picks a current channel, the first by default). Throws InputError for an
  // unknown driver or option, InfraError when nothing answers or it has no current channel.
  explicit SigrokMeter(const InstrumentSpec& spec);
  ~SigrokMeter() override;

  std::unique_ptr<Capture> start(const CaptureOptions& options) override;
  std::string describe() const override;
  // A power supply's output (its channel's group) on or off.
  bool supplies() const override;
  void power(bool on) override;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace athil::instrument
