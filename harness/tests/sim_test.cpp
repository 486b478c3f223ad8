// The virtual module's behaviour, driven directly with a controlled clock: what a host would
// see on the UART, byte for byte, and on the STATUS pin.
#include <doctest/doctest.h>

#include <utility>
#include <vector>

#include "base/error.hpp"
#include "sim/control_request.hpp"
#include "sim/delta.hpp"
#include "sim/module.hpp"
#include "tests/sim_bench.hpp"
#include "tests/support.hpp"

using namespace athil::sim;
using namespace std::chrono_literals;

using Bench = athil::test::SimBench;

TEST_CASE("sim: off until PWRKEY is held low for 1 s, a short press does nothing") {
  Bench b;
  b.press(900ms);
  b.run_for(10s);
  CHECK(b.uart.empty());
  CHECK(b.module.pin(Pin::status) == Level::low);
  b.module.uart_in("AT\r", b.now);  // nobody listens while off
  b.run_for(1s);
  CHECK(b.uart.empty());

  b.press(1100ms);        // recognised at 1.0 s: power-on
  b.run_for(1600ms);      // 2.7 s
  CHECK(b.uart.empty());  // SIM7080G: UART ready 1.8 s after power-on, at 2.8 s
  b.run_for(3s);
  CHECK(b.uart == "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nSMS Ready\r\n");
  CHECK(b.module.pin(Pin::status) == Level::high);
  CHECK(b.levels_of(Pin::status) == std::vector<Level>{Level::high});
}

TEST_CASE("sim: a release delivered after the hold still counts by its edge times") {
  Bench b;
  Time edge = b.now;
  b.module.pin_in(Pin::pwrkey, Level::low, edge, b.now);
  b.now += 1500ms;  // the module was too busy to run its timer; the release arrives first
  b.module.pin_in(Pin::pwrkey, Level::high, edge + 1100ms, b.now);
  b.run_for(5s);
  CHECK(b.uart.find("RDY") != std::string::npos);
}

TEST_CASE("sim: echo, identification and errors framed as the real module frames them") {
  Bench b;
  b.boot();
  CHECK(b.command("AT+GMR") == "AT+GMR\r\r\nRevision:1951B02SIM7080G\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CGMM") == "AT+CGMM\r\r\nSIMCOM_SIM7080\r\n\r\nOK\r\n");
  CHECK(b.command("AT+NOSUCH") == "AT+NOSUCH\r\r\nERROR\r\n");
  CHECK(b.command("ATE0") == "ATE0\r\r\nOK\r\n");
  CHECK(b.command("AT") == "\r\nOK\r\n");
  CHECK(b.command("AT+CMEE=2") == "\r\nOK\r\n");
  CHECK(b.command("AT+CMEE=9") == "\r\nERROR\r\n");
  CHECK(b.command("AT+CPOWD") == "\r\nERROR\r\n");  // bare AT+CPOWD is rejected
  auto imei = b.command("AT+GSN");
  CHECK(imei.size() == std::string("\r\n123456789012345\r\n\r\nOK\r\n").size());
}

TEST_CASE("sim: AT+CFUN=0 then 1 searches the network from the start, whatever search was under way") {
  Bench b;
  b.press(1200ms);
  b.run_for(4s);  // a SIM7080G is ready 2.8 s after the press began: its first search is under way
  b.command("AT+CFUN=0");
  b.command("AT+CFUN=1");
  b.run_for(2500ms);  // the boot's search would have ended by now
  CHECK(b.command("AT+CEREG?") == "AT+CEREG?\r\r\n+CEREG: 0,2\r\n\r\nOK\r\n");
  b.run_for(600ms);
  CHECK(b.command("AT+CEREG?") == "AT+CEREG?\r\r\n+CEREG: 0,1\r\n\r\nOK\r\n");
}

