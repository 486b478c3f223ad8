#pragma once
// Globs as `athil run` and `athil history` take them on the command line.
#include <initializer_list>
#include <string>
#include <vector>

namespace athil {

// fnmatch, where '*' crosses '/' and "fota/*" also finds scenarios/fota/x.xml.
bool glob_matches(const std::string& glob, const std::string& text);
// True when there are no globs, or one of them matches one of the texts.
bool any_glob(const std::vector<std::string>& globs, std::initializer_list<const std::string*> texts);

}  // namespace athil
