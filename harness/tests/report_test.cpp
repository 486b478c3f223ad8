#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "report/html_timeline.hpp"
#include "report/junit.hpp"
#include "report/summary.hpp"
#include "report/vcd.hpp"
#include "tests/support.hpp"

using namespace athil::report;

namespace {
TestSuite suite_with(std::vector<TestCase> cases) {
  TestSuite s;
  s.name = "virtual.v1";
  s.timestamp = "2026-11-21T00:00:00";
  s.hostname = "h";
  s.seconds = 1.23456;
  s.properties = {{"slot", "v1"}};
  s.cases = std::move(cases);
  return s;
}
}  // namespace

TEST_CASE("serial noise never makes the report invalid XML") {
  CHECK(xml_safe_text("ok\x1b[31m") == "ok\\x1b[31m");
  CHECK(xml_safe_text(std::string("a\0b", 3)) == "a\\x00b");
  CHECK(xml_safe_text("\xff\xfe garbage") == "\\xff\\xfe garbage");
  CHECK(xml_safe_text("\xef\xbf\xbe") == "\\xef\\xbf\\xbe");                                     // U+FFFE
  CHECK(xml_safe_text("\xc0\xaf") == "\\xc0\\xaf");                                              // overlong '/'
  CHECK(xml_safe_text("caf\xc3\xa9 \xe2\x82\xac \r\n\t") == "caf\xc3\xa9 \xe2\x82\xac \r\n\t");  // valid UTF-8 stays
}

TEST_CASE("a report with failures, errors, skips and hostile text parses back with the same content") {
  TestCase pass{"fota", "athil.virtual.v1", 2.5, Verdict::passed, "", "", "transcript\x1b\x01 ]]> <tag> & done", {}, "", ""};
  TestCase fail{"verify", "athil.virtual.v1", 0.1, Verdict::failed, "expected '+CFOTA: 6'\ngot \"+CFOTA: 7\"", "detail\twith\ttabs", "", {}, "", ""};
  TestCase err{"port", "athil.virtual.v1", 0, Verdict::error, "port gone", "", "", {}, "", ""};
  TestCase skip{"usb", "athil.virtual.v1", 0, Verdict::skipped, "rig has no usb", "", "", {}, "", ""};
  std::string xml = render_junit({suite_with({pass, fail, err, skip})});
  pugi::xml_document doc;
  REQUIRE(doc.load_string(xml.c_str()));
  auto suites = doc.child("testsuites");
  CHECK(std::string(suites.attribute("tests").value()) == "4");
  CHECK(std::string(suites.attribute("failures").value()) == "1");
  CHECK(std::string(suites.attribute("errors").value()) == "1");
  auto suite = suites.child("testsuite");
  CHECK(std::string(suite.attribute("skipped").value()) == "1");
  CHECK(std::string(suite.attribute("time").value()) == "1.235");
  CHECK(std::string(suite.attribute("timestamp").value()) == "2026-11-21T00:00:00");
  auto cases = suite.children("testcase");
  auto it = cases.begin();
  CHECK(std::string(it->child("system-out").text().get()) == "transcript\\x1b\\x01 ]]> <tag> & done");
  ++it;
  auto failure = it->child("failure");
  CHECK(std::string(failure.attribute("message").value()) == "expected '+CFOTA: 6'\ngot \"+CFOTA: 7\"");  // newline survives the attribute
  CHECK(std::string(failure.text().get()) == "detail\twith\ttabs");
  ++it;
  CHECK(std::string(it->child("error").text().get()) == "port gone");  // text repeats the message for GitLab
  ++it;
  CHECK(it->child("skipped"));
  CHECK(xml.find("&#10;") != std::string::npos);
  CHECK(xml.find("<![CDATA[") == std::string::npos);
}

TEST_CASE("times are plain seconds with three decimals") {
  CHECK(format_seconds(0) == "0.000");
  CHECK(format_seconds(1234567.25) == "1234567.250");
  CHECK(format_seconds(12.3456) == "12.346");
  CHECK(format_seconds(-1) == "0.000");
  CHECK(format_seconds(1e-9) == "0.000");
}

TEST_CASE("long output keeps its head and tail") {
  std::string text = "HEAD" + std::string(100000, 'x') + "TAIL";
  auto capped = cap_text(text, 1000);
  CHECK(capped.size() < 1200);
  CHECK(capped.rfind("HEAD", 0) == 0);
  CHECK(capped.substr(capped.size() - 4) == "TAIL");
  CHECK(capped.find("bytes cut") != std::string::npos);
}

