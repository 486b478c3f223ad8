#pragma once
// Reads scenario and fixture files into plain data, checking everything that can be checked
// before a module is touched. Every mistake is an InputError with file:line:col.
#include <filesystem>
#include <vector>

#include "scenario/model.hpp"

namespace athil::scenario {

class Loader {
 public:
  // Fixtures named by <use fixture="NAME"/> are read from fixtures_dir/NAME.xml.
  explicit Loader(std::filesystem::path fixtures_dir);

  Scenario load(const std::filesystem::path& file) const;
  // Each path is a scenario file or a folder searched recursively for *.xml; sorted by path.
  std::vector<Scenario> load_all(const std::vector<std::filesystem::path>& paths) const;

 private:
  std::filesystem::path fixtures_dir_;
};

}  // namespace athil::scenario
