// The bundled scenario library against faulty virtual modules: the scenarios that claim to
// catch a fault fail, with the verdict class and a message that names the cause, and the others
// still pass. Proof that the suite catches the regressions it says it does.
// A run's whole output goes with a wrong exit code only: a failing case names itself, first, in
// what CI keeps of a long log.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "base/quantity.hpp"
#include "tests/support.hpp"

using namespace athil::test;

namespace {

// The rig with every virtual slot behind a USB-serial adapter of that latency ("" for none):
// the bytes then reach the host after the pins' edges, as on a real rack.
std::string with_latency(std::string rig, const std::string& latency) {
  if (latency.empty()) return rig;
  for (auto at = rig.find("<virtual"); at != std::string::npos; at = rig.find("<virtual", at + 1)) rig.insert(at + 8, " latency=\"" + latency + "\"");
  return rig;
}

// The library's scenarios at `paths` run on `rig_xml` (a rig named NAME: suites are NAME.slot).
struct SelfTest {
  ProcessResult run;
  Report report;
};
// In `dir`, which keeps the run folder for the test to read.
SelfTest run_library(const TempDir& dir, const std::string& rig_xml, const std::vector<std::string>& paths) {
  auto rig = dir.write("rig.xml", rig_xml);
  auto junit = dir.path() / "out" / "junit.xml";
  std::vector<std::string> argv = {athil_exe().string(), "run", "--rig", rig.string(), "--junit", junit.string()};
  argv.insert(argv.end(), paths.begin(), paths.end());
  auto r = run_process(argv, source_dir());
  return {.run = r, .report = read_report(junit)};
}

SelfTest run_library(const std::string& rig_xml, const std::vector<std::string>& paths) { return run_library(TempDir(), rig_xml, paths); }

// A scenario that measures current, on a slot without an instrument: skipped, saying why. The
// current self-test below runs them where an instrument is.
bool skipped_without_instrument(const Case& c) { return c.verdict == "skipped" && contains(c.message, "cannot provide current"); }

}  // namespace

void faults_fail_their_scenarios(const std::string& latency) {
  TempDir dir;
  auto rig = dir.write("faulty.xml", with_latency(R"xml(<rig name="faulty" time-scale="0.02">
  <slot name="healthy" model="SIM7090G" firmware="2110B01SIM7090"><virtual/></slot>
  <slot name="powerdown" model="SIM7080G" firmware="1951B02SIM7080G"><virtual faults="spontaneous-powerdown=3s"/></slot>
  <slot name="cfun5" model="SIM7080G" firmware="1951B02SIM7080G"><virtual faults="stuck-cfun5=boot"/></slot>
  <slot name="firstlost" model="SIM7070G" firmware="1951B05SIM7070"><virtual faults="first-at-lost"/></slot>
  <slot name="garbage" model="SIM7000G" firmware="1529B08SIM7000G"><virtual faults="garbage-on-boot"/></slot>
  <slot name="slow" model="SIM7080G" firmware="1951B02SIM7080G"><virtual faults="slow-boot=15s"/></slot>
</rig>)xml",
                                                  latency));
  auto junit = dir.path() / "out" / "junit.xml";
  auto r = run_process(
      {athil_exe().string(), "run", "--rig", rig.string(), "--tag", "smoke,nightly", "--filter", "at/*", "--filter", "power/*", "--junit", junit.string()},
      source_dir());
  CHECK_MESSAGE(r.exit_code == 1, r.out, r.err);  // failures of the module, no errors of the rig
  auto report = read_report(junit);
  REQUIRE(report.loaded);
  auto failed = [&](const std::string& slot, const std::string& name) -> const Case& { return report.suites["faulty." + slot][name]; };
  std::map<std::string, std::set<std::string>> expected_failures = {
      {"healthy", {}},
      {"garbage", {}},                           // noise before boot is the host's problem to survive, not a failure
      {"powerdown", {"at-echo-across-reboot"}},  // the first scenario: the power-down comes 3 s (model time) after the first boot
      // Stuck in factory test mode: no SIM, and AT+CFUN cannot leave it.
      {"cfun5",
       {"at-identity", "at-first-command-after-boot", "at-cmee-error-forms", "at-urcs-in-responses", "power-restart-commands", "power-psm-cycle",
        "power-psm-wake-send"}},
      {"firstlost", {"at-first-command-after-boot"}},
      {"slow", {"power-boot-time"}},  // 16.8 s to RDY against a 10 s budget; everything else copes
  };
  for (const auto& [slot, names] : expected_failures) {
    auto& cases = report.suites["faulty." + slot];
    CHECK_MESSAGE(!cases.empty(), slot);
    for (const auto& [name, c] : cases) {
      if (skipped_without_instrument(c)) continue;
      CHECK_MESSAGE(c.verdict == (names.count(name) ? "failure" : "passed"), slot, " ", name, ": ", c.message);
    }
  }
  // The messages name the cause.
  CHECK(contains(failed("cfun5", "at-identity").message, "expected the line '+CPIN: READY', got '+CPIN: NOT READY'"));
  CHECK(contains(failed("cfun5", "power-restart-commands").message, "step 'AT+CFUN=1,1'"));
  CHECK(contains(failed("cfun5", "power-restart-commands").message, "the command ended with 'ERROR'"));
  CHECK(contains(failed("cfun5", "at-cmee-error-forms").message, "expected the line '+CPIN: READY', got '+CPIN: NOT READY'"));
  CHECK(contains(failed("firstlost", "at-first-command-after-boot").message, "step 'first command'"));
  CHECK(contains(failed("slow", "power-boot-time").message, "no RDY within 10s of the PWRKEY press"));
  CHECK(contains(failed("firstlost", "at-first-command-after-boot").message, "expected the line '+CPIN: READY': nothing matched"));
  // The power-down comes in module time: which command of the scenario it cuts depends on how
  // fast the host goes (a loaded machine, an adapter's latency). The failure names it wherever.
  CHECK(contains(failed("powerdown", "at-echo-across-reboot").message, "NORMAL POWER DOWN"));
}

