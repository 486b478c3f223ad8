#include <CLI/CLI.hpp>

#include "base/duration.hpp"
#include "cli/commands.hpp"
#include "instrument/read_tool.hpp"

namespace athil::cli {

struct MeterCommands::State {
  CLI::App* current = nullptr;
  instrument::ReadOptions options;
  std::string span = "1s";
};

MeterCommands::MeterCommands(CLI::App& app) : state_(std::make_unique<State>()) {
  auto& s = *state_;
  s.current = app.add_subcommand("current", "read a current meter for a while: average, peak, lowest, charge");
  s.current->footer(
      "  athil current ppk2:conn=/dev/ttyACM0                          a PPK2 in series with the supply (ampere meter)\n"
      "  athil current ppk2:conn=/dev/ttyACM0:mode=source:voltage=3.8V --power   a PPK2 as the supply, powering the module");
  s.current->add_option("instrument", s.options.spec, "driver:conn=PORT[:key=value]..., as sigrok-cli names a device")->required();
  s.current->add_option("--for", s.span, "how long to read")->capture_default_str();
  s.current->add_option("--decimate", s.options.decimate, "raw samples averaged into one (a PPK2 takes 100 000 a second)")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  s.current->add_option("--csv", s.options.csv, "write the samples here: seconds,amps,peak_amps");
  s.current->add_flag("--power", s.options.power, "source mode: supply the device under test while reading");
}

MeterCommands::~MeterCommands() = default;

std::optional<int> MeterCommands::run() const {
  const auto& s = *state_;
  if (!s.current->parsed()) return std::nullopt;
  auto options = s.options;
  options.span = parse_duration(s.span);
  return instrument::read_current(options);
}

}  // namespace athil::cli
