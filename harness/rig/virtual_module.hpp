#pragma once
// A simulated module running as a child process, for one slot: a virtual module (`athil sim`)
// or a field session replayed (`athil replay`).
// Boost.Process stays inside virtual_module.cpp.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "base/duration.hpp"
#include "rig/model.hpp"

namespace athil {
class ChildProcess;
}

namespace athil::rig {

class VirtualModuleProcess {
 public:
  struct Paths {
    std::filesystem::path executable;  // the athil binary, run as `athil sim ...`
    std::filesystem::path run_dir;     // where the port link and control socket go
    std::filesystem::path log_file;    // the module's own diagnostics (stderr)
  };
  // A replay slot's divergences, beside log_file, appended to by every replay of the run.
  static constexpr const char* replay_divergences_name = "@replay-divergences.log";
  // Starts the module, in a process group of its own (a Ctrl-C meant for the runner does not
  // reach it: the runner stops it), and waits until it has published its port. Throws InfraError.
  VirtualModuleProcess(const Slot& slot, double time_scale, const Paths& paths);
  ~VirtualModuleProcess();  // stops it: SIGTERM, a bounded wait, then SIGKILL
  VirtualModuleProcess(const VirtualModuleProcess&) = delete;
  VirtualModuleProcess& operator=(const VirtualModuleProcess&) = delete;

  const std::string& port_link() const { return port_link_; }
  const std::string& control_socket() const { return control_socket_; }  // empty for a replay: no pins
  // How its virtual instrument is reached: a PPK2's pty link, a bench supply's
  // "tcp-raw/127.0.0.1/PORT" ("": none).
  const std::string& instrument_conn() const { return instrument_conn_; }
  int pid() const;  // also its process group's id
  // How it ended ("killed by signal 9 (SIGKILL)", "exited with status 1"), or nothing while it
  // still runs at `by` (a process closes its files before it is seen to end: a port that went
  // away is worth a short wait).
  std::optional<std::string> ended(Deadline by = Deadline::min()) const;

 private:
  std::unique_ptr<ChildProcess> child_;
  std::string port_link_;
  std::string control_socket_;
  std::string instrument_conn_;
};

}  // namespace athil::rig
