#include "report/run_folder.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include <fmt/format.h>

#include "base/error.hpp"

namespace athil::report {

namespace fs = std::filesystem;

std::string file_safe(std::string_view name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ? c : '_';
  if (out.empty() || out[0] == '.') out.insert(0, "_");
  return out;
}

RunFolder::RunFolder(const fs::path& reports) {
  std::error_code ec;
  fs::create_directories(reports, ec);
  if (ec) throw InfraError(fmt::format("cannot create the report folder {}: {}", reports.string(), ec.message()));
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%SZ", &tm);
  // mkdir, not create_directories: a folder that exists is another run's (parallel runs
  // sharing a report folder, or two in one second).
  for (int n = 1;; ++n) {
    id_ = n == 1 ? stamp : fmt::format("{}-{}", stamp, n);
    path_ = reports / id_;
    if (::mkdir(path_.c_str(), 0755) == 0) break;
    if (errno != EEXIST || n > 1000) throw InfraError(fmt::format("cannot create the run folder {}: {}", path_.string(), errno_text(errno)));
  }
  // `latest` is replaced whole: a new link under a temporary name, renamed over the old one.
  fs::path tmp = reports / fmt::format(".latest.{}", ::getpid());
  ::unlink(tmp.c_str());
  if (::symlink(id_.c_str(), tmp.c_str()) == 0 && ::rename(tmp.c_str(), (reports / "latest").c_str()) != 0) ::unlink(tmp.c_str());
}

fs::path RunFolder::scenario_file(std::string_view slot, std::string_view scenario, int round, int attempt, std::string_view ext) const {
  std::string name = file_safe(scenario);
  if (round > 1) name += fmt::format(".round-{}", round);
  if (attempt > 1) name += fmt::format(".attempt-{}", attempt);
  fs::path relative = fs::path(file_safe(slot)) / (name + "." + std::string(ext));
  std::error_code ec;
  fs::create_directories(path_ / relative.parent_path(), ec);
  if (ec) throw InfraError(fmt::format("cannot create {}: {}", (path_ / relative.parent_path()).string(), ec.message()));
  return relative;
}

}  // namespace athil::report
