#pragma once
// A private folder under $TMPDIR (or /tmp) for a run's pty links, control sockets and logs,
// removed with everything in it when the owner goes.
#include <cstdlib>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "base/error.hpp"

namespace athil {

class RunTempDir {
 public:
  RunTempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = fmt::format("{}/athil-XXXXXX", base && *base ? base : "/tmp");
    if (!::mkdtemp(templ.data())) throw InfraError(fmt::format("cannot create a run folder {}: {}", templ, errno_text(errno)));
    path_ = templ;
  }
  ~RunTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  RunTempDir(const RunTempDir&) = delete;
  RunTempDir& operator=(const RunTempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace athil
