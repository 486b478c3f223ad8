#pragma once
// A private folder under $TMPDIR (or /tmp) for a run's pty links, control sockets and logs,
// removed with everything in it when the owner goes. While it lives, its owner holds an flock
// on <folder>/.owner; the kernel drops that lock when the owner dies however it dies, so a
// later run can tell a folder left by a crash from one still in use, and removes it.
#include <filesystem>
#include <vector>

#include "base/fd.hpp"

namespace athil {

class RunTempDir {
 public:
  RunTempDir();  // also removes the folders of runs that are provably gone
  ~RunTempDir();
  RunTempDir(const RunTempDir&) = delete;
  RunTempDir& operator=(const RunTempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

  // athil-XXXXXX folders under `base` whose .owner nobody holds; returns those removed.
  static std::vector<std::filesystem::path> remove_stale(const std::filesystem::path& base);

 private:
  std::filesystem::path path_;
  UniqueFd owner_;
};

}  // namespace athil
