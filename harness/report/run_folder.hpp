#pragma once
// reports/<run-id>/: the run's evidence beside the JUnit file. One folder per slot, a
// transcript and a waveform per run of a scenario, summary.md, and `latest` pointing here.
// Nothing is written outside the report folder the user chose.
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/fd.hpp"

namespace athil::report {

class RunFolder {
 public:
  // Creates <reports>/<UTC time>[-N]/ (a new one, never an earlier run's) and points
  // <reports>/latest at it.
  // The folder is locked (an flock on <run>/.running) while this object lives: pruning never
  // takes a run that is still writing.
  explicit RunFolder(const std::filesystem::path& reports);
  ~RunFolder();
  RunFolder(const RunFolder&) = delete;
  RunFolder& operator=(const RunFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }
  const std::string& id() const { return id_; }
  // <slot>/<scenario>[.round-R][.attempt-A].EXT, relative to path(); the slot folder is made.
  // Each scenario of a slot gets a stem of its own for the run, bounded in length: names that
  // file_safe() makes alike ("a/b", "a_b") get a suffix (-2, -3, ...), and a long name is cut
  // and told apart by a hash of it. Thread-safe.
  std::filesystem::path scenario_file(std::string_view slot, std::string_view scenario, int round, int attempt, std::string_view ext);

  static constexpr std::size_t max_stem = 96;

 private:
  std::string stem_for(std::string_view slot, std::string_view scenario);

  std::filesystem::path path_;
  std::string id_;
  UniqueFd lock_;  // holds the flock on <run>/.running
  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::string> stems_;  // (slot, scenario) -> stem
  std::set<std::pair<std::string, std::string>> taken_;               // (slot, stem)
};

// Deletes the oldest run folders under `reports` (names as RunFolder makes them, real folders,
// not locked by a run in progress) so that at most `keep` remain; returns the ones deleted.
// Nothing else in the folder is touched.
std::vector<std::filesystem::path> prune_runs(const std::filesystem::path& reports, std::size_t keep);

// A name that is safe as one path component: letters, digits, '-', '_' and '.' kept, the rest '_'.
std::string file_safe(std::string_view name);

}  // namespace athil::report
