// End to end: the athil binary runs scenarios on virtual modules over real pseudo-terminals,
// and the JUnit file says what a CI system would show.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pugixml.hpp>

#include "tests/support.hpp"

using namespace athil::test;

namespace {

struct Run {
  ProcessResult process;
  pugi::xml_document junit;
  std::filesystem::path dir;
};

Run athil_run(const TempDir& dir, std::vector<std::string> extra) {
  Run r;
  r.dir = dir.path();
  std::vector<std::string> argv = {athil_exe().string(), "run", "--junit", (dir.path() / "junit.xml").string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  r.process = run_process(argv, source_dir());
  r.junit.load_file((dir.path() / "junit.xml").c_str());
  return r;
}

std::string attr(pugi::xml_node n, const char* a) { return n.attribute(a).value(); }

}  // namespace

TEST_CASE("e2e: the vendor FOTA procedure passes on a virtual SIM7080G and lands in the report") {
  TempDir dir;
  auto r = athil_run(dir, {"--slot", "v1", "scenarios/fota/http-upgrade.xml"});
  INFO(r.process.out, r.process.err);
  CHECK(r.process.exit_code == 0);
  auto suite = r.junit.child("testsuites").child("testsuite");
  CHECK(attr(suite, "name") == "virtual.v1");
  CHECK(attr(suite, "tests") == "1");
  CHECK(attr(suite, "failures") == "0");
  CHECK(attr(suite, "errors") == "0");
  auto tc = suite.child("testcase");
  CHECK(attr(tc, "name") == "fota-http-upgrade");
  CHECK_FALSE(tc.child("failure"));
  std::string out = tc.child("system-out").text().get();
  // The transcript shows the whole procedure, both ways, and the restore to the rig firmware.
  CHECK(out.find("> AT+CFOTA=1\\r") != std::string::npos);
  CHECK(out.find("+CFOTA: \"Update successfully, please wait for reset\"") != std::string::npos);
  CHECK(out.find("Revision:1951B03SIM7080G") != std::string::npos);
  CHECK(out.find("log: restoring 1951B02SIM7080G from 1951B03SIM7080G") != std::string::npos);
  CHECK(out.find("= pwrkey low") != std::string::npos);
  CHECK(out.find("= status high") != std::string::npos);
  CHECK(out.find("# urc: +CFOTA: \"Update successfully, please wait for reset\"") != std::string::npos);
  // The suite names what the module said it was before the update.
  std::map<std::string, std::string> props;
  for (auto p : suite.child("properties").children("property")) props[attr(p, "name")] = attr(p, "value");
  CHECK(props["revision"] == "1951B02SIM7080G");
  CHECK(props["imei"].size() == 15);
  CHECK(props["model"] == "SIM7080G");
  // The run's folder: transcript, waveform and summary, reached through `latest`.
  auto run_dir = dir.path() / "latest";
  REQUIRE(std::filesystem::is_directory(run_dir));
  CHECK(contains(read_file(run_dir / "v1" / "fota-http-upgrade.log"), "> AT+CFOTA=1\\r"));
  // The waveform: the pins, NETLIGHT among them, and the commands and URCs as text on the trace.
  auto vcd = read_file(run_dir / "v1" / "fota-http-upgrade.vcd");
  CHECK(contains(vcd, " pwrkey $end"));
  CHECK(contains(vcd, " netlight $end"));
  CHECK(contains(vcd, "\nsAT+CFOTA=1 %\n"));
  CHECK(contains(vcd, "\ns+CFOTA:_\"Update_successfully,_please_wait_for_reset\" &\n"));
  CHECK(contains(out, "transcript file: " + (std::filesystem::canonical(run_dir) / "v1" / "fota-http-upgrade.log").string()));
  std::string summary = read_file(run_dir / "summary.md");
  CHECK(contains(summary, "| v1 | SIM7080G | 1951B02SIM7080G |"));
  CHECK(contains(summary, "[fota-http-upgrade.log](v1/fota-http-upgrade.log)"));
  // Nothing written beside the report folder but what belongs to it.
  int run_folders = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    auto name = e.path().filename().string();
    bool run_folder = e.is_directory() && !e.is_symlink() && name.size() >= 16 && name[8] == '-';
    run_folders += run_folder;
    CHECK_MESSAGE((name == "junit.xml" || name == "latest" || name == "athil.db" || name == "history.html" || run_folder),
                  name);  // the store's WAL files go when it closes
  }
  CHECK(run_folders == 1);
}

