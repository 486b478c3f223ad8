#pragma once
// A program run as a child of the harness: a virtual module, a supply switch, the MQTT broker.
//
// Started by posix_spawn, not fork: a fork marks every page of the harness copy-on-write, and
// the run then pays a page fault for the first write to each page it already had (on a
// 2,000-exchange run, 0.12 more an exchange; on a virtual machine a fault costs as much as ten
// system calls). The child leads a process group of its own, so that a terminal's Ctrl-C (sent
// to the runner's group) does not reach it and the group can be killed whole, what it started
// included. It gets no descriptor of the harness's but its standard streams, and default
// signal dispositions with nothing blocked, whatever the starting thread had.
#include <string>
#include <vector>

#include "base/duration.hpp"
#include "base/fd.hpp"

namespace athil {

// Where `program` is: itself when it holds a '/', else the first of that name in the folders of
// PATH, then of `also` (the same form: "/usr/sbin:/usr/local/sbin"); "" when that is no
// executable file.
std::string find_program(const std::string& program, const std::string& also = "");

struct ChildSpec {
  // Where the child's standard output goes; its standard error goes to the same place unless
  // `errors_to` names a file. Standard input is /dev/null.
  enum class Output { null, file, pipe };
  std::string program;            // a path (no search of PATH)
  std::vector<std::string> args;  // after the program's name
  Output output = Output::null;
  std::string output_file;  // for Output::file: created or emptied
  std::string errors_to;    // a file for standard error alone: created or emptied
};

class ChildProcess {
 public:
  // Throws std::runtime_error saying why when the program cannot be started (exec's reason).
  explicit ChildProcess(const ChildSpec& spec);
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // end(): nothing the child started outlives it.
  ~ChildProcess();

  int pid() const { return pid_; }
  // The read end of the pipe with Output::pipe; -1 otherwise.
  int output() const { return output_.get(); }
  // Waits for the child to end by itself, then end(): its wait status.
  int wait();
  // Asks its group to end (SIGTERM: a program then cleans up after itself), waits for the
  // child until `grace` has passed, then end().
  int stop(Duration grace);
  // Kills the child's process group (SIGKILL: whatever it left running too; the group is
  // still its own while the child is unreaped) and reaps the child. Its wait status; a second
  // call returns the same.
  int end();

 private:
  int pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  UniqueFd output_;
};

}  // namespace athil
