#pragma once
// A scenario's line pattern made a test for the AT engine: the exact line, or a regex over the
// whole line, with its ${variables} filled in now.
#include <memory>
#include <string>
#include <vector>

#include "at/engine.hpp"
#include "runner/variables.hpp"
#include "scenario/model.hpp"

namespace athil::runner {

struct LineMatch {
  AtEngine::LineTest test;  // fills the groups it was made with when it matches
  std::string text;         // the line or the regex, ${variables} filled in
  bool regex = false;
  std::shared_ptr<const void> compiled;  // the regex `test` points to, kept alive with it
  // "the line 'OK'", "a line matching /.../": built only when a message needs it, which a
  // passing exchange never does.
  std::string wanted() const;
};

// Compiled patterns are kept: a scenario runs the same few again and again.
class LineMatchers {
 public:
  LineMatchers();
  ~LineMatchers();
  // A match replaces the contents of `groups` (which must outlive the test; null when not
  // wanted) with the regex's groups. `pattern` must outlive the test too: it is the scenario's,
  // which runs longer than any of its matches.
  LineMatch make(const scenario::LinePattern& pattern, const Variables& vars, const SourcePos& pos, std::vector<std::string>* groups);

 private:
  struct Cache;
  std::unique_ptr<Cache> cache_;
};

// The pattern's named captures take the groups a match filled in.
void capture(const scenario::LinePattern& pattern, const std::vector<std::string>& groups, Variables& vars);

}  // namespace athil::runner
