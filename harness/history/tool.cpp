#include "history/tool.hpp"

#include <charconv>
#include <fstream>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/escape.hpp"
#include "history/import.hpp"

namespace athil::history {

namespace fs = std::filesystem;

namespace {

constexpr int fine = 0, regressed = 1, bad_input = 2, infrastructure = 3;

// The store of a report folder that must already have one.
Store existing_store(const fs::path& reports) {
  auto path = reports / Store::file_name;
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw InputError(fmt::format("{}: no results store yet ({} is written by athil run, or athil history import)", reports.string(), Store::file_name));
  return Store(path, false);
}

double threshold_of(const std::string& text) {
  std::string_view t = text;
  if (t.ends_with('%')) t.remove_suffix(1);
  double v = -1;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size() || v < 0 || v > 1000)
    throw InputError(fmt::format("--threshold is a percentage such as 20%, not '{}'", text));
  return v / 100;
}

template <typename F>
int guarded(F f) {
  try {
    return f();
  } catch (const InputError& e) {
    fmt::print(stderr, "{}\n", terminal_lines(e.diagnostic()));
    return bad_input;
  } catch (const InfraError& e) {
    fmt::print(stderr, "error: {}\n", terminal_text(e.what()));
    return infrastructure;
  }
}

}  // namespace

int history_tool(const HistoryOptions& options) {
  return guarded([&] {
    auto store = existing_store(options.reports);
    auto rows = history(store, options.filter, options.group);
    auto runs = store.runs().size();
    fmt::print("{}", render_history(rows, std::min(runs, options.filter.last), options.group));
    return fine;
  });
}

int import_tool(const fs::path& reports, const fs::path& from) {
  return guarded([&] {
    fs::create_directories(reports);
    Store store(reports / Store::file_name, true);
    auto r = import_reports(store, from);
    fmt::print("{}: {} run(s) added from its {}, {} already in {}\n", terminal_text(from.string()), r.added, r.what, r.known,
               terminal_text(store.path().string()));
    return fine;
  });
}

int diff_tool(const DiffOptions& options) {
  return guarded([&] {
    if (options.runs.size() != 0 && options.runs.size() != 2) throw InputError("athil diff takes two runs, or none (the last two)");
    if (options.revisions.size() != 0 && options.revisions.size() != 2) throw InputError("--revision is given twice: the revision before and the one after");
    if (!options.runs.empty() && !options.revisions.empty()) throw InputError("athil diff compares two runs or two revisions, not both");
    double threshold = threshold_of(options.threshold);
    auto store = existing_store(options.reports);
    bool by_revision = !options.revisions.empty();
    auto sides = by_revision            ? std::pair{side_of_revision(store, options.revisions[0]), side_of_revision(store, options.revisions[1])}
                 : options.runs.empty() ? last_two_runs(store)
                                        : std::pair{side_of_run(store, options.runs[0]), side_of_run(store, options.runs[1])};
    auto before = filtered(std::move(sides.first), options.filter), after = filtered(std::move(sides.second), options.filter);
    // A gate whose filters match nothing would pass whatever happened: a typo must not do that.
    if (before.cases.empty() && after.cases.empty())
      throw InputError(fmt::format("no testcase of {} or {} matches the filters given", before.label, after.label));
    auto d = diff(before, after, by_revision, threshold);
    auto markdown = render_markdown(d, threshold);
    fmt::print("{}", markdown);
    if (!options.out.empty()) {
      std::ofstream out(options.out, std::ios::binary);
      out << markdown;
      if (!out.flush()) throw InfraError(fmt::format("cannot write {}", options.out.string()));
    }
    return d.regressed() ? regressed : fine;
  });
}

}  // namespace athil::history
