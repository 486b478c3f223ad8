// The runner on a rack: what it plans (matrix, --spread, filters, --shard, --repeat), and
// whole runs on virtual racks with faults chosen per slot: every verdict class, retries and
// flaky marking, quarantine, --repeat and --until-fail, signals at random points, and the
// report read back by the schema, junitparser and sigrok-cli.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <cerrno>

#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "base/error.hpp"
#include "rig/model.hpp"
#include "rig/module_log.hpp"
#include "runner/plan.hpp"
#include "scenario/loader.hpp"
#include "tests/rack_support.hpp"

using namespace athil::test;
namespace fs = std::filesystem;
using athil::runner::make_plan;
using athil::runner::Plan;
using athil::runner::PlanOptions;

namespace {

// --- planning -------------------------------------------------------------------------------

struct PlanInput {
  athil::rig::Rig rig;
  std::vector<athil::scenario::Scenario> scenarios;
};

PlanInput plan_input(const TempDir& dir) {
  auto rig = dir.write("plan-rig.xml", R"xml(<rig name="p">
  <slot name="a1" model="SIM7080G" firmware="F"><virtual/></slot>
  <slot name="a2" model="SIM7080G" firmware="F"><virtual usb="true"/></slot>
  <slot name="b1" model="SIM7000G" firmware="F"><virtual/></slot>
  <slot name="c1" model="SIM7070G" firmware="F"><virtual/></slot>
  <slot name="c2" model="SIM7070G" firmware="F"><virtual/></slot>
  <slot name="c3" model="SIM7070G" firmware="F"><virtual/></slot>
</rig>)xml");
  PlanInput in;
  in.rig = athil::rig::load_rig(rig.string());
  athil::scenario::Loader loader(source_dir() / "fixtures");
  auto body = R"xml(<step name="s"><command send="AT"/></step>)xml";
  in.scenarios.push_back(loader.load_text(scenario("every-model", body, " tags=\"smoke\""), "fleet/every-model.xml"));
  in.scenarios.push_back(loader.load_text(R"xml(<scenario name="cat-m-only" models="SIM7070G SIM7080G" tags="nightly">)xml" + std::string(body) + "</scenario>",
                                          "fleet/cat-m-only.xml"));
  in.scenarios.push_back(loader.load_text(scenario("needs-usb", body, " requires=\"usb\" tags=\"nightly smoke\""), "usb/needs-usb.xml"));
  in.scenarios.push_back(loader.load_text(R"xml(<scenario name="nb-only" models="SIM7090G">)xml" + std::string(body) + "</scenario>", "fleet/nb-only.xml"));
  return in;
}

// "slot:scenario[:round]" for each planned run.
std::multiset<std::string> pairs(const Plan& plan) {
  std::multiset<std::string> out;
  for (const auto& sp : plan.slots)
    for (const auto& r : sp.runs) out.insert(sp.slot->name + ":" + r.scenario->name + (r.round > 1 ? ":" + std::to_string(r.round) : ""));
  return out;
}

}  // namespace

TEST_CASE("plan: the matrix runs each scenario on every slot of its models, and a missing requirement is a skip with its reason") {
  TempDir dir;
  auto in = plan_input(dir);
  auto plan = make_plan(in.rig, in.scenarios, {});
  auto p = pairs(plan);
  CHECK(p.size() == 6 + 5 + 6);  // every-model, cat-m-only (not b1), needs-usb
  for (const char* slot : {"a1", "a2", "b1", "c1", "c2", "c3"}) {
    CAPTURE(slot);
    CHECK(p.count(std::string(slot) + ":every-model") == 1);
    CHECK(p.count(std::string(slot) + ":needs-usb") == 1);
  }
  CHECK(p.count("b1:cat-m-only") == 0);
  for (const auto& sp : plan.slots)
    for (const auto& r : sp.runs)
      if (r.scenario->name == "needs-usb") CHECK(r.missing == (sp.slot->name == "a2" ? std::vector<std::string>{} : std::vector<std::string>{"usb"}));
  REQUIRE(plan.unplaced.size() == 1);
  CHECK(plan.unplaced[0] == "nb-only runs on no slot of rig p (it lists SIM7090G)");
  CHECK(plan.notes.empty());
  auto listing = athil::runner::describe_plan(in.rig, plan);
  CHECK(listing.find("a1       SIM7080G  needs-usb") != std::string::npos);
  CHECK(listing.find("skipped: the slot cannot provide usb") != std::string::npos);
}