TEST_CASE("e2e: a delta built for another revision fails the scenario with +CFOTA: 7 in the failure") {
  TempDir dir;
  auto r = athil_run(dir, {"--slot", "v1", "scenarios/fota/http-upgrade.xml", "-D", "delta_from=1951B01SIM7080G"});
  INFO(r.process.out, r.process.err);
  CHECK(r.process.exit_code == 1);
  auto suite = r.junit.child("testsuites").child("testsuite");
  CHECK(attr(suite, "failures") == "1");
  auto failure = suite.child("testcase").child("failure");
  REQUIRE(failure);
  std::string message = attr(failure, "message");
  std::string text = failure.text().get();
  CHECK(message.find("+CFOTA: 7") != std::string::npos);
  CHECK(message.find("step 'verify'") != std::string::npos);
  CHECK(message.find("http-upgrade.xml:") != std::string::npos);
  CHECK(text.find("expected: the line '+CFOTA: 6'") != std::string::npos);
  CHECK(text.find("[urc] +CFOTA: \"Update failed, please wait for reset\"") != std::string::npos);
}

TEST_CASE("e2e: a scenario mistake stops the run before any module is touched, exit 2 with file:line:col") {
  TempDir dir;
  auto bad = dir.write("bad/typo.xml",
                       "<?xml version=\"1.0\"?>\n<scenario name=\"t\" models=\"SIM7080G\">\n  <step name=\"s\">\n    <expect timout=\"5s\">OK</expect>\n  "
                       "</step>\n</scenario>\n");
  auto r = athil_run(dir, {bad.string()});
  CHECK(r.process.exit_code == 2);
  CHECK(r.process.err.find("typo.xml:4:13: error: <expect> has no attribute 'timout'") != std::string::npos);
  // The report is this run's: one error that says why nothing ran, never the last run's results.
  auto report = read_report(dir.path() / "junit.xml");
  REQUIRE(report.loaded);
  auto c = report.suites["athil"]["input"];
  CHECK(c.verdict == "error");
  CHECK(contains(c.message, "the run did not start: "));
  CHECK(contains(c.message, "typo.xml:4:13: error: <expect> has no attribute 'timout'"));
  CHECK_FALSE(std::filesystem::exists(dir.path() / "latest"));  // no run folder: nothing ran
}

TEST_CASE("e2e: a rig mistake is exit 2 with its position, and so are bad command lines") {
  TempDir dir;
  auto rig = dir.write("rig.xml", "<rig name=\"r\" time-scale=\"fast\">\n  <slot name=\"a\" model=\"SIM7080G\" firmware=\"x\"><virtual/></slot>\n</rig>\n");
  auto r = athil_run(dir, {"--rig", rig.string()});
  CHECK(r.process.exit_code == 2);
  CHECK(r.process.err.find("rig.xml:1:15: error: time-scale is a number above 0") != std::string::npos);
  CHECK(run_process({athil_exe().string(), "run", "--no-such-flag"}, source_dir()).exit_code == 2);
  CHECK(run_process({athil_exe().string(), "run", "-D", "novalue"}, source_dir()).exit_code == 2);
  CHECK(run_process({athil_exe().string(), "sim", "--model", "SIM9999"}, source_dir()).exit_code == 2);
}

