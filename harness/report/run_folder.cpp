#include "report/run_folder.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <regex>

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
  lock_.reset(::open((path_ / ".running").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (lock_) ::flock(lock_.get(), LOCK_EX | LOCK_NB);
  // `latest` is replaced whole: a new link under a temporary name, renamed over the old one.
  fs::path tmp = reports / fmt::format(".latest.{}", ::getpid());
  ::unlink(tmp.c_str());
  if (::symlink(id_.c_str(), tmp.c_str()) == 0 && ::rename(tmp.c_str(), (reports / "latest").c_str()) != 0) ::unlink(tmp.c_str());
}

RunFolder::~RunFolder() {
  if (lock_) ::unlink((path_ / ".running").c_str());  // the lock goes with the descriptor
}

std::vector<fs::path> prune_runs(const fs::path& reports, std::size_t keep) {
  static const std::regex run_name(R"(\d{8}-\d{6}Z(-\d+)?)");
  std::vector<fs::path> runs;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(reports, ec)) {
    if (e.is_symlink() || !e.is_directory() || !std::regex_match(e.path().filename().string(), run_name)) continue;
    runs.push_back(e.path());
  }
  std::sort(runs.begin(), runs.end());  // the names sort by time
  std::vector<fs::path> deleted;
  if (runs.size() <= keep) return deleted;
  for (std::size_t i = 0; i < runs.size() - keep; ++i) {
    // A run still in progress holds its lock: leave it.
    if (UniqueFd lock(::open((runs[i] / ".running").c_str(), O_RDONLY | O_CLOEXEC)); lock && ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) continue;
    fs::remove_all(runs[i], ec);
    if (!ec) deleted.push_back(runs[i]);
  }
  return deleted;
}

std::string RunFolder::stem_for(std::string_view slot, std::string_view scenario) {
  auto key = std::pair{std::string(slot), std::string(scenario)};
  if (auto it = stems_.find(key); it != stems_.end()) return it->second;
  std::string base = file_safe(scenario);
  if (base.size() > max_stem) {
    std::uint32_t hash = 2166136261u;  // FNV-1a: the cut name stays apart from others cut alike
    for (char c : scenario) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
    base = fmt::format("{}-{:08x}", base.substr(0, max_stem - 9), hash);
  }
  std::string stem = base;
  for (int n = 2; !taken_.emplace(key.first, stem).second; ++n) stem = fmt::format("{}-{}", base, n);
  stems_.emplace(std::move(key), stem);
  return stem;
}

fs::path RunFolder::scenario_file(std::string_view slot, std::string_view scenario, int round, int attempt, std::string_view ext) {
  std::string name;
  {
    std::lock_guard lock(mutex_);
    name = stem_for(slot, scenario);
  }
  if (round > 1) name += fmt::format(".round-{}", round);
  if (attempt > 1) name += fmt::format(".attempt-{}", attempt);
  fs::path relative = fs::path(file_safe(slot)) / (name + "." + std::string(ext));
  std::error_code ec;
  fs::create_directories(path_ / relative.parent_path(), ec);
  if (ec) throw InfraError(fmt::format("cannot create {}: {}", (path_ / relative.parent_path()).string(), ec.message()));
  return relative;
}

}  // namespace athil::report
