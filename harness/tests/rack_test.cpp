// The rack's own logic against virtual modules: the recovery ladder and quarantine, slot
// locks, supply commands, and what SIGINT, SIGTERM and SIGHUP leave behind.
#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <sstream>

#include <pugixml.hpp>

#include "base/error.hpp"
#include "rig/model.hpp"
#include "rig/slot_lock.hpp"
#include "tests/rack_support.hpp"

using namespace athil::test;
namespace fs = std::filesystem;

TEST_CASE("recovery ladder: each model's module comes back by the rung that reaches it, and the next scenario passes") {
  TempDir dir;
  for (const char* f : {"power-on.xml", "boot-ready.xml", "power-off.xml"}) dir.write(std::string("fixtures/") + f, read_file(source_dir() / "fixtures" / f));
  // hang: silent from 10 s (0.2 s here) after the first boot until RESET, a long PWRKEY press or
  // a supply cut. brownout-silent: the same, but only the supply reaches it.
  auto rig = dir.write("rig.xml", R"xml(<rig name="ladder" time-scale="0.02">
  <slot name="h80" model="SIM7080G" firmware="1951B02SIM7080G"><virtual faults="hang"/></slot>
  <slot name="h00" model="SIM7000G" firmware="1529B08SIM7000G"><virtual faults="hang" ipr="115200"/></slot>
  <slot name="b70" model="SIM7070G" firmware="1951B05SIM7070"><virtual faults="brownout-silent"/></slot>
</rig>)xml");
  dir.write("sc/1-wedged.xml", scenario("wedged", power + R"xml(
  <step name="outlast the fault"><sleep duration="30s"/><command send="AT"/></step>)xml"));
  dir.write("sc/2-after.xml", scenario("after-recovery", power + R"xml(
  <step name="answers"><command send="AT+CGMR" expect="Revision:(.+)" capture="revision"/></step>)xml"));
  auto r = run_process(
      {athil_exe().string(), "run", "--rig", rig.string(), (dir.path() / "sc" / "1-wedged.xml").string(), (dir.path() / "sc" / "2-after.xml").string(),
       "--fixtures", (dir.path() / "fixtures").string(), "--junit", (dir.path() / "out" / "junit.xml").string()},
      source_dir());
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);  // the wedged scenarios failed; nothing was an error
  auto report = read_report(dir.path() / "out" / "junit.xml");
  REQUIRE(report.loaded);
  // Each rung's outcome in the executor's words (the rungs are built-in scripts), in order.
  const std::string soft = "recovery after this scenario: recovered: AT+CFUN=1,1: nothing matched within 2s";
  const std::map<std::string, std::vector<std::string>> rungs = {
      {"ladder.h80", {soft, "; long PWRKEY reset: answering AT after"}},
      {"ladder.h00", {soft, "; RESET pin: answering AT after"}},
      {"ladder.b70", {soft, "; long PWRKEY reset: reset: STATUS still high after 2s; supply cycle: answering AT after"}}};
  for (const auto& [suite, expected] : rungs) {
    CAPTURE(suite);
    auto& cases = report.suites[suite];
    CHECK(cases["wedged"].verdict == "failure");
    CHECK(contains(cases["wedged"].message, "expected the line 'OK'"));
    const auto& out = cases["wedged"].out;
    auto first = out.find(expected[0]);
    CHECK(first != std::string::npos);
    CHECK(out.find(expected[1], first) != std::string::npos);
    CHECK(contains(cases["wedged"].out, "then powered down to rest"));
    CHECK(contains(cases["wedged"].out, "# recovery rung 1 (AT+CFUN=1,1)"));  // each rung on the timeline too
    CHECK(cases["after-recovery"].verdict == "passed");
    CHECK(report.properties[suite].count("quarantined") == 0);
  }
  CHECK(contains(r.out, "recovery"));
}

TEST_CASE("quarantine: a slot that no rung brings back reports its remaining scenarios as errors, the other slots go on") {
  TempDir dir;
  // fota-brick: the update dies half way and the module never boots again (it needs a reflash).
  auto rig = dir.write("rig.xml", R"xml(<rig name="quarantine" time-scale="0.02">
  <slot name="dead" model="SIM7080G" firmware="1951B02SIM7080G" fota-target="1951B03SIM7080G"><virtual faults="fota-brick=50"/></slot>
  <slot name="fine" model="SIM7080G" firmware="1951B02SIM7080G" fota-target="1951B03SIM7080G"><virtual/></slot>
</rig>)xml");
  dir.write("sc/2-next.xml", scenario("next", power + R"xml(<step name="answers"><command send="AT"/></step>)xml"));
  dir.write("sc/3-last.xml", scenario("last", power + R"xml(<step name="answers"><command send="AT"/></step>)xml"));
  // The bundled FOTA through the file system first: it bricks the one slot.
  auto r = run_process({athil_exe().string(), "run", "--rig", rig.string(), "scenarios/fota/fs-upgrade.xml", (dir.path() / "sc").string(), "--junit",
                        (dir.path() / "out" / "junit.xml").string()},
                       source_dir());
  INFO(r.out, r.err);
  CHECK(r.exit_code == 3);  // quarantine is an error of the rig, not a scenario failure
  auto report = read_report(dir.path() / "out" / "junit.xml");
  REQUIRE(report.loaded);
  auto& dead = report.suites["quarantine.dead"];
  CHECK(dead["fota-fs-upgrade"].verdict == "failure");
  CHECK(contains(dead["fota-fs-upgrade"].out,
                 "recovery after this scenario: not recovered: AT+CFUN=1,1: skipped: STATUS low, the module is off; "
                 "PWRKEY power-on (STATUS low): power on: STATUS still low after"));
  CHECK(contains(dead["fota-fs-upgrade"].out, "; supply cycle: power on: STATUS still low after"));
  for (const char* name : {"next", "last"}) {
    CAPTURE(name);
    CHECK(dead[name].verdict == "error");
    CHECK(contains(dead[name].message, "slot dead quarantined: no rung of the recovery ladder brought the module back after 'fota-fs-upgrade'"));
  }
  CHECK(contains(report.properties["quarantine.dead"]["quarantined"], "after 'fota-fs-upgrade'"));
  auto& fine = report.suites["quarantine.fine"];
  CHECK(fine["fota-fs-upgrade"].verdict == "passed");
  CHECK(fine["next"].verdict == "passed");
  CHECK(fine["last"].verdict == "passed");
}

TEST_CASE("slot lock: a second holder learns the first one's pid, and the lock is free once the holder is gone") {
  TempDir dir;
  ::setenv("ATHIL_LOCK_DIR", (dir.path() / "locks").c_str(), 1);
  {
    athil::rig::SlotLock first("rack-a", "s1");
    try {
      athil::rig::SlotLock second("rack-a", "s1");
      FAIL("a second lock on the same slot was granted");
    } catch (const athil::rig::SlotBusy& e) {
      CHECK(contains(e.what(), "slot s1 of rig rack-a is in use by pid " + std::to_string(::getpid())));
      CHECK(contains(e.what(), (dir.path() / "locks" / "rack-a.s1.lock").string()));
    }
    athil::rig::SlotLock other_slot("rack-a", "s2");  // slots are independent
  }
  athil::rig::SlotLock again("rack-a", "s1");
  ::unsetenv("ATHIL_LOCK_DIR");
}

TEST_CASE("slot lock: a second run on a real slot is an error naming the first run's pid, and a killed run frees the slot at once") {
  TempDir dir;
  ::setenv("ATHIL_LOCK_DIR", (dir.path() / "locks").c_str(), 1);
  StandaloneModule module(dir, "tty-real");
  auto rig = dir.write(
      "rig.xml", "<rig name=\"locked\" time-scale=\"0.02\">\n  <slot name=\"r1\" model=\"SIM7080G\"><serial port=\"" + module.link() + "\"/></slot>\n</rig>\n");
  auto long_one = dir.write("sc/long.xml", scenario("long", R"xml(<step name="wait"><sleep duration="1h"/></step>)xml"));
  auto quick = dir.write("sc2/quick.xml", scenario("quick", R"xml(<step name="at"><command send="AT"/></step>)xml"));
  int first = spawn_process({athil_exe().string(), "run", "--rig", rig.string(), long_one.string(), "--junit", (dir.path() / "first" / "junit.xml").string()},
                            source_dir(), dir.path() / "first.log");
  // The first run holds the slot once its lock file names it.
  REQUIRE(eventually([&] { return contains(read_file(dir.path() / "locks" / "locked.r1.lock"), "pid " + std::to_string(first)); }));

  auto second = run_process({athil_exe().string(), "run", "--rig", rig.string(), quick.string(), "--junit", (dir.path() / "second" / "junit.xml").string()},
                            source_dir());
  INFO(second.out, second.err);
  CHECK(second.exit_code == 3);
  auto report = read_report(dir.path() / "second" / "junit.xml");
  auto& c = report.suites["locked.r1"]["quick"];
  CHECK(c.verdict == "error");
  CHECK(contains(c.message, "slot r1 of rig locked is in use by pid " + std::to_string(first) + " ("));
  CHECK(contains(c.message, "athil run"));

  ::kill(first, SIGKILL);
  wait_process(first);
  auto third =
      run_process({athil_exe().string(), "run", "--rig", rig.string(), quick.string(), "--junit", (dir.path() / "third" / "junit.xml").string()}, source_dir());
  INFO(third.out, third.err);
  CHECK(third.exit_code == 0);
  ::unsetenv("ATHIL_LOCK_DIR");
}

TEST_CASE("supply commands: a rig switches a slot's supply with external programs, and their failures name the command") {
  TempDir dir;
  ::setenv("ATHIL_LOCK_DIR", (dir.path() / "locks").c_str(), 1);
  StandaloneModule module(dir, "tty-pdu");
  // The "PDU" is athil's own pin tool (`set supply on|off`), cutting the standalone module's supply as a hub or PDU would.
  std::string pin = athil_exe().string() + " pin " + module.link() + " set supply ";
  auto rig = dir.write("rig.xml",
                       "<rig name=\"pdu\" time-scale=\"0.02\">\n"
                       "  <slot name=\"p1\" model=\"SIM7080G\"><serial port=\"" +
                           module.link() +
                           "\"/>\n"
                           "    <supply on=\"" +
                           pin + "on\" off=\"" + pin +
                           "off\"/></slot>\n"
                           "  </rig>\n");
  auto cut = dir.write("sc/cut.xml", scenario("cut", R"xml(
  <step name="alive"><command send="AT"/></step>
  <step name="cut"><supply state="off"/><supply state="on"/></step>)xml",
                                              " requires=\"supply\""));
  auto r =
      run_process({athil_exe().string(), "run", "--rig", rig.string(), cut.string(), "--junit", (dir.path() / "out" / "junit.xml").string()}, source_dir());
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  // The module lost its power and stays off until PWRKEY, as a real one does; its supply is back.
  CHECK(pin_get(module.link(), "status") == "status low\n");
  CHECK(pin_get(module.link(), "supply") == "supply high\n");
  auto report = read_report(dir.path() / "out" / "junit.xml");
  CHECK(contains(report.suites["pdu.p1"]["cut"].out, "= supply off"));

  StandaloneModule second(dir, "tty-pdu2");
  auto cut_only = dir.write("sc2/cut-only.xml", scenario("cut-only", R"xml(<step name="cut"><supply state="off"/></step>)xml", " requires=\"supply\""));
  auto failing = dir.write("failing.xml",
                           "<rig name=\"pdu2\" time-scale=\"0.02\">\n"
                           "  <slot name=\"p2\" model=\"SIM7080G\"><serial port=\"" +
                               module.link() +
                               "\"/>\n"
                               "    <supply on=\"/bin/true\" off=\"/bin/sh -c 'echo relay stuck >&amp;2; exit 4'\"/></slot>\n"
                               "  <slot name=\"p3\" model=\"SIM7080G\"><serial port=\"" +
                               second.link() +
                               "\"/>\n"
                               "    <supply on=\"athil-no-such-pdu-tool on\" off=\"athil-no-such-pdu-tool off\"/></slot>\n"
                               "  </rig>\n");
  auto bad = run_process({athil_exe().string(), "run", "--rig", failing.string(), cut_only.string(), "--junit", (dir.path() / "bad" / "junit.xml").string()},
                         source_dir());
  INFO(bad.out, bad.err);
  CHECK(bad.exit_code == 3);
  auto bad_report = read_report(dir.path() / "bad" / "junit.xml");
  auto& c = bad_report.suites["pdu2.p2"]["cut-only"];
  CHECK(c.verdict == "error");
  CHECK(contains(c.message, "slot p2: supply off: '/bin/sh -c echo relay stuck >&2; exit 4' exited with status 4; output: relay stuck"));
  auto& missing = bad_report.suites["pdu2.p3"]["cut-only"];
  CHECK(missing.verdict == "error");
  CHECK(contains(missing.message, "slot p3: supply off: cannot run 'athil-no-such-pdu-tool': not found on PATH"));
  ::unsetenv("ATHIL_LOCK_DIR");
}