void network_faults(const std::string& latency) {
  TempDir dir;
  auto rig = dir.write("net.xml", with_latency(R"xml(<rig name="net" time-scale="0.02">
  <slot name="drop7000" model="SIM7000G" firmware="1529B08SIM7000G"><virtual faults="pdp-drop=10s"/></slot>
  <slot name="drop7080" model="SIM7080G" firmware="1951B02SIM7080G"><virtual faults="pdp-drop=10s"/></slot>
  <slot name="http601" model="SIM7070G" firmware="1951B05SIM7070"><virtual faults="http-601"/></slot>
  <slot name="healthy" model="SIM7090G" firmware="2110B01SIM7090"><virtual/></slot>
</rig>)xml",
                                               latency));
  auto junit = dir.path() / "out" / "junit.xml";
  auto r = run_process({athil_exe().string(), "run", "--rig", rig.string(), "--filter", "network/*", "--junit", junit.string()}, source_dir());
  CHECK_MESSAGE(r.exit_code == 1, r.out, r.err);
  auto report = read_report(junit);
  auto& s = report.suites;
  // The bearer drops 10 s (model time) after it came up: inside the 30 s the scenario watches.
  CHECK(s["net.drop7000"]["network-bearer-up-down"].verdict == "failure");
  CHECK(contains(s["net.drop7000"]["network-bearer-up-down"].message, "forbidden line '+APP PDP: DEACTIVE' arrived"));
  CHECK(s["net.drop7080"]["network-bearer-up-down"].verdict == "failure");
  CHECK(contains(s["net.drop7080"]["network-bearer-up-down"].message, "forbidden line '+APP PDP: 0,DEACTIVE' arrived"));
  CHECK(s["net.http601"]["network-http-download"].verdict == "failure");
  CHECK(contains(s["net.http601"]["network-http-download"].message, "answered HTTP 601"));
  for (const char* slot : {"net.drop7000", "net.drop7080", "net.http601"}) CHECK(s[slot]["network-registration"].verdict == "passed");
  CHECK(s["net.http601"]["network-bearer-up-down"].verdict == "passed");
  for (auto& [name, c] : s["net.healthy"]) CHECK_MESSAGE(c.verdict == "passed", name);
}

