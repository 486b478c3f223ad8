#include "history/page.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "history/analysis.hpp"
#include "report/html.hpp"

namespace athil::history {

namespace {

using report::html_text;

constexpr const char* style = R"css(
:root { color-scheme: light dark; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 0 12px 40px; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 24px; border-bottom: 1px solid #8884; }
.scroll { overflow-x: auto; } table { border-collapse: collapse; } td, th { padding: 2px 10px 2px 0; text-align: left; vertical-align: middle; }
svg { height: 16px; } .passed { fill: #1a7f37; } .failed { fill: #cf222e; } .error { fill: #9a6700; } .none { fill: #8883; }
polyline { fill: none; stroke: #0969da; stroke-width: 1.5; } a:focus-visible { outline: 3px solid #0969da; }
svg.rate { height: 80px; } svg.rate line { stroke: #8886; stroke-width: 1; }
)css";

struct Trend {
  std::vector<std::string> verdicts;                                 // per run, "" when it did not run there
  std::map<std::string, std::vector<std::optional<double>>> values;  // per measurement, per run
  std::map<std::string, std::string> units;
};

// One square per run, oldest first: the verdicts at a glance.
std::string verdict_strip(const std::vector<std::string>& verdicts, const std::vector<StoredRun>& runs) {
  std::string out =
      fmt::format(R"(<svg viewBox="0 0 {} 12" width="{}" role="img" aria-label="verdicts, oldest first">)", verdicts.size() * 10, verdicts.size() * 10);
  for (std::size_t i = 0; i < verdicts.size(); ++i)
    out += fmt::format(R"(<rect class="{}" x="{}" y="1" width="8" height="10"><title>{}: {}</title></rect>)",
                       verdicts[i].empty() ? "none" : html_text(verdicts[i]), i * 10, html_text(runs[i].record.run_id),
                       verdicts[i].empty() ? "not run" : html_text(verdicts[i]));
  return out + "</svg>";
}

std::string sparkline(const std::vector<std::optional<double>>& values, const std::string& unit) {
  double top = 0, low = 1e300;
  for (const auto& v : values)
    if (v) top = std::max(top, *v), low = std::min(low, *v);
  std::string points, last;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!values[i]) continue;
    double y = top > low ? 14 - 12 * (*values[i] - low) / (top - low) : 8;
    points += fmt::format("{},{:.1f} ", i * 10 + 4, y);
    last = fmt::format("{:.4g} {}", *values[i], unit);
  }
  if (points.empty()) return "";
  return fmt::format(R"(<svg viewBox="0 0 {} 16" width="{}" role="img" aria-label="trend, last {}"><polyline points="{}"/></svg> {})", values.size() * 10,
                     values.size() * 10, html_text(last), points, html_text(last));
}

std::map<std::pair<std::string, std::string>, Trend> trends(const Store& store, const std::vector<StoredRun>& runs) {
  std::map<std::pair<std::string, std::string>, Trend> out;
  for (std::size_t r = 0; r < runs.size(); ++r)
    for (const auto& c : store.cases(runs[r].id)) {
      if (c.verdict == "skipped") continue;
      auto& t = out[{c.scenario, c.slot}];
      t.verdicts.resize(runs.size());
      auto& v = t.verdicts[r];
      if (v.empty() || v == "passed") v = c.verdict;
      for (const auto& m : store.measurements(c.id)) {
        auto& series = t.values[m.name];
        series.resize(runs.size());
        series[r] = m.quantity.value;
        t.units[m.name] = m.quantity.unit;
      }
    }
  return out;
}

std::string trend_table(const Store& store, const std::vector<StoredRun>& runs) {
  std::string rows;
  for (const auto& [key, t] : trends(store, runs)) {
    std::string values;
    for (const auto& [name, series] : t.values) {
      auto padded = series;
      padded.resize(runs.size());
      values += fmt::format("<div>{} {}</div>", html_text(name), sparkline(padded, t.units.at(name)));
    }
    auto verdicts = t.verdicts;
    verdicts.resize(runs.size());
    rows += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", html_text(key.first), html_text(key.second), verdict_strip(verdicts, runs),
                        values);
  }
  return fmt::format(R"(<div class="scroll"><table><tr><th>scenario</th><th>slot</th><th>verdicts</th><th>measurements</th></tr>{}</table></div>)", rows);
}

// The share of testcases that passed in each run (skipped ones aside), oldest first, as a line
// with a point per run that names it.
std::string pass_rate_chart(const Store& store, const std::vector<StoredRun>& runs) {
  constexpr int step = 24, height = 80;
  std::string points, marks, last;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    int ran = 0, passed = 0;
    for (const auto& c : store.cases(runs[r].id)) {
      ran += c.verdict != "skipped";
      passed += c.verdict == "passed";
    }
    if (ran == 0) continue;
    double rate = 100.0 * passed / ran, x = static_cast<double>(r * step + 8), y = 4 + (height - 8) * (100 - rate) / 100;
    points += fmt::format("{:.0f},{:.1f} ", x, y);
    last = fmt::format("{}/{} passed ({:.0f} %)", passed, ran, rate);
    marks += fmt::format(R"(<circle class="{}" cx="{:.0f}" cy="{:.1f}" r="3.5"><title>{}: {}</title></circle>)", passed == ran ? "passed" : "failed", x, y,
                         html_text(runs[r].record.run_id), last);
  }
  if (points.empty()) return "<p>No testcase has run yet.</p>";
  auto width = runs.size() * step + 16;
  return fmt::format(R"(<div class="scroll"><svg class="rate" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="pass rate per run, oldest )"
                     R"(first; the last: {}"><line x1="0" y1="4" x2="{}" y2="4"/><line x1="0" y1="{}" x2="{}" y2="{}"/><polyline points="{}"/>{}</svg></div>)"
                     R"(<p>Lines at 100 % and 0 %; the last run: {}.</p>)",
                     width, height, width, height, last, width, height - 4, width, height - 4, points, marks, last);
}