TEST_CASE("rig files: supply commands are split into words without a shell, and mistakes are exit 2 at their position") {
  using athil::rig::split_command;
  CHECK(split_command("uhubctl -l 1-1 -p 2 -a off") == std::vector<std::string>{"uhubctl", "-l", "1-1", "-p", "2", "-a", "off"});
  CHECK(split_command(R"(pdu --outlet "rack 3" 'a b' c\ d "q\"q")") == std::vector<std::string>{"pdu", "--outlet", "rack 3", "a b", "c d", "q\"q"});
  CHECK(split_command("echo $HOME `id` *") == std::vector<std::string>{"echo", "$HOME", "`id`", "*"});  // nothing expanded
  CHECK_THROWS_WITH_AS(split_command("pdu 'open"), "the quote ' opened at character 5 is never closed", athil::InputError);

  TempDir dir;
  auto both = dir.write("both.xml", R"xml(<rig name="r">
  <slot name="s" model="SIM7080G">
    <serial port="/dev/ttyUSB0"/>
    <gpio chip="gpiochip0"><line role="supply" offset="3"/></gpio>
    <supply on="relay on" off="relay off"/>
  </slot>
</rig>)xml");
  auto r = run_process({athil_exe().string(), "validate", "--rig", both.string(), "scenarios/fota/http-upgrade.xml"}, source_dir());
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "both.xml:5:5: error: the supply is switched by the GPIO line at " + both.string() + ":4:28 already"));
  auto quote = dir.write("quote.xml", R"xml(<rig name="r">
  <slot name="s" model="SIM7080G"><serial port="/dev/ttyUSB0"/><supply on="relay 'on" off="relay off"/></slot>
</rig>)xml");
  r = run_process({athil_exe().string(), "validate", "--rig", quote.string(), "scenarios/fota/http-upgrade.xml"}, source_dir());
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "quote.xml:2:72: error: the quote ' opened at character 7 is never closed"));
}

