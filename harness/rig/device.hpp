#pragma once
// One slot's module as the runner holds it: its port, AT engine, pins and timeline.
#include <functional>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "at/engine.hpp"
#include "base/timeline.hpp"
#include "instrument/meter.hpp"
#include "rig/pins.hpp"
#include "rig/power.hpp"

namespace athil::rig {

struct Device {
  std::string slot;
  std::string model;
  Timeline timeline;
  std::unique_ptr<Transport> port;
  std::unique_ptr<AtEngine> engine;
  std::unique_ptr<Pins> pins;
  // The network's side of a virtual slot: a text message to the module (its control channel).
  // Empty on a real slot. Throws InfraError.
  std::function<void(const std::string& from, const std::string& text)> network_sms;
  // Opens the slot's current meter (null: the slot has none). Throws InfraError when it is
  // absent, busy or answers nonsense: the scenario that wanted it is in error, not failed.
  // Shared: a slot whose instrument is its supply holds it open between scenarios.
  std::function<std::shared_ptr<instrument::CurrentMeter>()> open_meter;

  // STATUS is wired and low: the module is off.
  bool status_low() const { return pins && pins->has(PinRole::status) && pins->get(PinRole::status) == Level::low; }

  // The model's power sequences over this device's pins; the port is read while they wait
  // and every step lands on the timeline. Throws InfraError when the rig wires no pins.
  std::unique_ptr<PowerControl> power_control(TimeScale scale) {
    if (!pins) throw InfraError(fmt::format("slot {}: the rig wires no pins for power control", slot));
    return std::make_unique<PowerControl>(
        *pins, model, scale, [this](Deadline dl) { engine->drain_until(dl); },
        [this](const std::string& text, Clock::time_point when) { timeline.record_at(to_us(when), Direction::pin, text); });
  }
};

}  // namespace athil::rig
