#pragma once
// Runs from elsewhere into the store: another host's report folder (its athil.db, every run in
// it), or where CI kept only the JUnit file, that file. Each run once: importing the same folder
// again adds nothing. Both are untrusted input: bounded in size, DOCTYPE refused.
#include <filesystem>
#include <string>

#include "history/store.hpp"

namespace athil::history {

struct Imported {
  int added = 0, known = 0;  // runs
  std::string what;          // "athil.db" or "junit.xml"
};

// `from`: a report folder, or a JUnit file. Throws InputError for input it cannot read (with
// file:line:col for XML), InfraError for a store it cannot open.
Imported import_reports(Store& into, const std::filesystem::path& from);

}  // namespace athil::history
