// A slot whose supply is its instrument: a PPK2 in source mode, a bench supply. The supply role
// switches the instrument's output; the other pins are the slot's lines. The instrument is
// shared with the scenarios that measure through it (one PPK2 port, one supply).
#include <fmt/format.h>

#include "base/error.hpp"
#include "instrument/meter.hpp"
#include "rig/pins.hpp"

namespace athil::rig {

namespace {

class InstrumentSupplyPins final : public Pins {
 public:
  InstrumentSupplyPins(std::string slot, std::unique_ptr<Pins> lines, MeterOpener open)
      : slot_(std::move(slot)), lines_(std::move(lines)), open_(std::move(open)) {
    set(PinRole::supply, Level::high);  // as a rig's supply line is requested: on
  }

  bool has(PinRole role) const override { return role == PinRole::supply || (lines_ && lines_->has(role)); }

  void set(PinRole role, Level level) override {
    if (role != PinRole::supply) return other(role).set(role, level);
    try {
      if (!meter_) meter_ = open_();
      meter_->power(level == Level::high);
    } catch (const InfraError& e) {
      meter_.reset();  // opened again next time: it may be back
      throw InfraError(fmt::format("slot {}: supply {} through its instrument: {}", slot_, level == Level::high ? "on" : "off", e.what()));
    }
    supply_ = level;
  }

  bool pulse(PinRole role, Level level, Duration hold) override { return role != PinRole::supply && other(role).pulse(role, level, hold); }

  // An instrument's output is as it was last switched: on from the start.
  Level get(PinRole role) override { return role == PinRole::supply ? supply_ : other(role).get(role); }

  std::vector<PinEvent> take_events() override { return lines_ ? lines_->take_events() : std::vector<PinEvent>{}; }

  std::string describe() const override {
    std::string instrument = meter_ ? meter_->describe() : "its instrument";
    return lines_ ? fmt::format("{}, supply through {}", lines_->describe(), instrument) : fmt::format("supply through {}", instrument);
  }

 private:
  Pins& other(PinRole role) {
    if (!lines_ || !lines_->has(role)) throw InfraError(fmt::format("slot {}: the rig wires no '{}' line", slot_, to_string(role)));
    return *lines_;
  }

  std::string slot_;
  std::unique_ptr<Pins> lines_;
  MeterOpener open_;
  std::shared_ptr<instrument::CurrentMeter> meter_;
  Level supply_ = Level::high;
};

}  // namespace

std::unique_ptr<Pins> supply_through_instrument(const std::string& slot, std::unique_ptr<Pins> lines, MeterOpener open) {
  return std::make_unique<InstrumentSupplyPins>(slot, std::move(lines), std::move(open));
}

}  // namespace athil::rig