namespace {

// A run on the virtual rack, started in the background; its module's link comes from the
// report's properties as soon as the slot is up.
struct BackgroundRun {
  int pid = -1;
  fs::path junit;
  fs::path log;
  std::string module_link() const {
    pugi::xml_document doc;
    if (!doc.load_file(junit.c_str())) return "";
    for (auto p : doc.child("testsuites").child("testsuite").child("properties").children("property"))
      if (std::string_view(p.attribute("name").value()) == "virtual_pty") return p.attribute("value").value();
    return "";
  }
};

BackgroundRun start_run(const TempDir& dir, const std::vector<std::string>& scenarios) {
  for (const char* f : {"power-on.xml", "boot-ready.xml", "power-off.xml"}) dir.write(std::string("fixtures/") + f, read_file(source_dir() / "fixtures" / f));
  auto rig = dir.write("rig.xml", R"xml(<rig name="stop" time-scale="0.02">
  <slot name="v1" model="SIM7080G" firmware="1951B02SIM7080G"><virtual/></slot>
</rig>)xml");
  BackgroundRun run;
  run.junit = dir.path() / "out" / "junit.xml";
  run.log = dir.path() / "run.log";
  std::vector<std::string> argv = {athil_exe().string(), "run", "--rig", rig.string(), "--fixtures", (dir.path() / "fixtures").string(), "--junit",
                                   run.junit.string()};
  argv.insert(argv.end(), scenarios.begin(), scenarios.end());
  run.pid = spawn_process(argv, source_dir(), run.log);
  return run;
}

}  // namespace