TEST_CASE("sim: a command the virtual module does not model answers ERROR as an unknown one does, and is told to its log") {
  Bench b;
  b.boot();
  CHECK(b.command("AT+CMEE=2") == "AT+CMEE=2\r\r\nOK\r\n");
  // ERROR, not +CME ERROR: the module's answer to a command it does not know, whatever AT+CMEE says.
  CHECK(b.command("AT+CMGS=\"+15550100\"") == "AT+CMGS=\"+15550100\"\r\r\nERROR\r\n");
  CHECK(b.command("ATH") == "ATH\r\r\nERROR\r\n");
  CHECK(b.command("AT+CGMM=?") == "AT+CGMM=?\r\r\nERROR\r\n");  // a form of a known command it does not play
  CHECK(b.unmodelled == std::vector<std::string>{"+CMGS=\"+15550100\"", "H", "+CGMM=?"});
  // The module's own refusals are not unmodelled commands.
  CHECK(b.command("AT+CMEE=9") == "AT+CMEE=9\r\r\nERROR\r\n");
  CHECK(b.command("AT+CPIN=1234") == "AT+CPIN=1234\r\r\n+CME ERROR: operation not allowed\r\n");
  CHECK(b.command("AT+CFUN?=1") == "AT+CFUN?=1\r\r\nERROR\r\n");  // a syntax error
  CHECK(b.unmodelled.size() == 3);
}

TEST_CASE("sim: echo is back on after every boot") {
  Bench b;
  b.boot();
  b.command("ATE0");
  b.command("AT+CFUN=1,1", 10s);
  CHECK(b.command("AT") == "AT\r\r\nOK\r\n");
}

TEST_CASE("sim: bearer syntax per model, and activating an active context is an ERROR") {
  Bench b;
  b.boot();
  CHECK(b.command("AT+CNACT=0,1", 1s) == "AT+CNACT=0,1\r\r\nOK\r\n\r\n+APP PDP: 0,ACTIVE\r\n");
  CHECK(b.command("AT+CNACT=0,1") == "AT+CNACT=0,1\r\r\nERROR\r\n");
  Bench old("SIM7000G", "1529B08SIM7000G");
  old.boot();
  CHECK(old.command("AT+CNACT=1,\"cmnet\"", 1s) == "AT+CNACT=1,\"cmnet\"\r\r\nOK\r\n\r\n+APP PDP: ACTIVE\r\n");
  CHECK(old.command("AT+CNACT?").find("+CNACT: 1,\"") != std::string::npos);
}

TEST_CASE("sim: PWRKEY off, then a press sooner than 2 s after power-off is ignored") {
  Bench b;
  b.boot();
  b.press(1300ms);
  CHECK(b.take() == "\r\nNORMAL POWER DOWN\r\n");
  b.run_for(2s);
  CHECK(b.module.pin(Pin::status) == Level::low);
  b.press(1100ms);  // 0.1 s after STATUS dropped
  b.run_for(5s);
  CHECK(b.uart.empty());
  b.press(1100ms);
  b.run_for(5s);
  CHECK(b.uart.find("RDY") != std::string::npos);
}

TEST_CASE("sim: after NORMAL POWER DOWN nothing more comes, not even the boot URCs still due") {
  Bench b;
  b.press(1200ms);
  b.run_for(1600ms);  // RDY at 2.8 s: its +CFUN, +CPIN and SMS Ready are due within 2 s
  b.module.uart_in("AT\r", b.now);
  b.run_for(50ms);
  CHECK(b.take().find("RDY") != std::string::npos);
  b.module.uart_in("AT+CPOWD=1\r", b.now);
  b.run_for(10s);
  CHECK(b.take() == "AT+CPOWD=1\r\r\nNORMAL POWER DOWN\r\n");
  CHECK(b.module.pin(Pin::status) == Level::low);
}

TEST_CASE("sim: HTTPTOFS needs a bearer and maps network failures to the documented codes") {
  Bench b;
  b.boot();
  CHECK(b.command("AT+HTTPTOFS=\"http://127.0.0.1:1/x\",\"/fota/update.zip\"", 2s) ==
        "AT+HTTPTOFS=\"http://127.0.0.1:1/x\",\"/fota/update.zip\"\r\r\nOK\r\n\r\n+HTTPTOFS: 601,0\r\n");
  b.command("AT+CNACT=0,1", 1s);
  CHECK(b.command("AT+HTTPTOFS=\"http://h/x\",\"/nowhere/update.zip\"") == "AT+HTTPTOFS=\"http://h/x\",\"/nowhere/update.zip\"\r\r\nERROR\r\n");
  struct Case {
    HttpResult::Failure failure;
    int status;
    std::string body;
    std::string urc;
  };
  for (const auto& c :
       {Case{HttpResult::Failure::refused, 0, "", "+HTTPTOFS: 601,0"}, Case{HttpResult::Failure::dns, 0, "", "+HTTPTOFS: 603,0"},
        Case{HttpResult::Failure::timeout, 0, "", "+HTTPTOFS: 408,0"}, Case{HttpResult::Failure::none, 404, "not found\n", "+HTTPTOFS: 404,10"}}) {
    b.command("AT+HTTPTOFS=\"http://h/x\",\"/fota/update.zip\"");
    REQUIRE(!b.http.empty());
    b.module.http_done(HttpResult{b.http.back().id, c.failure, c.status, c.body}, b.now);
    b.run_for(1s);
    CHECK(b.take() == "\r\n" + c.urc + "\r\n");
  }
  CHECK(b.command("AT+CFSGFIS=1,\"update.zip\"") == "AT+CFSGFIS=1,\"update.zip\"\r\r\nERROR\r\n");  // nothing was stored
}

