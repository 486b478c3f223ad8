#include "models/models.hpp"

#include <algorithm>
#include <array>

namespace athil {

namespace {

using namespace std::chrono_literals;

// SIM7000: STATUS may drop up to 6.9 s after an off request; boot to UART ready >= 4.5 s.
constexpr PowerTiming sim7000_power{.on_hold = 1200ms,
                                    .off_hold = 1500ms,
                                    .ready_within = 10s,
                                    .off_within = 10s,
                                    .off_rest = 2s,
                                    .reset_hold = 300ms,
                                    .pwrkey_on_min = 1s,
                                    .pwrkey_off_min = 1200ms,
                                    .pwrkey_reset_min = Duration::zero()};
// SIM7070/7080/7090: graceful power-down 1.8 to 2 s; boot >= 1.8 s; reset by PWRKEY > 12.6 s.
constexpr PowerTiming sim70x0_power{.on_hold = 1200ms,
                                    .off_hold = 1500ms,
                                    .ready_within = 8s,
                                    .off_within = 5s,
                                    .off_rest = 2s,
                                    .reset_hold = 13500ms,
                                    .pwrkey_on_min = 1s,
                                    .pwrkey_off_min = 1200ms,
                                    .pwrkey_reset_min = 12600ms};

constexpr Model sim7000(std::string_view name) {
  return {.name = name, .family = Family::sim7000, .reset_pin = true, .power = sim7000_power, .bearer = BearerSyntax::sim7000, .legacy_app_stack = true};
}
constexpr Model sim70x0(std::string_view name, Family family) {
  return {.name = name, .family = family, .reset_pin = false, .power = sim70x0_power, .bearer = BearerSyntax::indexed, .legacy_app_stack = false};
}

constexpr std::array models = {sim7000("SIM7000G"),
                               sim7000("SIM7000E"),
                               sim7000("SIM7000A"),
                               sim7000("SIM7000C"),
                               sim70x0("SIM7070G", Family::sim7070),
                               sim70x0("SIM7070E", Family::sim7070),
                               sim70x0("SIM7080G", Family::sim7080),
                               sim70x0("SIM7090G", Family::sim7090)};

constexpr std::array<std::pair<Family, std::string_view>, 4> families = {
    {{Family::sim7000, "SIM7000"}, {Family::sim7070, "SIM7070"}, {Family::sim7080, "SIM7080"}, {Family::sim7090, "SIM7090"}}};

}  // namespace

std::span<const Model> all_models() { return models; }

const Model* find_model(std::string_view name) {
  if (name.empty()) return nullptr;
  for (const auto& m : models)
    if (m.name == name) return &m;
  for (const auto& m : models)
    if (m.name.substr(0, name.size()) == name) return &m;
  return nullptr;
}

const Model& model_or_default(std::string_view name) {
  const auto* m = find_model(name);
  return m ? *m : *find_model("SIM7080G");
}

std::string_view family_name(Family family) {
  for (const auto& [f, name] : families)
    if (f == family) return name;
  return "SIM70x0";
}

std::vector<std::string> family_names() {
  std::vector<std::string> out;
  for (const auto& [f, name] : families) out.emplace_back(name);
  return out;
}

std::vector<std::string> model_names() {
  std::vector<std::string> out;
  for (const auto& m : models) out.emplace_back(m.name);
  return out;
}

}  // namespace athil