TEST_CASE("signals: SIGTERM mid-press releases PWRKEY, runs the teardown, reports the scenario as an error and leaves no child") {
  for (int signo : {SIGTERM, SIGINT, SIGHUP}) {
    CAPTURE(signo);
    TempDir dir;
    auto pressing = dir.write("sc/1-press.xml", scenario("pressing", R"xml(
  <step name="hold the key"><power-key hold="5m"/></step>  <!-- 6 s at the rig's 0.02, within the scenario's bound -->
  <teardown><log>teardown ran</log></teardown>)xml"));
    auto later = dir.write("sc/2-later.xml", scenario("later", power + R"xml(<step name="at"><command send="AT"/></step>)xml"));
    auto run = start_run(dir, {pressing.string(), later.string()});
    std::string link;
    REQUIRE(eventually([&] { return !(link = run.module_link()).empty(); }));
    // The scenario is in its press once the module sees PWRKEY low.
    REQUIRE(eventually([&] { return pin_get(link, "pwrkey") == "pwrkey low\n"; }));
    auto children = children_of(run.pid);
    REQUIRE(children.size() == 1);
    ::kill(run.pid, signo);
    int code = wait_process(run.pid);
    std::string log = read_file(run.log);
    INFO(log);
    CHECK(code == 3);
    for (int child : children) CHECK(process_gone(child));
    auto report = read_report(run.junit);
    REQUIRE(report.loaded);
    auto& cases = report.suites["stop.v1"];
    std::string name = signo == SIGTERM ? "SIGTERM" : signo == SIGINT ? "SIGINT" : "SIGHUP";
    CHECK(cases["pressing"].verdict == "error");
    CHECK(cases["pressing"].message == "interrupted by " + name);
    CHECK(contains(cases["pressing"].out, "= pwrkey high (released as the sequence was cut short)"));
    CHECK(contains(cases["pressing"].out, "# log: teardown ran"));
    CHECK(cases["later"].verdict == "skipped");
    CHECK(cases["later"].message == "not started: the run was interrupted by " + name);
    CHECK(contains(log, name + ": stopping"));
  }
}

TEST_CASE("signals: a second SIGINT stops at once, kills the modules and leaves the last whole report") {
  TempDir dir;
  auto stuck = dir.write("sc/stuck.xml", scenario("stuck-teardown", R"xml(
  <step name="wait"><sleep duration="1h"/></step>
  <teardown timeout="1h"><sleep duration="1h"/></teardown>)xml",
                                                  " timeout=\"1h\""));
  auto run = start_run(dir, {stuck.string()});
  // Signalled once the scenario has started: before it, the module is up but the scenario not
  // begun, a signal leaves it not started, and the run may end before the second signal.
  REQUIRE(eventually([&] { return contains(read_file(run.log), " start\n"); }));
  auto children = children_of(run.pid);
  REQUIRE(children.size() == 1);
  ::kill(run.pid, SIGINT);
  // The first signal is taken once the run says so; the teardown then sleeps for its hour.
  REQUIRE(eventually([&] { return contains(read_file(run.log), "SIGINT: stopping"); }));
  ::kill(run.pid, SIGINT);
  int code = wait_process(run.pid);
  std::string log = read_file(run.log);
  INFO(log);
  CHECK(code == 3);
  CHECK(contains(log, "SIGINT again: stopping at once"));
  for (int child : children) CHECK(eventually([&] { return process_gone(child); }));
  auto report = read_report(run.junit);
  CHECK(report.loaded);  // the report written when the slot came up, whole
}