namespace {
// Runs a FOTA on a booted bench with the given package; returns everything the module said.
std::string fota(Bench& b, const std::string& package) {
  b.command("AT+CNACT=0,1", 1s);
  b.command("AT+HTTPTOFS=\"http://h/update.zip\",\"/fota/update.zip\"");
  b.module.http_done(HttpResult{b.http.back().id, HttpResult::Failure::none, 200, package}, b.now);
  b.run_for(5s);
  b.take();
  b.command("AT+CFOTA=1");
  b.run_for(200s);
  return b.take();
}
}  // namespace

TEST_CASE("sim: FOTA with a valid delta updates, restarts and reports 6 and the new revision") {
  Bench b;
  b.boot();
  auto said = fota(b, make_delta("SIM7080G", "1951B02SIM7080G", "1951B03SIM7080G", 1000));
  CHECK(said.find("+CFOTA: \"Start to update\"") != std::string::npos);
  CHECK(said.find("+CFOTA: \"Updating\",10\r\n") != std::string::npos);
  CHECK(said.find("+CFOTA: \"Updating\",100\r\n") != std::string::npos);
  auto done = said.find("+CFOTA: \"Update successfully, please wait for reset\"");
  CHECK(done != std::string::npos);
  CHECK(said.find("RDY", done) != std::string::npos);  // restarted afterwards
  CHECK(b.command("AT+CFOTA?") == "AT+CFOTA?\r\r\n+CFOTA: 6\r\n\r\nOK\r\n");
  CHECK(b.command("AT+GMR") == "AT+GMR\r\r\nRevision:1951B03SIM7080G\r\n\r\nOK\r\n");
}

TEST_CASE("sim: FOTA refuses a delta for another revision, a corrupted one, or none: +CFOTA: 7, old revision") {
  auto good = make_delta("SIM7080G", "1951B02SIM7080G", "1951B03SIM7080G", 1000);
  std::string corrupted = good;
  corrupted[corrupted.size() - 10] ^= 0x5a;
  for (const auto& package : {make_delta("SIM7080G", "1951B01SIM7080G", "1951B03SIM7080G", 1000), corrupted,
                              make_delta("SIM7070G", "1951B02SIM7080G", "1951B03SIM7080G", 1000), std::string("PK\x03\x04 not ours")}) {
    Bench b;
    b.boot();
    auto said = fota(b, package);
    CHECK(said.find("+CFOTA: \"Update failed, please wait for reset\"") != std::string::npos);
    CHECK(said.find("Updating") == std::string::npos);
    CHECK(b.command("AT+CFOTA?") == "AT+CFOTA?\r\r\n+CFOTA: 7\r\n\r\nOK\r\n");
    CHECK(b.command("AT+GMR") == "AT+GMR\r\r\nRevision:1951B02SIM7080G\r\n\r\nOK\r\n");  // still usable
  }
}

TEST_CASE("delta packages: CRC-32 as zlib computes it, and every corruption is caught") {
  CHECK(crc32("123456789") == 0xCBF43926u);  // the standard check value
  auto d = make_delta("SIM7080G", "A1", "B2", 5000);
  CHECK(d == make_delta("SIM7080G", "A1", "B2", 5000));  // reproducible
  auto parsed = parse_delta(d);
  CHECK(parsed.from == "A1");
  CHECK(parsed.to == "B2");
  CHECK(parsed.payload.size() == 5000);
  CHECK_THROWS_WITH_AS(parse_delta(d.substr(0, d.size() - 1)), doctest::Contains("payload is 4999 bytes"), athil::InputError);
  std::string flipped = d;
  flipped.back() ^= 1;
  CHECK_THROWS_WITH_AS(parse_delta(flipped), doctest::Contains("checksum mismatch"), athil::InputError);
  CHECK_THROWS_AS(make_delta("SIM7080G", "../x", "B", 1), athil::InputError);
}

