#include "runner/plan.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/error.hpp"
#include "base/glob.hpp"

namespace athil::runner {

namespace {

bool wanted_scenario(const scenario::Scenario& s, const PlanOptions& o) {
  if (!any_glob(o.filters, {&s.name, &s.path})) return false;
  if (o.tags.empty()) return true;
  return std::any_of(o.tags.begin(), o.tags.end(), [&](const std::string& t) { return std::find(s.tags.begin(), s.tags.end(), t) != s.tags.end(); });
}

// Soak scenarios run for hours: as twister does with slow tests, only a --tag that names them
// asks for them.
constexpr std::string_view opt_in_tag = "soak";
bool left_to_opt_in(const scenario::Scenario& s, const PlanOptions& o) {
  auto has = [](const std::vector<std::string>& tags) { return std::find(tags.begin(), tags.end(), opt_in_tag) != tags.end(); };
  return has(s.tags) && !has(o.tags);
}

bool wanted_slot(const rig::Slot& slot, const PlanOptions& o) {
  if (!any_glob(o.slots, {&slot.name})) return false;
  if (o.models.empty()) return true;
  return std::any_of(o.models.begin(), o.models.end(), [&](const std::string& m) { return std::string_view(slot.model).substr(0, m.size()) == m; });
}

unsigned parse_unsigned(std::string_view text, std::string_view whole) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    throw InputError(fmt::format("--shard '{}': '{}' is not a whole number (write K/N, such as 2/4)", whole, text));
  return value;
}

}  // namespace

Shard parse_shard(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) throw InputError(fmt::format("--shard '{}' is not K/N (such as 2/4)", text));
  Shard s;
  s.index = parse_unsigned(text.substr(0, slash), text);
  s.count = parse_unsigned(text.substr(slash + 1), text);
  if (s.count == 0 || s.index == 0 || s.index > s.count) throw InputError(fmt::format("--shard '{}': K must be from 1 to N, and N at least 1", text));
  return s;
}

std::size_t Plan::run_count() const {
  std::size_t n = 0;
  for (const auto& s : slots) n += s.runs.size();
  return n;
}

Plan make_plan(const rig::Rig& rig, const std::vector<scenario::Scenario>& scenarios, const PlanOptions& o) {
  // The loader's order (files sorted by path, whatever order the folders were read in): every
  // shard of a CI fan-out computes the same list and takes its own part of it.
  std::vector<const scenario::Scenario*> chosen;
  std::vector<std::string> opt_in;
  for (const auto& s : scenarios) {
    if (!wanted_scenario(s, o)) continue;
    if (left_to_opt_in(s, o))
      opt_in.push_back(s.name);
    else
      chosen.push_back(&s);
  }
  std::vector<const rig::Slot*> slots;
  for (const auto& slot : rig.slots)
    if (wanted_slot(slot, o)) slots.push_back(&slot);

  Plan plan;
  if (!opt_in.empty())
    plan.notes.push_back(fmt::format("not run unless --tag {} asks for them (tagged {}, long): {}", opt_in_tag, opt_in_tag, fmt::join(opt_in, ", ")));
  std::vector<std::vector<const scenario::Scenario*>> lists(slots.size());
  for (const auto* s : chosen) {
    std::vector<std::size_t> fitting;
    for (std::size_t i = 0; i < slots.size(); ++i)
      if (s->applies_to(slots[i]->model)) fitting.push_back(i);
    if (fitting.empty()) {
      plan.unplaced.push_back(fmt::format("{} runs on no slot of rig {} (it lists {})", s->name, rig.name, fmt::join(s->models, ", ")));
      continue;
    }
    if (!o.spread) {
      for (auto i : fitting) lists[i].push_back(s);
      continue;
    }
    // Once per model, on that model's slot with the fewest runs so far (the first on a tie);
    // a slot that lacks a requirement is passed over while another of its model has it.
    std::map<std::string, std::size_t> best;
    auto meets = [&](std::size_t i) {
      return std::all_of(s->requires_.begin(), s->requires_.end(), [&](const std::string& r) { return slots[i]->provides(r); });
    };
    for (auto i : fitting) {
      auto [it, fresh] = best.emplace(slots[i]->model, i);
      if (fresh) continue;
      auto rank = [&](std::size_t k) { return std::pair(!meets(k), lists[k].size()); };
      if (rank(i) < rank(it->second)) it->second = i;
    }
    for (const auto& [model, i] : best) lists[i].push_back(s);
  }

  // Shards deal (slot, scenario) pairs, or whole slots, round-robin in that fixed order.
  std::size_t counter = 0;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    SlotPlan sp{slots[i], {}};
    std::vector<const scenario::Scenario*> mine;
    for (const auto* s : lists[i]) {
      std::size_t position = o.shard && o.shard->by == Shard::By::slot ? i : counter++;
      if (!o.shard || position % o.shard->count == o.shard->index - 1) mine.push_back(s);
    }
    for (int round = 1; round <= std::max(o.repeat, 1); ++round)
      for (const auto* s : mine) {
        PlannedRun run{s, round, {}};
        for (const auto& r : s->requires_)
          if (!slots[i]->provides(r)) run.missing.push_back(r);
        sp.runs.push_back(std::move(run));
      }
    if (!sp.runs.empty()) plan.slots.push_back(std::move(sp));
  }
  return plan;
}

std::string describe_plan(const rig::Rig& rig, const Plan& plan) {
  std::string out = fmt::format("rig {} ({}): {} run(s) on {} slot(s)\n", rig.name, rig.path, plan.run_count(), plan.slots.size());
  std::size_t name_width = 8;
  for (const auto& sp : plan.slots)
    for (const auto& r : sp.runs) name_width = std::max(name_width, r.scenario->name.size());
  for (const auto& sp : plan.slots)
    for (const auto& r : sp.runs) {
      std::string round = r.round > 1 ? fmt::format(" (round {})", r.round) : "";
      std::string skip = r.missing.empty() ? "" : fmt::format("  skipped: the slot cannot provide {}", fmt::join(r.missing, ", "));
      out += fmt::format("{:<8} {:<9} {:<{}} {}{}{}\n", sp.slot->name, sp.slot->model, r.scenario->name, name_width, r.scenario->path, round, skip);
    }
  for (const auto& n : plan.unplaced) out += "warning: " + n + "\n";
  for (const auto& n : plan.notes) out += "note: " + n + "\n";
  return out;
}

}  // namespace athil::runner
