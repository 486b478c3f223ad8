#include "transport/port_holder.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "base/file.hpp"

namespace athil {

namespace fs = std::filesystem;

namespace {

std::string describe_pid(long pid) {
  std::string cmdline = read_file(fmt::format("/proc/{}/cmdline", pid)).value_or("");
  while (!cmdline.empty() && cmdline.back() == '\0') cmdline.pop_back();
  for (char& c : cmdline)
    if (c == '\0') c = ' ';
  if (cmdline.size() > 80) cmdline = cmdline.substr(0, 77) + "...";
  return cmdline.empty() ? fmt::format("pid {}", pid) : fmt::format("pid {} ({})", pid, cmdline);
}

// Lines such as "1: FLOCK  ADVISORY  WRITE 4242 00:19:5 0 EOF": the pid, then the
// filesystem's device (hex major:minor) and the inode of the locked file.
std::set<long> lockers(const struct stat& node) {
  std::set<long> pids;
  std::ifstream in("/proc/locks");
  std::string line;
  std::string wanted = fmt::format("{:02x}:{:02x}:{}", major(node.st_dev), minor(node.st_dev), node.st_ino);
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, kind, mode, access, pid, where;
    fields >> id >> kind;
    if (kind == "->")
      fields >> kind;  // a process waiting for the lock, not holding it
    else {
      fields >> mode >> access >> pid >> where;
      if (where == wanted) pids.insert(std::strtol(pid.c_str(), nullptr, 10));
    }
  }
  return pids;
}

std::set<long> openers(const fs::path& device) {
  std::set<long> pids;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    long pid = std::strtol(name.c_str(), nullptr, 10);
    if (pid == ::getpid()) continue;
    std::error_code fd_ec;
    for (auto fd = fs::directory_iterator(it->path() / "fd", fd_ec); !fd_ec && fd != fs::directory_iterator(); fd.increment(fd_ec)) {
      std::error_code link_ec;
      if (fs::read_symlink(fd->path(), link_ec) == device) {
        pids.insert(pid);
        break;
      }
    }
  }
  return pids;
}

}  // namespace

std::string port_holders(const fs::path& device) {
  std::error_code ec;
  fs::path real = fs::canonical(device, ec);
  struct stat node {};
  if (ec || ::stat(real.c_str(), &node) != 0) return "";
  std::set<long> pids = lockers(node);
  if (pids.empty()) pids = openers(real);
  std::string out;
  for (long pid : pids) out += (out.empty() ? "" : ", ") + describe_pid(pid);
  return out;
}

}  // namespace athil