TEST_CASE("rig check: the virtual rack passes, and every problem of a real rack is named in its row, exit 3") {
  auto ok = run_process({athil_exe().string(), "rig", "check", "rigs/virtual.xml"}, source_dir());
  INFO(ok.out, ok.err);
  CHECK(ok.exit_code == 0);
  for (const char* slot : {"v1 ", "v2 ", "v3 ", "v4 "}) {
    CHECK(contains(ok.out, std::string(slot) + "   virtual module   ok    starts ("));
    CHECK(contains(ok.out, std::string(slot) + "   instrument ppk2  ok    answers: PPK2 on "));  // each module's virtual PPK2
  }
  CHECK(contains(ok.out, "all 8 checks passed"));

  TempDir dir;
  ::setenv("ATHIL_LOCK_DIR", (dir.path() / "locks").c_str(), 1);
  StandaloneModule module(dir, "tty-free");
  // A stand-in for ModemManager: any process of that name is what the check looks for.
  fs::copy_file("/bin/sleep", dir.path() / "ModemManager");
  int mm = spawn_process({(dir.path() / "ModemManager").string(), "120"}, source_dir());
  REQUIRE(eventually([&] { return contains(read_file("/proc/" + std::to_string(mm) + "/comm"), "ModemManager"); }));
  athil::rig::SlotLock held("rack", "busy");  // another run holds this slot
  auto rig = dir.write("rack.xml",
                       "<rig name=\"rack\">\n"
                       "  <slot name=\"good\" model=\"SIM7080G\"><serial port=\"" +
                           module.link() +
                           "\"/></slot>\n"
                           "  <slot name=\"busy\" model=\"SIM7080G\"><serial port=\"/dev/athil-missing\" usb=\"true\"/>\n"
                           "    <gpio chip=\"athil-no-chip\"><line role=\"pwrkey\" offset=\"3\"/></gpio>\n"
                           "    <supply on=\"athil-no-hub-tool on\" off=\"/bin/true\"/></slot>\n"
                           "</rig>\n");
  auto r = run_process({athil_exe().string(), "rig", "check", rig.string()}, source_dir());
  ::kill(mm, SIGKILL);
  wait_process(mm);
  INFO(r.out, r.err);
  CHECK(r.exit_code == 3);
  auto row = [&](const std::string& slot, const std::string& check) {
    std::istringstream lines(r.out);
    std::string line;
    while (std::getline(lines, line))
      if (line.rfind(slot + " ", 0) == 0 && contains(line, "  " + check + "  ")) return line;
    return std::string();
  };
  CHECK(contains(row("good", "lock"), "ok    free"));
  CHECK(contains(row("good", "port " + module.link()), "ok    present and free (opened at 115200 baud)"));
  CHECK(contains(row("good", "ModemManager"), "FAIL  running (pid " + std::to_string(mm) + ") and nothing tells it to ignore " + module.link()));
  CHECK(contains(row("busy", "lock"), "FAIL  slot busy of rig rack is in use by pid " + std::to_string(::getpid())));
  CHECK(contains(row("busy", "port /dev/athil-missing"), "FAIL  missing: /dev/athil-missing is not there (a module on USB has no port while it is off"));
  CHECK(contains(row("busy", "gpio athil-no-chip"), "FAIL  cannot be opened:"));
  CHECK(contains(row("busy", "supply on command"), "FAIL  'athil-no-hub-tool' is not found on PATH"));
  CHECK(contains(row("busy", "supply off command"), "ok    /bin/true is installed (not run)"));
  CHECK(contains(r.out, "checks failed"));
  ::unsetenv("ATHIL_LOCK_DIR");

  auto bad = dir.write("bad.xml", "<rig name=\"r\"><slot name=\"s\" model=\"SIM7080G\"><serial port=\"/dev/x\" flow=\"xon\"/></slot></rig>\n");
  auto mistake = run_process({athil_exe().string(), "rig", "check", bad.string()}, source_dir());
  CHECK(mistake.exit_code == 2);
  CHECK(contains(mistake.err, "bad.xml:1:"));
}

