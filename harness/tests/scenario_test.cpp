#include <doctest/doctest.h>

#include <map>

#include "base/error.hpp"
#include "scenario/check.hpp"
#include "scenario/loader.hpp"
#include "scenario/model_profiles.hpp"
#include "tests/support.hpp"

using namespace athil;
using namespace athil::scenario;
using athil::test::TempDir;

namespace {

std::string wrap(const std::string& body, const std::string& attrs = "name=\"s\" models=\"SIM7080G\"") {
  return "<?xml version=\"1.0\"?>\n<scenario " + attrs + ">\n" + body + "\n</scenario>\n";
}

// Loads a scenario from text; fixtures may be given as name -> XML.
Scenario load_text(const TempDir& dir, const std::string& text, std::map<std::string, std::string> fixtures = {}) {
  for (const auto& [name, xml] : fixtures) dir.write("fixtures/" + name + ".xml", xml);
  auto file = dir.write("s.xml", text);
  return Loader(dir.path() / "fixtures").load(file);
}

std::string load_error(const std::string& text, std::map<std::string, std::string> fixtures = {}) {
  TempDir dir;
  try {
    load_text(dir, text, std::move(fixtures));
  } catch (const InputError& e) {
    std::string msg = e.what();
    auto at = msg.find("s.xml:");
    return at == std::string::npos ? msg : msg.substr(at);
  }
  return "no error";
}

}  // namespace

TEST_CASE("a scenario loads into plain data, fixtures inlined") {
  TempDir dir;
  auto s = load_text(dir,
                     wrap(R"xml(
  <description>  What it catches.  </description>
  <var name="target" value="B03"/>
  <unsolicited prefix="+SMSUB:"/>
  <unsolicited regex="+MYAPP: \d+"/>
  <setup><use fixture="power-on"/></setup>
  <step name="one">
    <send>AT+GMR</send>
    <expect timeout="5s">OK</expect>
    <urc timeout="10m" regex="\+HTTPTOFS: (\d+),(\d+)" capture="code len"/>
    <command send="AT+CSQ" expect="\+CSQ: (\d+),(\d+)" capture="rssi ber"/>
    <check expr="${code} == 200" message="got ${code}"/>
    <repeat count="2"><sleep duration="1s"/></repeat>
  </step>
  <teardown timeout="1m"><log>bye</log></teardown>)xml",
                          "name=\"s\" models=\"SIM7080G SIM7070\" tags=\"fota smoke\" timeout=\"30m\""),
                     {{"power-on", "<fixture name=\"power-on\"><power-key hold=\"1.2s\"/><urc>RDY</urc></fixture>"}});
  CHECK(s.name == "s");
  CHECK(s.description == "What it catches.");
  CHECK(s.models == std::vector<std::string>{"SIM7080G", "SIM7070"});
  CHECK(s.tags == std::vector<std::string>{"fota", "smoke"});
  CHECK(s.timeout == std::chrono::minutes(30));
  REQUIRE(s.unsolicited.size() == 2);
  CHECK(s.unsolicited[0].prefix == "+SMSUB:");
  CHECK(s.unsolicited[1].regex == "\\+MYAPP: \\d+");  // a leading + is literal, as everywhere
  CHECK(s.teardown_timeout == std::chrono::minutes(1));
  CHECK(s.applies_to("SIM7070G"));
  CHECK_FALSE(s.applies_to("SIM7000G"));
  REQUIRE(s.setup.actions.size() == 1);
  const auto& use = *std::get<Boxed<Scope>>(s.setup.actions[0].what);  // the fixture's actions, in a scope of their own
  CHECK(use.fixture == "power-on");
  REQUIRE(use.body.size() == 2);
  CHECK(std::get<PowerKey>(use.body[0].what).hold.fixed == std::chrono::milliseconds(1200));
  CHECK(use.body[0].pos.file.str().find("power-on.xml") != std::string::npos);  // positions point into the fixture
  REQUIRE(s.steps.size() == 1);
  const auto& a = s.steps[0].actions;
  REQUIRE(a.size() == 8);  // the <command> short form is send, expect, expect OK
  CHECK(std::get<Send>(a[0].what).text == "AT+GMR");
  CHECK(std::get<Urc>(a[2].what).pattern.captures() == std::vector<std::string>{"code", "len"});
  CHECK(std::get<Send>(a[3].what).text == "AT+CSQ");
  CHECK(std::get<Expect>(a[4].what).pattern.regex);
  CHECK(std::get<Expect>(a[4].what).pattern.text == "\\+CSQ: (\\d+),(\\d+)");
  CHECK(std::get<Expect>(a[5].what).pattern.text == "OK");
  CHECK(std::get<Repeat>(a[7].what).count == 2);
  CHECK(a[1].pos.line == 11);
}

