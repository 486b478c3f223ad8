// The results store as a QA team uses it: runs recorded as they go (a killed one too), another
// host's report folder and a JUnit file imported once each, and `athil history` and `athil diff`
// read from it, exit codes included.
#include <doctest/doctest.h>

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "base/error.hpp"
#include "history/analysis.hpp"
#include "history/sqlite.hpp"
#include "history/store.hpp"
#include "tests/support.hpp"

using namespace athil;
using namespace athil::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A one-slot SIM7080G rig on `firmware`, with faults.
fs::path one_slot_rig(const TempDir& dir, const std::string& name, const std::string& firmware, const std::string& target, const std::string& faults = "") {
  auto path = dir.path() / (name + ".xml");
  std::ofstream(path) << fmt::format(R"(<rig name="{}" time-scale="0.02">
  <slot name="s1" model="SIM7080G" firmware="{}" fota-target="{}"><virtual{}/></slot>
</rig>
)",
                                     name, firmware, target, faults.empty() ? "" : fmt::format(" faults=\"{}\"", faults));
  return path;
}

ProcessResult athil_cmd(const std::vector<std::string>& args) {
  std::vector<std::string> argv{athil_exe().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, source_dir());
}

ProcessResult smoke(const fs::path& rig_file, const fs::path& reports) {
  return athil_cmd({"run", "--rig", rig_file.string(), "--junit", (reports / "junit.xml").string(), "--tag", "smoke", "scenarios"});
}

}  // namespace

