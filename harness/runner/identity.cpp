#include "runner/identity.hpp"

#include "runner/scripts.hpp"

namespace athil::runner {

namespace {

// The script's variable, or empty with the problem noted.
std::string read(Executor& executor, rig::Device& device, const scenario::Scenario& script, const std::string& name, std::string& problem) {
  auto out = executor.run(script);
  if (auto it = out.variables.find(name); out.verdict == report::Verdict::passed && it != out.variables.end()) return it->second;
  // Unanswered, the command must not take the next one's answer (the scenario's).
  device.engine->commands_lost(fmt::format("{} not read", name));
  problem = out.message;
  return {};
}

}  // namespace

Identity read_identity(Executor& executor, rig::Device& device) {
  Identity id;
  device.timeline.record(Direction::note, "reading the module's revision and IMEI for the report");
  id.revision = read(executor, device, scripts::revision(), "revision", id.problem);
  id.imei = read(executor, device, scripts::imei(), "imei", id.problem);
  return id;
}

std::optional<std::string> last_reported_revision(const Timeline& timeline) {
  constexpr std::string_view label = "Revision:";
  const auto& events = timeline.events();
  for (auto e = events.rbegin(); e != events.rend(); ++e) {
    if (e->dir != Direction::from_module) continue;
    for (auto at = e->data.rfind(label); at != std::string::npos; at = at == 0 ? std::string::npos : e->data.rfind(label, at - 1)) {
      if (at > 0 && e->data[at - 1] != '\n') continue;  // at a line's start only
      auto begin = at + label.size();
      auto end = e->data.find_first_of("\r\n", begin);
      if (end == std::string::npos) continue;  // cut: the next chunk has the rest
      if (end > begin) return e->data.substr(begin, end - begin);
    }
  }
  return std::nullopt;
}

}  // namespace athil::runner
