#pragma once
// The virtual module's control channel (harness/sim/README.md), one request a line, parsed
// into what the host does with it.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "sim/module.hpp"

namespace athil::sim {

struct ControlRequest {
  enum class Verb { set, pulse, get, watch, reset_state, pins, turnaround, pulses, state, sms };
  Verb verb;
  Pin pin = Pin::pwrkey;                // set, pulse, get, pulses
  Level level = Level::high;            // set, pulse
  std::optional<std::int64_t> edge_us;  // set, pulse: when the harness stamped the edge
  std::int64_t hold_us = 0;             // pulse: how long the pin stays at `level`
  std::set<Pin> watched;                // watch
  std::string from, text;               // sms: a message from the network
};

// The request, or the line that answers a bad one ("error ...").
std::variant<ControlRequest, std::string> parse_control(std::string_view line);

const char* pin_name(Pin p);
const char* level_name(Level l);
std::optional<Pin> pin_from(std::string_view s);

}  // namespace athil::sim
