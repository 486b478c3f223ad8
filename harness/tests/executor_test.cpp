// The executor against a scripted port and scripted pins, in process: every action's pass,
// failure and timeout as the verdict and the words a user reads. The script is the engine's
// contract (bytes written, bytes answered, pin levels), not a second module: what the module
// would do is written out in each test.
#include <deque>
#include <functional>
#include <map>
#include <mutex>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <pugixml.hpp>

#include "runner/executor.hpp"
#include "runner/identity.hpp"
#include "runner/line_match.hpp"
#include "runner/recovery.hpp"
#include "runner/report_state.hpp"
#include "scenario/loader.hpp"
#include "support.hpp"

using namespace athil;
using namespace athil::runner;
using namespace std::chrono_literals;
using athil::test::TempDir;

namespace {

// Answers what the engine writes: the first rule whose key starts the written bytes and has
// replies left gives its next reply (the echo first, for a command). Unmatched bytes get no
// answer: a silent module.
class ScriptedPort : public Transport {
 public:
  using Effect = std::function<void()>;
  void on(const std::string& bytes, std::string reply, Effect effect = {}) { rules_.push_back({bytes, std::move(reply), std::move(effect)}); }
  void push(std::string bytes) { pending_ += std::move(bytes); }
  // The module sends `bytes` at `at`: the first read from then on gets them.
  void push_at(Clock::time_point at, std::string bytes) { timed_.push_back({at, std::move(bytes)}); }
  bool echo = true;
  std::vector<std::string> written;
  // Runs once, as the next write returns: what the module did before the host saw it return.
  Effect while_writing;

  std::string read_some(Deadline deadline) override {
    for (auto& effect : std::exchange(effects_, {})) effect();
    if (pending_.empty()) std::this_thread::sleep_until(std::min(deadline, Clock::now() + 5ms));
    for (auto it = timed_.begin(); it != timed_.end();) {
      if (it->first > Clock::now()) {
        ++it;
        continue;
      }
      pending_ += it->second;
      it = timed_.erase(it);
    }
    return std::exchange(pending_, std::string());
  }
  bool took_all() const override { return true; }
  void write_all(std::string_view bytes, Deadline) override {
    if (auto effect = std::exchange(while_writing, {})) effect();
    written.emplace_back(bytes);
    for (auto it = rules_.begin(); it != rules_.end(); ++it) {
      if (bytes.substr(0, it->written.size()) != it->written) continue;
      bool command = !bytes.empty() && bytes.back() == '\r';
      if (command && echo) pending_ += std::string(bytes);
      pending_ += it->reply;
      if (it->effect) effects_.push_back(std::move(it->effect));
      rules_.erase(it);
      return;
    }
    if (!bytes.empty() && bytes.back() == '\r' && echo) pending_ += std::string(bytes);
  }
  std::string describe() const override { return "scripted port"; }

 private:
  struct Rule {
    std::string written;
    std::string reply;
    Effect effect;
  };
  std::deque<Rule> rules_;
  std::string pending_;
  std::vector<Effect> effects_;  // run as the module reads what was written, before its reply is delivered
  std::vector<std::pair<Clock::time_point, std::string>> timed_;
};

// Pins as levels, with what the module does on a level written by the harness scripted.
class ScriptedPins : public rig::Pins {
 public:
  explicit ScriptedPins(std::initializer_list<rig::PinRole> roles) {
    for (auto r : roles) levels_[r] = r == rig::PinRole::status ? rig::Level::low : rig::Level::high;
  }
  std::function<void(rig::PinRole, rig::Level)> on_set;
  std::vector<std::pair<rig::PinRole, rig::Level>> sets;

  bool has(rig::PinRole role) const override { return levels_.count(role) != 0; }
  void set(rig::PinRole role, rig::Level level) override {
    levels_[role] = level;
    sets.emplace_back(role, level);
    if (on_set) on_set(role, level);
  }
  rig::Level get(rig::PinRole role) override {
    apply_due();
    return levels_.at(role);
  }
  std::vector<rig::PinEvent> take_events() override {
    apply_due();
    return std::exchange(events_, {});
  }
  std::string describe() const override { return "scripted pins"; }
  // The module drives one of its outputs now.
  void module_drives(rig::PinRole role, rig::Level level) { drive(role, level, Clock::now()); }
  // The same, `after` from now: seen by the first look at the pins from then on.
  void module_drives(rig::PinRole role, rig::Level level, Duration after) { scheduled_.push_back({role, level, Clock::now() + after}); }

 private:
  struct Scheduled {
    rig::PinRole role;
    rig::Level level;
    Clock::time_point at;
  };
  void drive(rig::PinRole role, rig::Level level, Clock::time_point at) {
    levels_[role] = level;
    events_.push_back({role, level, to_us(at)});
  }
  void apply_due() {
    auto now = Clock::now();
    for (auto it = scheduled_.begin(); it != scheduled_.end();) {
      if (it->at > now) {
        ++it;
        continue;
      }
      drive(it->role, it->level, it->at);
      it = scheduled_.erase(it);
    }
  }
  std::vector<Scheduled> scheduled_;
  std::map<rig::PinRole, rig::Level> levels_;
  std::vector<rig::PinEvent> events_;
};

std::string scenario_xml(const std::string& steps, const std::string& extra = "") {
  return R"(<scenario name="t" models="SIM7080" timeout="20s">)" + extra + steps + "</scenario>";
}

struct Bench {
  TempDir dir;
  rig::Device device;
  ScriptedPort* port;
  ScriptedPins* pins = nullptr;
  std::map<std::string, std::string> vars;