void fota_faults(const std::string& latency) {
  TempDir dir;
  auto rig = dir.write("fota.xml", with_latency(R"xml(<rig name="fota" time-scale="0.02">
  <slot name="fail" model="SIM7000G" firmware="1529B08SIM7000G" fota-target="1529B10SIM7000G"><virtual faults="fota-fail=60"/></slot>
  <slot name="stall" model="SIM7070G" firmware="1951B05SIM7070" fota-target="1951B07SIM7070"><virtual faults="fota-stall=40"/></slot>
  <slot name="http601" model="SIM7090G" firmware="2110B01SIM7090" fota-target="2110B03SIM7090"><virtual faults="http-601"/></slot>
  <slot name="healthy" model="SIM7080G" firmware="1951B02SIM7080G" fota-target="1951B03SIM7080G"><virtual/><instrument spec="ppk2"/></slot>
</rig>)xml",
                                                latency));
  auto junit = dir.path() / "out" / "junit.xml";
  auto r = run_process({athil_exe().string(), "run", "--rig", rig.string(), "scenarios/fota", "--junit", junit.string()}, source_dir());
  CHECK_MESSAGE(r.exit_code == 1, r.out, r.err);
  auto report = read_report(junit);
  auto& s = report.suites;
  for (const char* name : {"fota-http-upgrade", "fota-fs-upgrade"}) {
    CAPTURE(name);
    CHECK(s["fota.fail"][name].verdict == "failure");
    CHECK(contains(s["fota.fail"][name].message, "expected the line '+CFOTA: 6', got '+CFOTA: 7'"));
    // No progress URC for 60 s (model time): the step says which URCs it was waiting for.
    CHECK(s["fota.stall"][name].verdict == "failure");
    CHECK(contains(s["fota.stall"][name].message, "step 'update'"));
    CHECK(contains(s["fota.stall"][name].message, "URC 'updating': a line matching /\\+CFOTA: \"Updating\",(\\d+)/"));
    CHECK(contains(s["fota.stall"][name].message, "nothing matched within"));
    // Deaf to PWRKEY and RESET: the ladder gets to the supply.
    CHECK(contains(s["fota.stall"][name].out, "long PWRKEY reset: reset: STATUS still high"));
    CHECK(contains(s["fota.stall"][name].out, "supply cycle: answering AT"));
  }
  CHECK(s["fota.http601"]["fota-http-upgrade"].verdict == "failure");
  CHECK(contains(s["fota.http601"]["fota-http-upgrade"].message, "delta download answered HTTP 601"));
  CHECK(s["fota.http601"]["fota-fs-upgrade"].verdict == "passed");  // no network needed, on the way back either
  CHECK(contains(s["fota.http601"]["fota-missing-delta"].message, "a missing delta answered HTTP 601, not 404"));
  for (auto& [name, c] : s["fota.healthy"]) CHECK_MESSAGE(c.verdict == "passed", name);
  // A module that refuses what it must refuse passes, whatever else is wrong with its updates.
  for (const char* slot : {"fota.fail", "fota.stall"}) {
    CAPTURE(slot);
    CHECK(s[slot]["fota-rejected-deltas"].verdict == "passed");
    CHECK(s[slot]["fota-missing-delta"].verdict == "passed");
  }
}