TEST_CASE("a second step of the same name is reported with that step's own mistakes, in one pass") {
  TempDir dir;
  try {
    load_text(dir, wrap("<step name=\"a\"/><step name=\"a\"><sned>AT</sned></step>"));
    FAIL("no error");
  } catch (const InputError& e) {
    REQUIRE(e.all().size() == 2);
    CHECK(e.all()[0].message == "a second step named 'a'");
    CHECK(e.all()[1].message.rfind("unknown element <sned> (did you mean 'send'?)", 0) == 0);
  }
}

TEST_CASE("every scenario mistake is an error at file:line:col") {
  CHECK(load_error(wrap("<step name=\"a\"><sned>AT</sned></step>"))
            .rfind("s.xml:3:16: unknown element <sned> (did you mean 'send'?) (allowed here: send, expect, urc,", 0) == 0);
  CHECK(load_error(wrap("<step name=\"a\"><expect timout=\"5s\">OK</expect></step>")).rfind("s.xml:3:24: <expect> has no attribute 'timout'", 0) == 0);
  CHECK(load_error(wrap("<step name=\"a\"><sleep duration=\"5 parsecs\"/></step>")).rfind("s.xml:3:23: '5 parsecs' is not a duration", 0) == 0);
  CHECK(load_error(wrap("<step name=\"a\"><urc regex=\"(unclosed\"/></step>")).rfind("s.xml:3:21: invalid regex", 0) == 0);
  CHECK(load_error(wrap("<step name=\"a\"><urc regex=\"(\\d+)\" capture=\"a b\"/></step>")).rfind("s.xml:3:35: 2 capture names but the regex has 1 group", 0) ==
        0);
  CHECK(load_error(wrap("<step name=\"a\"><check expr=\"${a} = 1\"/></step>"))
            .rfind("s.xml:3:34: in expression '${a} = 1': unexpected character '=' (did you mean '=='?)", 0) == 0);
  CHECK(load_error(wrap("<step name=\"a\"><check expr=\"${a} => 1\"/></step>"))
            .rfind("s.xml:3:34: in expression '${a} => 1': unexpected character '=' (did you mean '>='?)", 0) == 0);
  CHECK(load_error(wrap("<step name=\"a\"><use fixture=\"nope\"/></step>")).rfind("s.xml:3:21: no fixture 'nope'", 0) == 0);
  CHECK(load_error(wrap("<step name=\"a\"><use fixture=\"../../etc/passwd\"/></step>")).find("may hold only") != std::string::npos);
  CHECK(load_error(wrap("<setup/>")).rfind("s.xml:2:1: a scenario needs at least one <step>", 0) == 0);
  CHECK(load_error(wrap("<step name=\"a\"/><step name=\"a\"/>")).rfind("s.xml:3:23: a second step named 'a'", 0) == 0);
  CHECK(load_error(wrap("<step name=\"a\"/>", "name=\"s\"")).rfind("s.xml:2:1: <scenario> needs the attribute 'models'", 0) == 0);
  CHECK(load_error(wrap("<step name=\"a\">AT+GMR</step>")).rfind("s.xml:3:16: text 'AT+GMR' outside an element", 0) == 0);
  CHECK(load_error(wrap("<step name=\"a\"><log>x</log> AT+GMR\n</step>")).rfind("s.xml:3:29: text 'AT+GMR' outside an element", 0) == 0);
  CHECK(load_error(wrap("<step name=\"a\"><use fixture=\"f\"> x=1</use></step>"), {{"f", "<fixture/>"}})
            .rfind("s.xml:3:34: text inside <use>: parameters are <param name value/>", 0) == 0);
  CHECK(load_error(wrap("<step name=\"a\"/>\n  oops")).rfind("s.xml:4:3: text outside an element", 0) == 0);
  CHECK(load_error(wrap("<step name=\"a\"><use fixture=\"f\"/></step>"), {{"f", "<fixture>\n  AT\n</fixture>"}}).find("f.xml:2:3: text outside an element") !=
        std::string::npos);
}