TEST_CASE("e2e: names that are likely mistakes are warned about with a suggestion, and the input stays valid") {
  TempDir dir;
  // A -D that no scenario reads: a misspelt FOTA target would otherwise go unnoticed.
  auto r = run_process({athil_exe().string(), "validate", "-D", "fota_targt=1951B03SIM7080G", "-D", "apn=iot"}, source_dir());
  CHECK(r.exit_code == 0);
  CHECK(contains(r.err, "warning: -D fota_targt: no scenario here uses ${fota_targt} (did you mean 'fota_target'?)"));
  CHECK_FALSE(contains(r.err, "-D apn"));  // the model profiles read it for the bearer
  // A scenario for models the rig does not have.
  auto rig = dir.write("rig.xml", "<rig name=\"only7000\">\n  <slot name=\"a\" model=\"SIM7000G\" firmware=\"1529B08SIM7000G\"><virtual/></slot>\n</rig>\n");
  auto nb = dir.write("nb.xml", "<scenario name=\"nb-only\" models=\"SIM7090G\">\n  <step name=\"s\"><command send=\"AT\"/></step>\n</scenario>\n");
  r = run_process({athil_exe().string(), "validate", "--rig", rig.string(), nb.string(), "scenarios/at/identity.xml"}, source_dir());
  CHECK(r.exit_code == 0);
  CHECK(contains(r.err, "warning: nb-only runs on no slot of rig only7000 (it lists SIM7090G)"));
  CHECK_FALSE(contains(r.err, "at-identity"));
}

TEST_CASE("e2e: the help of athil and of each command that judges lists its exit codes, and rig check defaults to the virtual rack") {
  for (std::vector<std::string> args : {std::vector<std::string>{"--help"}, {"run", "--help"}, {"validate", "--help"}, {"list", "--help"}}) {
    args.insert(args.begin(), athil_exe().string());
    auto r = run_process(args, source_dir());
    CAPTURE(args[1]);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "Exit codes: 0 all passed; 1 a scenario failed"));
    CHECK(contains(r.out, "3 infrastructure"));
  }
  auto help = run_process({athil_exe().string(), "rig", "check", "--help"}, source_dir());
  CHECK(contains(help.out, "Exit codes: 0 every slot reachable"));
  auto check = run_process({athil_exe().string(), "rig", "check"}, source_dir());
  CHECK(check.exit_code == 0);
  CHECK(contains(check.out, "v1    virtual module   ok"));
  CHECK(contains(check.out, "v1    instrument ppk2  ok    answers: PPK2 on "));
}

TEST_CASE("e2e: a slot whose port cannot be opened is an infrastructure error, exit 3, and still a valid report") {
  TempDir dir;
  auto rig =
      dir.write("rig.xml", "<rig name=\"r\">\n  <slot name=\"real1\" model=\"SIM7080G\">\n    <serial port=\"/dev/athil-missing-port\"/>\n  </slot>\n</rig>\n");
  auto r = athil_run(dir, {"--rig", rig.string(), "scenarios/fota/http-upgrade.xml"});
  CHECK(r.process.exit_code == 3);
  auto tc = r.junit.child("testsuites").child("testsuite").child("testcase");
  auto error = tc.child("error");
  REQUIRE(error);
  CHECK(attr(error, "message").find("slot real1 unreachable: serial port /dev/athil-missing-port: cannot open") != std::string::npos);
}

