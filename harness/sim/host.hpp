#pragma once
// Runs one virtual module as a process: a pseudo-terminal for its UART, a Unix socket for
// its pins (the control channel), timers and an HTTP client, on one event loop.
#include <chrono>
#include <string>

#include "sim/faults.hpp"

namespace athil::sim {

// When the module is powered without a PWRKEY press: never (a rig's harness presses it), when a
// program first opens its port (a person at a terminal: the boot URCs wait for picocom), or at
// once (a module that was on before its host came).
enum class PowerOn { no, at_first_open, now };

struct HostOptions {
  std::string model;
  std::string firmware;
  std::string link;     // symlink to the pty's slave side ("" for none)
  std::string control;  // control socket path ("" for link + ".ctl", or none without a link)
  double time_scale = 1.0;
  PowerOn power_on = PowerOn::no;
  bool usb = false;    // as on USB: the port goes away when the module is off or resets, and a new one comes back
  int parent_pid = 0;  // started by this runner: end when it ends, however it ends (0: no)
  int ipr = -1;        // the rate saved with AT+IPR at the start (-1: the model's default; 0 autobaud)
  // A USB-serial adapter's latency timer between the UART and the host (0: none), real time.
  std::chrono::microseconds latency{0};
  Faults faults;
  std::string gnss_at;     // "LAT,LON[,ALT]": where the GNSS receiver is ("": the default point)
  std::string gnss_track;  // a track file it plays instead
  std::string ppk2;        // a symlink to a virtual PPK2's pty, measuring the module ("": none)
  int scpi_port = -1;      // a virtual bench DC source supplying the module on this loopback TCP port (0: any free one, -1: none)
};

// Blocks until SIGINT or SIGTERM. Returns the process exit code; throws on set-up errors.
int run_host(const HostOptions& options);

}  // namespace athil::sim
