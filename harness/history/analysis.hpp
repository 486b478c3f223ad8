#pragma once
// What the store says across runs: per scenario and slot, its pass rate, streak and flakiness
// (history), and what changed between two runs or two firmware revisions (diff).
#include <optional>
#include <string>
#include <vector>

#include "history/store.hpp"

namespace athil::history {

// Which testcases, as `athil run` chooses them: each list empty for any.
struct Filter {
  std::vector<std::string> slots;    // globs on the slot's name
  std::vector<std::string> models;   // models or model prefixes
  std::vector<std::string> filters;  // globs on the scenario's name or file
  std::vector<std::string> tags;     // any of them
  std::size_t last = 30;             // runs to look back over
  bool matches(const StoredCase& c) const;
};

// A row per scenario and slot, or per scenario and model: a model's slots in a run count as
// one outcome, the worst of theirs.
enum class Group { slot, model };

struct ScenarioHistory {
  std::string scenario, slot, model;  // slot: by model, the slots it ran on ("s1,s2")
  int runs = 0, passed = 0;           // runs it ran in (skipped ones aside), of the last `last`
  std::string last_verdict;
  int streak = 0;               // how many runs in a row have ended as the last did
  std::string failing_since;    // the run that began the failing streak ("" when the last passed)
  int passed_on_retry = 0;      // passes that needed more than one attempt
  int flips_same_revision = 0;  // verdict changes between runs with the module on the same revision
  double flaky_rate() const { return runs ? static_cast<double>(passed_on_retry + flips_same_revision) / runs : 0; }
};

std::vector<ScenarioHistory> history(const Store& store, const Filter& filter, Group group = Group::slot);
std::string render_history(const std::vector<ScenarioHistory>& rows, std::size_t runs_seen, Group group = Group::slot);

// What is compared: a run each (by its id), or the latest run in which a slot ran each revision.
struct Side {
  std::string label;      // the run's id, or the revision
  double time_scale = 1;  // the run's rig's
  std::vector<StoredCase> cases;
  std::vector<std::vector<StoredMeasurement>> measurements;  // per case
};
// Throws InputError when a run or revision is not in the store.
Side side_of_run(const Store& store, const std::string& run_id);
Side side_of_revision(const Store& store, const std::string& revision);
// The last two runs in the store, older first. Throws InputError when it holds fewer.
std::pair<Side, Side> last_two_runs(const Store& store);
// Only the cases the filter matches (its `last` aside), with their measurements.
Side filtered(Side side, const Filter& filter);

struct DiffRow {
  std::string where;  // "s3" or "SIM7080G"
  std::string scenario, before, after, reason;
};
struct MovedValue {
  std::string where, scenario, name, unit;
  double before = 0, after = 0;
  double change() const { return before != 0 ? (after - before) / before : 0; }
};
struct Diff {
  std::string before, after;
  bool by_model = false;  // revisions: matched per model, not per slot
  std::vector<DiffRow> new_failures, new_passes, still_failing, missing, added;
  std::vector<MovedValue> worse, better;
  bool regressed() const { return !new_failures.empty() || !worse.empty(); }
};
// `threshold`: how far (0.2: 20 %) a measurement must move to be told; more is worse (a time,
// a current, a charge). A time must also move by a tenth of a second, and by 50 ms of real time:
// a step of a few milliseconds varies by more than 20 % from run to run, and on a compressed rig
// the host's jitter is multiplied into module time.
Diff diff(const Side& before, const Side& after, bool by_model, double threshold);
std::string render_markdown(const Diff& d, double threshold);

}  // namespace athil::history
