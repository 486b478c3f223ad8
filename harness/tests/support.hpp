#pragma once
// Helpers shared by the tests: temporary folders and files, and running a program with an
// argument vector (never a shell) while capturing its output.
#include <filesystem>
#include <string>
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
// `output` (created), or to /dev/null when it is empty.
int spawn_process(const std::vector<std::string>& argv, const std::filesystem::path& cwd, const std::filesystem::path& output = {});
// Waits for a spawned process; its exit code, or 128 + the signal that ended it.
int wait_process(int pid);
// The pids of live processes whose parent is `parent`.
std::vector<int> children_of(int parent);

std::string read_file(const std::filesystem::path& path);

// The source tree and the athil binary under test (set by CMake).
std::filesystem::path source_dir();
std::filesystem::path athil_exe();

}  // namespace athil::test
