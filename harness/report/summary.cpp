#include "report/summary.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace athil::report {

// Text from scenario files, rigs and modules as one table cell or line of Markdown: no line
// breaks, HTML's specials as entities (no tag or script gets through to a renderer), Markdown's
// punctuation escaped (no link, image, emphasis or code span, and no bare address that a
// renderer would make a link), nothing XML-hostile either.
std::string markdown_cell(std::string_view text) {
  std::string out;
  std::string safe = xml_safe_text(text);
  for (std::size_t i = 0; i < safe.size(); ++i) {
    char c = safe[i];
    // GFM links bare addresses by themselves: "http://..." and "www." are broken up, escaped.
    if (safe.compare(i, 3, "://") == 0 || safe.compare(i, 4, "www.") == 0) {
      out += c == ':' ? ":\\/\\/" : "www\\.";
      i += c == ':' ? 2 : 3;
      continue;
    }
    switch (c) {
      case '\n':
      case '\r': out += ' '; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '(':
      case ')':
      case '!':
      case '|':
      case '#':
      case '~':
      case '{':
      case '}':
        out += '\\';
        out += c;
        break;
      default: out += c;
    }
  }
  return out;
}

namespace {

const char* word(const TestCase& c) {
  if (c.flaky()) return "flaky";
  switch (c.verdict) {
    case Verdict::passed: return "passed";
    case Verdict::failed: return "FAILED";
    case Verdict::error: return "ERROR";
    case Verdict::skipped: return "skipped";
  }
  return "?";
}

std::string link(const std::string& file) { return file.empty() ? "" : fmt::format("[{}]({})", markdown_cell(file.substr(file.rfind('/') + 1)), file); }

// The commands the slot's virtual module does not model, each with the scenarios that sent them.
std::string unmodelled_list(const TestSuite& s) {
  std::vector<std::pair<std::string, std::vector<std::string>>> commands;
  for (const auto& c : s.cases)
    for (const auto& command : c.unmodelled) {
      auto it = std::find_if(commands.begin(), commands.end(), [&](const auto& e) { return e.first == command; });
      if (it == commands.end()) it = commands.insert(commands.end(), {command, {}});
      if (std::find(it->second.begin(), it->second.end(), c.name) == it->second.end()) it->second.push_back(c.name);
    }
  if (commands.empty()) return "";
  std::string out = "\nNot modelled by the virtual module (answered ERROR, as a module answers a command it does not know):\n\n";
  for (const auto& [command, scenarios] : commands) {
    std::vector<std::string> names;
    for (const auto& n : scenarios) names.push_back(markdown_cell(n));
    out += fmt::format("- {} ({})\n", markdown_cell(command), fmt::join(names, ", "));
  }
  return out;
}

// Every current a scenario measured, with its verdict against its limits.
std::string measurement_table(const std::vector<TestSuite>& suites) {
  std::string rows;
  auto value = [](const Measurement& m, std::string_view stat) {
    for (const auto& [k, v] : m.values)
      if (k == stat) return v;
    return std::string();
  };
  for (const auto& s : suites)
    for (const auto& c : s.cases)
      for (const auto& m : c.measurements)
        rows += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", markdown_cell(s.property("slot")), markdown_cell(c.name),
                            markdown_cell(m.name), value(m, "average"), value(m, "peak"), value(m, "lowest"), value(m, "charge"), value(m, "window"), m.verdict,
                            markdown_cell(m.limits));
  if (rows.empty()) return "";
  return "\n## Current\n\n| slot | scenario | window | average | peak | lowest | charge | span | verdict | limits "
         "|\n|---|---|---|---|---|---|---|---|---|---|\n" +
         rows;
}

}  // namespace

std::string summary_row(const TestCase& c) {
  std::string revision = markdown_cell(c.revision_at_start);
  if (!c.left_other_firmware.empty()) revision += fmt::format(" (left at {})", markdown_cell(c.left_other_firmware));
  return fmt::format("| {} | {} | {} | {} | {} | {} |\n", markdown_cell(c.name), word(c), format_seconds(c.seconds), revision, link(c.transcript),
                     link(c.waveform));
}