TEST_CASE("results store: a revision change with a fault in the second run shows in history, and diff gates on it per run and per revision") {
  TempDir dir;
  auto reports = dir.path() / "reports";
  auto first = smoke(one_slot_rig(dir, "rack", "1951B02SIM7080G", "1951B03SIM7080G"), reports);
  REQUIRE_MESSAGE(first.exit_code == 0, first.out, first.err);
  std::this_thread::sleep_for(1100ms);  // run ids are to the second
  auto second = smoke(one_slot_rig(dir, "rack", "1951B03SIM7080G", "1951B02SIM7080G", "fota-fail"), reports);
  REQUIRE_MESSAGE(second.exit_code == 1, second.out, second.err);

  history::Store store(reports / "athil.db", false);
  auto runs = store.runs();
  REQUIRE(runs.size() == 2);
  CHECK_FALSE(runs[1].ended.empty());
  auto cases = store.cases(runs[1].id);
  CHECK(cases.size() == 5);
  auto fota = std::find_if(cases.begin(), cases.end(), [](const auto& c) { return c.scenario == "fota-http-upgrade"; });
  REQUIRE(fota != cases.end());
  CHECK(fota->verdict == "failed");
  CHECK(fota->revision == "1951B03SIM7080G");
  CHECK(fota->file == "scenarios/fota/http-upgrade.xml");
  CHECK(fota->content_hash.size() == 16);
  CHECK(fota->model == "SIM7080G");

  auto h = athil_cmd({"history", "--reports", reports.string()});
  INFO(h.out, h.err);
  CHECK(h.exit_code == 0);
  CHECK(std::regex_search(h.out, std::regex("fota-http-upgrade +s1 +SIM7080G +1/2 \\(50 %\\) +failed x1 +- +" + runs[1].record.run_id)));
  CHECK(std::regex_search(h.out, std::regex("at-identity +s1 +SIM7080G +2/2 \\(100 %\\) +passed x2")));
  // The filters as `athil run` takes them.
  auto shown = [&](std::vector<std::string> filters) {
    filters.insert(filters.begin(), {"history", "--reports", reports.string()});
    auto r = athil_cmd(filters);
    CHECK(r.exit_code == 0);
    std::set<std::string> scenarios;
    for (const char* s : {"fota-http-upgrade", "at-identity", "power-pwrkey-on-off", "network-registration"})
      if (contains(r.out, s)) scenarios.insert(s);
    return scenarios;
  };
  CHECK(shown({"--scenario", "power-*"}) == std::set<std::string>{"power-pwrkey-on-off"});
  CHECK(shown({"--filter", "fota/*", "--filter", "at-*"}) == std::set<std::string>{"fota-http-upgrade", "at-identity"});  // by path or name
  CHECK(shown({"--tag", "network,fota"}) == std::set<std::string>{"fota-http-upgrade", "network-registration"});
  CHECK(shown({"--model", "SIM70", "--slot", "s*", "--tag", "at"}) == std::set<std::string>{"at-identity"});
  CHECK(shown({"--model", "SIM7000G"}).empty());

  // The store's page draws the pass rate per run: all five, then four of five.
  auto page = read_file(reports / "history.html");
  CHECK(contains(page, fmt::format("<title>{}: 5/5 passed (100 %)</title>", runs[0].record.run_id)));
  CHECK(contains(page, fmt::format("<title>{}: 4/5 passed (80 %)</title>", runs[1].record.run_id)));
  CHECK(contains(page, "the last: 4/5 passed (80 %)"));

  auto d = athil_cmd({"diff", "--reports", reports.string(), "--out", (dir.path() / "diff.md").string()});
  INFO(d.out, d.err);
  CHECK(d.exit_code == 1);
  CHECK(contains(d.out, "**Regressed**: 1 new failure(s)"));
  CHECK(std::regex_search(d.out, std::regex("\\| s1 \\| fota-http-upgrade \\| passed \\| failed \\| .*CFOTA: 7")));
  CHECK(read_file(dir.path() / "diff.md") == d.out);
  // diff takes the same filters: without the update's scenario nothing regressed.
  auto at_only = athil_cmd({"diff", "--reports", reports.string(), "--tag", "at,power", "--slot", "s*"});
  INFO(at_only.out, at_only.err);
  CHECK(at_only.exit_code == 0);
  CHECK_FALSE(contains(at_only.out, "fota-http-upgrade"));
  CHECK_FALSE(contains(at_only.out, "network-registration"));
  auto fota_only = athil_cmd({"diff", "--reports", reports.string(), "--filter", "fota/*", "--model", "SIM7080"});
  CHECK(fota_only.exit_code == 1);
  CHECK(contains(fota_only.out, "**Regressed**: 1 new failure(s)"));
  // Filters that match nothing are a mistake, not a pass: a gate with a typo must not open.
  auto nothing = athil_cmd({"diff", "--reports", reports.string(), "--filter", "fota/*", "--model", "SIM7000"});
  CHECK(nothing.exit_code == 2);
  CHECK(contains(nothing.err, "matches the filters given"));
  auto by_revision = athil_cmd({"diff", "--reports", reports.string(), "--revision", "1951B02SIM7080G", "--revision", "1951B03SIM7080G"});
  INFO(by_revision.out, by_revision.err);
  CHECK(by_revision.exit_code == 1);
  CHECK(contains(by_revision.out, "| model | scenario |"));
  CHECK(contains(by_revision.out, "| SIM7080G | fota-http-upgrade | passed | failed |"));
  auto back = athil_cmd({"diff", "--reports", reports.string(), runs[1].record.run_id, runs[0].record.run_id});
  CHECK(back.exit_code == 0);  // the other way round, the failure is a new pass
  CHECK(contains(back.out, "### New passes (1)"));
  auto unknown = athil_cmd({"diff", "--reports", reports.string(), "--revision", "1951B09SIM7080G", "--revision", "1951B03SIM7080G"});
  CHECK(unknown.exit_code == 2);
  CHECK(contains(unknown.err, "no run in the results store"));
}

