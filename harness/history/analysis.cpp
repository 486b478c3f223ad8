#include "history/analysis.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/error.hpp"
#include "base/escape.hpp"
#include "base/glob.hpp"
#include "report/summary.hpp"

namespace athil::history {

namespace {

bool passed(const std::string& verdict) { return verdict == "passed"; }

// A scenario's outcome in one run: the worst of its rounds, skipped ones aside.
struct RunOutcome {
  std::string run_id, verdict, revision, reason;
  int attempts = 1;
};

// Failed or error over passed: a scenario that failed in any round of a run failed in it.
void fold(RunOutcome& into, const StoredCase& c) {
  if (into.verdict.empty() || (passed(into.verdict) && !passed(c.verdict))) {
    into.verdict = c.verdict;
    into.reason = c.reason;
  }
  into.attempts = std::max(into.attempts, c.attempts);
  if (into.revision.empty()) into.revision = c.revision;
}

}  // namespace

bool Filter::matches(const StoredCase& c) const {
  if (!any_glob(slots, {&c.slot}) || !any_glob(filters, {&c.scenario, &c.file})) return false;
  if (!models.empty() && std::none_of(models.begin(), models.end(), [&](const std::string& m) { return c.model.starts_with(m); })) return false;
  return tags.empty() ||
         std::any_of(tags.begin(), tags.end(), [&](const std::string& t) { return std::find(c.tags.begin(), c.tags.end(), t) != c.tags.end(); });
}

std::vector<ScenarioHistory> history(const Store& store, const Filter& filter, Group group) {
  auto runs = store.runs();
  if (runs.size() > filter.last) runs.erase(runs.begin(), runs.end() - static_cast<long>(filter.last));
  using Key = std::pair<std::string, std::string>;  // scenario, slot or model
  std::map<Key, std::vector<RunOutcome>> outcomes;
  std::map<Key, std::string> models;
  std::map<Key, std::set<std::string>> slots;
  for (const auto& run : runs) {
    std::map<Key, RunOutcome> in_run;
    for (const auto& c : store.cases(run.id)) {
      if (c.verdict == "skipped" || !filter.matches(c)) continue;
      Key key{c.scenario, group == Group::slot ? c.slot : c.model};
      auto& o = in_run[key];
      o.run_id = run.record.run_id;
      fold(o, c);
      models[key] = c.model;
      slots[key].insert(c.slot);
    }
    for (auto& [key, o] : in_run) outcomes[key].push_back(std::move(o));
  }
  std::vector<ScenarioHistory> rows;
  for (const auto& [key, seq] : outcomes) {
    ScenarioHistory h{.scenario = key.first, .slot = fmt::format("{}", fmt::join(slots[key], ",")), .model = models[key], .runs = static_cast<int>(seq.size())};
    for (std::size_t i = 0; i < seq.size(); ++i) {
      h.passed += passed(seq[i].verdict);
      h.passed_on_retry += passed(seq[i].verdict) && seq[i].attempts > 1;
      if (i > 0 && passed(seq[i].verdict) != passed(seq[i - 1].verdict) && !seq[i].revision.empty() && seq[i].revision == seq[i - 1].revision)
        ++h.flips_same_revision;
    }
    h.last_verdict = seq.back().verdict;
    for (auto it = seq.rbegin(); it != seq.rend() && passed(it->verdict) == passed(h.last_verdict); ++it) {
      ++h.streak;
      if (!passed(h.last_verdict)) h.failing_since = it->run_id;
    }
    rows.push_back(std::move(h));
  }
  return rows;
}

std::string render_history(const std::vector<ScenarioHistory>& rows, std::size_t runs_seen, Group group) {
  std::vector<std::array<std::string, 7>> table = {{"scenario", group == Group::slot ? "slot" : "slots", "model", "passed", "last", "flaky", "failing since"}};
  for (const auto& h : rows) {
    table.push_back({terminal_text(h.scenario), terminal_text(h.slot), terminal_text(h.model),
                     fmt::format("{}/{} ({:.0f} %)", h.passed, h.runs, 100.0 * h.passed / std::max(1, h.runs)), fmt::format("{} x{}", h.last_verdict, h.streak),
                     h.passed_on_retry + h.flips_same_revision ? fmt::format("{:.0f} %", 100 * h.flaky_rate()) : "-",
                     h.failing_since.empty() ? "-" : terminal_text(h.failing_since)});
  }
  std::array<std::size_t, 7> widths{};
  for (const auto& row : table)
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  std::string out = fmt::format("{} run(s) in the store looked at\n", runs_seen);
  for (const auto& row : table) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) line += fmt::format("{:<{}}  ", row[i], widths[i]);
    out += line.substr(0, line.find_last_not_of(' ') + 1) + "\n";
  }
  return out;
}