TEST_CASE("the bundled firmware packages are valid and named for what they hold, and the corrupted one is not valid") {
  auto dir = athil::test::source_dir() / "fixtures" / "firmware";
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_directory()) continue;
    auto name = entry.path().filename().string();
    CAPTURE(name);
    auto sep = name.find("___");
    REQUIRE(sep != std::string::npos);
    auto text = athil::test::read_file(entry.path() / "update.zip");
    // Made for fota-rejected-deltas: payload bytes flipped in transit, the header as it was.
    if (name.size() > 10 && name.substr(name.size() - 10) == "-corrupted") {
      CHECK_THROWS_WITH_AS(parse_delta(text), doctest::Contains("checksum mismatch"), athil::InputError);
      continue;
    }
    auto d = parse_delta(text);
    CHECK(d.from == name.substr(0, sep));
    CHECK(d.to == name.substr(sep + 3));
    ++seen;
  }
  CHECK(seen >= 3);
}

TEST_CASE("sim: PWRKEY held past 12.6 s resets a module without a RESET pin, not a SIM7000") {
  Bench b;
  b.boot();
  b.press(13000ms);
  b.run_for(6s);
  auto said = b.take();
  CHECK(said.find("NORMAL POWER DOWN") == std::string::npos);  // no power-down: it acts on release
  CHECK(said.find("RDY") != std::string::npos);                // the long hold reset it
  CHECK(b.module.pin(Pin::status) == Level::high);
  Bench old("SIM7000G", "1529B08SIM7000G");
  old.boot();
  old.press(13000ms);
  old.run_for(6s);
  auto old_said = old.take();
  CHECK(old_said.find("NORMAL POWER DOWN") != std::string::npos);  // SIM7000 powers down while held
  CHECK(old_said.find("RDY") == std::string::npos);
  CHECK(old.module.pin(Pin::status) == Level::low);
}

TEST_CASE("sim: AT+CFSWFILE takes exactly the announced bytes after DOWNLOAD, appends, and times out") {
  Bench b;
  b.boot();
  CHECK(b.command("AT+CFSWFILE=3,\"a.txt\",0,5,5000") == "AT+CFSWFILE=3,\"a.txt\",0,5,5000\r\r\nERROR\r\n");  // no AT+CFSINIT yet
  CHECK(b.command("AT+CFSINIT") == "AT+CFSINIT\r\r\nOK\r\n");
  CHECK(b.command("AT+CFSWFILE=3,\"a.txt\",0,5,5000") == "AT+CFSWFILE=3,\"a.txt\",0,5,5000\r\r\nDOWNLOAD\r\n");
  b.module.uart_in("he", b.now);  // no echo of file data
  CHECK(b.take().empty());
  b.module.uart_in("llo", b.now);
  CHECK(b.take() == "\r\nOK\r\n");
  b.command("AT+CFSWFILE=3,\"a.txt\",1,3,5000");
  b.module.uart_in("!\r\n", b.now);  // CR and LF are data here
  CHECK(b.take() == "\r\nOK\r\n");
  CHECK(b.command("AT+CFSGFIS=3,\"a.txt\"") == "AT+CFSGFIS=3,\"a.txt\"\r\r\n+CFSGFIS: 8\r\n\r\nOK\r\n");
  b.command("AT+CFSWFILE=3,\"a.txt\",0,10,1000");
  b.module.uart_in("short", b.now);
  b.run_for(1100ms);  // the input time runs out
  CHECK(b.take() == "\r\nERROR\r\n");
  CHECK(b.command("AT+CFSGFIS=3,\"a.txt\"").find("+CFSGFIS: 8") != std::string::npos);          // unchanged
  CHECK(b.command("AT+CFSWFILE=3,\"a.txt\",0,10241,5000").find("ERROR") != std::string::npos);  // over the limit
}

TEST_CASE("sim: a supply cut is an instant power loss, and no power-on until the supply is back") {
  Bench b;
  b.boot();
  b.module.pin_in(Pin::supply, Level::low, b.now, b.now);
  CHECK(b.take().empty());  // no NORMAL POWER DOWN: the power just went
  CHECK(b.module.pin(Pin::status) == Level::low);
  b.run_for(3s);
  b.press(1200ms);
  b.run_for(5s);
  CHECK(b.uart.empty());
  b.module.pin_in(Pin::supply, Level::high, b.now, b.now);
  b.run_for(1s);
  CHECK(b.uart.empty());  // restored, but off until PWRKEY
  b.press(1200ms);
  b.run_for(5s);
  CHECK(b.take().find("RDY") != std::string::npos);
}