TEST_CASE("plan: --spread runs each scenario once per model, on the least loaded slot that meets its requirements") {
  TempDir dir;
  auto in = plan_input(dir);
  PlanOptions o;
  o.spread = true;
  auto plan = make_plan(in.rig, in.scenarios, o);
  auto p = pairs(plan);
  // every-model: once on SIM7080G, SIM7000G, SIM7070G; cat-m-only: SIM7080G, SIM7070G; needs-usb: once per model.
  CHECK(p.size() == 3 + 2 + 3);
  CHECK(p.count("a2:needs-usb") == 1);  // the one SIM7080G slot with USB, though a1 has fewer runs
  // The three SIM7070G slots share their three scenarios one each.
  CHECK(p.count("c1:every-model") + p.count("c1:cat-m-only") + p.count("c1:needs-usb") == 1);
  CHECK(p.count("c2:every-model") + p.count("c2:cat-m-only") + p.count("c2:needs-usb") == 1);
  CHECK(p.count("c3:every-model") + p.count("c3:cat-m-only") + p.count("c3:needs-usb") == 1);
}

TEST_CASE("plan: filters by glob on name or path, by tag, by model and by slot") {
  TempDir dir;
  auto in = plan_input(dir);
  auto with = [&](auto set) {
    PlanOptions o;
    set(o);
    return pairs(make_plan(in.rig, in.scenarios, o));
  };
  CHECK(with([](PlanOptions& o) { o.filters = {"every-*"}; }).size() == 6);
  CHECK(with([](PlanOptions& o) { o.filters = {"usb/*"}; }).size() == 6);  // a path below the folder
  CHECK(with([](PlanOptions& o) { o.filters = {"*cat-m*", "every-model"}; }).size() == 11);
  CHECK(with([](PlanOptions& o) { o.tags = {"smoke"}; }).size() == 12);
  CHECK(with([](PlanOptions& o) { o.tags = {"nightly"}; }).size() == 11);
  auto m = with([](PlanOptions& o) { o.models = {"SIM7000"}; });
  CHECK(m == std::multiset<std::string>{"b1:every-model", "b1:needs-usb"});
  auto s = with([](PlanOptions& o) {
    o.slots = {"c*"};
    o.filters = {"cat-m-only"};
  });
  CHECK(s == std::multiset<std::string>{"c1:cat-m-only", "c2:cat-m-only", "c3:cat-m-only"});
  CHECK(with([](PlanOptions& o) { o.tags = {"nothing-has-this"}; }).empty());
}

TEST_CASE("plan: scenarios tagged soak run only when --tag soak asks for them, and a plan without them says so") {
  TempDir dir;
  auto in = plan_input(dir);
  athil::scenario::Loader loader(source_dir() / "fixtures");
  in.scenarios.push_back(
      loader.load_text(scenario("hours-long", R"xml(<step name="s"><command send="AT"/></step>)xml", " tags=\"smoke soak\""), "power/hours-long.xml"));
  auto plan_with = [&](std::vector<std::string> tags) {
    PlanOptions o;
    o.tags = std::move(tags);
    return make_plan(in.rig, in.scenarios, o);
  };
  auto bare = plan_with({});
  CHECK(pairs(bare).size() == 6 + 5 + 6);  // as without it
  CHECK(std::find(bare.notes.begin(), bare.notes.end(), "not run unless --tag soak asks for them (tagged soak, long): hours-long") != bare.notes.end());
  CHECK(pairs(plan_with({"smoke"})).count("a1:hours-long") == 0);  // another of its tags is not enough
  auto soak = pairs(plan_with({"soak"}));
  CHECK(soak.size() == 6);
  CHECK(soak.count("b1:hours-long") == 1);
}

TEST_CASE("plan: --shard K/N partitions the plan, covering every pair exactly once for any N, by pair or by slot") {
  TempDir dir;
  auto in = plan_input(dir);
  auto whole = pairs(make_plan(in.rig, in.scenarios, {}));
  for (auto by : {athil::runner::Shard::By::pair, athil::runner::Shard::By::slot})
    for (unsigned n = 1; n <= 7; ++n) {
      std::multiset<std::string> joined;
      std::size_t largest = 0, smallest = whole.size();
      for (unsigned k = 1; k <= n; ++k) {
        PlanOptions o;
        o.shard = athil::runner::Shard{k, n, by};
        auto part = pairs(make_plan(in.rig, in.scenarios, o));
        joined.insert(part.begin(), part.end());
        largest = std::max(largest, part.size());
        smallest = std::min(smallest, part.size());
        // The same shard computed again is the same part: deterministic.
        CHECK(pairs(make_plan(in.rig, in.scenarios, o)) == part);
      }
      CAPTURE(n);
      CHECK(joined == whole);                                                    // a multiset: no pair twice, none missing
      if (by == athil::runner::Shard::By::pair) CHECK(largest - smallest <= 1);  // dealt evenly
    }
  CHECK(athil::runner::parse_shard("2/4").index == 2);
  CHECK_THROWS_WITH_AS(athil::runner::parse_shard("5/4"), "--shard '5/4': K must be from 1 to N, and N at least 1", athil::InputError);
  CHECK_THROWS_WITH_AS(athil::runner::parse_shard("two"), "--shard 'two' is not K/N (such as 2/4)", athil::InputError);
  CHECK_THROWS_WITH_AS(athil::runner::parse_shard("1/x"), "--shard '1/x': 'x' is not a whole number (write K/N, such as 2/4)", athil::InputError);
}

