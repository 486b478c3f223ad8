#pragma once
// Which instrument and how to reach it, written as sigrok-cli writes a device:
// "ppk2:conn=/dev/ttyACM0:mode=source:voltage=3.8V", "scpi-pps:conn=tcp-raw/10.0.0.5/5025".
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "instrument/meter.hpp"

namespace athil::instrument {

struct InstrumentSpec {
  std::string driver;
  std::vector<std::pair<std::string, std::string>> options;
  std::optional<std::string> option(std::string_view key) const {
    for (const auto& [k, v] : options)
      if (k == key) return v;
    return std::nullopt;
  }
};

// Throws InputError saying what is wrong with the text.
InstrumentSpec parse_spec(std::string_view text);
// Where the instrument is: on a lab's bench (conn= says how to reach it), or served by a virtual
// module beside its port (no conn=: the rack fills it in).
enum class Served { by_lab, virtually };
// What is wrong with a rig file's spec, without opening anything; nothing when it is fine.
std::optional<std::string> spec_problem(std::string_view text, Served served);
// The spec of a virtual module's instrument, reached through `conn`.
std::string with_conn(std::string_view text, const std::string& conn);

// Whether the instrument is also the device's supply: a bench supply, a PPK2 in source mode.
bool spec_supplies(const InstrumentSpec& spec);

// Opens the instrument the spec names: throws InputError for a spec no backend takes, InfraError
// when the instrument is absent, busy or answers nonsense.
std::unique_ptr<CurrentMeter> open_meter(const InstrumentSpec& spec);

}  // namespace athil::instrument