namespace {

Side side_of(const Store& store, const StoredRun& run, const std::string& label, const std::string& revision = "") {
  Side side{.label = label, .time_scale = run.record.time_scale};
  for (auto& c : store.cases(run.id)) {
    if (!revision.empty() && c.revision != revision) continue;
    side.measurements.push_back(store.measurements(c.id));
    side.cases.push_back(std::move(c));
  }
  return side;
}

}  // namespace

Side side_of_run(const Store& store, const std::string& run_id) {
  auto runs = store.runs();
  for (auto it = runs.rbegin(); it != runs.rend(); ++it)
    if (it->record.run_id == run_id || fmt::format("{}:{}", it->record.host, it->record.run_id) == run_id) return side_of(store, *it, run_id);
  throw InputError(fmt::format("run '{}' is not in the results store {} (athil history lists what is)", run_id, store.path().string()));
}

Side side_of_revision(const Store& store, const std::string& revision) {
  auto runs = store.runs();
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    auto cases = store.cases(it->id);
    if (std::any_of(cases.begin(), cases.end(), [&](const StoredCase& c) { return c.revision == revision; }))
      return side_of(store, *it, fmt::format("{} (run {})", revision, it->record.run_id), revision);
  }
  throw InputError(fmt::format("no run in the results store {} had a module on revision '{}'", store.path().string(), revision));
}

std::pair<Side, Side> last_two_runs(const Store& store) {
  auto runs = store.runs();
  if (runs.size() < 2) throw InputError(fmt::format("the results store {} holds {} run(s): a diff needs two", store.path().string(), runs.size()));
  const auto& a = runs[runs.size() - 2];
  const auto& b = runs.back();
  return {side_of(store, a, a.record.run_id), side_of(store, b, b.record.run_id)};
}

Side filtered(Side side, const Filter& filter) {
  Side kept{.label = std::move(side.label), .time_scale = side.time_scale};
  for (std::size_t i = 0; i < side.cases.size(); ++i) {
    if (!filter.matches(side.cases[i])) continue;
    kept.cases.push_back(std::move(side.cases[i]));
    kept.measurements.push_back(i < side.measurements.size() ? std::move(side.measurements[i]) : std::vector<StoredMeasurement>{});
  }
  return kept;
}

namespace {

constexpr double min_time_move = 0.1;        // seconds of module time
constexpr double min_real_time_move = 0.05;  // seconds of real time

struct Folded {
  RunOutcome outcome;
  std::map<std::string, std::pair<double, int>> sums;  // name: total, count
  std::map<std::string, std::string> units;
};

using Where = std::pair<std::string, std::string>;  // slot or model, scenario

std::map<Where, Folded> folded(const Side& side, bool by_model) {
  std::map<Where, Folded> out;
  for (std::size_t i = 0; i < side.cases.size(); ++i) {
    const auto& c = side.cases[i];
    if (c.verdict == "skipped") continue;
    auto& f = out[{by_model ? c.model : c.slot, c.scenario}];
    fold(f.outcome, c);
    for (const auto& m : side.measurements[i]) {
      auto& [total, count] = f.sums[m.name];
      total += m.quantity.value;
      ++count;
      f.units[m.name] = m.quantity.unit;
    }
  }
  return out;
}

void compare_values(const Where& where, const Folded& a, const Folded& b, double threshold, double time_scale, Diff& d) {
  for (const auto& [name, sum] : a.sums) {
    auto other = b.sums.find(name);
    if (other == b.sums.end() || a.units.at(name) != b.units.at(name)) continue;
    MovedValue v{.where = where.first,
                 .scenario = where.second,
                 .name = name,
                 .unit = a.units.at(name),
                 .before = sum.first / sum.second,
                 .after = other->second.first / other->second.second};
    if (v.before <= 0 || std::abs(v.change()) <= threshold) continue;
    if (v.unit == "s" && (std::abs(v.after - v.before) < min_time_move || std::abs(v.after - v.before) * time_scale < min_real_time_move)) continue;
    (v.after > v.before ? d.worse : d.better).push_back(v);
  }
}

}  // namespace