TEST_CASE("plan: --repeat N plans every run N times, in rounds") {
  TempDir dir;
  auto in = plan_input(dir);
  PlanOptions o;
  o.repeat = 3;
  o.slots = {"b1"};
  auto plan = make_plan(in.rig, in.scenarios, o);
  REQUIRE(plan.slots.size() == 1);
  std::vector<std::string> order;
  for (const auto& r : plan.slots[0].runs) order.push_back(r.scenario->name + ":" + std::to_string(r.round));
  CHECK(order == std::vector<std::string>{"every-model:1", "needs-usb:1", "every-model:2", "needs-usb:2", "every-model:3", "needs-usb:3"});
}

// --- whole runs -----------------------------------------------------------------------------

namespace {

// Eight slots over the four models, a fault (or a rig problem) chosen per slot.
const char* rack8 = R"xml(<rig name="rack8" time-scale="0.02">
  <slot name="a1" model="SIM7080G" firmware="1951B02SIM7080G" fota-target="1951B03SIM7080G"><virtual/></slot>
  <slot name="a3" model="SIM7080G" firmware="1951B02SIM7080G" fota-target="1951B03SIM7080G"><virtual faults="fota-brick=50"/></slot>
  <slot name="b1" model="SIM7000G" firmware="1529B08SIM7000G"><virtual ipr="115200"/></slot>
  <slot name="b2" model="SIM7000G" firmware="1529B08SIM7000G"><virtual ipr="115200" faults="stuck-cfun5=boot"/></slot>
  <slot name="c1" model="SIM7070G" firmware="1951B05SIM7070"><virtual/></slot>
  <slot name="c2" model="SIM7070G" firmware="1951B05SIM7070"><serial port="/dev/athil-test-no-such-port"/></slot>
  <slot name="d1" model="SIM7090G" firmware="2110B01SIM7090"><virtual/></slot>
  <slot name="d2" model="SIM7090G" firmware="2110B01SIM7090"><virtual usb="true" faults="spontaneous-powerdown=60s"/></slot>
</rig>)xml";

void write_rack_scenarios(const TempDir& dir) {
  dir.write("sc/1-answers.xml", scenario("answers", power + R"xml(<step name="at"><command send="AT"/></step>)xml"));
  // Long enough for d2's module to power itself down in the middle (1.2 s after its first boot,
  // which was in 'answers'), taking its USB port with it.
  dir.write("sc/2-long-session.xml", scenario("long-session", power + R"xml(<step name="idle"><sleep duration="60s"/><command send="AT"/></step>)xml"));
  dir.write("sc/3-radio-on.xml", scenario("radio-on", power + R"xml(<step name="cfun"><command send="AT+CFUN?" expect="+CFUN: 1"/></step>)xml"));
  dir.write("sc/4-usb.xml", scenario("usb-restart", power + R"xml(<step name="restart">
      <command send="AT+CFUN=1,1"/><expect-reboot timeout="30s"/><urc timeout="15s">SMS Ready</urc><command send="AT"/></step>)xml",
                                     " requires=\"usb\""));
}

std::string tool(const std::string& name) {
  for (const char* dir : {"/usr/bin/", "/bin/", "/usr/local/bin/"})
    if (::access((std::string(dir) + name).c_str(), X_OK) == 0) return std::string(dir) + name;
  return "";
}

// Counts of (tests, failures, errors, skipped) as Debian's python3-junitparser reads the
// report, or an empty string when it is not installed.
std::string junitparser_counts(const fs::path& junit) {
  auto r = run_process({"/usr/bin/python3", "-c", R"py(
import sys
try:
    from junitparser import JUnitXml, Failure, Error, Skipped
except ImportError:
    sys.exit(77)
xml = JUnitXml.fromfile(sys.argv[1])
cases = [c for s in xml for c in s]
kinds = lambda k: sum(1 for c in cases if any(isinstance(r, k) for r in c.result))
print(len(cases), kinds(Failure), kinds(Error), kinds(Skipped))
)py",
                        junit.string()},
                       source_dir());
  return r.exit_code == 77 ? "" : r.out + r.err;
}

std::string fmt_counts(int tests, int failures, int errors, int skipped) {
  return std::to_string(tests) + " " + std::to_string(failures) + " " + std::to_string(errors) + " " + std::to_string(skipped) + "\n";
}

}  // namespace

