#include "history/import.hpp"

#include <charconv>
#include <map>
#include <regex>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/text.hpp"
#include "base/xml_source.hpp"
#include "history/sqlite.hpp"

namespace athil::history {

namespace fs = std::filesystem;

namespace {

// Far beyond a real run's report (each testcase's output is capped at 256 KB).
constexpr std::size_t max_junit_bytes = 64 * 1024 * 1024;

report::Verdict verdict_of(pugi::xml_node testcase, std::string& message) {
  for (auto [element, verdict] : {std::pair{"failure", report::Verdict::failed}, {"error", report::Verdict::error}, {"skipped", report::Verdict::skipped}})
    if (auto e = testcase.child(element)) {
      message = e.attribute("message").value();
      return verdict;
    }
  return report::Verdict::passed;
}

// The testcase's scenario and round: athil names it by its scenario and puts the round in its
// classname ("athil.lab.s3.round-2"); before that, the round was in the name ("fota [round 3]").
void name_and_round(report::TestCase& c) {
  static const std::regex old_name(R"((.*) \[round ([0-9]{1,6})\])"), classname(R"((.*)\.round-([0-9]{1,6}))");
  std::smatch m;
  c.scenario = c.name;
  if (std::regex_match(c.name, m, old_name)) {
    c.scenario = m[1], c.round = std::stoi(m[2]);
  } else if (std::regex_match(c.classname, m, classname)) {
    c.round = std::stoi(m[2]), c.classname = m[1];
    c.name = fmt::format("{} [round {}]", c.scenario, c.round);  // as the suite's measurement properties name it
  }
}

// A testcase's properties: its <properties> (--junit-flavour extended) or the [[PROPERTY|k=v]]
// lines its output begins with (strict).
void properties_of(pugi::xml_node testcase, report::TestCase& c) {
  for (auto p : testcase.child("properties").children("property")) c.properties.emplace_back(p.attribute("name").value(), p.attribute("value").value());
  std::string_view out = testcase.child("system-out").text().get();
  constexpr std::string_view lead = "[[PROPERTY|";
  while (out.substr(0, lead.size()) == lead) {
    auto end = out.find("]]"), eq = out.find('=');
    if (end == std::string_view::npos || eq == std::string_view::npos || eq > end) break;
    c.properties.emplace_back(out.substr(lead.size(), eq - lead.size()), out.substr(eq + 1, end - eq - 1));
    auto next = out.find('\n', end);
    out.remove_prefix(next == std::string_view::npos ? out.size() : next + 1);
  }
  for (const auto& [k, v] : c.properties) {
    if (k == "revision_at_start") c.revision_at_start = v;
    if (k == "scenario_file" && c.file.empty()) c.file = v;
    if (k == "tags") c.tags = split(v, ',');
  }
}

double seconds_of(pugi::xml_node node) {
  std::string_view text = node.attribute("time").value();
  double v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

// A suite's properties "CASE/NAME.STAT" = "3.2 uA": the measurements of its testcases.
void measurements_from(const report::TestSuite& suite, std::map<std::string, std::vector<report::Measurement>>& by_case) {
  for (const auto& [name, value] : suite.properties) {
    auto slash = name.find('/'), dot = name.rfind('.');
    if (slash == std::string::npos || dot == std::string::npos || dot < slash) continue;
    auto& list = by_case[name.substr(0, slash)];
    auto measurement = name.substr(slash + 1, dot - slash - 1), stat = name.substr(dot + 1);
    if (list.empty() || list.back().name != measurement) list.push_back(report::Measurement{.name = measurement});
    if (stat == "verdict")
      list.back().verdict = value;
    else
      list.back().values.emplace_back(stat, value);
  }
}

report::TestSuite suite_from(pugi::xml_node node) {
  report::TestSuite suite{
      .name = node.attribute("name").value(), .timestamp = node.attribute("timestamp").value(), .hostname = node.attribute("hostname").value()};
  for (auto p : node.child("properties").children("property")) suite.properties.emplace_back(p.attribute("name").value(), p.attribute("value").value());
  std::map<std::string, std::vector<report::Measurement>> measured;
  measurements_from(suite, measured);
  for (auto t : node.children("testcase")) {
    report::TestCase c{.name = t.attribute("name").value(), .classname = t.attribute("classname").value(), .seconds = seconds_of(t)};
    name_and_round(c);
    c.verdict = verdict_of(t, c.message);
    c.file = t.attribute("file").value();
    properties_of(t, c);
    for (auto e : t.children("flakyError")) c.earlier_attempts.push_back({.message = e.attribute("message").value()});
    for (auto e : t.children("rerunError")) c.earlier_attempts.push_back({.message = e.attribute("message").value()});
    c.measurements = measured[c.name];
    suite.cases.push_back(std::move(c));
  }
  return suite;
}

Imported import_junit(Store& into, const fs::path& file) {
  auto source = XmlSource::load(file, max_junit_bytes);
  auto root = source->doc().document_element();
  std::vector<pugi::xml_node> suites;
  if (std::string_view(root.name()) == "testsuite") suites.push_back(root);
  if (std::string_view(root.name()) == "testsuites")
    for (auto s : root.children("testsuite")) suites.push_back(s);
  if (suites.empty()) source->fail(root, fmt::format("a JUnit report's root is <testsuites> or <testsuite>, not <{}>", root.name()));
  std::vector<report::TestSuite> read;
  for (auto s : suites) read.push_back(suite_from(s));
  const std::string rig = read.front().property("rig");
  // The file's own hash names the run: the same file imported twice is one run.
  RunRecord run{
      .run_id = "junit-" + source->content_hash(), .host = read.front().hostname, .rig = rig, .started = read.front().timestamp, .source = file.string()};
  Imported result{.what = file.filename().string()};
  auto whole = into.transaction();  // all of the file or nothing
  auto id = into.begin_run(run);
  if (!id) return result.known = 1, result;
  for (const auto& s : read)
    for (const auto& c : s.cases) into.record_case(*id, s, c);
  into.end_run(*id, run.started);
  whole.commit();
  result.added = 1;
  return result;
}

}  // namespace

Imported import_reports(Store& into, const fs::path& from) {
  std::error_code ec;
  if (fs::is_regular_file(from, ec)) return import_junit(into, from);
  if (!fs::is_directory(from, ec)) throw InputError(fmt::format("{}: no such report folder or JUnit file", from.string()));
  if (fs::exists(from / Store::file_name, ec)) {
    if (fs::equivalent(from / Store::file_name, into.path(), ec)) throw InputError(fmt::format("{} is this store itself", from.string()));
    auto [added, known] = into.import_store(from / Store::file_name, from.string());
    return Imported{.added = added, .known = known, .what = Store::file_name};
  }
  if (fs::exists(from / "junit.xml", ec)) return import_junit(into, from / "junit.xml");
  throw InputError(fmt::format("{}: neither a results store ({}) nor a junit.xml to import", from.string(), Store::file_name));
}

}  // namespace athil::history