TEST_CASE("the report is replaced atomically, leaving no temporary file") {
  athil::test::TempDir dir;
  auto path = dir.path() / "junit.xml";
  write_junit_atomically(path, {suite_with({})});
  write_junit_atomically(path, {suite_with({TestCase{"a", "c", 0, Verdict::passed, "", "", "", {}, "", ""}})});
  pugi::xml_document doc;
  REQUIRE(doc.load_file(path.c_str()));
  CHECK(std::string(doc.child("testsuites").attribute("tests").value()) == "1");
  int files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  CHECK(files == 1);
}

TEST_CASE("a retried error becomes <flakyError> on a pass and <rerunError> on a last error, and summary.md lists the flaky one") {
  TestCase flaky{"long-session",
                 "athil.r.d2",
                 3.8,
                 Verdict::passed,
                 "",
                 "",
                 "",
                 {{"port gone", "d2.tty: gone for more than 2s", "d2/long-session.log"}},
                 "d2/long-session.attempt-2.log",
                 "d2/long-session.attempt-2.vcd"};
  TestCase broken{"radio", "athil.r.d2", 1, Verdict::error, "port gone again", "", "", {{"port gone", "", "d2/radio.log"}}, "d2/radio.attempt-2.log", ""};
  auto s = suite_with({flaky, broken});
  s.properties = {{"slot", "d2"}, {"model", "SIM7090G"}};
  pugi::xml_document doc;
  REQUIRE(doc.load_string(render_junit({s}).c_str()));
  auto suite = doc.child("testsuites").child("testsuite");
  CHECK(std::string(suite.attribute("errors").value()) == "1");  // the flaky pass is no error
  auto first = suite.child("testcase");
  CHECK_FALSE(first.child("error"));
  CHECK(std::string(first.child("flakyError").attribute("message").value()) == "port gone");
  CHECK(std::string(first.child("flakyError").text().get()) == "d2.tty: gone for more than 2s");
  auto second = first.next_sibling("testcase");
  CHECK(second.child("error"));
  CHECK(second.child("rerunError"));
  CHECK(flaky.flaky());
  CHECK_FALSE(broken.flaky());
  auto md = render_summary(RunInfo{"20261121-000000Z", "r", "rigs/r.xml", "2026-11-21T00:00:00", 4.8, "../junit.xml", ""}, {s});
  CHECK(md.find("**1 passed** (1 flaky), **0 failed**, **1 errors**") != std::string::npos);
  CHECK(md.find("- **d2** long-session flaky: \n  - attempt 1: error: port gone [long-session.log](d2/long-session.log)") != std::string::npos);
  CHECK(md.find("| long-session | flaky | 3.800 |  | [long-session.attempt-2.log](d2/long-session.attempt-2.log) |") != std::string::npos);
}

TEST_CASE("a waveform has a wire per pin seen, command and URC markers with their texts, and the levels in time order") {
  athil::Timeline t;
  t.record_at(1'000'000, athil::Direction::pin, "pwrkey low");
  t.record_at(1'050'000, athil::Direction::pin, "pwrkey high");
  t.record_at(1'040'000, athil::Direction::pin, "status high");                    // read late, stamped when it happened
  t.record_at(1'060'000, athil::Direction::pin, "power on: STATUS already high");  // a note, no change
  t.record_at(1'070'000, athil::Direction::pin, "netlight high");
  t.record_at(1'100'000, athil::Direction::to_module, "AT+CGMR\r");
  t.record_at(1'100'400, athil::Direction::from_module, "AT+CGMR\r\r\nRevision:X\r\n\r\nOK\r\n");
  t.record_at(1'200'000, athil::Direction::note, "urc: +CFOTA: \"Updating\",10 $end");
  auto vcd = render_vcd(t, 0, t.size(), "fota on slot v1");
  CHECK(vcd.find("$timescale 1us $end") != std::string::npos);
  CHECK(vcd.find("$var wire 1 ! at_command $end") != std::string::npos);
  CHECK(vcd.find("$var wire 1 \" urc $end") != std::string::npos);
  CHECK(vcd.find("$var string 1 % at_text $end") != std::string::npos);
  CHECK(vcd.find("$var string 1 & urc_text $end") != std::string::npos);
  CHECK(vcd.find("$var wire 1 ' pwrkey $end") != std::string::npos);
  CHECK(vcd.find("$var wire 1 ( status $end") != std::string::npos);
  CHECK(vcd.find("$var wire 1 ) netlight $end") != std::string::npos);
  CHECK(vcd.find("  100000 > AT+CGMR\\r\n") != std::string::npos);
  CHECK(vcd.find("  200000 urc +CFOTA: \"Updating\",10 _end\n") != std::string::npos);  // "$end" may not appear in a comment
  // Before its first change a pin was at the other level; then the changes in time order, the
  // texts as one token each.
  CHECK(vcd.find("$dumpvars\n0!\n0\"\ns- %\ns- &\n1'\n0(\n0)\n$end\n#0\n0'\n#40000\n1(\n#50000\n1'\n#70000\n1)\n#100000\n1!\nsAT+CGMR %\n#100400\n0!\n"
                 "#200000\n1\"\ns+CFOTA:_\"Updating\",10__end &\n#201000\n0\"\n#201001\n") != std::string::npos);
}

