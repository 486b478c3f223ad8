#pragma once
// Reads scenario and fixture files into plain data, checking everything that can be checked
// before a module is touched. Every mistake is an InputError with file:line:col.
#include <filesystem>
#include <optional>
#include <vector>

#include "scenario/model.hpp"

namespace athil {
class XmlSource;
}

namespace athil::scenario {

// The variables a run defines for every scenario (the slot's name, model and firmware, the
// run's firmware server and MQTT broker, ...): what a loader checking variable uses knows
// besides the rig's, the -D ones and the model profiles'.
const std::vector<std::string>& run_variables();

class Loader {
 public:
  // Fixtures named by <use fixture="NAME"/> are read from fixtures_dir/NAME.xml. With
  // known_variables (rig, -D, built-ins), variable uses are checked in the same pass.
  explicit Loader(std::filesystem::path fixtures_dir, std::optional<std::vector<std::string>> known_variables = std::nullopt);

  Scenario load(const std::filesystem::path& file) const;
  // A scenario held in memory; display_name stands for its file in diagnostics.
  Scenario load_text(std::string text, std::string display_name) const;
  // Each path is a scenario file or a folder searched recursively for *.xml; sorted by path.
  std::vector<Scenario> load_all(const std::vector<std::filesystem::path>& paths) const;

 private:
  Scenario load_source(const XmlSource& source) const;
  std::filesystem::path fixtures_dir_;
  std::optional<std::vector<std::string>> known_variables_;
};

}  // namespace athil::scenario