TEST_CASE("results store: a run killed outright keeps every testcase that ended, and the store still reads and records") {
  TempDir dir;
  auto reports = dir.path() / "reports";
  int pid = spawn_process({athil_exe().string(), "run", "--rig", one_slot_rig(dir, "rack", "1951B02SIM7080G", "1951B03SIM7080G").string(), "--junit",
                           (reports / "junit.xml").string(), "--tag", "smoke", "--repeat", "20", "scenarios"},
                          source_dir(), dir.path() / "run.log", /*own_session=*/true);
  auto recorded = [&] {
    std::error_code ec;
    if (!fs::exists(reports / "athil.db", ec)) return std::size_t{0};
    try {
      history::Store store(reports / "athil.db", false);
      auto runs = store.runs();
      return runs.empty() ? std::size_t{0} : store.cases(runs.back().id).size();
    } catch (const athil::InfraError&) {  // the run is creating it this moment
      return std::size_t{0};
    }
  };
  REQUIRE(eventually([&] { return recorded() >= 3; }, 120s));
  ::kill(-pid, SIGKILL);
  wait_process(pid);
  history::Store store(reports / "athil.db", false);
  auto runs = store.runs();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].ended.empty());  // it never ended
  auto kept = store.cases(runs[0].id);
  CHECK(kept.size() >= 3);
  for (const auto& c : kept) CHECK(c.verdict == "passed");
  // The run's page was written as the run went: it lists the planned runs, though none of it
  // was written at an end that never came.
  auto page = read_file(reports / "latest" / "index.html");
  CHECK(contains(page, "</html>"));
  CHECK(contains(page, "at-identity"));
  CHECK(athil_cmd({"history", "--reports", reports.string()}).exit_code == 0);
  std::this_thread::sleep_for(1100ms);
  auto again = smoke(one_slot_rig(dir, "rack", "1951B02SIM7080G", "1951B03SIM7080G"), reports);
  CHECK(again.exit_code == 0);
  CHECK(history::Store(reports / "athil.db", false).runs().size() == 2);
}

TEST_CASE("results store: another host's report folder and a JUnit file are imported once each, and a bad one is refused with where") {
  TempDir dir;
  auto here = dir.path() / "here", there = dir.path() / "there";
  REQUIRE(smoke(one_slot_rig(dir, "rack", "1951B02SIM7080G", "1951B03SIM7080G"), here).exit_code == 0);
  std::this_thread::sleep_for(1100ms);
  REQUIRE(smoke(one_slot_rig(dir, "rack", "1951B02SIM7080G", "1951B03SIM7080G", "fota-fail"), there).exit_code == 1);

  auto imported = athil_cmd({"history", "import", there.string(), "--reports", here.string()});
  INFO(imported.out, imported.err);
  CHECK(imported.exit_code == 0);
  CHECK(contains(imported.out, "1 run(s) added from its athil.db, 0 already in"));
  CHECK(contains(athil_cmd({"history", "import", there.string(), "--reports", here.string()}).out, "0 run(s) added from its athil.db, 1 already in"));
  history::Store store(here / "athil.db", false);
  REQUIRE(store.runs().size() == 2);
  CHECK(store.runs()[1].record.source == there.string());
  CHECK(store.cases(store.runs()[1].id).size() == 5);
  CHECK(athil_cmd({"diff", "--reports", here.string()}).exit_code == 1);

  // Where CI kept only the JUnit file.
  auto junit_only = dir.path() / "junit-only";
  fs::create_directories(junit_only);
  fs::copy_file(there / "junit.xml", junit_only / "junit.xml");
  auto fresh = dir.path() / "fresh";
  auto from_junit = athil_cmd({"history", "import", junit_only.string(), "--reports", fresh.string()});
  INFO(from_junit.out, from_junit.err);
  CHECK(contains(from_junit.out, "1 run(s) added from its junit.xml"));
  CHECK(contains(athil_cmd({"history", "import", junit_only.string(), "--reports", fresh.string()}).out, "0 run(s) added from its junit.xml, 1 already in"));
  history::Store from_file(fresh / "athil.db", false);
  auto cases = from_file.cases(from_file.runs().at(0).id);
  CHECK(cases.size() == 5);
  CHECK(std::count_if(cases.begin(), cases.end(), [](const auto& c) { return c.verdict == "failed" && c.slot == "s1" && c.model == "SIM7080G"; }) == 1);

  // A store an earlier athil wrote (schema 2, before tags): imported through an up-to-date copy,
  // the store itself left as it was.
  auto older = dir.path() / "older";
  fs::create_directories(older);
  fs::copy_file(there / "athil.db", older / "athil.db");
  {
    history::Database db(older / "athil.db", false);
    db.exec("ALTER TABLE testcases DROP COLUMN tags; PRAGMA user_version = 2");
  }
  auto from_older = athil_cmd({"history", "import", older.string(), "--reports", (dir.path() / "newer").string()});
  INFO(from_older.out, from_older.err);
  CHECK(contains(from_older.out, "1 run(s) added from its athil.db"));
  history::Store newer(dir.path() / "newer" / "athil.db", false);
  CHECK(newer.cases(newer.runs().at(0).id).size() == 5);
  CHECK_THROWS_WITH_AS(history::Store(older / "athil.db", false), doctest::Contains("schema 2"), athil::InfraError);
  for (const auto& entry : fs::directory_iterator(dir.path() / "newer")) CHECK_MESSAGE(!entry.path().filename().string().starts_with(".import"), entry.path());

  std::ofstream(dir.path() / "evil.xml") << "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"b\">]>\n<testsuites/>\n";
  auto evil = athil_cmd({"history", "import", (dir.path() / "evil.xml").string(), "--reports", fresh.string()});
  CHECK(evil.exit_code == 2);
  CHECK(std::regex_search(evil.err, std::regex("evil\\.xml:2:[0-9]+: error: DOCTYPE and entity declarations are not allowed")));
  auto none = athil_cmd({"history", "--reports", (dir.path() / "nowhere").string()});
  CHECK(none.exit_code == 2);
  CHECK(contains(none.err, "no results store yet"));
}

