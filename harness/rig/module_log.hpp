#pragma once
// What a virtual module's own log (@virtual-module.log, its stderr) tells the harness beside the
// module's bytes (`athil sim` writes these lines, harness/sim/README.md):
// - the commands it answered ERROR only because it does not model them
//   ("not modelled: AT<command> (answered ERROR)");
// - the bytes it sent that its port could not hold because nobody read them in time
//   ("uart: N bytes lost (...)"): gone, as on a line without flow control.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace athil::rig {

// Where the log ends now: taken before a scenario, read from after it. 0 when there is none yet.
std::uintmax_t module_log_mark(const std::filesystem::path& log);

struct ModuleLogNews {
  // The commands logged as not modelled, by name ("AT+CMGS"), each once, in the order first
  // seen; at most 20.
  std::vector<std::string> unmodelled;
  std::uintmax_t uart_bytes_lost = 0;
};
// What the log says from `mark` on, in the first MiB written since.
ModuleLogNews module_log_since(const std::filesystem::path& log, std::uintmax_t mark);

}  // namespace athil::rig