TEST_CASE("a fixture that uses itself is refused, naming the chain") {
  auto err = load_error(wrap("<step name=\"a\"><use fixture=\"a\"/></step>"),
                        {{"a", "<fixture><use fixture=\"b\"/></fixture>"}, {"b", "<fixture><use fixture=\"a\"/></fixture>"}});
  CHECK(err.find("fixture 'a' uses itself (through a -> b)") != std::string::npos);
}

TEST_CASE("check expressions compare numbers as numbers and strings as strings") {
  std::map<std::string, std::string> vars = {{"code", "200"}, {"rev", "1951B02"}, {"n", "9"}};
  auto lookup = [&](std::string_view n) {
    auto it = vars.find(std::string(n));
    if (it == vars.end()) throw scenario::UndefinedVariable(std::string(n));
    return it->second;
  };
  auto eval = [&](const char* e) { return Expr::parse(e).evaluate(lookup); };
  CHECK(eval("${code} == 200"));
  CHECK(eval("${code} == 200.0"));
  CHECK(eval("${n} < 10"));  // numerically, though "9" > "10" as text
  CHECK(eval("${rev} == '1951B02'"));
  CHECK(eval("'${rev}x' == \"1951B02x\""));
  CHECK(eval("${code} >= 200 && ${code} < 300 || ${n} == 0"));
  CHECK(eval("!(${code} != 200)"));
  CHECK(eval("${rev} ^= '1951'"));  // starts with, as text
  CHECK(eval("${code} ^= 20"));     // as text even between numbers
  CHECK_FALSE(eval("${rev} ^= 'B02'"));
  CHECK_FALSE(eval("'19' ^= ${rev}"));
  CHECK_FALSE(eval("${code} == 404 || (${n} > 9 && ${rev} == 'x')"));
  CHECK_THROWS_AS(eval("${missing} == 1"), scenario::UndefinedVariable);
  auto col = [](const char* e) {
    try {
      Expr::parse(e);
    } catch (const ExprError& x) {
      return static_cast<int>(x.column);
    }
    return -1;
  };
  CHECK(col("${a} == ") == 8);
  CHECK(col("${a} = 1") == 5);
  CHECK(col("abc == 1") == 0);
  CHECK(col("(${a} == 1") == 10);
  CHECK(col("${a}") == 4);
}

TEST_CASE("undefined variables are found before anything runs") {
  TempDir dir;
  auto s = load_text(dir, wrap(R"xml(<var name="a" value="1"/>
  <step name="x">
    <urc regex="(\d+)" capture="got"/>
    <send>AT+X=${a},${got},${slot}</send>
    <send>AT+Y=${typo}</send>
  </step>)xml"));
  CHECK_THROWS_WITH_AS(check_variables(s, {"slot"}), doctest::Contains("s.xml:7:5: ${typo} is not defined"), InputError);
  CHECK_NOTHROW(check_variables(s, {"slot", "typo"}));
}

TEST_CASE("the bundled scenarios, fixtures and rigs are valid") {
  auto root = test::source_dir();
  auto r = test::run_process({test::athil_exe().string(), "validate"}, root);
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.out.find("valid") != std::string::npos);
}

