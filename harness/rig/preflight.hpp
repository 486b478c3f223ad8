#pragma once
// `athil rig check`: tries every slot of a rig without running a scenario: ports present and
// free, GPIO chips and lines present and free, supply programs installed, ModemManager kept off
// the ports, virtual modules able to start, current meters answering. Touches no output pin.
#include <filesystem>
#include <string>
#include <vector>

#include "rig/model.hpp"

namespace athil::rig {

struct PreflightRow {
  std::string slot;
  std::string what;  // "port /dev/ttyUSB2", "lock", "ModemManager", ...
  bool ok = false;
  std::string result;
};

struct PreflightPaths {
  std::filesystem::path executable;  // athil, to start virtual modules
  std::filesystem::path work_dir;    // for their ports and logs
};

std::vector<PreflightRow> preflight(const Rig& rig, const PreflightPaths& paths);

// The pid of a running ModemManager, or 0.
int modem_manager_pid();
// Whether udev tells ModemManager to keep off this device (ID_MM_DEVICE_IGNORE or
// ID_MM_PORT_IGNORE in its udev record).
bool udev_ignores_for_modem_manager(const std::filesystem::path& device);

}  // namespace athil::rig