TEST_CASE("rack of 8: every verdict class, a flaky retry, a quarantine and an unreachable slot, in one report that consumers read") {
  TempDir dir;
  ::setenv("ATHIL_LOCK_DIR", (dir.path() / "locks").c_str(), 1);
  auto rig = dir.write("rack8.xml", rack8);
  write_rack_scenarios(dir);
  auto junit = dir.path() / "out" / "junit.xml";
  auto r = run_process({athil_exe().string(), "run", "--rig", rig.string(), "scenarios/fota/fs-upgrade.xml", (dir.path() / "sc").string(), "--retries", "1",
                        "--junit", junit.string()},
                       source_dir());
  INFO(r.out, r.err);
  CHECK(r.exit_code == 3);  // errors (quarantine, unreachable) rank above failures
  auto report = read_report(junit);
  REQUIRE(report.loaded);
  auto& s = report.suites;
  CHECK(s.size() == 8);

  // Healthy slots: passed; the scenario that needs USB is skipped with the reason.
  for (const char* slot : {"rack8.a1", "rack8.b1", "rack8.c1", "rack8.d1"}) {
    CAPTURE(slot);
    for (const char* name : {"answers", "long-session", "radio-on"}) CHECK(s[slot][name].verdict == "passed");
    CHECK(s[slot]["usb-restart"].verdict == "skipped");
    CHECK(contains(s[slot]["usb-restart"].message, "cannot provide usb (the scenario requires usb)"));
    CHECK(report.properties[slot]["revision"] == report.properties[slot]["firmware"]);
    CHECK(report.properties[slot]["imei"].size() == 15);
  }
  CHECK(s["rack8.a1"]["fota-fs-upgrade"].verdict == "passed");
  // A slot that names no release to update to takes no part in FOTA.
  CHECK(s["rack8.b1"]["fota-fs-upgrade"].verdict == "skipped");
  CHECK(contains(s["rack8.b1"]["fota-fs-upgrade"].message,
                 "slot b1 cannot provide fota-target (the scenario requires fota-target): add fota-target=\"REVISION\""));
  // A failure: the module did not do what the scenario says.
  CHECK(s["rack8.b2"]["radio-on"].verdict == "failure");
  CHECK(contains(s["rack8.b2"]["radio-on"].message, "expected the line '+CFUN: 1'"));
  CHECK(contains(s["rack8.b2"]["radio-on"].message, "+CFUN: 5"));
  CHECK(s["rack8.b2"]["answers"].verdict == "passed");
  // Quarantine: the bricked module's later scenarios are errors of the rig.
  CHECK(s["rack8.a3"]["fota-fs-upgrade"].verdict == "failure");
  for (const char* name : {"answers", "long-session", "radio-on", "usb-restart"}) {
    CAPTURE(name);
    CHECK(s["rack8.a3"][name].verdict == "error");
    CHECK(contains(s["rack8.a3"][name].message, "slot a3 quarantined"));
  }
  // Unreachable: a port that is not there is an error for every scenario, never a failure.
  for (const char* name : {"answers", "long-session", "radio-on"}) {
    CAPTURE(name);
    CHECK(s["rack8.c2"][name].verdict == "error");
    CHECK(contains(s["rack8.c2"][name].message, "slot c2 unreachable"));
    CHECK(contains(s["rack8.c2"][name].message, "/dev/athil-test-no-such-port"));
  }
  // Flaky: the USB port vanished with the module (an error), the retry after recovery passed.
  auto& flaky = s["rack8.d2"]["long-session"];
  CHECK(flaky.verdict == "passed");
  CHECK(flaky.flaky_errors == 1);
  CHECK(contains(flaky.out, "attempt 1: error: "));
  CHECK(s["rack8.d2"]["usb-restart"].verdict == "passed");
  // Failures are never retried: one attempt, no rerun elements.
  CHECK(s["rack8.b2"]["radio-on"].rerun_errors == 0);
  CHECK(contains(r.out, "ERROR, retrying (1 of 1)"));

  // The run folder: a transcript and a waveform per run, both attempts of the flaky one, summary.md.
  auto run_dir = dir.path() / "out" / "latest";
  CHECK(fs::exists(run_dir / "d2" / "long-session.log"));
  CHECK(fs::exists(run_dir / "d2" / "long-session.attempt-2.log"));
  CHECK(fs::exists(run_dir / "b2" / "radio-on.vcd"));
  std::string summary = read_file(run_dir / "summary.md");
  // The slots in the rig's order, however they finished (c2, unreachable, was done first).
  std::size_t row = 0;
  for (const char* slot : {"a1", "a3", "b1", "b2", "c1", "c2", "d1", "d2"}) {
    CAPTURE(slot);
    auto at = summary.find(fmt::format("\n| {} | ", slot));
    CHECK(at != std::string::npos);
    CHECK(at > row);
    row = at;
  }
  CHECK(contains(summary, "**Slot a3 quarantined:**"));
  CHECK(contains(summary, "- **d2** long-session flaky"));
  CHECK(contains(summary, "- **b2** radio-on FAILED: step 'cfun'"));
  CHECK(contains(summary, "[radio-on.log](b2/radio-on.log)"));
  // The console's closing summary names each failure and its transcript.
  CHECK(contains(r.out, "FAIL b2 radio-on: step 'cfun'"));
  CHECK(contains(r.out, "transcript " + (fs::canonical(run_dir) / "b2" / "radio-on.log").string()));

  // A waveform opens in sigrok (PulseView's reader), with the pins and the markers as channels.
  if (auto sigrok = tool("sigrok-cli"); !sigrok.empty()) {
    auto v = run_process({sigrok, "-I", "vcd", "-i", (run_dir / "b2" / "radio-on.vcd").string(), "--show"}, source_dir());
    CHECK(v.exit_code == 0);
    for (const char* channel : {"- pwrkey: logic", "- status: logic", "- at_command: logic", "- urc: logic"}) CHECK_MESSAGE(contains(v.out, channel), channel);
    CHECK(contains(v.out, "Logic sample count: "));
  } else {
    MESSAGE("waveform check skipped: sigrok-cli is not installed");
  }

  // Real consumers: the Jenkins schema (from ../shared, when present) and junitparser.
  auto schema = source_dir().parent_path() / "shared" / "reference" / "junit" / "jenkins-xunit-junit-10.xsd";
  if (fs::exists(schema) && !tool("xmllint").empty()) {
    auto x = run_process({tool("xmllint"), "--noout", "--schema", schema.string(), junit.string()}, source_dir());
    CHECK_MESSAGE(x.exit_code == 0, x.err);
  } else {
    MESSAGE("schema check skipped: ../shared or xmllint is absent");
  }
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  for (auto& [suite, cases] : s)
    for (auto& [name, c] : cases) {
      ++tests;
      failures += c.verdict == "failure";
      errors += c.verdict == "error";
      skipped += c.verdict == "skipped";
    }
  auto counts = junitparser_counts(junit);
  if (!counts.empty())
    CHECK(counts == fmt_counts(tests, failures, errors, skipped));
  else
    MESSAGE("junitparser check skipped: python3-junitparser is not installed");
}

