#include "base/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "base/process_wait.hpp"

extern char** environ;

namespace athil {

namespace {

// posix_spawn's two attribute objects, destroyed on every path.
struct SpawnActions {
  posix_spawn_file_actions_t actions;
  SpawnActions() { posix_spawn_file_actions_init(&actions); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions); }
};
struct SpawnAttributes {
  posix_spawnattr_t attributes;
  SpawnAttributes() { posix_spawnattr_init(&attributes); }
  ~SpawnAttributes() { posix_spawnattr_destroy(&attributes); }
};

constexpr int file_flags = O_WRONLY | O_CREAT | O_TRUNC;
constexpr mode_t file_mode = 0644;

bool executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string find_program(const std::string& program, const std::string& also) {
  if (program.empty()) return "";
  if (program.find('/') != std::string::npos) return executable_file(program) ? program : "";
  const char* env = std::getenv("PATH");
  std::string folders = fmt::format("{}:{}", env ? env : "", also);
  for (std::size_t at = 0; at < folders.size();) {
    auto end = std::min(folders.find(':', at), folders.size());
    if (end > at) {
      std::string candidate = fmt::format("{}/{}", folders.substr(at, end - at), program);
      if (executable_file(candidate)) return candidate;
    }
    at = end + 1;
  }
  return "";
}

ChildProcess::ChildProcess(const ChildSpec& spec) {
  SpawnActions files;
  auto* fa = &files.actions;
  posix_spawn_file_actions_addopen(fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  UniqueFd pipe_write;
  switch (spec.output) {
    case ChildSpec::Output::null: posix_spawn_file_actions_addopen(fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0); break;
    case ChildSpec::Output::file: posix_spawn_file_actions_addopen(fa, STDOUT_FILENO, spec.output_file.c_str(), file_flags, file_mode); break;
    case ChildSpec::Output::pipe: {
      int ends[2];
      if (::pipe2(ends, O_CLOEXEC) != 0) throw std::runtime_error(fmt::format("cannot make a pipe: {}", std::strerror(errno)));
      output_.reset(ends[0]);
      pipe_write.reset(ends[1]);
      posix_spawn_file_actions_adddup2(fa, pipe_write.get(), STDOUT_FILENO);  // dup2 clears close-on-exec on the copy
      break;
    }
  }
  if (spec.errors_to.empty())
    posix_spawn_file_actions_adddup2(fa, STDOUT_FILENO, STDERR_FILENO);
  else
    posix_spawn_file_actions_addopen(fa, STDERR_FILENO, spec.errors_to.c_str(), file_flags, file_mode);
  posix_spawn_file_actions_addclosefrom_np(fa, STDERR_FILENO + 1);  // a slot's pty held by another slot's module would never hang up

  SpawnAttributes attr;
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setflags(&attr.attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr.attributes, 0);
  posix_spawnattr_setsigmask(&attr.attributes, &none);
  posix_spawnattr_setsigdefault(&attr.attributes, &all);

  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(spec.program.c_str()));
  for (const auto& a : spec.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // glibc's posix_spawn reports the exec's failure itself (the child shares memory until exec).
  if (int error = ::posix_spawn(&pid_, spec.program.c_str(), fa, &attr.attributes, argv.data(), environ); error != 0) {
    output_.reset();
    throw std::runtime_error(fmt::format("cannot run {}: {}", spec.program, std::strerror(error)));
  }
}

int ChildProcess::wait() {
  siginfo_t info{};
  // WNOWAIT: the child stays unreaped, and its group its own, until end() has killed what is left in it.
  while (!reaped_ && ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {}
  return end();
}

int ChildProcess::stop(Duration grace) {
  if (!reaped_ && !process_end(pid_)) {
    ::kill(-pid_, SIGTERM);
    wait_until_ended(pid_, Clock::now() + grace);
  }
  return end();
}

int ChildProcess::end() {
  if (reaped_) return status_;
  ::kill(-pid_, SIGKILL);
  while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {}
  reaped_ = true;
  return status_;
}

ChildProcess::~ChildProcess() { end(); }

}  // namespace athil