TEST_CASE("JUnit: a scenario keeps its name across --repeat rounds in both flavours, and each flavour imports with its rounds, file and measurements") {
  TempDir dir;
  auto rig_file = dir.write("rack.xml", R"(<rig name="rack" time-scale="0.02">
  <slot name="s1" model="SIM7080G" firmware="1951B02SIM7080G"><virtual/><instrument spec="ppk2"/></slot>
</rig>
)");
  for (const char* flavour : {"strict", "extended"}) {
    CAPTURE(flavour);
    auto reports = dir.path() / flavour;
    auto r = athil_cmd({"run", "--rig", rig_file.string(), "--junit", (reports / "junit.xml").string(), "--junit-flavour", flavour, "--repeat", "2",
                        "scenarios/at/identity.xml", "scenarios/power/boot-energy.xml"});
    INFO(r.out, r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.out, "power-boot-energy [round 2]"));  // people still read the round beside the name
    pugi::xml_document doc;
    REQUIRE(doc.load_file((reports / "junit.xml").c_str()));
    std::vector<pugi::xml_node> cases;
    for (auto c : doc.child("testsuites").child("testsuite").children("testcase"))
      if (std::string_view(c.attribute("name").value()) == "power-boot-energy") cases.push_back(c);
    REQUIRE(cases.size() == 2);
    bool extended = std::string_view(flavour) == "extended";
    for (int round = 1; round <= 2; ++round) {
      auto c = cases[round - 1];
      CHECK(std::string_view(c.attribute("name").value()) == "power-boot-energy");
      CHECK(c.attribute("classname").value() == fmt::format("athil.rack.s1.round-{}", round));
      // The strict flavour stays within the Jenkins schema: no file attribute, no testcase properties.
      CHECK(std::string_view(c.attribute("file").value()) == (extended ? "scenarios/power/boot-energy.xml" : ""));
      CHECK(static_cast<bool>(c.child("properties")) == extended);
      std::map<std::string, std::string> props;
      for (auto p : c.child("properties").children("property")) props[p.attribute("name").value()] = p.attribute("value").value();
      std::string out = c.child("system-out").text().get();
      if (extended) {
        CHECK(props["round"] == std::to_string(round));
        CHECK(props["revision_at_start"] == "1951B02SIM7080G");  // at-identity, before it, read it
        CHECK(props["boot.verdict"] == "pass");
        CHECK(!contains(out, "[[PROPERTY|"));
      } else {
        CHECK(out.rfind(fmt::format("[[PROPERTY|scenario=power-boot-energy]]\n[[PROPERTY|scenario_file=scenarios/power/boot-energy.xml]]\n"), 0) == 0);
        CHECK(contains(out, fmt::format("[[PROPERTY|round={}]]\n", round)));
        CHECK(contains(out, "[[PROPERTY|boot.verdict=pass]]\n"));
      }
    }
    // Imported from the JUnit alone, the rounds, file and measurements are those the run recorded.
    auto only = dir.path() / (std::string(flavour) + "-junit");
    fs::create_directories(only);
    fs::copy_file(reports / "junit.xml", only / "junit.xml");
    auto fresh = dir.path() / (std::string(flavour) + "-store");
    REQUIRE(athil_cmd({"history", "import", only.string(), "--reports", fresh.string()}).exit_code == 0);
    history::Store recorded(reports / "athil.db", false), imported(fresh / "athil.db", false);
    auto want = recorded.cases(recorded.runs().at(0).id), got = imported.cases(imported.runs().at(0).id);
    REQUIRE(got.size() == 4);
    REQUIRE(want.size() == 4);
    for (std::size_t i = 0; i < 4; ++i) {
      CHECK(got[i].scenario == want[i].scenario);
      CHECK(got[i].round == want[i].round);
      CHECK(got[i].file == want[i].file);
      CHECK(got[i].revision == want[i].revision);
      // The JUnit has the scenario's measurements but not its step times.
      auto measured = [](const std::vector<history::StoredMeasurement>& all) {
        return std::count_if(all.begin(), all.end(), [](const auto& m) { return m.name.rfind("step ", 0) != 0; });
      };
      CHECK(measured(imported.measurements(got[i].id)) == measured(recorded.measurements(want[i].id)));
      CHECK((measured(imported.measurements(got[i].id)) > 0) == (got[i].scenario == "power-boot-energy"));
    }
  }
}

