#include <CLI/CLI.hpp>

#include "base/duration.hpp"
#include "cli/commands.hpp"
#include "instrument/read_tool.hpp"

namespace athil::cli {

namespace {

struct MeterGroup final : CommandGroup {
  explicit MeterGroup(CLI::App& app);
  std::optional<int> run() const override;

  CLI::App* current_cmd = nullptr;
  instrument::ReadOptions options;
  std::string span = "1s";
};

MeterGroup::MeterGroup(CLI::App& app) {
  current_cmd = app.add_subcommand("current", "read a current meter for a while: average, peak, lowest, charge");
  current_cmd->footer(
      "  athil current ppk2:conn=/dev/ttyACM0                          a PPK2 in series with the supply (ampere meter)\n"
      "  athil current ppk2:conn=/dev/ttyACM0:mode=source:voltage=3.8V --power   a PPK2 as the supply, powering the module");
  current_cmd->add_option("instrument", options.spec, "driver:conn=PORT[:key=value]..., as sigrok-cli names a device")->required();
  current_cmd->add_option("--for", span, "how long to read")->capture_default_str();
  current_cmd->add_option("--decimate", options.decimate, "raw samples averaged into one (a PPK2 takes 100 000 a second)")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  current_cmd->add_option("--csv", options.csv, "write the samples here: seconds,amps,peak_amps");
  current_cmd->add_flag("--power", options.power, "source mode: supply the device under test while reading");
}

std::optional<int> MeterGroup::run() const {
  if (!current_cmd->parsed()) return std::nullopt;
  auto read = options;
  read.span = parse_duration(span);
  return instrument::read_current(read);
}

}  // namespace

std::unique_ptr<CommandGroup> meter_commands(CLI::App& app) { return std::make_unique<MeterGroup>(app); }

}  // namespace athil::cli