void silent_faults(const std::string& latency) {
  TempDir dir;
  // Faults that strike 3 s (model time) after the first boot: inside the first scenario.
  auto rig = dir.write("silent.xml", with_latency(R"xml(<rig name="silent" time-scale="0.02">
  <slot name="hang" model="SIM7080G" firmware="1951B02SIM7080G"><virtual faults="hang=3s"/></slot>
  <slot name="brownout" model="SIM7070G" firmware="1951B05SIM7070"><virtual faults="brownout-silent=3s"/></slot>
  <slot name="storm" model="SIM7090G" firmware="2110B01SIM7090"><virtual faults="urc-storm=100ms"/></slot>
  <slot name="late" model="SIM7080G" firmware="1951B02SIM7080G"><virtual faults="late-reply=200s"/></slot>
</rig>)xml",
                                                  latency));
  auto junit = dir.path() / "out" / "junit.xml";
  auto r = run_process({athil_exe().string(), "run", "--rig", rig.string(), "--tag", "smoke,nightly", "--filter", "at/*", "--filter", "power/*", "--filter",
                        "network/*", "--junit", junit.string()},
                       source_dir());
  CHECK_MESSAGE(r.exit_code == 3, r.out, r.err);  // the late slot ends quarantined: errors of the rig
  auto report = read_report(junit);
  REQUIRE(report.loaded);
  auto& s = report.suites;
  const std::string first = "at-echo-across-reboot";  // the first scenario in path order
  for (const char* slot : {"silent.hang", "silent.brownout"}) {
    CAPTURE(slot);
    REQUIRE(!s[slot].empty());
    CHECK(s[slot][first].verdict == "failure");
    CHECK(contains(s[slot][first].message, "the module has sent nothing for"));
    // The recovery ladder brought it back: every later scenario passes.
    for (const auto& [name, c] : s[slot])
      if (name != first && !skipped_without_instrument(c)) CHECK_MESSAGE(c.verdict == "passed", name);
  }
  // A hang yields to the long PWRKEY reset; a brownout only to the supply.
  CHECK(contains(s["silent.hang"][first].out, "long PWRKEY reset: answering AT"));
  CHECK(contains(s["silent.brownout"][first].out, "supply cycle: answering AT"));
  // Unsolicited lines everywhere, one inside every response: nothing is mistaken for an answer.
  REQUIRE(!s["silent.storm"].empty());
  for (const auto& [name, c] : s["silent.storm"])
    if (!skipped_without_instrument(c)) CHECK_MESSAGE(c.verdict == "passed", name);
  CHECK(contains(s["silent.storm"]["at-urcs-in-responses"].out, "# urc: +CTZV: +04,0"));
  // Every OK 4 s (real) late: the first sync fails and says the answers came late. Its teardown
  // powers the module off by the book, so no recovery cycles it; once the ladder runs, no rung
  // gets an answer in time, and the slot is quarantined.
  CHECK(s["silent.late"][first].verdict == "failure");
  CHECK(contains(s["silent.late"][first].message, "answer(s) came after their wait"));
  CHECK(contains(s["silent.late"][first].out, "recovery after this scenario: not needed: the teardown left the module powered off (STATUS low)"));
  int quarantined = 0;
  for (const auto& [name, c] : s["silent.late"]) {
    CAPTURE(name);
    bool late = c.verdict == "failure" && contains(c.message, "answer(s) came after their wait");
    bool in_quarantine = c.verdict == "error" && contains(c.message, "slot late quarantined");
    CHECK((late || in_quarantine));
    quarantined += in_quarantine;
  }
  CHECK(quarantined >= 10);
}

TEST_CASE("library self-test: each fault fails the scenarios that claim to catch it, and only those") { faults_fail_their_scenarios(""); }
TEST_CASE("library self-test under 16 ms of USB-serial latency: each fault fails the scenarios that claim to catch it, and only those") {
  faults_fail_their_scenarios("16ms");
}
TEST_CASE("library self-test: network faults fail the network scenarios with the cause, on each model's bearer syntax") { network_faults(""); }
TEST_CASE("library self-test under 16 ms of USB-serial latency: network faults fail the network scenarios with the cause, on each model's bearer syntax") {
  network_faults("16ms");
}
TEST_CASE("library self-test: FOTA faults fail the upgrades with the cause on each model, a stalled updater is recovered by the supply, refusals still pass") {
  fota_faults("");
}
TEST_CASE(
    "library self-test under 16 ms of USB-serial latency: FOTA faults fail the upgrades with the cause on each model, a stalled updater is recovered by the "
    "supply, refusals still pass") {
  fota_faults("16ms");
}
TEST_CASE(
    "library self-test: a hung or browned-out module fails the scenario it hangs in and is brought back, a URC storm fails nothing, late answers are named") {
  silent_faults("");
}
TEST_CASE(
    "library self-test under 16 ms of USB-serial latency: a hung or browned-out module fails the scenario it hangs in and is brought back, a URC storm fails "
    "nothing, late answers are named") {
  silent_faults("16ms");
}

TEST_CASE("library self-test: sms-fail fails sms-send with the module's +CMS ERROR, and a healthy module sends") {
  auto [r, report] = run_library(R"xml(<rig name="sms" time-scale="0.02">
  <slot name="refused" model="SIM7000G" firmware="1529B08SIM7000G"><virtual faults="sms-fail"/></slot>
  <slot name="healthy" model="SIM7080G" firmware="1951B02SIM7080G"><virtual/></slot>
</rig>)xml",
                                 {"scenarios/sms"});
  CHECK_MESSAGE(r.exit_code == 1, r.out, r.err);
  auto& refused = report.suites["sms.refused"]["sms-send"];
  CHECK(refused.verdict == "failure");
  CHECK(contains(refused.message, "step 'send'"));
  CHECK(contains(refused.message, "+CMS ERROR: 500"));
  CHECK(report.suites["sms.healthy"]["sms-send"].verdict == "passed");
  // Receiving is not sending: the fault leaves incoming messages alone.
  CHECK(report.suites["sms.refused"]["sms-receive"].verdict == "passed");
  CHECK(report.suites["sms.healthy"]["sms-receive"].verdict == "passed");
}

