#pragma once
// What differs between the models, as variables that fixtures use: the bearer syntax, its
// URCs, the power-down time. Read from fixtures/models.xml, so that one fixture serves every
// model and no scenario is copied per model.
//
//   <models>
//     <model prefix="SIM7000">
//       <var name="bearer_on" value="AT+CNACT=1,&quot;${apn}&quot;"/>
//     </model>
//   </models>
//
// A slot takes the variables of the first <model> whose prefix its model starts with. They
// rank lowest: a scenario's <var>, a fixture's parameters, the rig and -D all override them.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace athil::scenario {

struct ModelProfile {
  std::string prefix;
  std::map<std::string, std::string> vars;
  SourcePos pos;
};

class ModelProfiles {
 public:
  ModelProfiles() = default;
  // No file: no profiles. A mistake in it: InputError at file:line:col.
  static ModelProfiles load(const std::filesystem::path& file);
  const std::map<std::string, std::string>& for_model(std::string_view model) const;
  // Every variable name any profile defines (for the loader's check of variable uses).
  std::vector<std::string> names() const;

 private:
  std::vector<ModelProfile> profiles_;
};

}  // namespace athil::scenario