TEST_CASE("repeat and until-fail: --repeat runs each scenario N times as N testcases, and --until-fail stops every slot at the first failure") {
  TempDir dir;
  auto rig = dir.write("rig.xml", R"xml(<rig name="r" time-scale="0.02">
  <slot name="x" model="SIM7080G" firmware="1951B02SIM7080G"><virtual faults="spontaneous-powerdown=60s"/></slot>
  <slot name="y" model="SIM7070G" firmware="1951B05SIM7070"><virtual/></slot>
</rig>)xml");
  dir.write("sc/answers.xml", scenario("answers", power + R"xml(<step name="at"><command send="AT"/><sleep duration="10s"/><command send="AT"/></step>)xml"));
  SUBCASE("--repeat") {
    auto junit = dir.path() / "repeat" / "junit.xml";
    auto r = run_process(
        {athil_exe().string(), "run", "--rig", rig.string(), (dir.path() / "sc").string(), "--slot", "y", "--repeat", "3", "--junit", junit.string()},
        source_dir());
    INFO(r.out, r.err);
    CHECK(r.exit_code == 0);
    auto report = read_report(junit);
    auto& y = report.suites["r.y"];
    CHECK(y.size() == 3);
    for (const char* name : {"answers [round 1]", "answers [round 2]", "answers [round 3]"}) CHECK_MESSAGE(y[name].verdict == "passed", name);
    for (const char* file : {"answers.log", "answers.round-2.log", "answers.round-3.log"})
      CHECK_MESSAGE(fs::exists(dir.path() / "repeat" / "latest" / "y" / file), file);
  }
  SUBCASE("--until-fail") {
    // x's module powers itself down once, about 1.2 s (60 s scaled) after its first boot:
    // an intermittent field failure that a few rounds catch. The run timeout only guards the test.
    auto junit = dir.path() / "until" / "junit.xml";
    auto r = run_process(
        {athil_exe().string(), "run", "--rig", rig.string(), (dir.path() / "sc").string(), "--until-fail", "--run-timeout", "90s", "--junit", junit.string()},
        source_dir());
    INFO(r.out, r.err);
    CHECK(r.exit_code == 1);
    auto report = read_report(junit);
    auto& x = report.suites["r.x"];
    REQUIRE(x.size() >= 2);
    int failed = 0, passed = 0;
    for (auto& [name, c] : x) {
      failed += c.verdict == "failure";
      passed += c.verdict == "passed";
    }
    CHECK(failed == 1);
    CHECK(passed == static_cast<int>(x.size()) - 1);
    auto last = "answers [round " + std::to_string(x.size()) + "]";
    CHECK(x[last].verdict == "failure");
    // The other slot started no round after the failure was known, and nothing was reported as skipped.
    auto& y = report.suites["r.y"];
    for (auto& [name, c] : y) CHECK(c.verdict == "passed");
    auto stop_line = r.out.find("--until-fail: '" + last + "' did not pass on slot x: no more rounds start");
    REQUIRE(stop_line != std::string::npos);
    CHECK(r.out.find(" start", r.out.find('\n', stop_line)) == std::string::npos);
    // In Markdown, the brackets of the round are escaped: they are text, not a link.
    auto shown = "answers \\[round " + std::to_string(x.size()) + "\\]";
    CHECK(contains(read_file(dir.path() / "until" / "latest" / "summary.md"), "The run stopped early: --until-fail: '" + shown + "' did not pass on slot x"));
  }
}

