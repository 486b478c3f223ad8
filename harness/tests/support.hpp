#pragma once
// Helpers shared by the tests: temporary folders and files, and running a program with an
// argument vector (never a shell) while capturing its output.
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace athil::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv[0] with the arguments, in `cwd`, and waits for it.
ProcessResult run_process(const std::vector<std::string>& argv, const std::filesystem::path& cwd);

// Starts argv[0] with the arguments and returns its pid at once; stdout and stderr go to
// `output` (created), or to /dev/null when it is empty. With `own_session` it leads a session
// and process group of its own, as a shell's foreground job does: kill(-pid, SIGINT) is Ctrl-C.
int spawn_process(const std::vector<std::string>& argv, const std::filesystem::path& cwd, const std::filesystem::path& output = {}, bool own_session = false);
// Waits for a spawned process; its exit code, or 128 + the signal that ended it.
int wait_process(int pid);
// The pids of live processes whose parent is `parent`.
std::vector<int> children_of(int parent);

std::string read_file(const std::filesystem::path& path);
// The files under `dir`, at any depth, whose names end with `ending` ("@virtual-module.log",
// ".tmp"); none when `dir` is not there (yet).
std::vector<std::filesystem::path> files_named(const std::filesystem::path& dir, const std::string& ending);
bool contains(const std::string& text, const std::string& part);

// A JUnit report as a test reads it back.
struct Case {
  std::string verdict;  // passed, failure, error, skipped
  std::string message;
  std::string out;
  int flaky_errors = 0;  // <flakyError> elements: errors before a pass on retry
  int rerun_errors = 0;  // <rerunError> elements: errors before a last error
  std::string classname;
};
struct Report {
  bool loaded = false;
  // suite name -> test name, as people read it ("answers [round 2]" for classname ...round-2) -> case
  std::map<std::string, std::map<std::string, Case>> suites;
  std::map<std::string, std::map<std::string, std::string>> properties;
};
Report read_report(const std::filesystem::path& junit);

// Polls until `ready` holds or the bound passes; the bound is wide for a loaded 2-core machine.
template <class F>
bool eventually(F ready, std::chrono::seconds bound = std::chrono::seconds(60)) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return ready();
}

// The source tree and the athil binary under test (set by CMake).
std::filesystem::path source_dir();
std::filesystem::path athil_exe();

}  // namespace athil::test
