#include "runner/rig_check.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "base/temp_dir.hpp"
#include "rig/gpio_request.hpp"
#include "rig/preflight.hpp"
#include "runner/run.hpp"

namespace athil::runner {

int rig_check(const std::filesystem::path& rig_path, const std::filesystem::path& executable) {
  rig::Rig rig;
  try {
    rig = rig::load_rig(rig_path.string());
  } catch (const InputError& e) {
    fmt::print(stderr, "{}\n", e.diagnostic());
    return bad_input;
  }
  std::vector<rig::PreflightRow> rows;
  try {
    RunTempDir work;
    rows = rig::preflight(rig, {executable, work.path()});
  } catch (const InfraError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return infrastructure;
  }
  std::size_t slot_w = 4, what_w = 5;
  for (const auto& r : rows) {
    slot_w = std::max(slot_w, r.slot.size());
    what_w = std::max(what_w, r.what.size());
  }
  fmt::print("rig {} ({}), libgpiod {}\n{:<{}}  {:<{}}  {:<4}  {}\n", rig.name, rig.path, rig::libgpiod_version(), "SLOT", slot_w, "CHECK", what_w, "",
             "RESULT");
  int problems = 0;
  for (const auto& r : rows) {
    problems += !r.ok;
    fmt::print("{:<{}}  {:<{}}  {:<4}  {}\n", r.slot, slot_w, r.what, what_w, r.ok ? "ok" : "FAIL", r.result);
  }
  if (problems)
    fmt::print("{} of {} checks failed\n", problems, rows.size());
  else
    fmt::print("all {} checks passed\n", rows.size());
  return problems ? infrastructure : all_passed;
}

}  // namespace athil::runner