TEST_CASE("athil list prints the plan, and its --shard parts cover every pair of the rack exactly once") {
  TempDir dir;
  ::setenv("ATHIL_LOCK_DIR", (dir.path() / "locks").c_str(), 1);
  auto rig = dir.write("rack8.xml", rack8);
  write_rack_scenarios(dir);
  auto list = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {athil_exe().string(), "list", "--rig", rig.string(), "scenarios/fota/fs-upgrade.xml", (dir.path() / "sc").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = run_process(argv, source_dir());
    INFO(r.out, r.err);
    CHECK(r.exit_code == 0);
    std::multiset<std::string> rows;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      std::istringstream words(line);
      std::string slot, model, name;
      words >> slot >> model >> name;
      if (model.rfind("SIM70", 0) == 0) rows.insert(slot + ":" + name);
    }
    return rows;
  };
  auto whole = list({});
  CHECK(whole.size() == 8 + 8 * 4);  // fs-upgrade (skipped where no fota-target) and four scenarios on each of the eight
  CHECK(whole.count("a1:fota-fs-upgrade") == 1);
  CHECK(whole.count("b1:usb-restart") == 1);
  for (const char* by : {"pair", "slot"}) {
    std::multiset<std::string> joined;
    for (int k = 1; k <= 3; ++k) {
      auto part = list({"--shard", std::to_string(k) + "/3", "--shard-by", by});
      joined.insert(part.begin(), part.end());
    }
    CAPTURE(by);
    CHECK(joined == whole);
  }
  auto bad = run_process({athil_exe().string(), "list", "--rig", rig.string(), (dir.path() / "sc").string(), "--shard", "4/3"}, source_dir());
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.err, "--shard '4/3': K must be from 1 to N"));
}

TEST_CASE("signals at random points: the report stays valid, teardowns ran, nothing is left running") {
  TempDir dir;
  auto rig = dir.write("rig.xml", R"xml(<rig name="sig" time-scale="0.02">
  <slot name="a" model="SIM7080G" firmware="1951B02SIM7080G"><virtual/></slot>
  <slot name="b" model="SIM7000G" firmware="1529B08SIM7000G"><virtual ipr="115200"/></slot>
  <slot name="c" model="SIM7070G" firmware="1951B05SIM7070"><virtual/></slot>
  <slot name="d" model="SIM7090G" firmware="2110B01SIM7090"><virtual/></slot>
</rig>)xml");
  dir.write("sc/1-answers.xml", scenario("answers", power + R"xml(<step name="at"><command send="AT"/></step>)xml"));
  dir.write("sc/2-long-session.xml", scenario("long-session", power + R"xml(<step name="idle"><sleep duration="60s"/><command send="AT"/></step>)xml"));
  std::random_device seed_source;
  const unsigned seed = seed_source();
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> delay_ms(300, 3000);
  for (int i = 0; i < 3; ++i) {
    int delay = delay_ms(random);
    int sig = i % 2 ? SIGINT : SIGTERM;
    CAPTURE(seed);
    CAPTURE(delay);
    CAPTURE(sig);
    auto out = dir.path() / ("run" + std::to_string(i));
    auto log = dir.path() / ("run" + std::to_string(i) + ".log");
    int pid = spawn_process(
        {athil_exe().string(), "run", "--rig", rig.string(), (dir.path() / "sc").string(), "--repeat", "4", "--junit", (out / "junit.xml").string()},
        source_dir(), log);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    auto modules = children_of(pid);
    ::kill(pid, sig);
    int code = wait_process(pid);
    std::string text = read_file(log);
    INFO(text);
    CHECK(code == 3);
    for (int child : modules) {
      bool gone = read_file("/proc/" + std::to_string(child) + "/cmdline").empty();  // no such process, or a zombie
      CHECK_MESSAGE(gone, child);
    }
    auto report = read_report(out / "junit.xml");
    REQUIRE(report.loaded);
    int interrupted = 0, not_started = 0;
    for (auto& [suite, cases] : report.suites)
      for (auto& [name, c] : cases) {
        if (c.verdict == "error") {
          CHECK(contains(c.message, "interrupted by SIG"));
          CHECK(contains(c.out, "# block teardown"));  // the teardown ran, bounded, after the stop
          ++interrupted;
        }
        if (c.verdict == "skipped") {
          CHECK(contains(c.message, "not started: the run was interrupted by SIG"));
          ++not_started;
        }
        CHECK(c.verdict != "failure");
      }
    // Four slots, eight runs each: whatever was not done when the signal came is accounted for.
    std::size_t total = 0;
    for (auto& [suite, cases] : report.suites) total += cases.size();
    if (!report.suites.empty()) CHECK(total <= 32);
    CHECK(interrupted + not_started > 0);
    CHECK(contains(read_file(out / "latest" / "summary.md"), "The run stopped early: interrupted by SIG"));
  }
}