std::string diff_section(const Store& store) {
  if (store.runs().size() < 2) return "<p>One run so far: no diff yet.</p>";
  auto [before, after] = last_two_runs(store);
  auto d = diff(before, after, false, 0.2);
  std::string rows;
  auto add = [&](const char* what, const std::vector<DiffRow>& list) {
    for (const auto& r : list)
      rows += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", what, html_text(r.where), html_text(r.scenario),
                          html_text(r.reason.substr(0, 200)));
  };
  add("new failure", d.new_failures);
  add("still failing", d.still_failing);
  add("missing", d.missing);
  add("added", d.added);
  add("new pass", d.new_passes);
  for (const auto& v : d.worse)
    rows += fmt::format("<tr><td>worse</td><td>{}</td><td>{}</td><td>{} {:.4g} → {:.4g} {} ({:+.0f} %)</td></tr>", html_text(v.where), html_text(v.scenario),
                        html_text(v.name), v.before, v.after, html_text(v.unit), 100 * v.change());
  return fmt::format("<p>{} against {}: {}.</p>", html_text(d.after), html_text(d.before), d.regressed() ? "<strong>regressed</strong>" : "no regression") +
         (rows.empty() ? ""
                       : fmt::format(R"(<div class="scroll"><table><tr><th>what</th><th>slot</th><th>scenario</th><th>why</th></tr>{}</table></div>)", rows));
}

}  // namespace

std::string render_history_page(const Store& store, std::size_t last_runs) {
  auto runs = store.runs();
  if (runs.size() > last_runs) runs.erase(runs.begin(), runs.end() - static_cast<long>(last_runs));
  return fmt::format(R"(<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">)"
                     R"(<title>athil history</title><style>{}</style></head><body><h1>athil history: the last {} run(s)</h1>)"
                     R"(<h2>The last run against the one before</h2>{}<h2>Pass rate per run</h2>{}<h2>Per scenario and slot</h2>{}</body></html>)"
                     "\n",
                     style, runs.size(), diff_section(store), pass_rate_chart(store, runs), trend_table(store, runs));
}

}  // namespace athil::history
