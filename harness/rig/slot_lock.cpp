#include "rig/slot_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

#include "transport/port_holder.hpp"

namespace athil::rig {

namespace fs = std::filesystem;

namespace {

// A folder every user may create lock files in, and none may delete another's (as /tmp).
bool usable_shared_folder(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 01777) == 0) ::chmod(dir.c_str(), 01777);  // mkdir's mode passed the umask
  return ::access(dir.c_str(), W_OK | X_OK) == 0;
}

std::string file_part(std::string_view name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
  return out;
}

}  // namespace

fs::path SlotLock::folder() {
  if (const char* dir = std::getenv("ATHIL_LOCK_DIR"); dir && *dir) return dir;
  if (usable_shared_folder("/run/lock/athil")) return "/run/lock/athil";
  return "/tmp/athil-locks";
}

SlotLock::SlotLock(const std::string& rig, const std::string& slot) {
  fs::path dir = folder();
  if (!usable_shared_folder(dir)) throw InfraError(fmt::format("slot {}: the lock folder {} cannot be written ({})", slot, dir.string(), errno_text(errno)));
  path_ = dir / fmt::format("{}.{}.lock", file_part(rig), file_part(slot));
  fd_.reset(::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666));
  if (!fd_) throw InfraError(fmt::format("slot {}: cannot open its lock file {}: {}", slot, path_.string(), errno_text(errno)));
  ::fchmod(fd_.get(), 0666);  // another user's run must be able to open it too (fails harmlessly if not ours)
  if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err != EWOULDBLOCK) throw InfraError(fmt::format("slot {}: cannot lock {}: {}", slot, path_.string(), errno_text(err)));
    // The kernel says who holds it (/proc/locks); the file says it too, for a reader that may not look.
    std::string holder = port_holders(path_);
    if (holder.empty()) {
      char buf[256] = {};
      ssize_t n = ::pread(fd_.get(), buf, sizeof buf - 1, 0);
      holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "another process";
      while (!holder.empty() && holder.back() == '\n') holder.pop_back();
    }
    throw SlotBusy(fmt::format("slot {} of rig {} is in use by {} (lock {})", slot, rig, holder, path_.string()));
  }
  std::string me = fmt::format("pid {}\n", ::getpid());
  if (::ftruncate(fd_.get(), 0) == 0) [[maybe_unused]]
    auto n = ::pwrite(fd_.get(), me.data(), me.size(), 0);
}

}  // namespace athil::rig