TEST_CASE("power: a hard cycle cuts the supply for the documented rest, restores it and powers on by PWRKEY") {
  TempDir dir;
  // The SIM7000 at a saved rate: out of the factory it autobauds and prints no RDY.
  auto rig = dir.write("rig.xml", R"xml(<rig name="hard" time-scale="0.02">
  <slot name="h80" model="SIM7080G" firmware="1951B02SIM7080G"><virtual/></slot>
  <slot name="h00" model="SIM7000G" firmware="1529B08SIM7000G"><virtual ipr="115200"/></slot>
</rig>)xml");
  for (const char* f : {"power-on.xml", "boot-ready.xml", "power-off.xml"}) dir.write(std::string("fixtures/") + f, read_file(source_dir() / "fixtures" / f));
  auto sc = dir.write("sc/hard.xml", scenario("hard-cycle", power + R"xml(
  <step name="cycle">
    <power action="hard-cycle"/>
    <urc>RDY</urc>
    <command send="AT"/>
    <expect-pin name="status" level="high"/>
  </step>)xml",
                                              " requires=\"supply\""));
  auto r = run_process({athil_exe().string(), "run", sc.string(), "--rig", rig.string(), "--fixtures", (dir.path() / "fixtures").string(), "--junit",
                        (dir.path() / "out" / "junit.xml").string()},
                       source_dir());
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  auto report = read_report(dir.path() / "out" / "junit.xml");
  for (const char* suite : {"hard.h80", "hard.h00"}) {
    CAPTURE(suite);
    const auto& out = report.suites[suite]["hard-cycle"].out;
    auto off = out.find("= supply off"), on = out.find("= supply on"), key = out.find("= pwrkey low", on == std::string::npos ? 0 : on);
    CHECK(off != std::string::npos);
    CHECK(on > off);
    CHECK(key != std::string::npos);
    CHECK(key > on);
  }
}

