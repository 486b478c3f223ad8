// Field failures: logs of each shape imported, a session replayed with its divergences
// reported, a scenario scaffolded from it.
#include <doctest/doctest.h>

#include <signal.h>

#include <map>

#include "base/error.hpp"
#include "field/replay.hpp"
#include "field/scaffold.hpp"
#include "scenario/loader.hpp"
#include "support.hpp"

using namespace athil;
using namespace athil::test;
using namespace athil::field;
using namespace std::chrono_literals;

namespace {

// The bytes each way, in order (the host program's own lines, kept as notes, left out).
std::vector<std::pair<char, std::string>> events_of(const Session& s) {
  std::vector<std::pair<char, std::string>> out;
  for (const auto& e : s.events)
    if (e.dir != Direction::note) out.emplace_back(static_cast<char>(e.dir), e.bytes);
  return out;
}

// The notes the import kept: line number and text.
std::vector<std::pair<int, std::string>> notes_of(const Session& s) {
  std::vector<std::pair<int, std::string>> out;
  for (const auto& e : s.events)
    if (e.dir == Direction::note) out.emplace_back(e.line, e.bytes);
  return out;
}

}  // namespace

TEST_CASE("field import: a raw terminal capture is echoed commands and the module's lines, and a payload a header announces is kept whole") {
  std::string log = "# a capture\r\nAT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\nAT+SHREAD=0,8\r\nOK\r\n\r\n+SHREAD: 8\r\nab\r\n\r\ncd\r\n\r\n+SHSTATE: 0\r\n";
  auto s = import_log(log);
  CHECK(s.format == LogFormat::raw);
  CHECK(s.problems.empty());
  using E = std::vector<std::pair<char, std::string>>;
  // The module's lines of one moment are one chunk (this log has no times: all of them between
  // two commands), as the harness records what it reads; a payload stays a chunk of its own.
  CHECK(events_of(s) == E{{'>', "AT+CSQ\r"},
                          {'<', "AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n"},
                          {'>', "AT+SHREAD=0,8\r"},
                          {'<', "AT+SHREAD=0,8\r\r\nOK\r\n\r\n+SHREAD: 8\r\n"},
                          {'<', "ab\r\n\r\ncd"},
                          {'<', "\r\n+SHSTATE: 0\r\n"}});
  // A payload shorter than its header says: kept as the log has it, and said so.
  auto short_payload = import_log("AT+SHREAD=0,100\r\n+SHREAD: 100\r\nab\r\n");
  REQUIRE(short_payload.problems.size() == 1);
  CHECK(short_payload.problems[0].line == 2);
  CHECK(contains(short_payload.problems[0].why, "a payload of 100 bytes announced, the log holds 4"));
}

TEST_CASE("field import: send and receive markers with their times, a line outside any block reported with its number") {
  std::string log =
      "2019-06-26 14:05:09:055[Send->]AT+CPIN?\r\n\r\n"
      "2019-06-26 14:05:09:057[Recv<-]AT+CPIN?\r\n\r\n+CPIN: READY\r\n\r\nOK\r\n\r\n"
      "2019-06-26 14:05:14:983[Send->]AT+CNACT=1,\"cmnet\"\r\n"
      "2019-06-26 14:05:14:987[Recv<-]AT+CNACT=1,\"cmnet\"\r\n\r\nOK\r\n"
      "2019-06-26 14:05:15:479[Recv<-]\r\n+APP PDP: ACTIVE\r\n";
  auto s = import_log(log);
  CHECK(s.format == LogFormat::markers);
  CHECK(s.problems.empty());
  auto d = dialogue_of(s);
  REQUIRE(d.exchanges.size() == 2);
  CHECK(d.exchanges[0].command == "AT+CPIN?");
  CHECK(d.exchanges[0].line == 1);
  auto pdp = output_lines(d.exchanges[1].output);
  REQUIRE(pdp.size() == 3);
  CHECK(pdp[2].text == "+APP PDP: ACTIVE");
  CHECK(pdp[2].after == doctest::Approx(0.496));  // measured from the send

  auto arrows = import_log(">>> AT\n<<< OK\n[12:00:01.000] >>> AT+CGMM\n[12:00:01.250] <<< SIMCOM_SIM7080\nstray text\n");
  CHECK(arrows.format == LogFormat::markers);
  CHECK(arrows.problems.empty());
  // The host program's own line stays on the timeline as a note, with its number.
  CHECK(notes_of(arrows) == std::vector<std::pair<int, std::string>>{{5, "stray text"}});
  CHECK(output_lines(dialogue_of(arrows).exchanges[1].output)[0].after == doctest::Approx(0.25));
}