TEST_CASE("a harness stopped while its module talks: the bytes the port could not hold are counted, on the transcript and beside the failure") {
  TempDir dir;
  auto rig = dir.write("rig.xml", R"xml(<rig name="late" time-scale="0.02">
  <slot name="a" model="SIM7080G" firmware="1951B02SIM7080G"><virtual faults="urc-storm=50ms"/></slot>
</rig>)xml");
  // The unknown command, in the module's log, says the harness has reached the sleep; the
  // storm's URCs then fill the port while the harness is stopped.
  dir.write("sc/late.xml", scenario("late", power + R"xml(<step name="idle"><send>AT+XYZZY</send><expect>ERROR</expect>
  <sleep duration="60s"/><expect timeout="2s">NEVER</expect></step>)xml"));
  auto out = dir.path() / "run";
  int pid = spawn_process({athil_exe().string(), "run", "--rig", rig.string(), (dir.path() / "sc").string(), "--junit", (out / "junit.xml").string()},
                          source_dir(), dir.path() / "run.log");
  fs::path module_log;
  bool at_sleep = eventually([&] {
    if (auto found = files_named(out, "@virtual-module.log"); !found.empty()) module_log = found.front();
    return !module_log.empty() && contains(read_file(module_log), "AT+XYZZY");
  });
  if (!at_sleep) ::kill(pid, SIGTERM);
  INFO(read_file(dir.path() / "run.log"));
  REQUIRE(at_sleep);
  // Two seconds: at 0.02 the storm sends about 60 KB meanwhile, more than a pseudo-terminal holds.
  ::kill(pid, SIGSTOP);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ::kill(pid, SIGCONT);
  CHECK(wait_process(pid) == 1);
  CHECK(athil::rig::module_log_since(module_log, 0).uart_bytes_lost > 0);
  auto report = read_report(out / "junit.xml");
  REQUIRE(report.loaded);
  int seen = 0;
  for (auto& [suite, cases] : report.suites)
    for (auto& [name, c] : cases) {
      ++seen;
      CHECK(c.verdict == "failure");
      CHECK(contains(c.message, "NEVER"));
      CHECK(contains(c.message, "(the virtual module lost "));
      CHECK(contains(c.message, "bytes that the host did not read in time (at time scale 0.02 its line runs 50 times as fast as its baud rate"));
      CHECK(contains(c.out, "the virtual module lost "));
    }
  CHECK(seen == 1);
}

namespace {

// Runs athil with its stdout and stderr on a pseudo-terminal, as in a person's terminal, and
// returns all it wrote there.
std::string run_on_terminal(const std::vector<std::string>& args, const std::vector<std::string>& env_extra) {
  int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  REQUIRE(master >= 0);
  REQUIRE(::grantpt(master) == 0);
  REQUIRE(::unlockpt(master) == 0);
  int slave = ::open(::ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  REQUIRE(slave >= 0);
  std::vector<std::string> env = {"PATH=/usr/bin:/bin", "TERM=xterm"};
  env.insert(env.end(), env_extra.begin(), env_extra.end());
  std::vector<char*> argv, envp;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, slave, 1);
  posix_spawn_file_actions_adddup2(&actions, slave, 2);
  posix_spawn_file_actions_addchdir_np(&actions, source_dir().c_str());
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(slave);
  REQUIRE(rc == 0);
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(master, buf, sizeof buf);
    if (n > 0)
      out.append(buf, static_cast<std::size_t>(n));
    else if (n < 0 && errno == EINTR)
      continue;
    else
      break;  // EIO: every writer has closed the terminal
  }
  ::close(master);
  wait_process(pid);
  return out;
}

}  // namespace

