#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "history/tool.hpp"

namespace athil::cli {

namespace {

// The filters `athil run` takes, the same way.
void add_filters(CLI::App& command, history::Filter& f) {
  command.add_option("--filter,--scenario", f.filters, "only scenarios whose name or path matches this glob (repeatable)")->allow_extra_args(false);
  command.add_option("--tag", f.tags, "only scenarios with this tag (repeatable, or comma-separated)")->delimiter(',')->allow_extra_args(false);
  command.add_option("--model", f.models, "only slots of this model or model prefix (repeatable)")->delimiter(',')->allow_extra_args(false);
  command.add_option("--slot", f.slots, "only slots whose name matches this glob (repeatable)")->delimiter(',')->allow_extra_args(false);
}

struct HistoryGroup final : CommandGroup {
  explicit HistoryGroup(CLI::App& app);
  std::optional<int> run() const override;

  CLI::App* history_cmd = nullptr;
  CLI::App* import_cmd = nullptr;
  CLI::App* diff_cmd = nullptr;
  history::HistoryOptions history_options;
  std::string import_from;
  std::string by = "slot";
  history::DiffOptions diff_options;
};

HistoryGroup::HistoryGroup(CLI::App& app) {
  history_cmd = app.add_subcommand("history",
                                   "what the results store (REPORTS/athil.db) says across runs: pass rate, streak, flakiness per scenario and slot (or model)");
  auto& h = history_options;
  history_cmd->add_option("--reports", h.reports, "the report folder whose store to read")->capture_default_str();
  add_filters(*history_cmd, h.filter);
  history_cmd->add_option("--by", by, "a row per scenario and slot, or per scenario and model (its slots' worst outcome in each run)")
      ->check(CLI::IsMember({"slot", "model"}))
      ->capture_default_str();
  history_cmd->add_option("--last", h.filter.last, "look back over this many runs")->check(CLI::PositiveNumber)->capture_default_str();
  import_cmd = history_cmd->add_subcommand("import", "take another host's report folder (its athil.db, or its junit.xml) into the store, each run once");
  import_cmd->add_option("from", import_from, "a report folder, or a JUnit file")->required();
  import_cmd->add_option("--reports", h.reports, "the report folder whose store takes it")->capture_default_str();

  diff_cmd = app.add_subcommand("diff", "two runs (by default the last two in the store), or two firmware revisions, side by side, as Markdown");
  auto& d = diff_options;
  diff_cmd->add_option("runs", d.runs, "two run ids (a run folder's name), older first");
  diff_cmd->add_option("--revision", d.revisions, "a firmware revision, twice: the latest run of each, per model")->allow_extra_args(false);
  diff_cmd->add_option("--reports", d.reports, "the report folder whose store to read")->capture_default_str();
  diff_cmd->add_option("--threshold", d.threshold, "how far a measurement (a time, a current, a charge) must move to be told, and to count as worse")
      ->capture_default_str();
  diff_cmd->add_option("--out", d.out, "also write the Markdown here");
  add_filters(*diff_cmd, d.filter);
  diff_cmd->footer("Exit codes: 0 nothing regressed; 1 a new failure or a measurement worse by more than the threshold; 2 bad input; 3 infrastructure.");
}

std::optional<int> HistoryGroup::run() const {
  if (import_cmd->parsed()) return history::import_tool(history_options.reports, import_from);
  if (history_cmd->parsed()) {
    auto options = history_options;
    options.group = by == "model" ? history::Group::model : history::Group::slot;
    return history::history_tool(options);
  }
  if (diff_cmd->parsed()) return history::diff_tool(diff_options);
  return std::nullopt;
}

}  // namespace

std::unique_ptr<CommandGroup> history_commands(CLI::App& app) { return std::make_unique<HistoryGroup>(app); }

}  // namespace athil::cli