TEST_CASE("a waveform merges URCs less than a pulse apart into one pulse, and a run of 20,000 URCs renders") {
  athil::Timeline t;
  t.record_at(1'000'000, athil::Direction::note, "urc: +A");
  t.record_at(1'000'400, athil::Direction::note, "urc: +B");  // inside the first pulse: it goes on
  t.record_at(1'005'000, athil::Direction::note, "urc: +C");  // after it: a pulse of its own
  auto vcd = render_vcd(t, 0, t.size(), "urcs");
  CHECK(vcd.find("#0\n1\"\ns+A &\n#400\ns+B &\n#1400\n0\"\n#5000\n1\"\ns+C &\n#6000\n0\"\n#6001\n") != std::string::npos);
  CHECK(vcd.find("#1000\n") == std::string::npos);  // the first pulse's own end was moved, not kept
  // A chatty module (a URC every 0.1 ms, each extending the pulse) stays linear to render.
  athil::Timeline many;
  for (std::int64_t i = 0; i < 20'000; ++i) many.record_at(i * 100, athil::Direction::note, "urc: +CSQ: 20,99");
  auto big = render_vcd(many, 0, many.size(), "many");
  CHECK(big.find("#0\n1\"\n") != std::string::npos);
  CHECK(big.find("#1000\n0\"") == std::string::npos);
  CHECK(big.find("#2000900\n0\"\n") != std::string::npos);  // one pulse, ending a pulse after the last
}

TEST_CASE("a passing case keeps 16 KB of its output, a failing one 256 KB: the transcript file has the rest") {
  std::string out = "scenario file: x.xml\ntranscript file: /r/v1/x.log\n" + std::string(1'000'000, 'x') + "END";
  TestCase pass{"p", "c", 0, Verdict::passed, "", "", out, {}, "", ""};
  TestCase fail{"f", "c", 0, Verdict::failed, "m", "d", out, {}, "", ""};
  pugi::xml_document doc;
  REQUIRE(doc.load_string(render_junit({suite_with({pass, fail})}).c_str()));
  auto first = doc.child("testsuites").child("testsuite").child("testcase");
  std::string kept_pass = first.child("system-out").text().get();
  std::string kept_fail = first.next_sibling("testcase").child("system-out").text().get();
  CHECK(kept_pass.size() < 17 * 1024);
  CHECK(kept_fail.size() > 255 * 1024);
  CHECK(kept_fail.size() < 257 * 1024);
  for (const auto* kept : {&kept_pass, &kept_fail}) {
    CHECK(kept->rfind("scenario file: x.xml\ntranscript file: /r/v1/x.log\n", 0) == 0);  // the file is named at the head
    CHECK(kept->substr(kept->size() - 3) == "END");
  }
}

TEST_CASE("run folders: with --keep N the oldest go, and a run still in progress and everything else in the folder stay") {
  using namespace athil::test;
  TempDir dir;
  auto reports = dir.path() / "reports";
  for (const char* run : {"20250101-000000Z", "20250102-000000Z", "20250103-000000Z-2", "20250104-000000Z"})
    dir.write("reports/" + std::string(run) + "/junit.xml", "<testsuites/>");
  dir.write("reports/notes/keep-me.txt", "a folder that is not a run");
  dir.write("reports/20250105.txt", "a file");
  // The oldest is still being written by a run in another process (its lock is held).
  dir.write("reports/20250101-000000Z/.running", "");
  int held = ::open((reports / "20250101-000000Z" / ".running").c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(held >= 0);
  REQUIRE(::flock(held, LOCK_EX | LOCK_NB) == 0);
  auto sc = dir.write("sc/a.xml", R"xml(<scenario name="answers" models="SIM7080G"><step name="at"><sync/></step></scenario>)xml");
  auto rig =
      dir.write("rig.xml", R"xml(<rig name="k" time-scale="0.02"><slot name="v" model="SIM7080G" firmware="1951B02SIM7080G"><virtual/></slot></rig>)xml");
  auto r =
      run_process({athil_exe().string(), "run", "--rig", rig.string(), "--keep", "2", "--junit", (reports / "junit.xml").string(), sc.string()}, source_dir());
  ::close(held);
  INFO(r.out, r.err);
  CHECK(contains(r.out, "--keep 2: deleted 2 older run folder(s), the oldest 20250102-000000Z"));
  CHECK(std::filesystem::exists(reports / "20250101-000000Z"));  // in progress
  CHECK_FALSE(std::filesystem::exists(reports / "20250102-000000Z"));
  CHECK_FALSE(std::filesystem::exists(reports / "20250103-000000Z-2"));
  CHECK(std::filesystem::exists(reports / "20250104-000000Z"));
  CHECK(std::filesystem::exists(reports / "notes" / "keep-me.txt"));
  CHECK(std::filesystem::exists(reports / "20250105.txt"));
  CHECK(std::filesystem::exists(reports / "latest" / "summary.md"));      // this run's folder, and the link to it
  CHECK_FALSE(std::filesystem::exists(reports / "latest" / ".running"));  // its lock is gone with the run
}

TEST_CASE("a testcase's properties with hostile text parse back the same in both JUnit flavours, and the round names its classname") {
  TestCase c{.name = "fota [round 2]", .classname = "athil.virtual.v1", .system_out = "transcript\n", .scenario = "fota", .file = "sc/a\"b<c>.xml", .round = 2};
  c.properties = {{"scenario", "fota"}, {"tags", "a&b"}, {"note", "line\nbreak \x1b[0m \"q\" ]]>"}};
  for (auto flavour : {JunitFlavour::strict, JunitFlavour::extended}) {
    pugi::xml_document doc;
    REQUIRE(doc.load_string(render_junit({suite_with({c})}, flavour).c_str()));
    auto tc = doc.child("testsuites").child("testsuite").child("testcase");
    CHECK(std::string(tc.attribute("name").value()) == "fota");
    CHECK(std::string(tc.attribute("classname").value()) == "athil.virtual.v1.round-2");
    std::string out = tc.child("system-out").text().get();
    if (flavour == JunitFlavour::extended) {
      CHECK(std::string(tc.attribute("file").value()) == "sc/a\"b<c>.xml");
      auto p = tc.child("properties").find_child_by_attribute("property", "name", "note");
      CHECK(std::string(p.attribute("value").value()) == "line\nbreak \\x1b[0m \"q\" ]]>");
      CHECK(out == "transcript\n");
    } else {
      CHECK(tc.attribute("file").empty());
      CHECK(tc.child("properties").empty());  // each property one line: a line break or "]]" in a value cannot end it
      CHECK(out == "[[PROPERTY|scenario=fota]]\n[[PROPERTY|tags=a&b]]\n[[PROPERTY|note=line break \\x1b[0m \"q\" ] ]>]]\ntranscript\n");
    }
  }
}

TEST_CASE("a timeline draws each lane's events where their seconds put them, skips lines that are not events, and escapes their text") {
  athil::test::TempDir dir;
  auto transcript = dir.path() / "t.txt";
  std::ofstream(transcript)
      << "# athil-transcript 1\n0.000000 # step 'a'\n0.500000 > AT<b>\\r\nnot a line\n1x.5 > bad seconds\n0.2.5 > two points\n. > no digits\n1.000000 < OK\n"
         "0.750000 = status high\n1.000000 # urc: +CEREG: 1\n";
  auto svg = timeline_svg(transcript, "");
  // Over one second: x = 90 + 910 * t; the lanes are 26 apart, a mark 6 below its lane's top.
  CHECK(svg.find(R"(<rect class="sent" x="545.0" y="6.0" width="3" height="14"><title>0.500000 s AT&lt;b&gt;\r</title></rect>)") != std::string::npos);
  CHECK(svg.find(R"(<rect class="received" x="1000.0" y="32.0" width="3" height="14"><title>1.000000 s OK</title></rect>)") != std::string::npos);
  CHECK(svg.find(R"(<rect class="urc" x="1000.0" y="58.0" width="3" height="14"><title>1.000000 s urc: +CEREG: 1</title></rect>)") != std::string::npos);
  CHECK(svg.find(R"(points="90.0,98.0 772.5,98.0 772.5,84.0 1000.0,84.0")") != std::string::npos);  // STATUS low, then high at 0.75 s
  CHECK(svg.find("1 commands, 1 answers, 1 URCs over 1.000 s") != std::string::npos);
  CHECK(svg.find("bad seconds") == std::string::npos);
  CHECK(svg.find("two points") == std::string::npos);
  CHECK(svg.find("no digits") == std::string::npos);

  // Many events: at most 400 marks a lane, the last second still the span.
  std::ofstream many(transcript);
  for (int i = 0; i <= 5000; ++i) many << fmt::format("{:.6f} > AT+CSQ\\r\n", i / 1000.0);
  many.close();
  svg = timeline_svg(transcript, "");
  std::size_t marks = 0;
  for (auto at = svg.find("<rect class=\"sent\""); at != std::string::npos; at = svg.find("<rect class=\"sent\"", at + 1)) ++marks;
  CHECK(marks > 300);
  CHECK(marks <= 400);
  CHECK(svg.find("5001 commands") != std::string::npos);
  CHECK(svg.find("over 5.000 s") != std::string::npos);
}