TEST_CASE("console: on a terminal each slot has a live line with its scenario and step, in colour unless NO_COLOR is set") {
  TempDir dir;
  auto rig = dir.write("rig.xml", R"xml(<rig name="t" time-scale="0.02">
  <slot name="a" model="SIM7080G" firmware="1951B02SIM7080G"><virtual/></slot>
  <slot name="c" model="SIM7070G" firmware="1951B05SIM7070"><virtual/></slot>
</rig>)xml");
  // A step long enough (2 s) for several repaints of the live lines.
  dir.write("sc/idle.xml", scenario("idle", power + R"xml(<step name="idle"><sleep duration="100s"/><command send="AT"/></step>)xml"));
  std::vector<std::string> args = {
      athil_exe().string(), "run", "--rig", rig.string(), (dir.path() / "sc").string(), "--junit", (dir.path() / "out" / "junit.xml").string()};
  auto coloured = run_on_terminal(args, {});
  INFO(coloured);
  CHECK(contains(coloured, "a        SIM7080G  idle  step 'idle'"));
  CHECK(contains(coloured, "c        SIM7070G  idle  step 'idle'"));
  CHECK(contains(coloured, "\x1b[2A\x1b[J"));                                         // the two live lines are repainted in place
  CHECK(contains(coloured, "\x1b[32ma        idle"));                                 // PASS in green
  CHECK_FALSE(contains(coloured, "idle                                     start"));  // the live line shows starts
  auto plain = run_on_terminal(args, {"NO_COLOR=1"});
  INFO(plain);
  CHECK(contains(plain, "step 'idle'"));
  CHECK_FALSE(contains(plain, "\x1b[32m"));
  CHECK_FALSE(contains(plain, "\x1b[2m"));
}

TEST_CASE("console: during a firmware update the live line shows how far the update has come") {
  TempDir dir;
  // The bundled HTTP upgrade on the virtual rack's SIM7080G; the update's ten progress reports
  // come 0.3 s apart at this scale, the live line is repainted every 0.25 s.
  auto out = run_on_terminal({athil_exe().string(), "run", "--rig", "rigs/virtual.xml", "--slot", "v1", "scenarios/fota/http-upgrade.xml", "--junit",
                              (dir.path() / "out" / "junit.xml").string()},
                             {"NO_COLOR=1"});
  INFO(out);
  CHECK(contains(out, "PASS"));
  std::smatch m;
  CHECK(std::regex_search(out, m, std::regex(R"(v1 +SIM7080G +fota-http-upgrade  step '[^']+'  update (\d+)%)")));
}

TEST_CASE("timeouts: a step's own bound fails it with that reason, and the run timeout stops the run like a signal") {
  TempDir dir;
  auto rig = dir.write("rig.xml", R"xml(<rig name="t" time-scale="0.02">
  <slot name="a" model="SIM7080G" firmware="1951B02SIM7080G"><virtual/></slot>
</rig>)xml");
  SUBCASE("step timeout") {
    // 150 s of scaled waiting in a step bounded to 100 s (2 s after scaling): the step's bound wins.
    dir.write("sc/slow.xml", scenario("slow-step", power + R"xml(<step name="wait" timeout="100s"><urc timeout="150s">+NEVER</urc></step>)xml"));
    auto r =
        run_process({athil_exe().string(), "run", "--rig", rig.string(), (dir.path() / "sc").string(), "--junit", (dir.path() / "out" / "junit.xml").string()},
                    source_dir());
    INFO(r.out, r.err);
    CHECK(r.exit_code == 1);
    auto c = read_report(dir.path() / "out" / "junit.xml").suites["t.a"]["slow-step"];
    CHECK(c.verdict == "failure");
    CHECK(contains(c.message, "step 'wait'"));
    CHECK(contains(c.message, "the step timeout (2s) ran out first"));
  }
  SUBCASE("run timeout") {
    dir.write("sc/1-long.xml", scenario("long", power + R"xml(<step name="wait"><urc timeout="10m">+NEVER</urc></step>)xml"));
    dir.write("sc/2-next.xml", scenario("next", power + R"xml(<step name="at"><command send="AT"/></step>)xml"));
    auto r = run_process({athil_exe().string(), "run", "--rig", rig.string(), (dir.path() / "sc").string(), "--run-timeout", "2s", "--junit",
                          (dir.path() / "out" / "junit.xml").string()},
                         source_dir());
    INFO(r.out, r.err);
    CHECK(r.exit_code == 3);
    auto report = read_report(dir.path() / "out" / "junit.xml");
    auto& a = report.suites["t.a"];
    CHECK(a["long"].verdict == "error");
    CHECK(contains(a["long"].message, "interrupted by the run timeout (2s)"));
    CHECK(contains(a["long"].out, "# block teardown"));
    CHECK(a["next"].verdict == "skipped");
    CHECK(contains(a["next"].message, "not started: the run was interrupted by the run timeout (2s)"));
  }
}