TEST_CASE("sim: network settings keep what was set and refuse what the module refuses") {
  Bench b;
  b.boot();
  CHECK(b.command("AT+CNMP?") == "AT+CNMP?\r\r\n+CNMP: 38\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CNMP=2") == "AT+CNMP=2\r\r\nOK\r\n");
  CHECK(b.command("AT+CNMP?").find("+CNMP: 2\r\n") != std::string::npos);
  CHECK(b.command("AT+CNMP=7") == "AT+CNMP=7\r\r\nERROR\r\n");
  CHECK(b.command("AT+CMNB=4") == "AT+CMNB=4\r\r\nERROR\r\n");
  CHECK(b.command("AT+COPS?") == "AT+COPS?\r\r\n+COPS: 0,0,\"Virtual Operator\",7\r\n\r\nOK\r\n");
}

TEST_CASE("sim: the 2 s rule after a supply cut counts from the cut's edge, not from when it was read") {
  Bench b;
  b.boot();
  Time cut = b.now;
  b.now += 1500ms;  // the module process read the cut late
  b.module.pin_in(Pin::supply, Level::low, cut, b.now);
  b.module.pin_in(Pin::supply, Level::high, cut + 100ms, b.now);
  b.now = cut + 2100ms;  // the host presses 2.1 s after the cut
  b.module.pin_in(Pin::pwrkey, Level::low, b.now, b.now);
  b.run_for(1200ms);
  b.module.pin_in(Pin::pwrkey, Level::high, b.now, b.now);
  b.run_for(5s);
  CHECK(b.take().find("RDY") != std::string::npos);
}

TEST_CASE("sim: control channel requests parse into what the host does, and a bad one is answered with what is allowed") {
  using athil::sim::ControlRequest;
  auto set = std::get<ControlRequest>(athil::sim::parse_control("set pwrkey low 12345"));
  CHECK(set.verb == ControlRequest::Verb::set);
  CHECK(set.pin == athil::sim::Pin::pwrkey);
  CHECK(set.level == athil::sim::Level::low);
  CHECK(set.edge_us == 12345);
  CHECK_FALSE(std::get<ControlRequest>(athil::sim::parse_control("set supply high")).edge_us);
  auto watch = std::get<ControlRequest>(athil::sim::parse_control("watch status netlight"));
  CHECK(watch.watched.size() == 2);
  CHECK(std::get<ControlRequest>(athil::sim::parse_control("watch none")).watched.empty());
  CHECK(std::get<ControlRequest>(athil::sim::parse_control("pulses reset")).pin == athil::sim::Pin::reset);
  auto pulse = std::get<ControlRequest>(athil::sim::parse_control("pulse reset low 2000 777"));
  CHECK(pulse.verb == ControlRequest::Verb::pulse);
  CHECK(pulse.pin == athil::sim::Pin::reset);
  CHECK(pulse.hold_us == 2000);
  CHECK(pulse.edge_us == 777);
  CHECK(std::get<std::string>(athil::sim::parse_control("pulse supply low 2000")).find("pulsed inputs are pwrkey and reset") != std::string::npos);
  CHECK(std::get<std::string>(athil::sim::parse_control("pulse pwrkey low 0")) == "error a pulse lasts 1 to 60000000 microseconds, not '0'");
  CHECK(std::get<std::string>(athil::sim::parse_control("pulse pwrkey low 5s")).find("not '5s'") != std::string::npos);
  CHECK(std::get<std::string>(athil::sim::parse_control("set status low")).find("inputs are pwrkey, reset, supply and dtr") != std::string::npos);
  CHECK(std::get<std::string>(athil::sim::parse_control("watch pwrkey")).find("outputs are status and netlight") != std::string::npos);
  CHECK(std::get<std::string>(athil::sim::parse_control("get nothing")) == "error no pin 'nothing'");
  CHECK(std::get<std::string>(athil::sim::parse_control("pins please")).find("error unknown request 'pins please'") == 0);
  CHECK(std::get<std::string>(athil::sim::parse_control("")).find("error unknown request") == 0);
}
