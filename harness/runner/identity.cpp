#include "runner/identity.hpp"

#include <algorithm>

#include "base/interrupt.hpp"

namespace athil::runner {

namespace {

// The first response line that passes `take`, then the command's OK.
std::string ask(Device& device, TimeScale scale, std::string_view command, const AtEngine::LineTest& take, std::string& problem) {
  using namespace std::chrono_literals;
  auto deadline = Clock::now() + scale.timeout(5s);
  device.engine->send_command(command, Clock::now() + scale.timeout(5s));
  auto r = device.engine->expect_response(take, deadline);
  // Unanswered, the command must not take the next one's answer (the scenario's).
  if (r.kind == AtEngine::ExpectResult::Kind::timeout) device.engine->commands_lost(fmt::format("{} unanswered", command));
  if (r.kind != AtEngine::ExpectResult::Kind::matched) {
    problem = fmt::format("{} answered {}", command, r.kind == AtEngine::ExpectResult::Kind::timeout ? "nothing" : "'" + r.line.text + "'");
    return "";
  }
  auto ok = device.engine->expect_response([](const std::string& l) { return l == "OK"; }, deadline);
  if (ok.kind == AtEngine::ExpectResult::Kind::timeout) device.engine->commands_lost(fmt::format("{} unanswered", command));
  if (ok.kind != AtEngine::ExpectResult::Kind::matched) problem = fmt::format("{} did not end with OK", command);
  return r.line.text;
}

}  // namespace

Identity read_identity(Device& device, TimeScale scale) {
  Identity id;
  device.timeline.record(Direction::note, "reading the module's revision and IMEI for the report");
  try {
    std::string revision = ask(
        device, scale, "AT+CGMR", [](const std::string& l) { return l.rfind("Revision:", 0) == 0; }, id.problem);
    if (!revision.empty()) id.revision = revision.substr(9);
    id.imei = ask(
        device, scale, "AT+GSN",
        [](const std::string& l) { return l.size() >= 14 && l.size() <= 17 && std::all_of(l.begin(), l.end(), [](char c) { return c >= '0' && c <= '9'; }); },
        id.problem);
  } catch (const Interrupted&) {
    throw;
  } catch (const std::exception& e) {
    id.problem = e.what();
  }
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
