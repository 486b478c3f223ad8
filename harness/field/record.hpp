#pragma once
// A transparent tap: the module's port on one side (serial, ser2net, a virtual module's pty),
// a pseudo-terminal for the host program under study on the other. Every byte passes through
// unchanged and lands, with its time and direction, in a transcript (version 1).
#include <string>

namespace athil::field {

struct RecordOptions {
  std::string port;  // device path or socket://HOST:PORT
  unsigned baud = 115200;
  bool rtscts = false;
  std::string link;  // symlink to the pty the host program opens
  std::string out;   // the transcript
  // Pin edges (STATUS, NETLIGHT, ...) on the transcript too, from a virtual module's control
  // channel, or from a real rig slot's GPIO lines (both empty: bytes only).
  std::string control;
  std::string rig, slot;
};

// Runs until SIGINT or SIGTERM, or until the module's port goes away. Returns 0; throws
// InfraError on set-up errors (a port that does not open, ...).
int run_record(const RecordOptions& options);

}  // namespace athil::field
