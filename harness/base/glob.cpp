#include "base/glob.hpp"

#include <fnmatch.h>

#include <algorithm>

namespace athil {

bool glob_matches(const std::string& glob, const std::string& text) {
  return ::fnmatch(glob.c_str(), text.c_str(), 0) == 0 || ::fnmatch(("*/" + glob).c_str(), text.c_str(), 0) == 0;
}

bool any_glob(const std::vector<std::string>& globs, std::initializer_list<const std::string*> texts) {
  if (globs.empty()) return true;
  return std::any_of(globs.begin(), globs.end(),
                     [&](const std::string& g) { return std::any_of(texts.begin(), texts.end(), [&](const std::string* t) { return glob_matches(g, *t); }); });
}

}  // namespace athil
