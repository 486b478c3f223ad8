#include "rig/preflight.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fstream>

#include <fmt/format.h>

#include "base/child_process.hpp"
#include "instrument/spec.hpp"
#include "rig/pins.hpp"
#include "rig/slot_lock.hpp"
#include "rig/virtual_module.hpp"
#include "transport/open_port.hpp"
#include "transport/tcp_port.hpp"

namespace athil::rig {

namespace fs = std::filesystem;

int modem_manager_pid() {
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream comm(it->path() / "comm");
    std::string command;
    std::getline(comm, command);
    if (command == "ModemManager") return std::stoi(name);
  }
  return 0;
}

bool udev_ignores_for_modem_manager(const fs::path& device) {
  struct stat node {};
  if (::stat(device.c_str(), &node) != 0 || !S_ISCHR(node.st_mode)) return false;
  std::ifstream record(fmt::format("/run/udev/data/c{}:{}", major(node.st_rdev), minor(node.st_rdev)));
  std::string line;
  while (std::getline(record, line))
    if (line == "E:ID_MM_DEVICE_IGNORE=1" || line == "E:ID_MM_PORT_IGNORE=1") return true;
  return false;
}

namespace {

template <class F>
PreflightRow attempt(const std::string& slot, std::string what, F&& body) {
  try {
    std::string result = body();
    return {slot, std::move(what), true, std::move(result)};
  } catch (const std::exception& e) {
    return {slot, std::move(what), false, e.what()};
  }
}

void check_real(const Rig& rig, const Slot& slot, const RealSlot& real, std::vector<PreflightRow>& rows) {
  rows.push_back(attempt(slot.name, "lock", [&] {
    SlotLock lock(rig.name, slot.name);
    return fmt::format("free ({})", lock.path().string());
  }));
  rows.push_back(attempt(slot.name, "port " + real.port, [&] {
    if (!is_tcp_address(real.port) && !fs::exists(real.port) && real.usb)
      throw InfraError(fmt::format("missing: {} is not there (a module on USB has no port while it is off: power it on first)", real.port));
    auto port = open_port(PortSettings{real.port, real.baud, real.rtscts, 0.0, std::nullopt});
    return is_tcp_address(real.port) ? std::string("reachable")
                                     : fmt::format("present and free (opened at {} baud{})", real.baud, real.rtscts ? ", RTS/CTS" : "");
  }));
  if (!real.gpio_chip.empty())
    for (auto& f : inspect_gpio(real)) rows.push_back({slot.name, f.what, f.ok, f.result});
  for (auto [which, argv] : {std::pair{"on", &real.supply_on}, std::pair{"off", &real.supply_off}}) {
    if (argv->empty()) continue;
    rows.push_back(attempt(slot.name, fmt::format("supply {} command", which), [&] {
      const std::string& program = argv->front();
      std::string found = find_program(program);
      if (found.empty())
        throw InfraError(fmt::format("'{}' {}", program, program.find('/') == std::string::npos ? "is not found on PATH" : "is not an executable file"));
      return fmt::format("{} is installed (not run)", found);
    }));
  }
  if (!is_tcp_address(real.port)) {
    int mm = modem_manager_pid();
    if (mm == 0)
      rows.push_back({slot.name, "ModemManager", true, "not running"});
    else if (udev_ignores_for_modem_manager(real.port))
      rows.push_back({slot.name, "ModemManager", true, fmt::format("running (pid {}), told by udev to ignore the port", mm)});
    else
      rows.push_back({slot.name, "ModemManager", false,
                      fmt::format("running (pid {}) and nothing tells it to ignore {}: it will probe the module with AT commands of its own; "
                                  "add a udev rule setting ENV{{ID_MM_DEVICE_IGNORE}}=\"1\" for the module, or stop ModemManager",
                                  mm, real.port)});
  }
}

// Opened as a scenario opens it (its calibration read, its mode set), then left alone.
void check_instrument(const Slot& slot, const std::string& spec, std::vector<PreflightRow>& rows) {
  rows.push_back(attempt(slot.name, "instrument " + slot.instrument->spec,
                         [&] { return fmt::format("answers: {}", instrument::open_meter(instrument::parse_spec(spec))->describe()); }));
}

void check_virtual(const Rig& rig, const Slot& slot, const PreflightPaths& paths, std::vector<PreflightRow>& rows) {
  rows.push_back(attempt(slot.name, "virtual module", [&] {
    fs::create_directories(paths.work_dir);
    VirtualModuleProcess module(slot, rig.time_scale, {paths.executable, paths.work_dir, paths.work_dir / (slot.name + ".log")});
    auto pins = connect_virtual_pins(slot.name, module.control_socket());
    if (slot.instrument) check_instrument(slot, instrument::with_conn(slot.instrument->spec, module.instrument_conn()), rows);
    return fmt::format("starts ({} {}), control channel answers, STATUS {}", slot.model, slot.firmware, to_string(pins->get(PinRole::status)));
  }));
}

void check_replay(const Rig& rig, const Slot& slot, const PreflightPaths& paths, std::vector<PreflightRow>& rows) {
  rows.push_back(attempt(slot.name, "replay", [&] {
    fs::create_directories(paths.work_dir);
    VirtualModuleProcess module(slot, rig.time_scale, {paths.executable, paths.work_dir, paths.work_dir / (slot.name + ".log")});
    return fmt::format("serves {} on a pseudo-terminal", std::get<ReplaySlot>(slot.kind).log);
  }));
}

}  // namespace

std::vector<PreflightRow> preflight(const Rig& rig, const PreflightPaths& paths) {
  std::vector<PreflightRow> rows;
  for (const auto& slot : rig.slots) {
    if (slot.is_virtual())
      check_virtual(rig, slot, paths, rows);
    else if (slot.is_replay())
      check_replay(rig, slot, paths, rows);
    else
      check_real(rig, slot, std::get<RealSlot>(slot.kind), rows);
    if (slot.instrument && !slot.is_simulated()) check_instrument(slot, slot.instrument->spec, rows);
  }
  return rows;
}

}  // namespace athil::rig
