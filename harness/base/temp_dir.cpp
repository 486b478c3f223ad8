#include "base/temp_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "base/error.hpp"

namespace athil {

namespace fs = std::filesystem;

namespace {

fs::path temp_base() {
  const char* base = std::getenv("TMPDIR");
  return base && *base ? fs::path(base) : fs::path("/tmp");
}

// The names mkdtemp makes from "athil-XXXXXX", and nothing else.
bool is_run_folder_name(const std::string& name) {
  if (name.size() != 12 || name.rfind("athil-", 0) != 0) return false;
  for (char c : name.substr(6))
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

RunTempDir::RunTempDir() {
  remove_stale(temp_base());
  std::string templ = (temp_base() / "athil-XXXXXX").string();
  if (!::mkdtemp(templ.data())) throw InfraError(fmt::format("cannot create a run folder {}: {}", templ, errno_text(errno)));
  path_ = templ;
  // Locked under another name, then renamed: another run never sees an .owner not yet held.
  auto owner = path_ / ".owner", locking = path_ / ".owner.new";
  owner_.reset(::open(locking.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  if (!owner_ || ::flock(owner_.get(), LOCK_EX | LOCK_NB) != 0 || ::rename(locking.c_str(), owner.c_str()) != 0) {
    int err = errno;
    std::error_code ec;
    fs::remove_all(path_, ec);
    throw InfraError(fmt::format("cannot lock {}: {}", owner.string(), errno_text(err)));
  }
}

RunTempDir::~RunTempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::vector<fs::path> RunTempDir::remove_stale(const fs::path& base) {
  std::vector<fs::path> removed;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(base, ec)) {
    if (e.is_symlink() || !e.is_directory() || !is_run_folder_name(e.path().filename().string())) continue;
    // A folder whose .owner is not there yet may be one being made this instant: left alone.
    UniqueFd owner(::open((e.path() / ".owner").c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!owner || ::flock(owner.get(), LOCK_EX | LOCK_NB) != 0) continue;
    std::error_code gone;
    fs::remove_all(e.path(), gone);
    if (!gone) removed.push_back(e.path());
  }
  return removed;
}

}  // namespace athil