TEST_CASE("field import: ESP-IDF esp-modem lines, a typed session, the harness's own transcript, and an unknown format name refused") {
  auto esp = import_log("I (451) main: Cpu freq: 160 MhZ\nI (521) AT CMD: AT\nI (721) AT CMD: AT\nI (721) AT RESP: AT\n\nI (721) AT RESP: OK\n");
  CHECK(esp.format == LogFormat::espidf);
  CHECK(esp.problems.empty());
  CHECK(notes_of(esp) == std::vector<std::pair<int, std::string>>{{1, "main: Cpu freq: 160 MhZ"}});  // the application's own line, not dropped unseen
  auto d = dialogue_of(esp);
  REQUIRE(d.exchanges.size() == 2);
  CHECK(d.exchanges[0].output.empty());  // the first AT went unanswered
  CHECK(output_lines(d.exchanges[1].output).size() == 2);

  auto typed = import_log("    # check\n    -> AT+CSQ\n    +CSQ: 23,99\n    ->: User input\n");
  CHECK(typed.format == LogFormat::markers);  // a typed session: marked sends, the module's lines below
  CHECK(events_of(typed) == std::vector<std::pair<char, std::string>>{{'>', "AT+CSQ\r"}, {'<', "\r\n+CSQ: 23,99\r\n"}});
  CHECK(notes_of(typed) == std::vector<std::pair<int, std::string>>{{1, "# check"}, {4, "->: User input"}});

  auto own = import_log("# athil-transcript 1\n0.000000 > AT\\r\n0.001000 < AT\\r\\r\\nOK\\r\\n\n0.002000 # a note\n0.5 ? what\n");
  CHECK(own.format == LogFormat::athil);
  CHECK(events_of(own) == std::vector<std::pair<char, std::string>>{{'>', "AT\r"}, {'<', "AT\r\r\nOK\r\n"}});
  REQUIRE(own.problems.size() == 1);
  CHECK(own.problems[0].line == 5);
  // Round trip through the transcript format keeps every byte.
  auto again = import_log(render_transcript(own));
  CHECK(events_of(again) == events_of(own));

  CHECK_THROWS_WITH_AS(parse_log_format("pcap"), doctest::Contains("unknown log format 'pcap'"), InputError);
  CHECK(contains(import_log("just text\n").problems.back().why, "no command sent to the module"));
}

TEST_CASE("field replay: answers in the recorded order and timing, and reports a command the log lacks or one out of order") {
  auto s = import_log(
      ">>> AT+CNACT=1,\"apn-a\"\n<<< OK\n"
      "[00:00:01.000] >>> AT+CSQ\n[00:00:01.010] <<< +CSQ: 20,99\n[00:00:01.010] <<< OK\n[00:00:03.000] <<< +APP PDP: DEACTIVE\n"
      ">>> AT+CGMM\n<<< SIMCOM_SIM7000G\n<<< OK\n");
  std::vector<std::string> divergences;
  Replayer r(dialogue_of(s), 0.5, {std::regex("\"[^\"]*\"")}, [&](const std::string& d) { divergences.push_back(d); });
  auto t0 = ReplayClock::now();
  r.start(t0);
  CHECK(r.due(t0).empty());
  // The APN differs from the log, in a part marked as varying: the same command.
  r.host_bytes("AT+CNACT=1,\"apn-b\"\r", t0);
  CHECK(r.due(t0) == "\r\nOK\r\n");
  r.host_bytes("AT+CSQ\r", t0);
  CHECK(r.due(t0 + 1ms) == "");
  CHECK(r.due(t0 + 6ms) == "\r\n+CSQ: 20,99\r\n\r\nOK\r\n");  // 10 ms recorded, at time scale 0.5
  REQUIRE(r.next_due());
  CHECK(*r.next_due() - t0 == std::chrono::milliseconds(1000));  // the URC 2 s after the command, halved
  CHECK(divergences.empty());
  r.host_bytes("AT+CGSN\r", t0);
  CHECK(r.due(t0 + 1s) == "AT+CGSN\r\r\nERROR\r\n\r\n+APP PDP: DEACTIVE\r\n");
  REQUIRE(divergences.size() == 1);
  CHECK(divergences[0] == "'AT+CGSN' is not in the log (the log has 'AT+CGMM' next (line 7)); answered ERROR");
  CHECK(r.served() == 2);
  CHECK(r.divergences() == 1);

  Replayer out_of_order(dialogue_of(s), 1.0, {}, [&](const std::string& d) { divergences.push_back(d); });
  out_of_order.start(t0);
  out_of_order.host_bytes("AT+CSQ\r", t0);
  CHECK(divergences.back() == "'AT+CSQ' sent out of order: the log has it at line 3, after 'AT+CNACT=1,\"apn-a\"' (line 1) that was not sent");
  CHECK(out_of_order.due(t0 + 20ms) == "\r\n+CSQ: 20,99\r\n\r\nOK\r\n");
}