  explicit Bench(std::initializer_list<rig::PinRole> roles = {}) {
    device.slot = "s1";
    device.model = "SIM7080G";
    auto p = std::make_unique<ScriptedPort>();
    port = p.get();
    device.port = std::move(p);
    device.engine = std::make_unique<AtEngine>(*device.port, device.timeline, Dialect::sim70x0("SIM7080G"));
    if (roles.size()) {
      auto pp = std::make_unique<ScriptedPins>(roles);
      pins = pp.get();
      device.pins = std::move(pp);
    }
  }
  Outcome run(const std::string& xml, double scale = 1.0) {
    auto s = scenario::Loader(dir.path()).load_text(xml, "t.xml");
    Executor executor(device, TimeScale(scale), vars, dir.path());
    return executor.run(s);
  }
  std::string transcript() const { return device.timeline.render(0, device.timeline.size()); }
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The verdict, with the message shown when it is not a pass.
#define CHECK_PASSES(outcome)                     \
  do {                                            \
    auto o_ = (outcome);                          \
    INFO(o_.message);                             \
    CHECK(o_.verdict == report::Verdict::passed); \
  } while (0)

}  // namespace

TEST_CASE("executor: a command answered as expected passes and its capture is usable") {
  Bench b;
  b.port->on("AT+CSQ\r", "\r\n+CSQ: 21,99\r\n\r\nOK\r\n");
  auto out = b.run(scenario_xml(R"x(<step name="signal"><command send="AT+CSQ" expect="\+CSQ: (\d+),(\d+)" capture="rssi ber"/>
      <check expr="${rssi} == 21"/><log>rssi ${rssi}</log></step>)x"));
  CHECK(out.verdict == report::Verdict::passed);
  CHECK(contains(b.transcript(), "log: rssi 21"));
}

TEST_CASE("executor: a captured value in a later regex is matched as the text it is, not read as a pattern") {
  Bench b;
  b.port->on("AT+CGDCONT?\r", "\r\n+CGDCONT: 1,\"IP\",\"net.v1(x)\"\r\n\r\nOK\r\n");
  // Read as a pattern, net.v1(x) would take the first line: '.' for the X, a group for the x.
  b.port->on("AT+CGNAPN\r", "\r\n+CGNAPN: 2,\"netXv1x\"\r\n+CGNAPN: 1,\"net.v1(x)\"\r\n\r\nOK\r\n");
  CHECK_PASSES(
      b.run(scenario_xml(R"x(<step name="apn"><send>AT+CGDCONT?</send><expect regex="\+CGDCONT: 1,&quot;IP&quot;,&quot;([^&quot;]*)&quot;" capture="apn"/>
      <expect>OK</expect><send>AT+CGNAPN</send><expect regex="\+CGNAPN: (\d),&quot;${apn}&quot;" capture="cid"/><check expr="${cid} == 1"/></step>)x")));
}

TEST_CASE("executor: a default written in a regex is pattern text, as scenarios/README.md says") {
  Bench b;
  b.port->on("AT+CGACT?\r", "\r\n+CGACT: 7,1\r\n\r\nOK\r\n");
  CHECK_PASSES(b.run(scenario_xml(R"x(<step name="s"><send>AT+CGACT?</send><expect regex="\+CGACT: (${cid:-\d+}),1" capture="got"/>
      <expect>OK</expect><check expr="${got} == 7"/></step>)x")));
}

TEST_CASE("executor: a command that ends with ERROR fails naming the line expected and the result") {
  Bench b;
  b.port->on("AT+CSQ\r", "\r\nERROR\r\n");
  auto out = b.run(scenario_xml(R"(<step name="signal"><command send="AT+CSQ" expect="+CSQ: 21,99"/></step>)"));
  CHECK(out.verdict == report::Verdict::failed);
  CHECK(contains(out.message, "step 'signal' (t.xml:1:"));
  CHECK(contains(out.message, "expected the line '+CSQ: 21,99', the command ended with 'ERROR'"));
  CHECK(contains(out.detail, "last lines received:"));
}

TEST_CASE("executor: a text-mode SMS as scenarios/README.md writes it: the > prompt waited for, the text ended by Ctrl-Z") {
  Bench b;
  b.port->on("AT+CMGS=\"+15550100\"\r", "\r\n> ");
  b.port->on("hello\x1a", "\r\n+CMGS: 7\r\n\r\nOK\r\n");
  CHECK_PASSES(b.run(scenario_xml(R"x(<step name="sms"><send>AT+CMGS="+15550100"</send><expect regex="&gt; ?"/>
      <send raw="true">hello\x1a</send><expect regex="\+CMGS: (\d+)" capture="mr"/><expect>OK</expect><log>mr ${mr}</log></step>)x")));
  CHECK(contains(b.transcript(), "log: mr 7"));
}

TEST_CASE(
    "executor: a command a sleeping module never heard (no echo, no answer) is owed nothing after an optional wait, so the next answer is the next command's") {
  Bench b;
  b.port->on("AT\r", "\r\nOK\r\n", [&] { b.port->echo = false; });  // then the UART sleeps: ATX is not even echoed
  b.port->on("ATX\r", "", [&] { b.port->echo = true; });            // and it wakes
  b.port->on("AT\r", "\r\nOK\r\n");
  CHECK_PASSES(b.run(scenario_xml(R"(<step name="s"><command send="AT"/><send>ATX</send>
      <expect-any capture="a" timeout="600ms" else="asleep"><expect name="awake">OK</expect></expect-any>
      <check expr="${a} == 'asleep'"/><command send="AT"/></step>)")));
  CHECK(contains(b.transcript(), "'ATX' was neither echoed nor answered by a module that echoes"));
}

TEST_CASE("executor: an unanswered expect times out and says the module was silent") {
  Bench b;
  auto out = b.run(scenario_xml(R"(<step name="quiet"><send>AT</send><expect timeout="150ms">OK</expect></step>)"));
  CHECK(out.verdict == report::Verdict::failed);
  CHECK(contains(out.message, "expected the line 'OK': nothing matched within 150ms"));
  CHECK(contains(out.message, "the module has sent nothing"));
}

TEST_CASE("executor: URCs are counted, and a missing one names the URCs that came instead") {
  Bench b;
  b.port->push("\r\n+CPIN: READY\r\n\r\n+CPIN: READY\r\n");
  CHECK_PASSES(b.run(scenario_xml(R"(<step name="sim"><urc count="2" timeout="1s">+CPIN: READY</urc></step>)")));
  b.port->push("\r\n+CPIN: NOT READY\r\n");
  auto out = b.run(scenario_xml(R"(<step name="sim"><urc timeout="150ms">+CPIN: READY</urc></step>)"));
  CHECK(out.verdict == report::Verdict::failed);
  CHECK(contains(out.message, "expected URC the line '+CPIN: READY': nothing matched within 150ms"));
  CHECK(contains(out.message, "other URCs: '+CPIN: NOT READY'"));
}

TEST_CASE("executor: expect-any names the alternative that came, its else answers a silence, and a final result fails it") {
  Bench b;
  auto with = [](const std::string& attrs, const std::string& command = R"(<command send="AT+CNACT=0,1"/>)") {
    return scenario_xml(
        R"(<step name="bearer">)" + command + R"(<expect-any capture="outcome" timeout="200ms")" + attrs +
        R"(><urc name="up">+APP PDP: 0,ACTIVE</urc><expect name="refused">+CME ERROR: 3</expect></expect-any><log>got ${outcome}</log></step>)");
  };
  b.port->on("AT+CNACT=0,1\r", "\r\nOK\r\n\r\n+APP PDP: 0,ACTIVE\r\n");
  CHECK_PASSES(b.run(with("")));
  CHECK(contains(b.transcript(), "log: got up"));

  b.port->on("AT+CNACT=0,1\r", "\r\nOK\r\n");
  CHECK_PASSES(b.run(with(" else=\"late\"")));
  CHECK(contains(b.transcript(), "log: got late"));

  b.port->on("AT+CNACT=0,1\r", "\r\nERROR\r\n");
  auto out = b.run(with("", "<send>AT+CNACT=0,1</send>"));
  CHECK(out.verdict == report::Verdict::failed);
  CHECK(contains(out.message, "expected one of URC 'up'"));
  CHECK(contains(out.message, "the command ended with 'ERROR'"));
}

TEST_CASE("executor: a forbidden line fails the scenario the moment it arrives, and only inside its block") {
  Bench b;
  b.port->on("AT+CGATT?\r", "\r\n+APP PDP: 0,DEACTIVE\r\n\r\n+CGATT: 1\r\n\r\nOK\r\n");
  auto out = b.run(scenario_xml(R"(<step name="watch"><forbid regex="\+APP PDP: \d,DEACTIVE"/><command send="AT+CGATT?" expect="+CGATT: 1"/></step>)"));
  CHECK(out.verdict == report::Verdict::failed);
  CHECK(contains(out.message, "forbidden line '+APP PDP: 0,DEACTIVE' arrived"));

  b.port->on("AT+CGATT?\r", "\r\n+APP PDP: 0,DEACTIVE\r\n\r\n+CGATT: 1\r\n\r\nOK\r\n");
  out = b.run(
      scenario_xml(R"(<step name="one"><forbid>+APP PDP: 0,DEACTIVE</forbid></step><step name="two"><command send="AT+CGATT?" expect="+CGATT: 1"/></step>)"));
  CHECK(out.verdict == report::Verdict::passed);
}

TEST_CASE("executor: sync takes unanswered ATs as lost and passes on the first OK, or fails after its tries") {
  Bench b;
  b.port->echo = false;  // an autobauding module takes the first AT to learn the rate
  b.port->on("AT\r", "");
  b.port->on("AT\r", "\r\nOK\r\n");
  CHECK_PASSES(b.run(scenario_xml(R"(<step name="wake"><sync tries="3" timeout="100ms"/></step>)")));
  CHECK(contains(b.transcript(), "sync: AT answered at try 2"));

  auto out = b.run(scenario_xml(R"(<step name="wake"><sync tries="2" timeout="100ms"/></step>)"));
  CHECK(out.verdict == report::Verdict::failed);
  CHECK(contains(out.message, "the module did not answer AT: no OK to any of 2 AT commands, 100ms each"));
}

TEST_CASE("executor: echo checks tell an echoed command from a silent one") {
  Bench b;
  b.port->on("AT+CGMI\r", "\r\nSIMCOM_Ltd\r\n\r\nOK\r\n");
  CHECK_PASSES(b.run(scenario_xml(R"(<step name="e"><command send="AT+CGMI" expect="SIMCOM_Ltd" echo="on"/></step>)")));
  b.port->on("AT+CGMI\r", "\r\nSIMCOM_Ltd\r\n\r\nOK\r\n");
  auto out = b.run(scenario_xml(R"(<step name="e"><command send="AT+CGMI" expect="SIMCOM_Ltd" echo="off"/></step>)"));
  CHECK(out.verdict == report::Verdict::failed);
  CHECK(contains(out.message, "expected no echo (echo off): got 'AT+CGMI' echoed"));
}

TEST_CASE("executor: a false check shows the values it saw, and an undefined variable is a scenario mistake") {
  Bench b;
  b.vars["rssi"] = "7";
  auto out = b.run(scenario_xml(R"(<step name="c"><check expr="${rssi} &gt;= 10" message="weak signal: ${rssi}"/></step>)"));
  CHECK(out.verdict == report::Verdict::failed);
  CHECK(contains(out.message, "weak signal: 7 (rssi='7')"));
  CHECK_FALSE(out.mistake);
  // A variable read with a default is shown too, when it has a value.
  out = b.run(scenario_xml(R"(<step name="c"><check expr="${rssi:-99} &gt;= 10 &amp;&amp; ${ber:-0} == 0"/></step>)"));
  CHECK(contains(out.message, "check failed: ${rssi:-99} >= 10 && ${ber:-0} == 0 (rssi='7')"));
  out = b.run(scenario_xml(R"(<step name="c"><check expr="${ber:-1} == 0"/></step>)"));
  CHECK(contains(out.message, "check failed: ${ber:-1} == 0"));
  CHECK_FALSE(contains(out.message, "()"));

  out = b.run(scenario_xml(R"(<step name="c"><log>${nowhere}</log></step>)"));
  CHECK(out.verdict == report::Verdict::error);
  CHECK(out.mistake);
  CHECK(contains(out.message, "scenario mistake: t.xml:1:"));
  CHECK(contains(out.message, "undefined variable ${nowhere}"));
}

TEST_CASE("executor: repeat until stops when its condition holds and fails after max rounds") {
  Bench b;
  for (auto state : {"1", "1", "5"}) b.port->on("AT+CEREG?\r", fmt::format("\r\n+CEREG: 0,{}\r\n\r\nOK\r\n", state));
  auto rounds = [](int max) {
    return scenario_xml(fmt::format(R"(<step name="reg"><repeat until="${{stat:-0}} == 5" max="{}">)"
                                    R"x(<command send="AT+CEREG?" expect="\+CEREG: 0,(\d)" capture="stat"/></repeat></step>)x",
                                    max));
  };
  CHECK_PASSES(b.run(rounds(5)));
  for (auto state : {"1", "1"}) b.port->on("AT+CEREG?\r", fmt::format("\r\n+CEREG: 0,{}\r\n\r\nOK\r\n", state));
  auto out = b.run(rounds(2));
  CHECK(out.verdict == report::Verdict::failed);
  CHECK(contains(out.message, "'${stat:-0} == 5' still false after 2 round(s)"));
}

TEST_CASE("executor: a fixture's parameters hold inside it only, and a capture inside it stands") {
  Bench b;
  b.dir.write("bearer.xml",
              R"x(<fixture name="bearer"><log>pdp ${pdp:-0}</log><command send="AT+CNACT?" expect="\+CNACT: (\d),1" capture="active"/></fixture>)x");
  b.port->on("AT+CNACT?\r", "\r\n+CNACT: 1,1\r\n\r\nOK\r\n");
  auto out = b.run(scenario_xml(R"(<step name="f"><use fixture="bearer"><param name="pdp" value="1"/></use><log>after ${pdp:-none} ${active}</log></step>)"));
  CHECK(out.verdict == report::Verdict::passed);
  CHECK(contains(b.transcript(), "log: pdp 1"));
  CHECK(contains(b.transcript(), "log: after none 1"));
}

TEST_CASE("executor: send-file writes the file in chunks, each after its command and prompt, and names the chunk the module refused") {
  Bench b;
  b.dir.write("fw.bin", std::string(25, 'x'));
  const std::string send =
      R"(<step name="write"><send-file path="fw.bin" chunk="10" command="AT+CFSWFILE=3,&quot;fw.bin&quot;,{mode},{length},1000"/><log>sent ${sent}</log></step>)";
  for (auto [mode, length] : {std::pair{0, 10}, {1, 10}, {1, 5}}) {
    b.port->on(fmt::format("AT+CFSWFILE=3,\"fw.bin\",{},{},1000\r", mode, length), "\r\nDOWNLOAD\r\n");
    b.port->on(std::string(length, 'x'), "\r\nOK\r\n");
  }
  CHECK_PASSES(b.run(scenario_xml(send)));
  CHECK(contains(b.transcript(), "log: sent 25"));

  b.port->on("AT+CFSWFILE=3,\"fw.bin\",0,10,1000\r", "\r\nDOWNLOAD\r\n");
  b.port->on(std::string(10, 'x'), "\r\nOK\r\n");
  b.port->on("AT+CFSWFILE=3,\"fw.bin\",1,10,1000\r", "\r\nDOWNLOAD\r\n");
  b.port->on(std::string(10, 'x'), "\r\nERROR\r\n");
  auto out = b.run(scenario_xml(send));
  CHECK(out.verdict == report::Verdict::failed);
  CHECK(contains(out.message, "the module did not take bytes 10..20 of fw.bin: 'ERROR'"));

  b.vars["file"] = "../secret";  // only a run can tell where a variable points
  out = b.run(scenario_xml(R"(<step name="write"><send-file path="${file}"/></step>)"));
  CHECK(out.verdict == report::Verdict::error);
  CHECK(contains(out.message, "must lie inside the fixtures folder"));
}

TEST_CASE("executor: pin actions on a slot that wires no such line are errors naming the slot and the line") {
  Bench b;
  auto out = b.run(scenario_xml(R"(<step name="p"><power-key hold="100ms"/></step>)"));
  CHECK(out.verdict == report::Verdict::error);
  CHECK(contains(out.message, "slot s1: <power-key> at t.xml:1:"));
  CHECK(contains(out.message, "the rig wires no pwrkey line"));
}

TEST_CASE("executor: a short PWRKEY press the host released past the documented power-on hold is a rig error with both figures") {
  Bench b({rig::PinRole::pwrkey, rig::PinRole::status});
  // A slow pin write (a loaded host, an external program's pin): at scale 0.02 the 300 ms
  // press is 6 ms on the host, and 60 ms held is 3 s on the module's clock.
  b.pins->on_set = [](rig::PinRole role, rig::Level level) {
    if (role == rig::PinRole::pwrkey && level == rig::Level::low) std::this_thread::sleep_for(60ms);
  };
  auto out = b.run(scenario_xml(R"(<step name="short"><power-key hold="300ms"/></step>)"), 0.02);
  CHECK(out.verdict == report::Verdict::error);
  INFO(out.message);
  CHECK(contains(out.message, "slot s1: <power-key> at t.xml:1:"));
  CHECK(contains(out.message, "the pwrkey press of 300ms was held "));
  CHECK(contains(out.message, "at time scale 0.02): past the SIM7080G's documented 1s power-on hold"));
  CHECK(b.pins->get(rig::PinRole::pwrkey) == rig::Level::high);  // released all the same

  // The same press held as asked is a press.
  b.pins->on_set = nullptr;
  CHECK_PASSES(b.run(scenario_xml(R"(<step name="short"><power-key hold="300ms"/></step>)")));
}

TEST_CASE("executor: power on presses PWRKEY and checks STATUS, and a module that never raises it fails the sequence") {
  Bench b({rig::PinRole::pwrkey, rig::PinRole::status});
  b.pins->on_set = [&](rig::PinRole role, rig::Level level) {
    if (role == rig::PinRole::pwrkey && level == rig::Level::high) b.pins->module_drives(rig::PinRole::status, rig::Level::high);
  };
  CHECK_PASSES(b.run(scenario_xml(R"(<step name="on"><power action="on"/><expect-pin name="status" level="high" timeout="100ms"/></step>)"), 0.01));
  REQUIRE(b.pins->sets.size() == 2);
  CHECK(b.pins->sets[0] == std::pair{rig::PinRole::pwrkey, rig::Level::low});

  Bench dead({rig::PinRole::pwrkey, rig::PinRole::status});
  auto out = dead.run(scenario_xml(R"(<step name="on"><power action="on"/></step>)"), 0.01);
  CHECK(out.verdict == report::Verdict::failed);
  CHECK(contains(out.message, "STATUS still low"));
  auto pin = dead.run(scenario_xml(R"(<step name="p"><expect-pin name="status" level="high" timeout="100ms"/></step>)"));
  CHECK(contains(pin.message, "expected status high: status stayed low for 100ms"));
}

TEST_CASE(
    "executor: expect-reboot takes a STATUS fall and rise after the command, even when the edge beats the OK, the whole restart does, or the host sees its "
    "write return late") {
  Bench b({rig::PinRole::pwrkey, rig::PinRole::status});
  b.pins->module_drives(rig::PinRole::status, rig::Level::high);
  b.pins->take_events();
  // STATUS falls while the OK is still on its way (a USB adapter's latency) and rises after
  // the module's boot.
  b.port->on("AT+CFUN=1,1\r", "\r\nOK\r\n", [&] {
    b.pins->module_drives(rig::PinRole::status, rig::Level::low);
    b.pins->module_drives(rig::PinRole::status, rig::Level::high, 100ms);
  });
  CHECK_PASSES(b.run(scenario_xml(R"(<step name="r"><command send="AT+CFUN=1,1"/><expect-reboot timeout="1s"/></step>)")));

  // A host late to read (a loaded machine): the whole restart, fall and rise, is over before
  // the OK that preceded it is read. The OK answers the command, so the module sent it before
  // restarting: the rise before its reading is not a restart before it (seen on CI at 0.02).
  b.port->on("AT+CFUN=1,1\r", "\r\nOK\r\n", [&] {
    b.pins->module_drives(rig::PinRole::status, rig::Level::low);
    std::this_thread::sleep_for(1ms);  // the module's restart, then the host's lateness: apart by more than a stamp's microsecond
    b.pins->module_drives(rig::PinRole::status, rig::Level::high);
    std::this_thread::sleep_for(1ms);
  });
  CHECK_PASSES(b.run(scenario_xml(R"(<step name="r"><command send="AT+CFUN=1,1"/><expect-reboot timeout="1s"/></step>)")));

  // A host descheduled as its write returns (a rack of 8 at 0.02 on CI): the module read the
  // command and fell before the host saw the write done. Failed with "STATUS never went low".
  b.port->on("AT+CFUN=1,1\r", "\r\nOK\r\n");
  b.port->while_writing = [&] {
    std::this_thread::sleep_for(1ms);  // the write's way to the module: apart from its start by more than a stamp's microsecond
    b.pins->module_drives(rig::PinRole::status, rig::Level::low);
    b.pins->module_drives(rig::PinRole::status, rig::Level::high, 20ms);
    std::this_thread::sleep_for(1ms);
  };
  CHECK_PASSES(b.run(scenario_xml(R"(<step name="r"><command send="AT+CFUN=1,1"/><expect-reboot timeout="1s"/></step>)")));

  b.port->on("AT+CFUN=1,1\r", "\r\nOK\r\n");
  auto out = b.run(scenario_xml(R"(<step name="r"><command send="AT+CFUN=1,1"/><expect-reboot timeout="150ms"/></step>)"));
  CHECK(out.verdict == report::Verdict::failed);
  CHECK(contains(out.message, "STATUS never went low"));
}

TEST_CASE("executor: expect-reboot after a URC takes the restart that follows the URC, even when the host reads the URC after it, and not one before") {
  Bench b({rig::PinRole::pwrkey, rig::PinRole::status});
  b.pins->module_drives(rig::PinRole::status, rig::Level::high);
  b.pins->take_events();
  const std::string xml = scenario_xml(R"(<step name="update"><command send="AT+CFOTA=1"/>
      <urc timeout="2s">+CFOTA: "Update successfully, please wait for reset"</urc><expect-reboot timeout="1s"/></step>)");
  // AT+CFOTA=1 restarts the module into its updater (STATUS low, then high), which reports
  // the outcome 600 ms later and restarts again. `late`: the port holds the outcome (a
  // latency, a host late to read) until the second restart is over.
  auto update = [&](bool restarts_after, bool late) {
    b.port->on("AT+CFOTA=1\r", "\r\nOK\r\n", [&, restarts_after, late] {
      b.pins->module_drives(rig::PinRole::status, rig::Level::low);
      b.pins->module_drives(rig::PinRole::status, rig::Level::high, 20ms);
      auto outcome = Clock::now() + 600ms;
      if (restarts_after) {
        b.pins->module_drives(rig::PinRole::status, rig::Level::low, 610ms);
        b.pins->module_drives(rig::PinRole::status, rig::Level::high, 630ms);
      }
      b.port->push_at(late ? outcome + 50ms : outcome, "\r\n+CFOTA: \"Update successfully, please wait for reset\"\r\n");
    });
  };
  update(true, false);
  CHECK_PASSES(b.run(xml));
  // Read 20 ms after the restart that followed it ended: failed with "STATUS never went low" before.
  update(true, true);
  CHECK_PASSES(b.run(xml));
  // The updater's restart, before the outcome was sent, is not the one waited for.
  update(false, true);
  auto out = b.run(xml);
  CHECK(out.verdict == report::Verdict::failed);
  CHECK(contains(out.message, "STATUS never went low"));
}

TEST_CASE("executor: without STATUS, expect-reboot waits for RDY") {
  Bench b;
  b.port->on("AT+CFUN=1,1\r", "\r\nOK\r\n\r\nRDY\r\n");
  CHECK_PASSES(b.run(scenario_xml(R"(<step name="r"><command send="AT+CFUN=1,1"/><expect-reboot timeout="1s"/></step>)")));
  b.port->on("AT+CFUN=1,1\r", "\r\nOK\r\n");
  auto out = b.run(scenario_xml(R"(<step name="r"><command send="AT+CFUN=1,1"/><expect-reboot timeout="150ms"/></step>)"));
  CHECK(contains(out.message, "expected the module to restart (RDY"));
}

TEST_CASE("executor: a step's timeout ends a long wait and is named as the bound that ran out") {
  Bench b;
  auto out = b.run(scenario_xml(R"(<step name="slow" timeout="200ms"><send>AT</send><expect timeout="5s">OK</expect></step>)"));
  CHECK(out.verdict == report::Verdict::failed);
  CHECK(contains(out.message, "the step timeout (200ms) ran out first"));
  CHECK(out.seconds < 4.0);  // ended by the step's bound, not the expect's 5 s
}

TEST_CASE("executor: the teardown runs after a failure, on-failure output joins the evidence, and a teardown failure is named") {
  Bench b;
  b.port->on("AT+CEER\r", "\r\n+CEER: no cause\r\n\r\nOK\r\n");
  b.port->on("AT+CPOWD=1\r", "\r\nNORMAL POWER DOWN\r\n");
  b.vars["x"] = "1";
  auto out = b.run(scenario_xml(R"(<step name="s"><check expr="${x} == 2"/></step>)",
                                R"(<on-failure><command send="AT+CEER"/></on-failure><teardown><send unanswered="true">AT+CPOWD=1</send></teardown>)"));
  CHECK(out.verdict == report::Verdict::failed);
  CHECK(contains(out.detail, "--- on-failure diagnostics ---"));
  CHECK(contains(out.detail, "+CEER: no cause"));
  CHECK(contains(b.transcript(), "# block teardown"));
  CHECK(b.port->written.back() == "AT+CPOWD=1\r");

  auto torn = b.run(scenario_xml(R"(<step name="s"><log>fine</log></step>)", R"(<teardown><send>AT</send><expect timeout="100ms">OK</expect></teardown>)"));
  CHECK(torn.verdict == report::Verdict::failed);
  CHECK(contains(torn.message, "teardown: teardown (t.xml:1:"));
}

TEST_CASE("executor: the identity read runs as built-in scripts after the setup, inside the scenario, and leaves it as it was") {
  Bench b;
  b.vars["x"] = "1";
  b.port->on("AT+CGMR\r", "\r\nRevision:1951B02SIM7080G\r\n\r\nOK\r\n");
  b.port->on("AT+GSN\r", "\r\n860141052214560\r\n\r\nOK\r\n");
  b.port->on("AT+CSQ\r", "\r\n+CSQ: 21,99\r\n\r\nOK\r\n");
  auto s = scenario::Loader(b.dir.path())
               .load_text(scenario_xml(R"(<setup><log>up</log></setup>
      <step name="after"><forbid>+CPIN: NOT READY</forbid><command send="AT+CSQ" expect="+CSQ: 21,99"/><log>x is ${x}</log></step>)"),
                          "t.xml");
  Executor executor(b.device, TimeScale(1.0), b.vars, b.dir.path());
  Identity id;
  executor.after_setup([&] { id = read_identity(executor, b.device); });
  auto out = executor.run(s);
  INFO(out.message);
  CHECK(out.verdict == report::Verdict::passed);
  CHECK(id.revision == "1951B02SIM7080G");
  CHECK(id.imei == "860141052214560");
  CHECK(contains(b.transcript(), "log: x is 1"));

  // A module that does not answer leaves the problem, and the scenario goes on.
  b.port->on("AT+CGMR\r", "\r\nERROR\r\n");
  b.port->on("AT+GSN\r", "\r\n860141052214560\r\n\r\nOK\r\n");
  b.port->on("AT+CSQ\r", "\r\n+CSQ: 21,99\r\n\r\nOK\r\n");
  out = executor.run(s);
  CHECK(out.verdict == report::Verdict::passed);
  CHECK(id.revision.empty());
  CHECK(id.imei == "860141052214560");
  CHECK(contains(id.problem, "the command ended with 'ERROR'"));
}

TEST_CASE("recovery: the ladder's first rung restarts the firmware, waits for AT and powers the module down to rest, all as scripts") {
  Bench b;
  b.port->on("AT+CFUN=1,1\r", "\r\nOK\r\n\r\nRDY\r\n");
  b.port->on("AT\r", "\r\nOK\r\n");
  b.port->on("AT+CPOWD=1\r", "\r\nNORMAL POWER DOWN\r\n");
  auto r = recover(b.device, TimeScale(0.02));
  INFO(r.summary());
  CHECK(r.recovered);
  REQUIRE(r.rungs.size() == 1);
  CHECK(contains(r.rungs[0].outcome, "then powered down to rest"));
  CHECK(contains(b.transcript(), "scenario recovery-soft-restart"));

  // Silent to AT+CFUN=1,1 and wiring no pins: every rung says why it did not reach the module.
  Bench silent;
  auto none = recover(silent.device, TimeScale(0.02));
  CHECK_FALSE(none.recovered);
  CHECK(contains(none.summary(), "AT+CFUN=1,1: nothing matched within 2s"));
  CHECK(contains(none.summary(), "long PWRKEY reset: not wired; supply cycle: not wired"));
}

// The host descheduled: a press released late, or a look taken late. The module's budget is
// counted on the module's terms either way.
TEST_CASE("executor: a wait after a press counts from when the release was due, so a host descheduled during the press does not lengthen the budget") {
  Bench b({rig::PinRole::pwrkey, rig::PinRole::status});
  Clock::time_point pressed;
  b.pins->on_set = [&](rig::PinRole role, rig::Level level) {
    if (role != rig::PinRole::pwrkey || level != rig::Level::low) return;
    pressed = Clock::now();
    b.port->push_at(pressed + 900ms, "\r\nRDY\r\n");  // 0.9 s after the press: past a 0.1 s press and 0.5 s budget
    std::this_thread::sleep_for(600ms);               // the host stalls with the key held
  };
  auto out = b.run(scenario_xml(R"x(<step name="boot"><power-key hold="100ms"/>
      <expect-any capture="rdy" timeout="500ms" else="late"><urc name="in time">RDY</urc></expect-any>
      <check expr="${rdy} == 'late'" message="RDY counted as in time"/></step>)x"));
  CHECK_PASSES(out);
}

TEST_CASE("executor: a line that reached the port before the deadline counts when the host looks after it, and the transcript says the look was late") {
  Bench b({rig::PinRole::pwrkey, rig::PinRole::status});
  b.pins->on_set = [&](rig::PinRole role, rig::Level level) {
    if (role != rig::PinRole::pwrkey) return;
    if (level == rig::Level::low) b.port->push_at(Clock::now() + 200ms, "\r\nRDY\r\n");  // inside the window (0.1 s to 0.35 s)
    if (level == rig::Level::high) std::this_thread::sleep_for(600ms);                   // descheduled past the window's end
  };
  auto out = b.run(scenario_xml(R"x(<step name="boot"><power-key hold="100ms"/>
      <expect-any capture="rdy" timeout="250ms" else="late"><urc name="in time">RDY</urc></expect-any>
      <check expr="${rdy} == 'in time'" message="RDY counted as late"/></step>)x"));
  CHECK_PASSES(out);
  CHECK(contains(b.transcript(), "'RDY' was read "));
  CHECK(contains(b.transcript(), " ms past the wait's deadline, the host being late to look"));
}

TEST_CASE("a regex line test outlives the pattern cache: a forbid made early still matches after a thousand other patterns") {
  LineMatchers matchers;
  Variables vars({}, {});
  const SourcePos pos{"t.xml", 3, 5};
  auto forbid = matchers.make(scenario::LinePattern{.text = "\\+CME ERROR: \\d+", .regex = true}, vars, pos, nullptr);
  // Kept as an active <forbid> keeps it: the test and what it points to, not the LineMatch.
  AtEngine::LineTest test = forbid.test;
  std::shared_ptr<const void> compiled = forbid.compiled;
  forbid = LineMatch{};
  for (int i = 0; i < 1100; ++i) {  // more than the cache holds: it is emptied on the way
    auto other = matchers.make(scenario::LinePattern{.text = fmt::format("\\+X{}: (\\d+)", i), .regex = true}, vars, pos, nullptr);
    CHECK(other.test(fmt::format("+X{}: 7", i)));
  }
  CHECK(test("+CME ERROR: 50"));
  CHECK_FALSE(test("+CME ERROR: x"));
  CHECK_FALSE(test("OK"));
}

TEST_CASE("the report written after each change shows every testcase as it stands then: planned, running, ended, closed") {
  TempDir dir;
  ReportState state(dir.path() / "junit.xml", report::JunitFlavour::strict, dir.path() / "summary.md", report::RunInfo{.id = "r1"});
  auto suite = state.add_suite(report::TestSuite{.name = "athil.lab.a"});
  auto one = state.add_planned(suite, report::TestCase{.name = "one", .classname = "athil.lab.a"});
  auto two = state.add_planned(suite, report::TestCase{.name = "two", .classname = "athil.lab.a"});
  // What the file says of a testcase: its verdict's element and message, or "passed".
  auto shown = [&](const char* name) {
    pugi::xml_document doc;
    REQUIRE(doc.load_file((dir.path() / "junit.xml").c_str()));
    auto c = doc.select_node(fmt::format("//testcase[@name='{}']", name).c_str()).node();
    REQUIRE(c);
    for (const char* kind : {"failure", "error", "skipped"})
      if (auto e = c.child(kind)) return fmt::format("{}: {}", kind, e.attribute("message").value());
    return std::string("passed: ") + c.child("system-out").text().get();
  };
  auto summary = [&] { return athil::test::read_file(dir.path() / "summary.md"); };

  // Each change is written at once here (publish): the writer thread's pace is the next test's.
  REQUIRE(state.publish());
  CHECK(shown("one") == "skipped: not run: the run ended before this scenario started");
  state.start(suite, one);
  REQUIRE(state.publish());
  CHECK(shown("one").starts_with("error: the run ended while this scenario was running"));
  CHECK(shown("two") == "skipped: not run: the run ended before this scenario started");
  state.finish(suite, one, report::TestCase{.name = "one", .classname = "athil.lab.a", .system_out = "AT\nOK\n"}, 1.0);
  REQUIRE(state.publish());
  CHECK(shown("one") == "passed: AT\nOK\n");
  CHECK(summary().find("| one | passed |") != std::string::npos);
  state.start(suite, two);
  REQUIRE(state.publish());
  CHECK(shown("two").starts_with("error: the run ended while this scenario was running"));
  state.close_open("stopped by the test");
  REQUIRE(state.publish());
  CHECK(shown("two") == "error: stopped by the test");
  CHECK(shown("one") == "passed: AT\nOK\n");
  CHECK(summary().find("| two | ERROR |") != std::string::npos);
  // The same testcase again (a round of --until-fail reuses nothing, but a finish replaces).
  state.finish(suite, one, report::TestCase{.name = "one", .classname = "athil.lab.a", .verdict = report::Verdict::failed, .message = "no OK"}, 2.0);
  REQUIRE(state.publish());
  CHECK(shown("one") == "failure: no OK");
  CHECK(summary().find("| one | FAILED |") != std::string::npos);
}

TEST_CASE("the run's page keeps an ended testcase's section: its transcript is read when it ends, and again only when it runs again") {
  TempDir dir;
  ReportState state(dir.path() / "junit.xml", report::JunitFlavour::strict, dir.path() / "summary.md", report::RunInfo{.id = "r1"});
  auto suite = state.add_suite(report::TestSuite{.name = "athil.lab.a"});
  auto one = state.add_planned(suite, report::TestCase{.name = "one", .classname = "athil.lab.a"});
  auto transcript = [&](const char* command) {
    dir.write("one.log", fmt::format("# athil-transcript 1\n0.000000 > {}\\r\n0.010000 < \\r\\nOK\\r\\n\n", command));
  };
  auto page = [&] {
    REQUIRE_FALSE(state.publish_html().has_value());
    return athil::test::read_file(dir.path() / "index.html");
  };
  auto ended = report::TestCase{.name = "one", .classname = "athil.lab.a", .transcript = "one.log"};

  transcript("AT+FIRST");
  state.start(suite, one);
  state.finish(suite, one, ended, 1.0);
  CHECK(page().find("AT+FIRST") != std::string::npos);
  transcript("AT+SECOND");  // as no ended testcase's transcript changes: the page is not read from it again
  CHECK(page().find("AT+FIRST") != std::string::npos);
  state.start(suite, one);
  state.finish(suite, one, ended, 2.0);
  auto again = page();
  CHECK(again.find("AT+SECOND") != std::string::npos);
  CHECK(again.find("AT+FIRST") == std::string::npos);
}

TEST_CASE("the report's own thread writes what changed, a night's burst of changes far fewer times than it has changes, and the last change before the end") {
  TempDir dir;
  auto junit = dir.path() / "junit.xml";
  auto passed = [&](std::size_t n) {
    pugi::xml_document doc;
    if (!doc.load_file(junit.c_str())) return false;
    auto cases = doc.select_nodes("//testcase");
    std::size_t ok = 0;
    for (const auto& c : cases) ok += !c.node().first_child();
    return cases.size() == n && ok == n;
  };
  constexpr std::size_t night = 2000;
  std::size_t writes = 0;
  {
    ReportState state(junit, report::JunitFlavour::strict, dir.path() / "summary.md", report::RunInfo{.id = "r1"});
    auto suite = state.add_suite(report::TestSuite{.name = "athil.lab.a"});
    for (std::size_t i = 0; i < night; ++i) state.add_planned(suite, report::TestCase{.name = fmt::format("c{}", i), .classname = "athil.lab.a"});
    REQUIRE(state.publish());
    for (std::size_t i = 0; i < night; ++i) {
      state.start(suite, i);
      state.finish(suite, i, report::TestCase{.name = fmt::format("c{}", i), .classname = "athil.lab.a"}, 1.0);
    }
    // No publish: the writer thread gets there by itself.
    CHECK(athil::test::eventually([&] { return passed(night); }, 30s));
    writes = state.writes();
    // Written at every change, that would be 4,001 writes of a file of 2,000 testcases.
    CHECK(writes < night / 10);
    state.finish(suite, 0, report::TestCase{.name = "c0", .classname = "athil.lab.a", .verdict = report::Verdict::failed, .message = "late"}, 2.0);
  }  // the end of the report: what changed last is written before it goes
  pugi::xml_document doc;
  REQUIRE(doc.load_file(junit.c_str()));
  CHECK(std::string(doc.select_node("//testcase[@name='c0']/failure").node().attribute("message").value()) == "late");
  MESSAGE(writes, " writes for ", 2 * night, " changes");
}