TEST_CASE("validation reports every mistake of a file in one pass, with suggestions") {
  TempDir dir;
  dir.write("fixtures/power-off.xml", "<fixture><send>AT+CPOWD=1</send></fixture>");
  auto file = dir.write("s.xml", R"xml(<?xml version="1.0"?>
<scenario name="two" models="SIM7080G SIM7008G" timout="5m">
  <var name="target" value="B03"/>
  <step name="a">
    <sned>AT</sned>
    <expect timout="5s">OK</expect>
    <send>AT+X=${targte}</send>
    <use fixture="power-of"/>
  </step>
  <stpe name="b"/>
</scenario>
)xml");
  try {
    Loader(dir.path() / "fixtures", std::vector<std::string>{"slot"}).load(file);
    FAIL("no error");
  } catch (const InputError& e) {
    std::vector<std::string> got;
    for (const auto& d : e.all()) got.push_back(d.pos.str().substr(d.pos.str().rfind('/') + 1) + " " + d.message.substr(0, d.message.find(" (allowed")));
    CHECK(got == std::vector<std::string>{
                     "s.xml:2:49 <scenario> has no attribute 'timout' (did you mean 'timeout'?)",
                     "s.xml:2:22 unknown model 'SIM7008G' (did you mean 'SIM7000G'?) (the family: SIM7000G, SIM7000E, SIM7000A, SIM7000C, SIM7070G, SIM7070E, "
                     "SIM7080G, SIM7090G)",
                     "s.xml:5:5 unknown element <sned> (did you mean 'send'?)",
                     "s.xml:6:13 <expect> has no attribute 'timout' (did you mean 'timeout'?)",
                     "s.xml:8:10 no fixture 'power-of' (did you mean 'power-off'?) (looked for " + (dir.path() / "fixtures" / "power-of.xml").string() + ")",
                     "s.xml:10:3 unknown element <stpe> in <scenario> (did you mean 'step'?)",
                     "s.xml:7:5 ${targte} is not defined (did you mean 'target'?) (not a <var>, a capture, a rig variable or -D targte=...)",
                 });
    CHECK(e.diagnostic().find("s.xml:5:5: error: unknown element <sned>") != std::string::npos);
  }
}

TEST_CASE("a folder of scenarios is read whole: mistakes of every file, and duplicate names across files") {
  TempDir dir;
  dir.write("sc/a.xml", wrap("<step name=\"x\"/>", "name=\"same\" models=\"SIM7080\""));
  dir.write("sc/b.xml", wrap("<step name=\"x\"/>", "name=\"same\" models=\"SIM7080\""));
  dir.write("sc/c.xml", wrap("<step name=\"x\"><sleep/></step>"));
  try {
    Loader(dir.path() / "fixtures").load_all({dir.path() / "sc"});
    FAIL("no error");
  } catch (const InputError& e) {
    REQUIRE(e.all().size() == 2);
    CHECK(e.all()[0].message.find("a second scenario named 'same' (the first is in") != std::string::npos);
    CHECK(e.all()[1].message == "<sleep> needs the attribute 'duration'");
  }
}

TEST_CASE("suggestions only for near misses") {
  CHECK(did_you_mean("timout", {"timeout", "regex"}) == " (did you mean 'timeout'?)");
  CHECK(did_you_mean("EXPECT", {"expect"}) == " (did you mean 'expect'?)");
  CHECK(did_you_mean("banana", {"send", "expect", "urc"}).empty());
}

