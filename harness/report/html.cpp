#include "report/html.hpp"

#include <fmt/format.h>

#include "base/escape.hpp"

#include "report/html_timeline.hpp"

namespace athil::report {

namespace {

constexpr std::size_t tail_lines = 60;  // of a failing testcase's transcript, on the page

// Readable at 1280 px and on a phone: one column, tables and timelines that shrink or scroll.
constexpr const char* style = R"css(
:root { color-scheme: light dark; --pass: #1a7f37; --fail: #cf222e; --error: #9a6700; --skip: #6e7781; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 0 12px 40px; }
h1 { font-size: 1.4em; margin: 16px 0 4px; } h2 { font-size: 1.15em; margin: 24px 0 8px; border-bottom: 1px solid #8884; }
.counts span { margin-right: 12px; } .scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 6px 0; } td, th { padding: 2px 10px 2px 0; text-align: left; vertical-align: top; }
details.case { border: 1px solid #8884; border-radius: 6px; margin: 6px 0; padding: 4px 8px; }
details.case > summary { cursor: pointer; display: flex; gap: 10px; flex-wrap: wrap; }
summary:focus-visible, a:focus-visible { outline: 3px solid #0969da; outline-offset: 2px; }
.verdict { font-weight: 700; min-width: 4.5em; } .passed .verdict { color: var(--pass); } .failed .verdict { color: var(--fail); }
.error .verdict { color: var(--error); } .skipped .verdict { color: var(--skip); } .time { color: #6e7781; margin-left: auto; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #8881; padding: 6px; border-radius: 4px; font-size: 13px; }
svg.timeline { width: 100%; height: auto; min-width: 640px; font: 11px system-ui, sans-serif; }
svg .sent { fill: #0969da; } svg .received { fill: #8250df; } svg .urc { fill: #bf8700; }
svg .status { fill: none; stroke: var(--pass); stroke-width: 1.5; } svg .current { fill: none; stroke: #cf222e; stroke-width: 1; }
svg .block { stroke: #8888; stroke-dasharray: 3 3; } svg .lane, svg .axis { fill: currentColor; } svg .end { text-anchor: end; }
)css";

std::string case_id(std::size_t suite, std::size_t index) { return fmt::format("case-{}-{}", suite, index); }

std::string header(const RunInfo& run, const std::vector<TestSuite>& suites) {
  auto n = count_all(suites);
  std::string out = fmt::format("<header><h1>athil run {}</h1><p>rig {} ({}), started {} UTC, {:.1f} s</p>", html_text(run.id), html_text(run.rig),
                                html_text(run.rig_file), html_text(run.started), run.seconds);
  out += fmt::format(R"(<p class="counts"><span>{} tests</span><span class="passed">{} passed</span><span class="failed">{} failed</span>)"
                     R"(<span class="error">{} errors</span><span class="skipped">{} skipped</span><span>{} flaky</span></p>)",
                     n.tests, n.passed, n.failed, n.errors, n.skipped, n.flaky);
  if (!run.stopped.empty()) out += fmt::format("<p><strong>The run stopped early:</strong> {}</p>", html_text(run.stopped));
  return out + "</header>";
}

// Links to every testcase that did not pass, first on the page: the keyboard reaches them at once.
std::string not_passed(const std::vector<TestSuite>& suites) {
  std::string items;
  for (std::size_t s = 0; s < suites.size(); ++s)
    for (std::size_t i = 0; i < suites[s].cases.size(); ++i) {
      const auto& c = suites[s].cases[i];
      if (c.verdict != Verdict::failed && c.verdict != Verdict::error) continue;
      items += fmt::format(R"(<li><a href="#{}">{} {} on {}</a>: {}</li>)", case_id(s, i), verdict_word(c), html_text(c.name),
                           html_text(suites[s].property("slot")), html_text(c.message.substr(0, 200)));
    }
  return items.empty() ? "" : fmt::format(R"(<nav id="problems" aria-label="failures and errors"><h2>Failures and errors</h2><ul>{}</ul></nav>)", items);
}

std::string steps_table(const TestCase& c) {
  if (c.steps.empty()) return "";
  std::string rows;
  for (const auto& s : c.steps) rows += fmt::format("<tr><td>{}</td><td>{:.3f} s</td></tr>", html_text(s.name), s.seconds);
  return fmt::format(R"(<div class="scroll"><table class="steps"><tr><th>step</th><th>module time</th></tr>{}</table></div>)", rows);
}

std::string measurements_table(const TestCase& c) {
  if (c.measurements.empty()) return "";
  std::string rows;
  for (const auto& m : c.measurements) {
    std::string values;
    for (const auto& [k, v] : m.values) values += fmt::format("{} {}; ", html_text(k), html_text(v));
    rows += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", html_text(m.name), values, html_text(m.verdict), html_text(m.limits));
  }
  return fmt::format(
      R"(<div class="scroll"><table class="measurements"><tr><th>current</th><th>values</th><th>verdict</th><th>limits</th></tr>{}</table></div>)", rows);
}

std::string evidence(const TestCase& c, const std::filesystem::path& run_dir) {
  if (c.transcript.empty()) return "";
  auto current = std::filesystem::path(c.transcript).replace_extension(".current.csv");
  // On a phone the timeline scrolls sideways in its own box: squeezed, its marks would merge.
  std::string svg = timeline_svg(run_dir / c.transcript, run_dir / current);
  std::string out = svg.empty() ? "" : R"(<div class="scroll">)" + svg + "</div>";
  if (c.verdict == Verdict::failed || c.verdict == Verdict::error)
    out += fmt::format("<details class=\"transcript\"><summary>The transcript's last {} lines</summary><pre>{}</pre></details>", tail_lines,
                       html_text(transcript_tail(run_dir / c.transcript, tail_lines)));
  out += fmt::format(R"(<p><a href="{}">whole transcript</a>)", html_text(c.transcript));
  if (!c.waveform.empty()) out += fmt::format(R"( · <a href="{}">waveform (VCD)</a>)", html_text(c.waveform));
  return out + "</p>";
}

std::string testcase(const TestCase& c, const std::string& id, const std::filesystem::path& run_dir) {
  bool bad = c.verdict == Verdict::failed || c.verdict == Verdict::error;
  std::string out = fmt::format(R"(<details class="case {}" id="{}"{}><summary><span class="verdict">{}</span><span class="name">{}</span>)"
                                R"(<span class="time">{:.1f} s</span></summary>)",
                                verdict_name(c.verdict), id, bad ? " open" : "", verdict_word(c), html_text(c.name), c.seconds);
  if (!c.message.empty()) out += fmt::format(R"(<p class="reason">{}</p>)", html_text(c.message));
  if (bad && c.detail != c.message) out += fmt::format("<pre class=\"detail\">{}</pre>", html_text(c.detail));
  if (!c.revision_at_start.empty()) out += fmt::format("<p>module revision at start: {}</p>", html_text(c.revision_at_start));
  return out + steps_table(c) + measurements_table(c) + evidence(c, run_dir) + "</details>";
}

std::string slot_section(const TestSuite& s, std::size_t index, const TestcaseSection& section) {
  std::string out = fmt::format(R"(<section class="slot" id="slot-{}"><h2>slot {}: {}, revision {}, IMEI {}</h2>)", index, html_text(s.property("slot")),
                                html_text(s.property("model")), html_text(s.property("revision").empty() ? "unknown" : s.property("revision")),
                                html_text(s.property("imei").empty() ? "unknown" : s.property("imei")));
  for (std::size_t i = 0; i < s.cases.size(); ++i) out += section(index, i);
  return out + "</section>";
}

}  // namespace

std::string html_text(std::string_view text) {
  std::string out;
  append_replacing(out, xml_safe_text(text), [](char c) -> std::string_view {
    switch (c) {
      case '&': return "&amp;";
      case '<': return "&lt;";
      case '>': return "&gt;";
      case '"': return "&quot;";
      case '\'': return "&#39;";
      default: return "";
    }
  });
  return out;
}

std::string render_testcase_html(const TestCase& c, std::size_t suite, std::size_t index, const std::filesystem::path& run_dir) {
  return testcase(c, case_id(suite, index), run_dir);
}

std::string render_html(const RunInfo& run, const std::vector<TestSuite>& suites, const TestcaseSection& section) {
  std::string out =
      fmt::format(R"(<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">)"
                  R"(<title>athil run {}</title><style>{}</style></head><body>)",
                  html_text(run.id), style);
  out += header(run, suites) + "<main>" + not_passed(suites);
  for (std::size_t s = 0; s < suites.size(); ++s) out += slot_section(suites[s], s, section);
  return out + "</main></body></html>\n";
}

}  // namespace athil::report