TEST_CASE("field replay: a payload with line ends inside, taken whole when it comes in pieces, and the next payload's leading line end left to it") {
  // esp_modem's sync: "\r\nAT\r\n\0" written three times while the module is off, then its boot URCs.
  auto s = import_log(
      "D (100) uart-tx: 0x3f419c18   0d 0a 41 54 0d 0a 00   |..AT...|\nD (200) uart-tx: 0x3f419c18   0d 0a 41 54 0d 0a 00   |..AT...|\n"
      "D (300) uart-tx: 0x3f419c18   0d 0a 41 54 0d 0a 00   |..AT...|\nD (400) uart-rx: 0x3ffc962c   0d 0a 52 44 59 0d 0a   |..RDY..|\n");
  REQUIRE(dialogue_of(s).exchanges.size() == 3);
  std::vector<std::string> divergences;
  Replayer r(dialogue_of(s), 1.0, {}, [&](const std::string& d) { divergences.push_back(d); });
  auto t0 = ReplayClock::now();
  r.start(t0);
  // The first in two pieces, split after its first CR; the next two back to back, as a scaffold writes them.
  r.host_bytes("\r", t0);
  r.host_bytes(std::string("\nAT\r\n\0\r\n", 8), t0);
  r.host_bytes(std::string("\r\nAT\r\n\0\r\n\r\nAT\r\n\0\r\n", 18), t0);
  CHECK(divergences.empty());
  CHECK(r.served() == 3);
  CHECK(r.due(t0 + 1s) == "\r\nRDY\r\n");
}

TEST_CASE("field scaffold: a scenario that loads, sends what the log sent, expects what the module answered, captures what varies") {
  auto s =
      import_log("AT+CGMM\r\nSIMCOM_SIM7070\r\n\r\nOK\r\nAT+CASEND=0,5\r\n\r\n> \r\n\r\nOK\r\n\r\n+CASEND: 0,0,5\r\nAT+CSQ\r\n+CSQ: 23,99\r\nAT\r\nOK\r\n");
  CHECK(guess_model(s) == "SIM7070");
  auto xml = scaffold(s, {"field-test", "test.log", ""});
  CHECK(contains(xml, "models=\"SIM7070\""));
  CHECK(contains(xml, "<expect regex=\"> \" />"));                  // the prompt, its blank kept
  CHECK(contains(xml, "<urc>+CASEND: 0,0,5</urc>"));                // after the result code: unsolicited
  CHECK(contains(xml, "<send unanswered=\"true\">AT+CSQ</send>"));  // the log has no result code for it
  // A value the log shows changing is captured, the rest of the line kept as it was.
  auto twice = scaffold(import_log("AT+CSQ\r\n+CSQ: 20,99\r\n\r\nOK\r\nAT+CSQ\r\n+CSQ: 23,99\r\n\r\nOK\r\n"), {"field-csq", "t.log", "SIM7080"});
  CHECK(contains(twice, "<expect regex=\"\\+CSQ: (\\d+),99\" capture=\"csq_1\" />"));
  CHECK_FALSE(contains(twice, "<expect>+CSQ: 20,99</expect>"));
  TempDir dir;
  auto file = dir.write("field.xml", xml);
  auto loaded = scenario::Loader(source_dir() / "fixtures").load(file);
  CHECK(loaded.name == "field-test");
  CHECK(loaded.steps.size() == 4);
}

TEST_CASE("field scaffold: a log whose clock is set from the network (1970, then today) scaffolds a scenario that loads, the jump not taken for a wait") {
  const std::string log =
      "1970-01-01 00:00:06.000 AT+CLTS=1\r\n1970-01-01 00:00:06.050 OK\r\n2026-11-30 10:00:00.000 +CTZV: +04,0\r\n"
      "2026-11-30 10:00:01.000 AT+CSQ\r\n2026-11-30 10:00:01.050 +CSQ: 21,99\r\n2026-11-30 10:00:01.051 OK\r\n";
  auto xml = scaffold(import_log(log), {"field-clock", "clock.log", "SIM7080"});
  CHECK(contains(xml, "<urc>+CTZV: +04,0</urc>"));  // the default timeout, not 56 years
  CHECK(contains(xml, "timeout=\"10m\""));
  CHECK(contains(xml, "The log's clock jumps by over a week before 1 line(s)"));
  auto loaded = scenario::Loader(source_dir() / "fixtures").load_text(xml, "clock.xml");
  CHECK(loaded.steps.size() == 2);
}

