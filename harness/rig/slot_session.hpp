#pragma once
// Everything a slot's module is reached through, owned in RAII (labgrid's Target): the slot's
// lock, the module process, the port, the pins, the AT engine and the emergency registrations,
// opened in that order and closed in reverse. Each slot kind (virtual, real, replay) has its
// factory in slot_session.cpp; whoever runs scenarios on a session never asks which kind it is.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/emergency.hpp"
#include "rig/device.hpp"
#include "rig/model.hpp"

namespace athil::rig {

class VirtualModuleProcess;
class SlotLock;

class SlotSession {
 public:
  struct Paths {
    std::filesystem::path executable;  // the athil binary, for a module that is a child process
    std::filesystem::path run_dir;     // the run's pty links and control sockets
    std::filesystem::path slot_dir;    // the slot's folder of the run: the module's own log goes there
  };
  // How a module process ended during a scenario.
  struct ModuleEnd {
    std::string what;           // "the virtual module died: killed by signal 9 (SIGKILL)"
    std::filesystem::path log;  // its own diagnostics
  };

  // Opens the slot as its kind says. Throws InfraError (the port, lock or module that failed).
  static std::unique_ptr<SlotSession> open(const Rig& rig, const Slot& slot, const Paths& paths);
  ~SlotSession();
  SlotSession(const SlotSession&) = delete;
  SlotSession& operator=(const SlotSession&) = delete;

  Device& device() { return device_; }
  const std::string& port_name() const { return port_name_; }

  // Before each scenario: a module process that must not serve again is replaced by a fresh one
  // behind the same link (a replay serves its session once; a module that died is gone).
  // Throws InfraError when it cannot be started.
  void begin_scenario();
  // After it: how the module process ended, if it did (a port that went away is worth a short
  // wait: a process closes its files before it is seen to end).
  std::optional<ModuleEnd> end_scenario(bool port_gone);
  // Whether the recovery ladder may try to bring the module back: not a replay (it only serves
  // its session), not a module about to be replaced anyway.
  bool recoverable() const;
  // Where the module reports how the scenario's exchanges diverged from a recorded session
  // (field::DivergenceLog), for a module that does.
  std::optional<std::filesystem::path> divergence_log() const;
  // A virtual module's own log (rig/module_log.hpp reads what it says), for a slot that has one.
  std::optional<std::filesystem::path> virtual_module_log() const;

 private:
  SlotSession(const Rig& rig, const Slot& slot, Paths paths);
  void open_as_kind();  // the factory of the slot's kind
  void open_virtual(const VirtualSlot& wiring);
  void open_replay();
  void open_real(const RealSlot& wiring);
  void meter_from(const std::string& spec);  // device_.open_meter, for the spec
  void start_module_process();
  std::filesystem::path module_log() const;

  const Slot& slot_;
  std::weak_ptr<instrument::CurrentMeter> meter_;  // while a scenario or the supply holds it
  std::string rig_name_;
  double time_scale_;
  Paths paths_;
  std::string port_name_;
  bool fresh_module_needed_ = false;
  // Destroyed in reverse: the emergency registrations go first, then the device (pins left at
  // their safe levels, then the engine and the port), the module (stopped) and last the lock.
  std::unique_ptr<SlotLock> lock_;
  std::unique_ptr<VirtualModuleProcess> module_;
  Device device_;
  std::vector<EmergencyActions::Registration> emergency_;
};

}  // namespace athil::rig