TEST_CASE("library self-test: psm-no-wake fails power-psm-cycle where the periodic timer should wake the module, and the teardown's PWRKEY brings it back") {
  auto [r, report] = run_library(R"xml(<rig name="psm" time-scale="0.02">
  <slot name="asleep" model="SIM7080G" firmware="1951B02SIM7080G"><virtual faults="psm-no-wake"/></slot>
  <slot name="healthy" model="SIM7000G" firmware="1529B08SIM7000G"><virtual/></slot>
</rig>)xml",
                                 {"scenarios/power/psm-cycle.xml", "scenarios/power/pwrkey-on-off.xml"});
  CHECK_MESSAGE(r.exit_code == 1, r.out, r.err);
  auto& asleep = report.suites["psm.asleep"]["power-psm-cycle"];
  CHECK(asleep.verdict == "failure");
  CHECK(contains(asleep.message, "step 'periodic wake'"));
  CHECK(contains(asleep.message, "+CPSMSTATUS: \"EXIT PSM\""));
  // The teardown's short press wakes it, and PSM goes off again before the power-off.
  auto teardown = asleep.out.find("# block teardown");
  REQUIRE(teardown != std::string::npos);
  auto woken = asleep.out.find("# urc: +CPSMSTATUS: \"EXIT PSM\"", teardown);
  CHECK(woken != std::string::npos);
  CHECK(asleep.out.find("> AT+CPSMS=0\\r", teardown) != std::string::npos);
  CHECK(report.suites["psm.asleep"]["power-pwrkey-on-off"].verdict == "passed");  // after it in path order
  CHECK(report.suites["psm.healthy"]["power-psm-cycle"].verdict == "passed");
}

TEST_CASE(
    "library self-test: sleep-current-creep and psm-no-enter fail power-psm-current, a healthy module's currents are in the report, a slot without an "
    "instrument skips it") {
  TempDir dir;
  auto [r, report] = run_library(dir, R"xml(<rig name="current" time-scale="0.02">
  <slot name="creep" model="SIM7080G" firmware="1951B02SIM7080G"><virtual faults="sleep-current-creep"/><instrument spec="ppk2"/></slot>
  <slot name="awake" model="SIM7000G" firmware="1529B08SIM7000G"><virtual faults="psm-no-enter"/><instrument spec="ppk2"/></slot>
  <slot name="healthy" model="SIM7070G" firmware="1951B05SIM7070"><virtual/><instrument spec="ppk2"/></slot>
  <slot name="bare" model="SIM7090G" firmware="2110B01SIM7090"><virtual/></slot>
</rig>)xml",
                                 {"scenarios/power/psm-current.xml", "scenarios/power/boot-energy.xml"});
  CHECK_MESSAGE(r.exit_code == 1, r.out, r.err);
  auto& creep = report.suites["current.creep"]["power-psm-current"];
  CHECK(creep.verdict == "failure");
  CHECK(contains(creep.message, "current 'psm_latest'"));
  CHECK(contains(creep.message, "is above its limit (average max +20% (marginal +10%), against 'psm_first'"));
  auto& awake = report.suites["current.awake"]["power-psm-current"];
  CHECK(awake.verdict == "failure");
  CHECK(contains(awake.message, "step 'PSM floor'"));
  CHECK(report.suites["current.healthy"]["power-psm-current"].verdict == "passed");
  auto& props = report.properties["current.healthy"];
  // The model's floor and boot as the instrument read them, each with its unit.
  CHECK(athil::parse_quantity(props["power-psm-current/psm_first.average"], athil::Unit::ampere) == doctest::Approx(3.2e-6).epsilon(0.05));
  CHECK(athil::parse_quantity(props["power-psm-current/idle.peak"], athil::Unit::ampere) == doctest::Approx(60e-3).epsilon(0.05));
  double boot = athil::parse_quantity(props["power-boot-energy/boot.charge"], athil::Unit::coulomb);
  CHECK(boot > 0.05);  // 2 s of boot at 40 mA and more, in the module's time
  CHECK(boot < 0.4);
  CHECK(props["power-boot-energy/boot.verdict"] == "pass");
  // The samples beside the transcript, and the current in the waveform as an analog trace with
  // the windows marked.
  auto& healthy = report.suites["current.healthy"]["power-psm-current"];
  auto file_named = [&](const std::string& label) {
    auto at = healthy.out.find(label);
    REQUIRE(at != std::string::npos);
    at += label.size();
    return std::filesystem::path(healthy.out.substr(at, healthy.out.find('\n', at) - at));
  };
  auto csv = read_file(file_named("current samples file: "));
  CHECK(csv.rfind("seconds,amps,peak_amps\n0.000000,", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') > 1000);  // 1 kHz over the scenario's seconds
  auto vcd = read_file(file_named("waveform file: "));
  CHECK(contains(vcd, "$var real 64 "));
  CHECK(contains(vcd, " current_A $end"));
  CHECK(contains(vcd, "current window open psm_first"));
  CHECK(contains(vcd, "spsm_first "));  // the window's name on current_name
  for (const char* name : {"power-psm-current", "power-boot-energy"}) {
    auto& bare = report.suites["current.bare"][name];
    CHECK(bare.verdict == "skipped");
    CHECK(contains(bare.message, "cannot provide current"));
  }
}

TEST_CASE("library self-test: no-prompt-after-wake fails power-psm-wake-send at AT+CASEND's missing prompt, and only there") {
  auto [r, report] = run_library(R"xml(<rig name="wake" time-scale="0.02">
  <slot name="mute" model="SIM7080G" firmware="1951B02SIM7080G"><virtual faults="no-prompt-after-wake"/></slot>
  <slot name="healthy" model="SIM7070G" firmware="1951B05SIM7070"><virtual/></slot>
</rig>)xml",
                                 {"scenarios/power/psm-wake-send.xml", "scenarios/power/psm-cycle.xml", "scenarios/network/tcp-exchange.xml"});
  CHECK_MESSAGE(r.exit_code == 1, r.out, r.err);
  auto& mute = report.suites["wake.mute"]["power-psm-wake-send"];
  CHECK(mute.verdict == "failure");
  CHECK(contains(mute.message, "step 'send after the wake'"));
  CHECK(contains(mute.message, "the command ended with 'ERROR'"));
  // Without a wake from PSM the prompt comes; a wake with no send after it fails nothing.
  CHECK(report.suites["wake.mute"]["network-tcp-exchange"].verdict == "passed");
  CHECK(report.suites["wake.mute"]["power-psm-cycle"].verdict == "passed");
  CHECK(report.suites["wake.healthy"]["power-psm-wake-send"].verdict == "passed");
}

