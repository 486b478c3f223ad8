#pragma once
// What a virtual module's own log (@virtual-module.log, its stderr) tells the harness beside the
// module's bytes: the commands it answered ERROR only because it does not model them
// (`athil sim` writes "not modelled: AT<command> (answered ERROR)", harness/sim/README.md).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace athil::rig {

// Where the log ends now: taken before a scenario, read from after it. 0 when there is none yet.
std::uintmax_t module_log_mark(const std::filesystem::path& log);
// The commands logged as not modelled from `mark` on, by name ("AT+CMGS"), each once, in the
// order first seen; at most 20, from the first MiB written since `mark`.
std::vector<std::string> unmodelled_since(const std::filesystem::path& log, std::uintmax_t mark);

}  // namespace athil::rig