std::string render_summary(const RunInfo& run, const std::vector<TestSuite>& suites) {
  std::string scratch;
  return render_summary(run, suites,
                        [&](std::size_t suite, std::size_t index) -> const std::string& { return scratch = summary_row(suites[suite].cases[index]); });
}

std::string render_summary(const RunInfo& run, const std::vector<TestSuite>& suites, const TestcaseElement& row) {
  auto all = count_all(suites);
  std::string out = fmt::format("# athil run {}\n\nRig **{}** ({}), started {} UTC, {:.1f} s. JUnit report: `{}`.\n\n", run.id, markdown_cell(run.rig),
                                markdown_cell(run.rig_file), run.started, run.seconds, run.junit);
  if (!run.stopped.empty()) out += fmt::format("**The run stopped early: {}.**\n\n", markdown_cell(run.stopped));
  if (run.rounds > 0) out += fmt::format("Rounds run (--until-fail): {}.\n\n", run.rounds);
  out += fmt::format("**{} passed** ({} flaky), **{} failed**, **{} errors**, {} skipped.\n\n", all.passed, all.flaky, all.failed, all.errors, all.skipped);

  out += "| slot | model | revision | IMEI | passed | flaky | failed | errors | skipped | note |\n|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& s : suites) {
    auto n = s.counts();
    std::string note = s.property("quarantined").empty() ? "" : "quarantined";
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", markdown_cell(s.property("slot")), markdown_cell(s.property("model")),
                       markdown_cell(s.property("revision")), markdown_cell(s.property("imei")), n.passed, n.flaky, n.failed, n.errors, n.skipped, note);
  }

  auto section = [&](const std::string& title, auto&& wanted) {
    std::string body;
    for (const auto& s : suites)
      for (const auto& c : s.cases) {
        if (!wanted(c)) continue;
        body += fmt::format("- **{}** {} {}: {}\n", markdown_cell(s.property("slot")), markdown_cell(c.name), word(c), markdown_cell(c.message));
        for (std::size_t i = 0; i < c.earlier_attempts.size(); ++i)
          body += fmt::format("  - attempt {}: error: {} {}\n", i + 1, markdown_cell(c.earlier_attempts[i].message), link(c.earlier_attempts[i].transcript));
        if (!c.transcript.empty()) body += fmt::format("  - transcript {}{}\n", link(c.transcript), c.waveform.empty() ? "" : ", waveform " + link(c.waveform));
      }
    if (!body.empty()) out += fmt::format("\n## {}\n\n{}", title, body);
  };
  section("Failures", [](const TestCase& c) { return c.verdict == Verdict::failed; });
  section("Errors (harness or rig)", [](const TestCase& c) { return c.verdict == Verdict::error; });
  section("Flaky (passed after an error)", [](const TestCase& c) { return c.flaky(); });
  std::string compressed;
  for (const auto& s : suites)
    for (const auto& c : s.cases)
      for (const auto& w : c.compressed_waits)
        compressed += fmt::format("- **{}** {}: {}\n", markdown_cell(s.property("slot")), markdown_cell(c.name), markdown_cell(w));
  if (!compressed.empty())
    out += fmt::format(
        "\n## Would not fit at real speed\n\nThese waits ended in time only because the rig's time is compressed (time-scale below 1): "
        "give them the module's real time before running on a real rack.\n\n{}",
        compressed);
  out += measurement_table(suites);
  for (const auto& s : suites)
    if (auto q = s.property("quarantined"); !q.empty())
      out += fmt::format("\n**Slot {} quarantined:** {}\n", markdown_cell(s.property("slot")), markdown_cell(q));

  for (const auto& s : suites) {
    out +=
        fmt::format("\n## Slot {} ({}, port {})\n\n| scenario | result | time (s) | revision at start | transcript | waveform |\n|---|---|---|---|---|---|\n",
                    markdown_cell(s.property("slot")), markdown_cell(s.property("model")), markdown_cell(s.property("port")));
    for (std::size_t i = 0; i < s.cases.size(); ++i) out += row(static_cast<std::size_t>(&s - suites.data()), i);
    out += unmodelled_list(s);
  }
  return out;
}

}  // namespace athil::report