TEST_CASE("field scaffold: a log that shows no command is refused (exit 2, no file), not written as a scenario that does not load") {
  TempDir dir;
  auto log = dir.write("urcs.log", "RDY\r\n+CFUN: 1\r\n+CPIN: READY\r\n");
  auto out = dir.path() / "sc" / "urcs.xml";
  auto r = run_process({athil_exe().string(), "scaffold", log.string(), "-o", out.string()}, source_dir());
  INFO(r.out, r.err);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "urcs.log: nothing to scaffold: the log shows no command sent to the module"));
  CHECK_FALSE(std::filesystem::exists(out));
}

TEST_CASE("field record: a scenario run through the tap, and the recorded transcript holds what both ends saw, byte for byte, and the STATUS edges") {
  TempDir dir;
  auto link_of = [&](const char* name) { return (dir.path() / name).string(); };
  // Ends the child however the test ends; pid 0 once the test has reaped it itself.
  struct Child {
    int pid;
    ~Child() {
      if (pid <= 0) return;
      ::kill(pid, SIGTERM);
      wait_process(pid);
    }
  };
  Child module{
      spawn_process({athil_exe().string(), "sim", "--model", "SIM7080G", "--link", link_of("module"), "--power-on", "--time-scale", "0.02"}, source_dir())};
  REQUIRE(eventually([&] { return std::filesystem::exists(link_of("module")); }));
  int tap = spawn_process({athil_exe().string(), "record", "--port", link_of("module"), "--link", link_of("host"), "--out", link_of("recorded.log"),
                           "--control", link_of("module") + ".ctl"},
                          source_dir(), dir.path() / "record.out");
  Child tap_guard{tap};
  REQUIRE(eventually([&] { return std::filesystem::exists(link_of("host")); }));
  auto rig = dir.write("rig.xml",
                       "<rig name=\"tap\" time-scale=\"0.02\"><slot name=\"t1\" model=\"SIM7080G\"><serial port=\"" + link_of("host") + "\"/></slot></rig>");
  auto sc = dir.write("sc.xml", R"xml(<scenario name="through-the-tap" models="SIM7080G" timeout="2m">
  <step name="talk">
    <urc>SMS Ready</urc>  <!-- the boot URCs all out: nothing comes unasked after the run -->
    <sync/>
    <command send="AT+CGMM" expect="SIMCOM_SIM7080"/>
    <command send="AT+CFSINIT"/>
    <send>AT+CFSWFILE=3,"x.txt",0,5,1000</send>
    <expect>DOWNLOAD</expect>
    <send raw="true">h\x00\xffo\r</send>
    <expect>OK</expect>
    <command send="AT+CFUN=1,1"/>
    <urc timeout="30s">SMS Ready</urc>
  </step>
</scenario>)xml");
  auto r = run_process({athil_exe().string(), "run", "--rig", rig.string(), "--junit", (dir.path() / "out" / "junit.xml").string(), sc.string()}, source_dir());
  INFO(r.out, r.err);
  REQUIRE(r.exit_code == 0);
  ::kill(tap, SIGTERM);
  CHECK(wait_process(tap) == 0);
  tap_guard.pid = 0;  // reaped

  auto by_direction = [](const Session& s) {
    std::map<char, std::string> out;
    for (const auto& e : s.events) out[static_cast<char>(e.dir)] += e.bytes;
    return out;
  };
  std::string recorded_text = read_file(dir.path() / "recorded.log");
  // The restart's STATUS edges, from the module's control channel, among the bytes.
  CHECK(contains(recorded_text, " = status low\n"));
  CHECK(contains(recorded_text, " = status high\n"));
  auto recorded = by_direction(import_log(recorded_text));
  auto harness_logs = files_named(dir.path() / "out", "through-the-tap.log");
  REQUIRE(harness_logs.size() == 1);
  auto seen = by_direction(import_log(read_file(harness_logs.front())));
  CHECK(contains(recorded['>'], "AT+CGMM\r"));
  CHECK(recorded['>'] == seen['>']);
  CHECK(recorded['<'] == seen['<']);
}

