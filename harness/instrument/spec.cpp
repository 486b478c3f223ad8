#include "instrument/spec.hpp"

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/quantity.hpp"
#include "instrument/ppk2.hpp"
#include "instrument/sigrok.hpp"

namespace athil::instrument {

InstrumentSpec parse_spec(std::string_view text) {
  InstrumentSpec spec;
  std::size_t at = text.find(':');
  spec.driver = std::string(text.substr(0, at));
  if (spec.driver.empty()) throw InputError(fmt::format("instrument '{}': no driver before the first ':'", text));
  while (at != std::string_view::npos) {
    std::size_t next = text.find(':', at + 1);
    auto item = text.substr(at + 1, next == std::string_view::npos ? std::string_view::npos : next - at - 1);
    auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) throw InputError(fmt::format("instrument '{}': '{}' is not key=value", text, item));
    spec.options.emplace_back(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
    at = next;
  }
  return spec;
}

namespace {

Ppk2::Settings ppk2_settings(const InstrumentSpec& spec) {
  Ppk2::Settings s;
  for (const auto& [key, value] : spec.options) {
    if (key == "conn") {
      s.port = value;
    } else if (key == "mode") {
      if (value != "ampere" && value != "source") throw InputError(fmt::format("ppk2: mode is 'ampere' or 'source', not '{}'", value));
      s.mode = value == "source" ? Ppk2::Mode::source : Ppk2::Mode::ampere;
    } else if (key == "voltage") {
      double volts = parse_quantity(value, Unit::volt);
      if (volts < 0.8 || volts > 5.0) throw InputError(fmt::format("ppk2: voltage {} is outside the 0.8 V to 5 V it sources", value));
      s.millivolts = static_cast<int>(volts * 1000 + 0.5);
    } else {
      throw InputError(fmt::format("ppk2: no option '{}' (conn, mode, voltage)", key));
    }
  }
  if (s.port.empty()) throw InputError("ppk2: conn= names its serial port (ppk2:conn=/dev/ttyACM0)");
  return s;
}

}  // namespace

std::optional<std::string> spec_problem(std::string_view text, Served served) {
  try {
    auto spec = parse_spec(text);
    if (served == Served::virtually && (spec.driver != "ppk2" && spec.driver != "scpi-pps"))
      return fmt::format("a virtual slot serves a PPK2 (spec=\"ppk2\") or a bench supply (spec=\"scpi-pps\"), not '{}'", spec.driver);
    if (served == Served::virtually && spec.option("conn"))
      return fmt::format("a virtual slot's instrument is served by its module: no conn= (spec=\"{}\")", spec.driver);
    if (served == Served::virtually) spec.options.emplace_back("conn", "virtual");
    if (spec.driver == "ppk2") {
      ppk2_settings(spec);
    } else if (!sigrok_drives(spec.driver)) {
      return fmt::format("instrument driver '{}' is neither athil's (ppk2) nor one of libsigrok's (sigrok-cli -L lists them)", spec.driver);
    } else if (!spec.option("conn")) {
      return fmt::format("{}: conn= says how to reach it ({}:conn=tcp-raw/10.0.0.5/5025)", spec.driver, spec.driver);
    }
  } catch (const InputError& e) {
    return e.what();
  }
  return std::nullopt;
}

bool spec_supplies(const InstrumentSpec& spec) { return spec.driver == "scpi-pps" || (spec.driver == "ppk2" && spec.option("mode") == "source"); }

std::string with_conn(std::string_view text, const std::string& conn) { return fmt::format("{}:conn={}", text, conn); }

std::unique_ptr<CurrentMeter> open_meter(const InstrumentSpec& spec) {
  if (spec.driver == "ppk2") return std::make_unique<Ppk2>(ppk2_settings(spec));
  return open_sigrok_meter(spec);
}

}  // namespace athil::instrument
