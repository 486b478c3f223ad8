#pragma once
// One run at a time per slot, across processes and users: an flock(2) on a file per slot.
// The kernel drops the lock with its holder, so a run that was killed leaves nothing to clean.
// Virtual slots need none: every run starts modules of its own.
#include <filesystem>
#include <string>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace athil::rig {

// Another run holds the slot.
class SlotBusy : public InfraError {
 public:
  using InfraError::InfraError;
};

class SlotLock {
 public:
  // Throws SlotBusy naming the holder's pid and command line, InfraError when the lock folder
  // cannot be used.
  SlotLock(const std::string& rig, const std::string& slot);
  SlotLock(SlotLock&&) = default;
  SlotLock& operator=(SlotLock&&) = default;

  const std::filesystem::path& path() const { return path_; }

  // $ATHIL_LOCK_DIR, else /run/lock/athil (shared by every user: sticky and world-writable),
  // else /tmp/athil-locks.
  static std::filesystem::path folder();

 private:
  std::filesystem::path path_;
  UniqueFd fd_;
};

}  // namespace athil::rig