TEST_CASE("field replay slot: a rig slot serves a recorded session, its scaffolded scenario passes there, and a divergence fails it") {
  TempDir dir;
  dir.write("logs/drop.log",
            "[10:00:00.000] >>> AT+CNACT=1,\"iot\"\n[10:00:00.020] <<< AT+CNACT=1,\"iot\"\n[10:00:00.021] <<< OK\n[10:00:00.500] <<< +APP PDP: ACTIVE\n"
            "[10:00:05.000] >>> AT+CNACT?\n[10:00:05.010] <<< AT+CNACT?\n[10:00:05.011] <<< +CNACT: 1,\"10.0.0.5\"\n[10:00:05.012] <<< OK\n"
            "[10:00:09.000] <<< +APP PDP: DEACTIVE\n");
  auto rig = dir.write("rig.xml",
                       "<rig name=\"field\" time-scale=\"0.05\">\n  <slot name=\"f1\" model=\"SIM7000G\"><replay log=\"logs/drop.log\" "
                       "vary=\"&quot;[^&quot;]*&quot;\"/></slot>\n</rig>\n");
  auto scaffolded =
      run_process({athil_exe().string(), "scaffold", (dir.path() / "logs/drop.log").string(), "-o", (dir.path() / "sc/drop.xml").string()}, source_dir());
  REQUIRE(scaffolded.exit_code == 0);
  std::string xml = read_file(dir.path() / "sc/drop.xml");
  CHECK(contains(xml, "<urc>+APP PDP: DEACTIVE</urc>"));
  // The same scenario with another APN, which the slot's vary regex allows, and one with a
  // command the log does not have.
  auto other_apn = xml;
  other_apn.replace(other_apn.find("AT+CNACT=1,\"iot\""), 16, "AT+CNACT=1,\"m2m\"");
  other_apn.replace(other_apn.find("name=\"field-drop\""), 17, "name=\"other-apn\"");
  dir.write("sc/other-apn.xml", other_apn);
  auto diverging = xml;
  diverging.replace(diverging.find("<send>AT+CNACT?</send>"), 22, "<send>AT+CSQ</send>");
  diverging.replace(diverging.find("name=\"field-drop\""), 17, "name=\"diverging\"");
  dir.write("sc/diverging.xml", diverging);
  // Answers that match, to commands out of the recorded order: the session was not reproduced.
  dir.write("sc/out-of-order.xml", R"xml(<scenario name="out-of-order" models="SIM7000">
  <step name="ask first"><command send="AT+CNACT?" expect="+CNACT: 1,&quot;10.0.0.5&quot;"/></step>
</scenario>)xml");
  auto junit = dir.path() / "out" / "junit.xml";
  auto r = run_process({athil_exe().string(), "run", "--rig", rig.string(), "--junit", junit.string(), (dir.path() / "sc").string()}, source_dir());
  INFO(r.out, r.err);
  auto report = read_report(junit);
  REQUIRE(report.loaded);
  auto& s = report.suites["field.f1"];
  CHECK(s["field-drop"].verdict == "passed");
  CHECK(s["other-apn"].verdict == "passed");
  CHECK(s["diverging"].verdict == "failure");
  CHECK(contains(s["diverging"].message, "the command ended with 'ERROR'"));
  CHECK(contains(s["diverging"].out, "# replay divergence: 'AT+CSQ' is not in the log"));
  CHECK(s["out-of-order"].verdict == "failure");
  CHECK(contains(s["out-of-order"].message, "the replayed session diverged: 'AT+CNACT?' sent out of order: the log has it at line 5"));
  // The replays' own report in the slot's folder names the divergence.
  std::string replay_log;
  for (const auto& path : files_named(dir.path() / "out", "@replay-divergences.log")) replay_log += read_file(path);
  CHECK(contains(replay_log, "divergence: 'AT+CSQ' is not in the log"));

  auto bad = dir.write("bad.xml", "<rig name=\"b\">\n  <slot name=\"f1\" model=\"SIM7000G\"><replay log=\"logs/none.log\"/></slot>\n</rig>\n");
  auto refused =
      run_process({athil_exe().string(), "run", "--rig", bad.string(), "--junit", (dir.path() / "out2" / "junit.xml").string(), (dir.path() / "sc").string()},
                  source_dir());
  CHECK(refused.exit_code == 2);
  CHECK(contains(refused.err, "bad.xml:2:44: error:"));  // at the log attribute
  CHECK(contains(refused.err, "no log file"));
}
