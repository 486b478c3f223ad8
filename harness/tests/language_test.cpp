// The scenario language's control elements, run for real on a virtual SIM7080G.
#include <doctest/doctest.h>

#include <regex>

#include <algorithm>
#include <map>
#include <sstream>

#include <pugixml.hpp>

#include "tests/rack_support.hpp"
#include "tests/support.hpp"

using namespace athil::test;

namespace {

const char* header = "<?xml version=\"1.0\"?>\n";

std::string sim7080(const std::string& name, const std::string& body) {
  return std::string(header) + "<scenario name=\"" + name + "\" models=\"SIM7080G\" timeout=\"5m\">\n" + body + "\n</scenario>\n";
}

// The same for v2 of the default rig, a SIM7000G.
std::string sim7000(const std::string& name, const std::string& body) {
  return std::string(header) + "<scenario name=\"" + name + "\" models=\"SIM7000G\" timeout=\"5m\">\n" + body + "\n</scenario>\n";
}

struct Outcome {
  std::string verdict;  // passed, failure, error
  std::string message;
  std::string text;
  std::string out;
};

// Runs the scenarios in one athil run; returns each testcase's outcome by name.
std::map<std::string, Outcome> run_scenarios(const TempDir& dir, const std::vector<std::string>& extra = {}) {
  for (const char* f : {"power-on.xml", "boot-ready.xml", "power-off.xml"}) dir.write(std::string("fixtures/") + f, read_file(source_dir() / "fixtures" / f));
  std::vector<std::string> argv = {athil_exe().string(),
                                   "run",
                                   (dir.path() / "sc").string(),
                                   "--fixtures",
                                   (dir.path() / "fixtures").string(),
                                   "--junit",
                                   (dir.path() / "out" / "junit.xml").string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto r = run_process(argv, source_dir());
  INFO(r.out, r.err);
  pugi::xml_document doc;
  REQUIRE(doc.load_file((dir.path() / "out" / "junit.xml").c_str()));
  std::map<std::string, Outcome> out;
  for (auto tc : doc.child("testsuites").child("testsuite").children("testcase")) {
    Outcome o{"passed", "", "", tc.child("system-out").text().get()};
    for (const char* kind : {"failure", "error", "skipped"})
      if (auto n = tc.child(kind)) o = Outcome{kind, n.attribute("message").value(), n.text().get(), o.out};
    out[tc.attribute("name").value()] = o;
  }
  return out;
}

}  // namespace

TEST_CASE("language: forbid, expect-any, on-failure and fixture parameters on a virtual module") {
  TempDir dir;
  dir.write("fixtures/bearer.xml", R"xml(<fixture name="bearer">
  <send>AT+CNACT=${pdp:-0},1</send>
  <expect>OK</expect>
  <urc timeout="10s" regex="\+APP PDP: (\d),ACTIVE" capture="active_pdp"/>
</fixture>)xml");
  dir.write("sc/forbid.xml", sim7080("forbid-fails-at-once", power + R"xml(
  <step name="radio off">
    <forbid>+CPIN: NOT READY</forbid>
    <send>AT+CFUN=0</send>
    <expect>OK</expect>
    <sleep duration="10m"/>  <!-- ended by the forbidden line, or the step would pass -->
  </step>)xml"));
  dir.write("sc/forbid-scope.xml", sim7080("forbid-ends-with-its-block", power + R"xml(
  <step name="watch"><forbid>+CPIN: NOT READY</forbid><command send="AT"/></step>
  <step name="radio off"><command send="AT+CFUN=0"/><urc>+CPIN: NOT READY</urc></step>)xml"));
  // A bearer comes up only once the module has registered, seconds after it answers AT.
  const std::string registered = R"xml(
  <step name="registered">
    <command send="AT+CEREG?" expect="\+CEREG: \d,(\d).*" capture="reg"/>
    <repeat until="${reg} == 1" max="50"><sleep duration="200ms"/><command send="AT+CEREG?" expect="\+CEREG: \d,(\d).*" capture="reg"/></repeat>
  </step>)xml";
  dir.write("sc/any.xml", sim7080("expect-any-branches", power + registered + R"xml(
  <step name="bearer twice">
    <command send="AT+CNACT=0,1"/>
    <expect-any capture="first" timeout="10s">
      <urc name="up">+APP PDP: 0,ACTIVE</urc>
      <urc name="down">+APP PDP: 0,DEACTIVE</urc>
    </expect-any>
    <send>AT+CNACT=0,1</send>
    <expect-any capture="second">
      <expect name="ok">OK</expect>
      <expect name="refused">ERROR</expect>
    </expect-any>
    <check expr="${first} == 'up' &amp;&amp; ${second} == 'refused'"/>
  </step>)xml"));
  dir.write("sc/diag.xml", sim7080("on-failure-diagnostics", power + R"xml(
  <step name="wrong expectation"><send>AT+GMR</send><expect timeout="3s">Revision:NOPE</expect></step>
  <on-failure><command send="AT+CFOTA?" expect="\+CFOTA: (\d+)" capture="fota"/><command send="AT+CSQ"/></on-failure>)xml"));
  dir.write("sc/params.xml", sim7080("fixture-parameters", power + registered + R"xml(
  <step name="default"><use fixture="bearer"/><check expr="${active_pdp} == 0"/></step>
  <step name="param"><use fixture="bearer"><param name="pdp" value="1"/></use></step>
  <step name="param is scoped"><send>AT+CNACT=${pdp:-3},1</send><expect>OK</expect><urc>+APP PDP: 3,ACTIVE</urc></step>)xml"));

  auto r = run_scenarios(dir);
  REQUIRE(r.size() == 5);

  CHECK(r["forbid-fails-at-once"].verdict == "failure");
  CHECK(r["forbid-fails-at-once"].message.find("forbidden line '+CPIN: NOT READY' arrived (forbid the line '+CPIN: NOT READY' at ") != std::string::npos);

  CHECK(r["forbid-ends-with-its-block"].verdict == "passed");

  CHECK(r["expect-any-branches"].verdict == "passed");
  CHECK(r["expect-any-branches"].out.find("expect-any: 'refused' arrived") != std::string::npos);

  auto& diag = r["on-failure-diagnostics"];
  CHECK(diag.verdict == "failure");
  CHECK(diag.message.find("expected the line 'Revision:NOPE'") != std::string::npos);
  CHECK(diag.text.find("--- on-failure diagnostics ---") != std::string::npos);
  CHECK(diag.text.find("+CFOTA: 8") != std::string::npos);
  CHECK(diag.text.find("+CSQ: 20,99") != std::string::npos);

  CHECK(r["fixture-parameters"].verdict == "passed");
  CHECK(r["fixture-parameters"].out.find("> AT+CNACT=1,1\\r") != std::string::npos);
}

TEST_CASE("language: -D outranks a fixture parameter") {
  TempDir dir;
  dir.write("fixtures/bearer.xml", "<fixture><send>AT+CNACT=${pdp},1</send><expect>OK</expect></fixture>");
  dir.write("sc/p.xml", sim7080("d-wins", power + R"xml(
  <step name="param"><use fixture="bearer"><param name="pdp" value="1"/></use></step>)xml"));
  auto r = run_scenarios(dir, {"-D", "pdp=2"});
  CHECK(r["d-wins"].verdict == "passed");
  CHECK(r["d-wins"].out.find("> AT+CNACT=2,1\\r") != std::string::npos);
}

TEST_CASE("language: a parameter the fixture never uses is a mistake, with a suggestion") {
  TempDir dir;
  dir.write("fixtures/bearer.xml", "<fixture><send>AT+CNACT=${pdp},1</send></fixture>");
  auto file = dir.write("sc/p.xml", sim7080("p", "<step name=\"s\">\n<use fixture=\"bearer\">\n  <param name=\"pdb\" value=\"1\"/>\n</use></step>"));
  auto r = run_process({athil_exe().string(), "validate", file.string(), "--fixtures", (dir.path() / "fixtures").string()}, source_dir());
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("p.xml:5:3: error: fixture 'bearer' does not use a parameter 'pdb' (did you mean 'pdp'?)") != std::string::npos);
}

TEST_CASE("language: power sequences, pins and reboots on a virtual module, and requires skips what the rig cannot do") {
  TempDir dir;
  dir.write("sc/power.xml", sim7080("power-by-the-book", R"xml(
  <step name="on">
    <power action="on"/>
    <expect-pin name="status" level="high" timeout="1s"/>
    <urc timeout="15s">SMS Ready</urc>
    <power action="on"/>  <!-- already on: nothing to do -->
    <command send="AT"/>
  </step>
  <step name="reset">
    <power action="reset"/>
    <expect-reboot timeout="30s"/>
    <command send="AT+CFOTA?" expect="+CFOTA: 8"/>
  </step>
  <step name="reboot by command">
    <command send="AT+CREBOOT"/>
    <expect-reboot timeout="30s"/>
  </step>
  <step name="off">
    <power action="off"/>
    <expect-pin name="status" level="low" timeout="1s"/>
  </step>)xml"));
  dir.write("sc/status.xml", sim7080("status-that-never-comes", R"xml(
  <step name="on without power"><expect-pin name="status" level="high" timeout="3s"/></step>)xml"));  // 3 s scaled: the 2 s floor
  auto skipped = sim7080("needs-usb", "<step name=\"s\"><log>x</log></step>");
  skipped.replace(skipped.find("timeout=\"5m\""), 12, "timeout=\"5m\" requires=\"usb status\"");
  dir.write("sc/skip.xml", skipped);
  auto r = run_scenarios(dir);
  CHECK(r["power-by-the-book"].verdict == "passed");
  CHECK(r["power-by-the-book"].out.find("power on: STATUS already high") != std::string::npos);
  CHECK(r["status-that-never-comes"].verdict == "failure");
  CHECK(r["status-that-never-comes"].message.find("expected status high: status stayed low for 2s") != std::string::npos);
  CHECK(r["needs-usb"].verdict == "skipped");
  // The reason says how to fix the rig file.
  CHECK(r["needs-usb"].message.find("slot v1 cannot provide usb (the scenario requires usb, status): make it <virtual usb=\"true\"/> in ") == 0);
}

TEST_CASE("language: durations from variables are read when the action runs") {
  TempDir dir;
  dir.write("fixtures/nap.xml", "<fixture><sleep duration=\"${nap:-1s}\"/><log>slept ${nap:-1s}</log></fixture>");
  dir.write("sc/a.xml", sim7080("param-duration", "<step name=\"s\"><use fixture=\"nap\"><param name=\"nap\" value=\"2s\"/></use></step>"));
  dir.write("sc/b.xml", sim7080("bad-duration", "<step name=\"s\"><sleep duration=\"${pause}\"/></step>"));
  auto r = run_scenarios(dir, {"-D", "pause=forever"});
  CHECK(r["param-duration"].verdict == "passed");
  CHECK(r["param-duration"].out.find("log: slept 2s") != std::string::npos);
  CHECK(r["bad-duration"].verdict == "error");
  CHECK(r["bad-duration"].message.find("scenario mistake: ") == 0);
  CHECK(r["bad-duration"].message.find("b.xml:3:16: 'forever' is not a duration (expected a number and a unit: ms, s, m, h) (from '${pause}')") !=
        std::string::npos);
}

TEST_CASE("language: a urc count waits for that many lines") {
  TempDir dir;
  dir.write("sc/a.xml", sim7080("four-boot-urcs", R"xml(<step name="s">
    <power action="on"/>
    <urc count="4" timeout="15s" regex="RDY|\+CFUN: 1|\+CPIN: READY|SMS Ready"/>
  </step>
  <teardown><power action="off"/></teardown>)xml"));
  dir.write("sc/b.xml", sim7080("five-boot-urcs", R"xml(<step name="s">
    <power action="on"/>
    <urc count="5" timeout="3s" regex="RDY|\+CFUN: 1|\+CPIN: READY|SMS Ready"/>
  </step>
  <teardown><power action="off"/></teardown>)xml"));
  auto r = run_scenarios(dir);
  CHECK(r["four-boot-urcs"].verdict == "passed");
  CHECK(r["five-boot-urcs"].verdict == "failure");
  CHECK(r["five-boot-urcs"].message.find("expected URC 5 x a line matching /RDY|\\+CFUN: 1|\\+CPIN: READY|SMS Ready/ (4 seen)") != std::string::npos);
}

TEST_CASE("language: a urc right after a send is what that command causes, never a line that came before it was written") {
  TempDir dir;
  // The module powers itself down during the teardown's sleep, before AT+CPOWD=1 is written:
  // its NORMAL POWER DOWN is no answer to that command, and the power-off must not pass on it.
  auto rig = dir.write("rig.xml", R"xml(<rig name="r" time-scale="0.02">
  <slot name="x" model="SIM7080G" firmware="1951B02SIM7080G"><virtual faults="spontaneous-powerdown=15s"/></slot>
</rig>)xml");
  dir.write("sc/a.xml", sim7080("powered-down-before-cpowd", R"xml(<setup><use fixture="power-on"/></setup>
  <step name="at"><command send="AT"/></step>
  <teardown><sleep duration="30s"/><use fixture="power-off"/></teardown>)xml"));
  auto r = run_scenarios(dir, {"--rig", rig.string()});
  auto& a = r["powered-down-before-cpowd"];
  CHECK(a.verdict == "failure");
  CHECK_MESSAGE(a.message.find("fixtures/power-off.xml:11:3): expected URC the line 'NORMAL POWER DOWN'") != std::string::npos, a.message);
  CHECK_MESSAGE(a.message.find("ms before 'AT+CPOWD=1' was written, so it is not what that command caused") != std::string::npos, a.message);
}

TEST_CASE("language: a line the scenario declares unsolicited is a URC for that scenario only") {
  TempDir dir;
  // Declared a URC, the revision line is no longer AT+GMR's response: the scenario waits for it
  // as a URC. The next scenario, without the declaration, gets it as a response again.
  dir.write("sc/a.xml", sim7080("declared", power + R"xml(
  <unsolicited prefix="Revision:"/>
  <step name="s"><send>AT+GMR</send><urc timeout="5s" regex="Revision:(.+)" capture="rev"/><expect>OK</expect></step>)xml"));
  dir.write("sc/b.xml", sim7080("declared-response", power + R"xml(
  <unsolicited prefix="Revision:"/>
  <step name="s"><command send="AT+GMR" expect="Revision:(.+)" capture="rev"/></step>)xml"));
  dir.write("sc/c.xml", sim7080("undeclared", power + R"xml(
  <step name="s"><command send="AT+GMR" expect="Revision:(.+)" capture="rev"/></step>)xml"));
  auto r = run_scenarios(dir);
  CHECK(r["declared"].verdict == "passed");
  CHECK(r["declared-response"].verdict == "failure");
  CHECK(r["declared-response"].message.find("got the command ended with 'OK'") == std::string::npos);
  CHECK(r["declared-response"].message.find("the command ended with 'OK'") != std::string::npos);
  CHECK(r["undeclared"].verdict == "passed");
}

TEST_CASE("language: send-file writes a fixture file after DOWNLOAD, whole or in appended chunks") {
  TempDir dir;
  std::string small(500, 'a'), big;
  for (int i = 0; i < 25000; ++i) big += static_cast<char>(i * 7 % 256);  // every byte value, CR and LF included
  dir.write("fixtures/files/small.bin", small);
  dir.write("fixtures/files/big.bin", big);
  dir.write("sc/a.xml", sim7080("file-system-writes", power + R"xml(
  <step name="one write">
    <command send="AT+CFSINIT"/>
    <send>AT+CFSWFILE=3,"small.bin",0,500,5000</send>
    <send-file path="files/small.bin"/>
    <expect>OK</expect>
    <command send="AT+CFSGFIS=3,&quot;small.bin&quot;" expect="+CFSGFIS: 500"/>
  </step>
  <step name="appended chunks">
    <send-file path="files/big.bin" chunk="10000" command="AT+CFSWFILE=1,&quot;update.zip&quot;,{mode},{length},10000"/>
    <command send="AT+CFSGFIS=1,&quot;update.zip&quot;" expect="\+CFSGFIS: (\d+)" capture="stored"/>
    <check expr="${stored} == ${sent} &amp;&amp; ${sent} == 25000"/>
    <command send="AT+CFSTERM"/>
  </step>)xml"));
  auto r = run_scenarios(dir);
  CHECK(r["file-system-writes"].verdict == "passed");
  // The report keeps the head and tail of a passing case's output; its transcript file has it all.
  auto& system_out = r["file-system-writes"].out;
  auto named = system_out.find("transcript file: ");
  REQUIRE(named != std::string::npos);
  std::string out = read_file(system_out.substr(named + 17, system_out.find('\n', named) - named - 17));
  CHECK(out.find("> AT+CFSWFILE=1,\"update.zip\",0,10000,10000\\r") != std::string::npos);
  CHECK(out.find("> AT+CFSWFILE=1,\"update.zip\",1,10000,10000\\r") != std::string::npos);
  CHECK(out.find("> AT+CFSWFILE=1,\"update.zip\",1,5000,10000\\r") != std::string::npos);
  CHECK(out.find("sent 25000 bytes of files/big.bin") != std::string::npos);
}

TEST_CASE("language: supply cut and restore, and the RESET pin where the model has one") {
  TempDir dir;
  dir.write("rig.xml", R"xml(<rig name="two" time-scale="0.02">
  <slot name="a" model="SIM7080G" firmware="1951B02SIM7080G"><virtual/></slot>
  <slot name="b" model="SIM7000G" firmware="1529B08SIM7000G"><virtual ipr="115200"/></slot>
</rig>)xml");
  auto any_model = [](const std::string& name, const std::string& body) {
    return std::string(header) + "<scenario name=\"" + name + "\" models=\"SIM7080G SIM7000G\" timeout=\"5m\" requires=\"supply\">\n" + body +
           "\n</scenario>\n";
  };
  dir.write("sc/a.xml", any_model("brownout", R"xml(<step name="s">
    <power action="on"/>
    <supply state="off"/>
    <expect-pin name="status" level="low" timeout="1s"/>
    <supply state="on"/>
    <sleep duration="2s"/>
    <power action="on"/>
    <expect-reboot timeout="30s"/>
  </step>
  <teardown><power action="off"/></teardown>)xml"));
  dir.write("sc/b.xml", any_model("reset-pin", R"xml(<step name="s">
    <power action="on"/>
    <urc timeout="30s">SMS Ready</urc>
    <reset hold="300ms"/>
    <expect-reboot timeout="30s"/>
  </step>
  <teardown><power action="off"/></teardown>)xml"));
  for (const char* f : {"power-on.xml", "boot-ready.xml", "power-off.xml"}) dir.write(std::string("fixtures/") + f, read_file(source_dir() / "fixtures" / f));
  auto r = run_process({athil_exe().string(), "run", (dir.path() / "sc").string(), "--rig", (dir.path() / "rig.xml").string(), "--fixtures",
                        (dir.path() / "fixtures").string(), "--junit", (dir.path() / "out" / "junit.xml").string()},
                       source_dir());
  INFO(r.out, r.err);
  pugi::xml_document doc;
  REQUIRE(doc.load_file((dir.path() / "out" / "junit.xml").c_str()));
  std::map<std::string, std::string> verdicts;  // slot/scenario -> verdict and message
  for (auto suite : doc.child("testsuites").children("testsuite"))
    for (auto tc : suite.children("testcase")) {
      std::string v = "passed";
      for (const char* kind : {"failure", "error", "skipped"})
        if (auto n = tc.child(kind)) v = std::string(kind) + ": " + n.attribute("message").value();
      verdicts[std::string(suite.attribute("name").value()) + "/" + tc.attribute("name").value()] = v;
    }
  CHECK(verdicts["two.a/brownout"] == "passed");
  CHECK(verdicts["two.b/brownout"] == "passed");
  CHECK(verdicts["two.b/reset-pin"] == "passed");
  CHECK(verdicts["two.a/reset-pin"].find("error: slot a: <reset> at ") == 0);  // SIM7080G has no RESET pin
  CHECK(verdicts["two.a/reset-pin"].find("but the rig wires no reset line") != std::string::npos);
}

TEST_CASE("language: a press or a power sequence that does not fit in its step fails at the step's bound, never past it") {
  TempDir dir;
  // Real time: the power-off sequence of a SIM7080G (1.5 s press, STATUS low within 5 s, 2 s
  // rest) outlasts a 3 s step; a 20 s press does not fit in one at all.
  dir.write("rig.xml", R"xml(<rig name="real" time-scale="1">
  <slot name="v" model="SIM7080G" firmware="1951B02SIM7080G"><virtual/></slot>
</rig>)xml");
  dir.write("sc/a.xml", sim7080("press-too-long", R"xml(<step name="hold" timeout="3s">
    <power-key hold="20s"/>
  </step>)xml"));
  dir.write("sc/b.xml", sim7080("off-too-slow", R"xml(<setup><power action="on"/></setup>
  <step name="off" timeout="3s">
    <power action="off"/>
  </step>
  <teardown><power action="off"/></teardown>)xml"));
  auto r = run_scenarios(dir, {"--rig", (dir.path() / "rig.xml").string()});
  CHECK(r["press-too-long"].verdict == "failure");
  CHECK(r["press-too-long"].message.find("step 'hold'") != std::string::npos);
  CHECK(r["press-too-long"].message.find("a pwrkey press of 20s does not fit in the") != std::string::npos);
  CHECK(r["press-too-long"].message.find("the step timeout (3s) ran out first") != std::string::npos);
  const auto& pressed = r["press-too-long"].out;
  CHECK(pressed.substr(0, pressed.find("# block teardown")).find("pwrkey low") == std::string::npos);  // never pressed
  CHECK(r["off-too-slow"].verdict == "failure");
  // Cut in the wait for STATUS (1.8 to 2 s after the press) or in the rest after it.
  CHECK(r["off-too-slow"].message.find("step 'off'") != std::string::npos);
  CHECK(r["off-too-slow"].message.find(": power off: ") != std::string::npos);
  CHECK(r["off-too-slow"].message.find("the step timeout (3s) ran out first") != std::string::npos);
}

TEST_CASE("language: sync takes an autobauding SIM7000's lost first AT, else makes a wait optional, and a silent module fails sync") {
  TempDir dir;
  // v2 of the default rig is a SIM7000G as it leaves the factory: AT+IPR=0, silent at boot.
  dir.write("sc/autobaud.xml", sim7000("autobaud-power-on", power + R"xml(
  <step name="answers">
    <check expr="${boot_urcs} == 'none'" message="an autobauding module printed its boot URCs (${boot_urcs})"/>
    <command send="AT+CGMM" expect="SIMCOM_SIM7000G"/>
  </step>)xml"));
  dir.write("sc/optional.xml", sim7000("optional-wait", power + R"xml(
  <step name="maybe">
    <expect-any capture="seen" timeout="3s" else="nothing"><urc name="storm">+NEVER: 1</urc></expect-any>
    <check expr="${seen} == 'nothing'"/>
  </step>)xml"));
  dir.write("sc/silent.xml", sim7000("sync-on-a-module-that-is-off", R"xml(
  <step name="wake">
    <sync tries="3" timeout="1s"/>
  </step>)xml"));
  auto r = run_scenarios(dir, {"--slot", "v2"});
  CHECK(r["autobaud-power-on"].verdict == "passed");
  CHECK(r["autobaud-power-on"].out.find("# sync: AT answered at try 2") != std::string::npos);
  CHECK(r["autobaud-power-on"].out.find("# sync: no answer to AT within 200ms: no final result code is owed for 'AT' any more") != std::string::npos);
  CHECK(r["optional-wait"].verdict == "passed");
  // An optional wait is scaled with no floor (3s at 0.02): its end fails nothing.
  CHECK(r["optional-wait"].out.find("# expect-any: nothing within 60ms: 'nothing'") != std::string::npos);
  CHECK(r["sync-on-a-module-that-is-off"].verdict == "failure");
  CHECK(r["sync-on-a-module-that-is-off"].message.find("step 'wake'") != std::string::npos);
  CHECK(r["sync-on-a-module-that-is-off"].message.find("the module did not answer AT: no OK to any of 3 AT commands, 1s each") != std::string::npos);
}

TEST_CASE("language: expect-reboot takes STATUS low and high as the restart of an autobauding SIM7000, and never an earlier restart") {
  TempDir dir;
  // No RDY comes from a module that autobauds: STATUS is the evidence.
  dir.write("sc/1.xml", sim7000("creboot", power + R"xml(
  <step name="restart">
    <command send="AT+CREBOOT"/>
    <expect-reboot timeout="30s"/>
    <use fixture="boot-ready"/>
    <check expr="${boot_urcs} == 'none'" message="an autobauding module printed boot URCs"/>
  </step>)xml"));
  // Nothing restarts: the wait fails and says what STATUS did.
  dir.write("sc/2.xml", sim7000("no-restart", power + R"xml(
  <step name="restart">
    <command send="AT"/>
    <expect-reboot timeout="3s"/>
  </step>)xml"));
  // A restart that came before a line the scenario has since taken is not the one waited for.
  dir.write("sc/3.xml", sim7000("stale-restart", power + R"xml(
  <step name="restart">
    <command send="AT+CREBOOT"/>
    <use fixture="boot-ready"/>
    <command send="AT"/>
    <expect-reboot timeout="3s"/>
  </step>)xml"));
  auto r = run_scenarios(dir, {"--slot", "v2"});
  CHECK(r["creboot"].verdict == "passed");
  CHECK(r["no-restart"].verdict == "failure");
  CHECK(contains(r["no-restart"].message, "expected the module to restart (STATUS low, then high): STATUS never went low"));
  CHECK(r["stale-restart"].verdict == "failure");
  CHECK(contains(r["stale-restart"].message, "STATUS never went low"));
}

TEST_CASE("transcripts: each starts with its own scenario and ends with its verdict and reason, and no recovery cycles a module its teardown powered off") {
  TempDir dir;
  dir.write("sc/1-fails.xml", sim7080("fails", power + R"xml(<step name="ask"><command send="AT+GMR" expect="Revision:NOPE"/></step>)xml"));
  dir.write("sc/2-next.xml", sim7080("next", power + R"xml(<step name="at"><command send="AT"/></step>)xml"));
  auto r = run_scenarios(dir);
  auto events = [&](const std::string& name) {
    const std::string& out = r[name].out;
    auto at = out.find("transcript file: ");
    REQUIRE(at != std::string::npos);
    auto file = out.substr(at + 17, out.find('\n', at) - at - 17);
    std::vector<std::string> lines;
    std::istringstream in(read_file(file));
    for (std::string line; std::getline(in, line);)
      if (!line.empty() && line[0] != '#') lines.push_back(line.substr(line.find(' ') + 1));  // without the time
    REQUIRE(lines.size() > 2);
    return lines;
  };
  auto fails = events("fails");
  CHECK(fails.front() == "# scenario fails on slot v1 (" + (dir.path() / "sc" / "1-fails.xml").string() + ")");
  CHECK(fails.back().rfind("# end of fails: failed: step 'ask'", 0) == 0);
  CHECK(contains(fails.back(), "expected the line 'Revision:NOPE'"));
  CHECK(std::find(fails.begin(), fails.end(), "# recovery not needed: the teardown left the module powered off (STATUS low)") != fails.end());
  CHECK(std::none_of(fails.begin(), fails.end(), [](const std::string& l) { return contains(l, "recovery rung"); }));
  auto next = events("next");
  CHECK(next.front().rfind("# scenario next on slot v1", 0) == 0);
  CHECK(next.back() == "# end of next: passed");
  CHECK(r["next"].verdict == "passed");
}

TEST_CASE("real-speed timeouts: a wait that fits only because time is compressed is noted in the summary, and --time-scale 1 fails it as a real module would") {
  // Registration takes the module 3 s; the scenario allows 1 s.
  const std::string body = power + R"xml(
  <step name="register"><command send="AT+CEREG=1"/><command send="AT+CFUN=0"/><command send="AT+CFUN=1"/><urc timeout="1s">+CEREG: 1</urc></step>)xml";
  TempDir compressed;
  compressed.write("sc/register.xml", sim7080("register-in-1s", body));
  auto r = run_scenarios(compressed);
  CHECK(r["register-in-1s"].verdict == "passed");
  std::string summary = read_file(compressed.path() / "out" / "latest" / "summary.md");
  CHECK(contains(summary, "## Would not fit at real speed"));
  CHECK(contains(summary, "register-in-1s: "));
  CHECK(contains(summary, "URC the line '+CEREG: 1' took "));
  CHECK(contains(summary, " of module time where the scenario allows 1s"));
  CHECK(contains(r["register-in-1s"].out, "# compressed time: "));

  TempDir real;
  real.write("sc/register.xml", sim7080("register-in-1s", body));
  auto at_real_speed = run_scenarios(real, {"--time-scale", "1", "-D", "power_off_settle=2s"});
  CHECK(at_real_speed["register-in-1s"].verdict == "failure");
  CHECK(contains(at_real_speed["register-in-1s"].message, "expected URC the line '+CEREG: 1'"));
  CHECK_FALSE(contains(read_file(real.path() / "out" / "latest" / "summary.md"), "Would not fit at real speed"));
}

TEST_CASE("a command the virtual module does not model is named: on the transcript, beside the failure it caused, and in the slot's part of summary.md") {
  TempDir dir;
  // AT+CRSM (restricted SIM access) is a real command the virtual module does not play.
  dir.write("sc/needs.xml", sim7000("needs-crsm", power + R"xml(
  <step name="sim-file"><command send="AT+CRSM=176,28539,0,0,12"/></step>)xml"));
  dir.write("sc/tolerates.xml", sim7000("tolerates-crsm", power + R"xml(
  <step name="sim-file"><send>AT+CRSM=176,28539,0,0,12</send><expect>ERROR</expect></step>)xml"));
  // A misspelt command: the real module answers ERROR too, so nothing is blamed on the model.
  dir.write("sc/typo.xml", sim7000("misspelt", power + R"xml(
  <step name="signal"><command send="AT+CSQQ"/></step>)xml"));
  auto r = run_scenarios(dir, {"--slot", "v2"});
  CHECK(r["misspelt"].verdict == "failure");
  CHECK_FALSE(contains(r["misspelt"].message, "does not model"));
  CHECK(r["needs-crsm"].verdict == "failure");
  CHECK(contains(r["needs-crsm"].message, "ERROR"));
  CHECK(contains(r["needs-crsm"].message, "(the virtual module does not model AT+CRSM)"));
  CHECK(contains(r["needs-crsm"].out, "# the virtual module does not model AT+CRSM: it answered ERROR"));
  CHECK(r["tolerates-crsm"].verdict == "passed");
  CHECK_FALSE(contains(r["tolerates-crsm"].message, "does not model"));
  std::string summary = read_file(dir.path() / "out" / "latest" / "summary.md");
  CHECK(contains(summary, "Not modelled by the virtual module (answered ERROR, as a module answers a command it does not know):\n\n- AT+CRSM ("));
  CHECK((contains(summary, "- AT+CRSM (needs-crsm, tolerates-crsm)") || contains(summary, "- AT+CRSM (tolerates-crsm, needs-crsm)")));
  CHECK_FALSE(contains(summary, "AT+CSQQ"));
}

TEST_CASE("language: current windows on a virtual module: a span, since a mark, a marginal band, a failing minimum, values as variables") {
  TempDir dir;
  dir.write("sc/cur-marginal.xml", sim7080("cur-marginal", power + R"xml(
  <step name="idle"><current name="idle" for="5s"><limit of="average" max="30mA" marginal="5mA"/></current></step>)xml"));
  dir.write("sc/cur-min.xml", sim7080("cur-min", power + R"xml(
  <step name="idle"><current name="idle" for="2s"><limit of="average" min="100mA"/></current></step>)xml"));
  dir.write("sc/cur-since.xml", sim7080("cur-since", power + R"xml(
  <step name="window"><mark name="m"/><sleep duration="3s"/><current name="w" since="m"><limit of="p50" max="30mA"/><limit of="charge" max="1C"/></current>
    <check expr="${w_average} &gt; 0.005 &amp;&amp; ${w_average} &lt; 0.06"/></step>)xml"));
  auto out = run_scenarios(dir);
  CHECK(out["cur-marginal"].verdict == "passed");
  CHECK(contains(out["cur-marginal"].out, "[[PROPERTY|idle.verdict=marginal]]"));
  CHECK(contains(out["cur-marginal"].out, "[[PROPERTY|idle.window=5s]]"));  // told in module time, whatever the rig's scale
  CHECK(out["cur-min"].verdict == "failure");
  CHECK(contains(out["cur-min"].message, "current 'idle' at "));
  CHECK(contains(out["cur-min"].message, " mA is below its limit (average min 100mA)"));
  CHECK(out["cur-since"].verdict == "passed");
  CHECK(contains(out["cur-since"].out, "[[PROPERTY|w.verdict=pass]]"));
}

TEST_CASE("language: a window's resolution: at 10us its lowest is the floor between paging peaks, at 200ms each sample holds several peaks") {
  TempDir dir;
  dir.write("sc/cur-resolution.xml", sim7080("cur-resolution", power + R"xml(
  <step name="idle"><sleep duration="5s"/><mark name="m"/><sleep duration="10s"/>
    <current name="fine" since="m" resolution="10us"><limit of="average" max="30mA"/></current>
    <current name="coarse" since="m" resolution="200ms"><limit of="average" max="30mA"/></current></step>)xml"));
  auto out = run_scenarios(dir);
  REQUIRE(out["cur-resolution"].verdict == "passed");
  auto value = [&](const std::string& name) {
    std::smatch m;
    REQUIRE_MESSAGE(std::regex_search(out["cur-resolution"].out, m, std::regex("\\[\\[PROPERTY\\|" + name + "=([0-9.]+) (u|m)A\\]\\]")), name);
    return std::stod(m[1]) * (m[2] == "u" ? 1e-6 : 1e-3);
  };
  // The same samples: the same average and peak; only what a sample holds differs.
  CHECK(value("fine.average") == doctest::Approx(value("coarse.average")).epsilon(0.02));
  CHECK(value("fine.peak") == doctest::Approx(value("coarse.peak")).epsilon(0.02));
  // The floor is 4 % below the average (a 10 ms, 60 mA peak every 1.28 s); 200 ms hold 8 peaks.
  CHECK(value("fine.lowest") < 0.98 * value("fine.average"));
  CHECK(value("coarse.lowest") > 0.98 * value("coarse.average"));
  CHECK(value("fine.peak") > 2 * value("fine.average"));

  auto file =
      dir.write("sc/bad.xml", sim7080("bad", R"(<step name="s"><current name="a" for="1s" resolution="1us"><limit of="average" max="1mA"/></current></step>)"));
  auto r = run_process({athil_exe().string(), "validate", file.string()}, source_dir());
  CHECK(r.exit_code == 2);
  CHECK_MESSAGE(contains(r.err, "resolution 1us is outside 10us (a PPK2's sample) to 1s"), r.err);
}

TEST_CASE("language: current windows and limits are checked when the scenario loads, with file:line:col") {
  TempDir dir;
  auto check = [&](const std::string& body, const std::string& expected) {
    auto file = dir.write("sc/bad.xml", sim7080("bad", "<step name=\"s\">\n" + body + "\n</step>"));
    auto r = run_process({athil_exe().string(), "validate", file.string()}, source_dir());
    CHECK_MESSAGE(r.exit_code == 2, r.err);
    CHECK_MESSAGE(contains(r.err, expected), r.err);
  };
  check(R"(<current name="a" for="1s"><limit of="median" max="1mA"/></current>)",
        "bad.xml:4:35: error: of is average, peak, lowest, charge or a percentile such as p99");
  check(R"(<current name="a" for="1s"><limit of="average" max="+20%"/></current>)", "'+20%' is relative: name the measurement it compares with");
  check(R"(<current name="a" since="nowhere"><limit of="average" max="1mA"/></current>)",
        "bad.xml:4:1: error: since=\"nowhere\" names no <mark> before this <current>");
  check(R"(<current name="a" for="1s"><limit of="average" max="1mA" marginal="2mA"/></current>)", "marginal must be lower than max");
  check(R"(<current name="a" for="1s"/>)", "a <current> checks at least one <limit>");
  check(R"(<current name="a" for="1s"><limit of="charge" max="1mA"/></current>)", "the unit must be C");
  check(R"(<current name="a" for="1s" compare="b"><limit of="average" max="+5%"/></current>)", "compare=\"b\" names no <current> before this one");
}
