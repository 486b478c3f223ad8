#include "rig/model.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "models/models.hpp"

namespace athil::rig {

bool Slot::usb_port() const {
  if (const auto* real = std::get_if<RealSlot>(&kind)) return real->usb;
  if (const auto* virt = std::get_if<VirtualSlot>(&kind)) return virt->usb;
  return false;
}

bool Slot::uses_gpio() const {
  const auto* real = std::get_if<RealSlot>(&kind);
  return real && !real->gpio_chip.empty();
}

bool Slot::provides(const std::string& capability) const {
  if (capability == "fota-target") return !fota_target.empty();
  if (capability == "network-sms") return is_virtual();                 // a real module's messages come from a real network
  if (capability == "mqtt-broker") return mqtt_broker || is_virtual();  // a virtual slot's is the run's own
  if (capability == "current") return instrument.has_value();
  if (is_replay()) return false;  // a recorded session: no pins, no supply, no USB
  if (const auto* v = std::get_if<VirtualSlot>(&kind))
    return capability == "usb" ? v->usb : capability == "status" || capability == "supply" || capability == "reset" || capability == "dtr";
  const auto& real = std::get<RealSlot>(kind);
  auto wired = [&](PinRole role) { return std::any_of(real.lines.begin(), real.lines.end(), [&](const GpioLine& l) { return l.role == role; }); };
  if (capability == "status") return wired(PinRole::status);
  if (capability == "dtr") return wired(PinRole::dtr);
  if (capability == "supply") return wired(PinRole::supply) || !real.supply_on.empty() || (instrument && instrument->supplies);
  if (capability == "reset") return wired(model_or_default(model).reset_pin ? PinRole::reset : PinRole::pwrkey);
  if (capability == "usb") return real.usb;
  return false;
}

std::string Slot::how_to_provide(const std::string& capability) const {
  if (capability == "fota-target") return "add fota-target=\"REVISION\" (the release the update goes to) to its <slot>";
  if (capability == "network-sms") return "only a virtual slot's network sends messages on a scenario's word: on a real slot, send one from a phone";
  if (capability == "mqtt-broker") return "name the broker its module reaches: mqtt-broker=\"HOST:PORT\" on its <slot>";
  if (capability == "current")
    return is_virtual() ? "give it a virtual current meter: <instrument spec=\"ppk2\"/> in its <slot>"
                        : "name its current meter: <instrument spec=\"ppk2:conn=/dev/ttyACM0\"/> in its <slot>";
  if (is_replay()) return "a replayed session has no pins, supply or USB: run the scenario on a virtual or real slot";
  if (is_virtual()) return capability == "usb" ? "make it <virtual usb=\"true\"/>" : "";
  if (capability == "status") return "wire STATUS: <line role=\"status\" offset=\"N\"/> in its <gpio>";
  if (capability == "dtr") return "wire DTR: <line role=\"dtr\" offset=\"N\"/> in its <gpio>";
  if (capability == "supply") return "wire the supply: <line role=\"supply\" offset=\"N\"/> in its <gpio>, or <supply on=\"...\" off=\"...\"/>";
  if (capability == "reset") {
    auto pin = model_or_default(model).reset_pin ? "reset" : "pwrkey";
    return fmt::format("wire {}: <line role=\"{}\" offset=\"N\"/> in its <gpio>", pin == std::string("reset") ? "RESET" : "PWRKEY", pin);
  }
  if (capability == "usb") return "mark its port as USB: <serial usb=\"true\" .../>";
  return "";
}

}  // namespace athil::rig
