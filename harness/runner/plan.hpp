#pragma once
// Which scenario runs on which slot, decided before any module is touched: the matrix (or
// --spread), the filters, --shard and --repeat. Plain data, so `athil list` prints exactly
// what `athil run` would do.
#include <optional>
#include <string>
#include <vector>

#include "rig/model.hpp"
#include "scenario/model.hpp"

namespace athil::runner {

struct Shard {
  unsigned index = 1;  // 1-based, as people count CI jobs
  unsigned count = 1;
  enum class By { pair, slot } by = By::pair;
};
// "K/N"; throws InputError naming what is wrong.
Shard parse_shard(std::string_view text);

struct PlanOptions {
  std::vector<std::string> filters;  // globs over the scenario's name or file path; any may match
  std::vector<std::string> tags;     // the scenario has any of them
  std::vector<std::string> models;   // the slot's model starts with any of them
  std::vector<std::string> slots;    // slot names (globs)
  bool spread = false;               // each scenario once per model, on the least loaded slot of it
  std::optional<Shard> shard;
  int repeat = 1;  // each planned run this many times, in rounds (every scenario once, then again)
};

struct PlannedRun {
  const scenario::Scenario* scenario = nullptr;
  int round = 1;                     // 1..repeat
  std::vector<std::string> missing;  // requirements the slot cannot meet: reported as skipped
};

struct SlotPlan {
  const rig::Slot* slot = nullptr;
  std::vector<PlannedRun> runs;
};

struct Plan {
  std::vector<SlotPlan> slots;        // rig order; slots with nothing to run are left out
  std::vector<std::string> unplaced;  // scenarios no slot of the rig can run, and why: a warning
  std::vector<std::string> notes;     // what the plan leaves out on purpose (soak scenarios)
  std::size_t run_count() const;
};

Plan make_plan(const rig::Rig& rig, const std::vector<scenario::Scenario>& scenarios, const PlanOptions& options);

// One line per planned run, slot by slot: what `athil list` prints.
std::string describe_plan(const rig::Rig& rig, const Plan& plan);

}  // namespace athil::runner