TEST_CASE("e2e: a runner killed outright takes its virtual modules with it") {
  TempDir dir;
  int runner = spawn_process({athil_exe().string(), "run", "--slot", "v1", "--junit", (dir.path() / "junit.xml").string(), "scenarios/fota"}, source_dir());
  // Wait (bounded) until the runner has started its module.
  std::vector<int> modules;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (modules.empty() && std::chrono::steady_clock::now() < deadline) {
    ::usleep(20'000);
    modules = children_of(runner);
  }
  REQUIRE(modules.size() == 1);
  ::kill(runner, SIGKILL);
  int status = 0;
  ::waitpid(runner, &status, 0);
  // The module notices and ends; poll its /proc entry until it is gone (or reaped by init).
  bool gone = false;
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!gone && std::chrono::steady_clock::now() < deadline) {
    std::string stat = read_file("/proc/" + std::to_string(modules[0]) + "/stat");
    gone = stat.empty() || stat.find(") Z ") != std::string::npos;
    if (!gone) ::usleep(20'000);
  }
  CHECK(gone);
  // The report written so far is still a whole XML document.
  pugi::xml_document doc;
  CHECK(doc.load_file((dir.path() / "junit.xml").c_str()));
}

TEST_CASE("e2e: FOTA on a module whose port re-enumerates at every restart, as on USB") {
  TempDir dir;
  auto rig = dir.write("usb.xml", R"xml(<rig name="usb" time-scale="0.02">
  <slot name="u1" model="SIM7080G" firmware="1951B02SIM7080G" fota-target="1951B03SIM7080G"><virtual usb="true"/></slot>
</rig>)xml");
  auto r = athil_run(dir, {"--rig", rig.string(), "scenarios/fota/http-upgrade.xml"});
  INFO(r.process.out, r.process.err);
  CHECK(r.process.exit_code == 0);
  auto tc = r.junit.child("testsuites").child("testsuite").child("testcase");
  std::string out = tc.child("system-out").text().get();
  CHECK(out.find("# port gone: ") != std::string::npos);  // AT+CFOTA=1 restarts the module: its port goes
  CHECK(out.find("# port back: ") != std::string::npos);  // and the harness reattaches to the new one
  CHECK(out.find("Revision:1951B03SIM7080G") != std::string::npos);
}

TEST_CASE("e2e: a rig's named faults reach the virtual module, and a misspelt one is exit 2 at its position") {
  TempDir dir;
  dir.write("rig.xml", R"xml(<rig name="faulty" time-scale="0.02">
  <slot name="f1" model="SIM7080G" firmware="1951B02SIM7080G" fota-target="1951B03SIM7080G"><virtual faults="http-601 urc-storm=2s"/></slot>
</rig>)xml");
  auto r = athil_run(dir, {"scenarios/fota/http-upgrade.xml", "--rig", (dir.path() / "rig.xml").string()});
  INFO(r.process.out, r.process.err);
  CHECK(r.process.exit_code == 1);
  auto failure = r.junit.child("testsuites").child("testsuite").child("testcase").child("failure");
  REQUIRE(failure);
  CHECK(attr(failure, "message").find("delta download answered HTTP 601") != std::string::npos);
  CHECK(attr(failure, "message").find("step 'download'") != std::string::npos);

  dir.write("typo.xml", R"xml(<rig name="faulty" time-scale="0.02">
  <slot name="f1" model="SIM7080G" firmware="1951B02SIM7080G"><virtual faults="http-601 hnag=3s"/></slot>
</rig>)xml");
  auto bad = athil_run(dir, {"scenarios/fota/http-upgrade.xml", "--rig", (dir.path() / "typo.xml").string()});
  CHECK(bad.process.exit_code == 2);
  CHECK(bad.process.err.find("typo.xml:2:") != std::string::npos);
  CHECK(bad.process.err.find("unknown fault 'hnag' (did you mean 'hang'?)") != std::string::npos);
}

TEST_CASE("e2e: the default run, smoke and nightly on the virtual rack, passes on all four models") {
  TempDir dir;
  auto r = athil_run(dir, {"--tag", "smoke,nightly"});
  INFO(r.process.out, r.process.err);
  CHECK(r.process.exit_code == 0);
  auto report = read_report(dir.path() / "junit.xml");
  for (const char* slot : {"virtual.v1", "virtual.v2", "virtual.v3", "virtual.v4"}) {
    CAPTURE(slot);
    auto& cases = report.suites[slot];
    CHECK(cases.size() >= 8);
    for (const char* name : {"at-identity", "power-pwrkey-on-off", "power-cpowd-normal", "network-registration", "network-bearer-up-down"})
      CHECK_MESSAGE(cases[name].verdict == "passed", name);
    for (auto& [name, c] : cases) CHECK_MESSAGE(c.verdict == "passed", name);
  }
  CHECK(report.suites["virtual.v1"]["fota-http-upgrade"].verdict == "passed");
  // Its page has every testcase, and stays small enough to open and to keep as a CI artifact.
  auto page = dir.path() / "latest" / "index.html";
  REQUIRE(std::filesystem::exists(page));
  CHECK(std::filesystem::file_size(page) < 2 * 1024 * 1024);
  std::string html = read_file(page);
  std::size_t on_page = 0, in_report = 0;
  for (auto at = html.find("<details class=\"case "); at != std::string::npos; at = html.find("<details class=\"case ", at + 1)) ++on_page;
  for (const auto& [suite, cases] : report.suites) in_report += cases.size();
  CHECK(on_page == in_report);
}