TEST_CASE("${name:-default} stands in for a variable that may be undefined") {
  std::map<std::string, std::string> vars = {{"apn", "cmnet"}};
  auto lookup = [&](std::string_view n) {
    auto it = vars.find(std::string(n));
    if (it == vars.end()) throw scenario::UndefinedVariable(std::string(n));
    return it->second;
  };
  CHECK(substitute("AT+CNACT=1,\"${apn:-internet}\"", lookup) == "AT+CNACT=1,\"cmnet\"");
  CHECK(substitute("${idx:-0},${action:-1}", lookup) == "0,1");
  // Braces in a default pair up: a regex's repeat count stays in it.
  CHECK(substitute("+CSQ: ${rssi:-\\d{1,2}},99 ${apn:-{x}}", lookup) == "+CSQ: \\d{1,2},99 cmnet");
  CHECK(substitute("${open:-{} and ${apn}", lookup) == "${open:-{} and cmnet");
  // Read once however many "${" a text holds (each scan stops at the next).
  std::string many;
  for (int i = 0; i < 200'000; ++i) many += "${a:-{";
  CHECK(substitute(many + "${apn}", lookup) == many + "cmnet");
  CHECK(Expr::parse("${retries:-3} == 3").evaluate(lookup));
  TempDir dir;
  auto s = load_text(dir, wrap("<step name=\"x\"><send>AT+CNACT=${pdp:-0},1</send></step>"));
  CHECK_NOTHROW(check_variables(s, {}));
}

TEST_CASE("command expect: exact text, a regex with regex= (or with capture), and a leading + is literal") {
  TempDir dir;
  auto s = load_text(dir, wrap(R"xml(<step name="x">
    <command send="AT+CFOTA?" expect="+CFOTA: 6"/>
    <command send="AT+CSQ" expect="+CSQ: (\d+),(\d+)" capture="rssi ber"/>
    <command send="AT+CSQ" expect="+CSQ: 2.,99"/>
    <command send="AT+CSQ" regex="+CSQ: 2.,99"/>
  </step>)xml"));
  const auto& a = s.steps[0].actions;
  CHECK(std::get<Expect>(a[1].what).pattern.text == "+CFOTA: 6");
  CHECK_FALSE(std::get<Expect>(a[1].what).pattern.regex);
  CHECK(std::get<Expect>(a[4].what).pattern.regex);
  CHECK(std::get<Expect>(a[4].what).pattern.text == "\\+CSQ: (\\d+),(\\d+)");
  // Regex characters alone do not make a regex: expect= is the exact line.
  CHECK(std::get<Expect>(a[7].what).pattern.text == "+CSQ: 2.,99");
  CHECK_FALSE(std::get<Expect>(a[7].what).pattern.regex);
  CHECK(std::get<Expect>(a[10].what).pattern.regex);
  CHECK(std::get<Expect>(a[10].what).pattern.text == "\\+CSQ: 2.,99");
  CHECK(load_error(wrap(R"(<step name="x"><command send="AT" expect="OK" regex="O."/></step>)"))
            .rfind("s.xml:3:47: give either expect=\"exact line\" or regex=\"...\", not both", 0) == 0);
}

TEST_CASE("model profiles: a slot takes the first prefix its model starts with, and mistakes have their position") {
  athil::test::TempDir dir;
  auto file = dir.write("models.xml", R"xml(<models>
  <model prefix="SIM7000"><var name="bearer_on" value="AT+CNACT=1,&quot;${apn:-}&quot;"/></model>
  <model prefix="SIM70"><var name="bearer_on" value="AT+CNACT=${pdp:-0},1"/><var name="settle" value="4.5s"/></model>
</models>)xml");
  auto profiles = athil::scenario::ModelProfiles::load(file);
  CHECK(profiles.for_model("SIM7000G").at("bearer_on") == "AT+CNACT=1,\"${apn:-}\"");
  CHECK(profiles.for_model("SIM7080G").at("bearer_on") == "AT+CNACT=${pdp:-0},1");
  CHECK(profiles.for_model("SIM7000G").count("settle") == 0);  // the first match only
  CHECK(profiles.names() == std::vector<std::string>{"bearer_on", "settle"});
  CHECK(athil::scenario::ModelProfiles::load(dir.path() / "absent.xml").names().empty());
  auto bad = dir.write("bad.xml", "<models>\n  <model prefix=\"SIM7080G\"><var name=\"2x\" value=\"1\"/></model>\n</models>\n");
  CHECK_THROWS_WITH_AS(athil::scenario::ModelProfiles::load(bad), doctest::Contains("bad.xml:2:"), athil::InputError);
  CHECK_THROWS_WITH_AS(athil::scenario::ModelProfiles::load(bad), doctest::Contains("'2x' is not a valid variable name"), athil::InputError);
}