TEST_CASE("network-sms: a real slot skips the library's sms-receive with what to do instead, and a number that expands to no number is the scenario's error") {
  TempDir dir;
  ::setenv("ATHIL_LOCK_DIR", (dir.path() / "locks").c_str(), 1);
  StandaloneModule module(dir, "tty-real");
  auto rig = dir.write("rig.xml", "<rig name=\"mixed\" time-scale=\"0.02\">\n  <slot name=\"r1\" model=\"SIM7080G\"><serial port=\"" + module.link() +
                                      "\"/></slot>\n  <slot name=\"v1\" model=\"SIM7080G\" firmware=\"1951B02SIM7080G\"><virtual/></slot>\n</rig>\n");
  auto bad = dir.write("sc/bad-number.xml", scenario("bad-number", R"xml(<var name="who" value="the operator"/>
  <step name="sms"><network-sms from="${who}" text="hi"/></step>)xml",
                                                     " requires=\"network-sms\""));
  auto r = run_process({athil_exe().string(), "run", "--rig", rig.string(), (source_dir() / "scenarios" / "sms" / "receive.xml").string(), bad.string(),
                        "--junit", (dir.path() / "out" / "junit.xml").string()},
                       source_dir());
  INFO(r.out, r.err);
  auto report = read_report(dir.path() / "out" / "junit.xml");
  auto& skipped = report.suites["mixed.r1"]["sms-receive"];
  CHECK(skipped.verdict == "skipped");
  CHECK(contains(skipped.message, "slot r1 cannot provide network-sms"));
  CHECK(contains(skipped.message, "send one from a phone"));
  CHECK(report.suites["mixed.v1"]["sms-receive"].verdict == "passed");
  auto& bad_case = report.suites["mixed.v1"]["bad-number"];
  CHECK(bad_case.verdict == "error");
  CHECK(contains(bad_case.message, "<network-sms from> is 'the operator' once expanded: not a phone number"));
  ::unsetenv("ATHIL_LOCK_DIR");
}
