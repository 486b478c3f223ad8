#pragma once
// The module's own word on what it is, for the report's properties: firmware revision
// (AT+CGMR) and IMEI (AT+GSN). Read once a scenario's setup has the module up and answering
// (it ended a command since it booted), so the harness adds no power cycle of its own and never
// takes a scenario's "first command after boot".
#include <optional>
#include <string>

#include "base/duration.hpp"
#include "rig/device.hpp"
#include "runner/executor.hpp"

namespace athil::runner {

struct Identity {
  std::string revision;  // "1951B02SIM7080G", without the "Revision:" label
  std::string imei;
  std::string problem;  // why a value is missing
  bool complete() const { return !revision.empty() && !imei.empty(); }
};

// Through the executor running the scenario whose setup just passed (built-in scripts, see
// scripts.hpp). Never throws for a module that does not answer: the problem says so.
Identity read_identity(Executor& executor, rig::Device& device);

// The last revision the module reported on the timeline ("Revision:..." to AT+CGMR, AT+GMR or
// ATI, whoever asked): what it runs as far as the harness can tell, without asking again.
std::optional<std::string> last_reported_revision(const Timeline& timeline);

}  // namespace athil::runner