TEST_CASE("athil history --by model: a model's slots in a run count as one outcome, the worst of theirs") {
  TempDir dir;
  history::Store store(dir.path() / "athil.db", true);
  auto suite = [](const std::string& slot) {
    return report::TestSuite{.name = "lab." + slot, .properties = {{"slot", slot}, {"model", "SIM7080G"}, {"revision", "1951B02SIM7080G"}}};
  };
  auto record = [&](const std::string& run, report::Verdict s2) {
    auto id = store.begin_run({.run_id = run, .host = "h", .rig = "lab", .started = run});
    REQUIRE(id);
    store.record_case(*id, suite("s1"), report::TestCase{.name = "boot", .verdict = report::Verdict::passed, .scenario = "boot"});
    store.record_case(*id, suite("s2"), report::TestCase{.name = "boot", .verdict = s2, .scenario = "boot"});
    store.end_run(*id, run);
  };
  record("run-1", report::Verdict::passed);
  record("run-2", report::Verdict::failed);

  auto by_slot = history::history(store, {});
  REQUIRE(by_slot.size() == 2);
  CHECK(by_slot[0].passed == 2);
  CHECK(by_slot[1].passed == 1);
  auto by_model = history::history(store, {}, history::Group::model);
  REQUIRE(by_model.size() == 1);
  CHECK(by_model[0].slot == "s1,s2");
  CHECK(by_model[0].passed == 1);
  CHECK(by_model[0].runs == 2);
  CHECK(by_model[0].failing_since == "run-2");
  CHECK(std::regex_search(history::render_history(by_model, 2, history::Group::model),
                          std::regex("scenario +slots +model.*\nboot +s1,s2 +SIM7080G +1/2 \\(50 %\\) +failed x1 +- +run-2")));
}
