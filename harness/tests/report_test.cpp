#include <doctest/doctest.h>

#include <pugixml.hpp>

#include "report/junit.hpp"
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
  CHECK(xml_safe_text("\xef\xbf\xbe") == "\\xef\\xbf\\xbe");            // U+FFFE
  CHECK(xml_safe_text("\xc0\xaf") == "\\xc0\\xaf");                      // overlong '/'
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
