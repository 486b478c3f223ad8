#pragma once
// The variables a scenario sees while it runs, ranked: rig, slot and -D values and captures
// (fixed: nothing overrides them), then fixture parameters and scenario defaults, then the
// slot model's profile (fixtures/models.xml), read when used so it may use the others.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "scenario/model.hpp"

namespace athil::runner {

class Variables {
 public:
  using Map = std::map<std::string, std::string>;
  Variables(Map fixed, const Map& model);

  // Throws scenario::UndefinedVariable.
  std::string lookup(std::string_view name) const;
  // Every ${...} in text replaced; an undefined one is an InputError at `pos`. `quote`, when
  // given, writes each value as the text needs it (a default written in the text stays as it is).
  std::string substitute(std::string_view text, const SourcePos& pos, std::string (*quote)(std::string_view) = nullptr) const;
  // A scenario's <var> defaults, in order: those a fixed value has already are left out.
  void set_defaults(const std::vector<scenario::Var>& defaults);
  // A value the module gave (a capture, the alternative <expect-any> took): it stands to the
  // scenario's end, over any fixture parameter of that name.
  void capture(const std::string& name, std::string value);
  // Sets a plain value (not fixed): what <send-file> reports as ${sent}.
  void set(const std::string& name, std::string value) { values_[name] = std::move(value); }
  // The values set so far (not the model's profile).
  const Map& values() const { return values_; }
  // "k='v', ..." for the variables the text names: the values a failed check saw.
  std::string shown_in(std::string_view text) const;

  // A fixture's parameters, in scope while this lives; values are substituted as it opens.
  class Parameters {
   public:
    Parameters(Variables& vars, const std::vector<scenario::Var>& params, const SourcePos& pos);
    ~Parameters();
    Parameters(const Parameters&) = delete;
    Parameters& operator=(const Parameters&) = delete;

   private:
    void restore();
    Variables& vars_;
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
  };

 private:
  Map values_;
  std::set<std::string> fixed_;
  const Map& model_;
  mutable int model_depth_ = 0;  // a model variable that uses itself, through others, ends here
};

}  // namespace athil::runner