TEST_CASE("library self-test: mqtt-drop fails mqtt-publish-subscribe with the +SMSTATE: 0 it forbids, and a healthy module's message comes back") {
  auto [r, report] = run_library(R"xml(<rig name="mqtt" time-scale="0.02">
  <slot name="dropped" model="SIM7080G" firmware="1951B02SIM7080G"><virtual faults="mqtt-drop=20s"/></slot>
  <slot name="healthy" model="SIM7000G" firmware="1529B08SIM7000G"><virtual/></slot>
</rig>)xml",
                                 {"scenarios/mqtt"});
  CHECK_MESSAGE(r.exit_code == 1, r.out, r.err);
  CHECK(contains(r.out, "MQTT broker (mosquitto) at 127.0.0.1:"));
  auto& dropped = report.suites["mqtt.dropped"]["mqtt-publish-subscribe"];
  CHECK(dropped.verdict == "failure");
  CHECK(contains(dropped.message, "publish-subscribe.xml:38:5"));  // the forbid of the step 'stays connected'
  CHECK(contains(dropped.message, "+SMSTATE: 0"));
  CHECK(report.suites["mqtt.healthy"]["mqtt-publish-subscribe"].verdict == "passed");
}

TEST_CASE("library self-test: gnss-no-fix fails gnss-first-fix when no fix comes, and a healthy module fixes") {
  auto [r, report] = run_library(R"xml(<rig name="gnss" time-scale="0.02">
  <slot name="blind" model="SIM7080G" firmware="1951B02SIM7080G"><virtual faults="gnss-no-fix"/></slot>
  <slot name="healthy" model="SIM7000G" firmware="1529B08SIM7000G"><virtual gnss-at="-33.856784,151.215297,5"/></slot>
</rig>)xml",
                                 {"scenarios/gnss"});
  CHECK_MESSAGE(r.exit_code == 1, r.out, r.err);
  auto& blind = report.suites["gnss.blind"]["gnss-first-fix"];
  CHECK(blind.verdict == "failure");
  CHECK(contains(blind.message, "step 'first fix'"));
  CHECK(report.suites["gnss.healthy"]["gnss-first-fix"].verdict == "passed");
}