Diff diff(const Side& before, const Side& after, bool by_model, double threshold) {
  Diff d{.before = before.label, .after = after.label, .by_model = by_model};
  auto a = folded(before, by_model), b = folded(after, by_model);
  for (const auto& [where, fa] : a) {
    auto it = b.find(where);
    DiffRow row{.where = where.first, .scenario = where.second, .before = fa.outcome.verdict};
    if (it == b.end()) {
      d.missing.push_back(row);
      continue;
    }
    const auto& fb = it->second;
    row.after = fb.outcome.verdict;
    row.reason = passed(fb.outcome.verdict) ? fa.outcome.reason : fb.outcome.reason;
    if (passed(fa.outcome.verdict) && !passed(fb.outcome.verdict)) d.new_failures.push_back(row);
    if (!passed(fa.outcome.verdict) && passed(fb.outcome.verdict)) d.new_passes.push_back(row);
    if (!passed(fa.outcome.verdict) && !passed(fb.outcome.verdict)) d.still_failing.push_back(row);
    if (passed(fa.outcome.verdict) && passed(fb.outcome.verdict)) compare_values(where, fa, fb, threshold, std::min(before.time_scale, after.time_scale), d);
  }
  for (const auto& [where, fb] : b)
    if (!a.count(where)) d.added.push_back(DiffRow{.where = where.first, .scenario = where.second, .after = fb.outcome.verdict, .reason = fb.outcome.reason});
  return d;
}

namespace {

std::string rows_table(const std::string& title, const std::vector<DiffRow>& rows, bool by_model) {
  if (rows.empty()) return "";
  std::string out =
      fmt::format("\n### {} ({})\n\n| {} | scenario | before | after | reason |\n|---|---|---|---|---|\n", title, rows.size(), by_model ? "model" : "slot");
  for (const auto& r : rows)
    out += fmt::format("| {} | {} | {} | {} | {} |\n", report::markdown_cell(r.where), report::markdown_cell(r.scenario), r.before.empty() ? "-" : r.before,
                       r.after.empty() ? "-" : r.after, report::markdown_cell(r.reason.substr(0, 200)));
  return out;
}

std::string values_table(const std::string& title, const std::vector<MovedValue>& values) {
  if (values.empty()) return "";
  std::string out =
      fmt::format("\n### {} ({})\n\n| where | scenario | measurement | before | after | change |\n|---|---|---|---|---|---|\n", title, values.size());
  for (const auto& v : values)
    out += fmt::format("| {} | {} | {} | {:.4g} {} | {:.4g} {} | {:+.0f} % |\n", report::markdown_cell(v.where), report::markdown_cell(v.scenario),
                       report::markdown_cell(v.name), v.before, report::markdown_cell(v.unit), v.after, report::markdown_cell(v.unit), 100 * v.change());
  return out;
}

}  // namespace

std::string render_markdown(const Diff& d, double threshold) {
  std::string out = fmt::format("## athil diff: {} → {}\n\n", report::markdown_cell(d.before), report::markdown_cell(d.after));
  out += fmt::format(
      "**{}**: {} new failure(s), {} new pass(es), {} still failing, {} missing, {} added; {} measurement(s) worse and {} better by more than {:.0f} %.\n",
      d.regressed() ? "Regressed" : "No regression", d.new_failures.size(), d.new_passes.size(), d.still_failing.size(), d.missing.size(), d.added.size(),
      d.worse.size(), d.better.size(), 100 * threshold);
  out += rows_table("New failures", d.new_failures, d.by_model);
  out += values_table("Worse", d.worse);
  out += rows_table("Still failing", d.still_failing, d.by_model);
  out += rows_table("Missing (ran before, not after)", d.missing, d.by_model);
  out += rows_table("Added", d.added, d.by_model);
  out += rows_table("New passes", d.new_passes, d.by_model);
  out += values_table("Better", d.better);
  return out;
}

}  // namespace athil::history
