// The virtual module's model differences, its NETLIGHT, registration and FOTA recovery, and
// every named fault: driven directly on a controlled clock, bytes as a host would see them.
#include <doctest/doctest.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/error.hpp"
#include "sim/command_list.hpp"
#include "sim/delta.hpp"
#include "sim/faults.hpp"
#include "sim/gnss_track.hpp"
#include "sim/mqtt_wire.hpp"
#include "tests/sim_bench.hpp"
#include "tests/support.hpp"

using namespace athil::sim;
using namespace std::chrono_literals;

using Bench = athil::test::SimBench;

namespace {

bool has(const std::string& text, std::string_view what) { return text.find(what) != std::string::npos; }

Faults faults(std::string_view list) {
  Faults f;
  add_faults(f, list);
  return f;
}

// Powers down with AT+CPOWD=1 and waits out the 2 s rule.
void power_off(Bench& b) {
  b.command("AT+CPOWD=1", 8s);
  b.run_for(3s);
  b.take();
}

// A delta from the module's revision to `to`, stored as /fota/update.zip through the file system.
void store_delta(Bench& b, const char* model, const std::string& from, const std::string& to) {
  std::string delta = make_delta(model, from, to, 4000);
  b.command("AT+CFSINIT");
  CHECK(has(b.command(fmt::format("AT+CFSWFILE=1,\"update.zip\",0,{},10000", delta.size())), "DOWNLOAD"));
  b.module.uart_in(delta, b.now);
  b.run_for(100ms);
  CHECK(has(b.take(), "OK"));
  b.command("AT+CFSTERM");
}

// A 5-byte CA written to /customer/ca.crt through the file system, not converted yet.
void store_ca(Bench& b) {
  b.command("AT+CFSINIT");
  b.command("AT+CFSWFILE=3,\"ca.crt\",0,5,1000");
  b.module.uart_in("-----", b.now);
  b.run_for(50ms);
  b.command("AT+CFSTERM");
}

}  // namespace

TEST_CASE("sim: SIM7000 autobauds: silent boot, the first AT lost, then AT+IPR fixes the rate across power cycles") {
  Bench b("SIM7000G");
  CHECK(b.module.line_rate() == 0);
  b.press(1200ms);
  b.run_for(8s);
  CHECK(b.module.pin(Pin::status) == Level::high);
  CHECK(b.take().empty());  // no RDY, +CFUN or +CPIN while autobauding
  b.module.uart_in("AT\r", b.now, 57600);
  b.run_for(200ms);
  CHECK(b.take().empty());  // the AT that set the rate is lost
  CHECK(b.module.line_rate() == 57600);
  CHECK(b.command("AT") == "AT\r\r\nOK\r\n");
  CHECK(b.command("AT+IPR?") == "AT+IPR?\r\r\n+IPR: 0\r\n\r\nOK\r\n");
  CHECK(b.command("AT+IPR=12345") == "AT+IPR=12345\r\r\nERROR\r\n");
  CHECK(b.command("AT+IPR=115200") == "AT+IPR=115200\r\r\nOK\r\n");
  CHECK(b.module.line_rate() == 115200);
  power_off(b);
  b.press(1200ms);
  b.run_for(8s);
  CHECK(b.take() == "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nSMS Ready\r\n");  // a fixed rate: boot URCs
  CHECK(b.command("AT") == "AT\r\r\nOK\r\n");                                             // and no AT lost

  Bench fixed("SIM7080G");
  CHECK(fixed.module.line_rate() == 115200);
  fixed.boot();
  CHECK(fixed.command("AT+IPR?") == "AT+IPR?\r\r\n+IPR: 115200\r\n\r\nOK\r\n");
}

TEST_CASE("sim: NETLIGHT blinks 64/800 ms searching, 64/3000 registered, 64/300 with a bearer, and is off when down") {
  Bench b;
  b.press(1200ms);
  // The off-time between blinks while in a state, from the recorded NETLIGHT edges.
  auto off_times = [&b](std::size_t from) {
    std::vector<long long> out;
    for (std::size_t i = from + 1; i < b.pins.size(); ++i)
      if (b.pins[i].first == Pin::netlight && b.pins[i].second == Level::high)
        for (std::size_t j = i; j-- > from;)
          if (b.pins[j].first == Pin::netlight) {
            out.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(b.pin_times[i] - b.pin_times[j]).count());
            break;
          }
    return out;
  };
  b.run_for(4s);  // ready at 2.8 s: searching
  auto searching = off_times(0);
  REQUIRE(!searching.empty());
  CHECK(searching.front() == 800);
  b.run_for(10s);  // registered 3 s after ready
  auto mark = b.pins.size();
  b.run_for(10s);
  auto registered = off_times(mark);
  REQUIRE(registered.size() >= 2);
  CHECK(registered.back() == 3000);
  b.command("AT+CNACT=0,1", 1s);
  b.run_for(4s);
  mark = b.pins.size();
  b.run_for(3s);
  auto data = off_times(mark);
  REQUIRE(data.size() >= 5);
  CHECK(data.back() == 300);
  // Every blink is 64 ms on.
  for (std::size_t i = 1; i < b.pins.size(); ++i)
    if (b.pins[i].first == Pin::netlight && b.pins[i].second == Level::low && b.pins[i - 1].first == Pin::netlight)
      CHECK(b.pin_times[i] - b.pin_times[i - 1] == 64ms);
  power_off(b);
  CHECK(b.module.pin(Pin::netlight) == Level::low);
  mark = b.pins.size();
  b.run_for(10s);
  CHECK(b.pins.size() == mark);  // no blinking while off
}

TEST_CASE("sim: registration: CEREG and CGREG read and unsolicited forms, CFUN=0 and back") {
  Bench b;
  b.press(1200ms);
  b.run_for(2s);  // ready at 2.8 s
  b.module.uart_in("AT\r", b.now);
  b.run_for(1700ms);  // past SMS Ready (4.8 s), registered at 5.8 s
  b.take();
  CHECK(b.command("AT+CEREG=2") == "AT+CEREG=2\r\r\nOK\r\n");
  CHECK(b.command("AT+CGREG=1") == "AT+CGREG=1\r\r\nOK\r\n");
  CHECK(b.command("AT+CEREG?") == "AT+CEREG?\r\r\n+CEREG: 2,2\r\n\r\nOK\r\n");  // searching
  CHECK(b.command("AT+CGATT?") == "AT+CGATT?\r\r\n+CGATT: 0\r\n\r\nOK\r\n");
  // Not attached yet: the bearer fails; then the module registers and says so.
  CHECK(b.command("AT+CNACT=0,1", 1s) == "AT+CNACT=0,1\r\r\nOK\r\n\r\n+APP PDP: 0,DEACTIVE\r\n\r\n+CEREG: 1,\"1A2B\",\"01A2D101\",7\r\n\r\n+CGREG: 1\r\n");
  CHECK(b.command("AT+CEREG?") == "AT+CEREG?\r\r\n+CEREG: 2,1,\"1A2B\",\"01A2D101\",7\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CGREG?") == "AT+CGREG?\r\r\n+CGREG: 1,1\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CEREG=3") == "AT+CEREG=3\r\r\nERROR\r\n");
  b.command("AT+CNACT=0,1", 1s);
  CHECK(b.command("AT+CFUN=0", 100ms) == "AT+CFUN=0\r\r\nOK\r\n\r\n+CPIN: NOT READY\r\n\r\n+APP PDP: 0,DEACTIVE\r\n\r\n+CEREG: 0\r\n\r\n+CGREG: 0\r\n");
  CHECK(b.command("AT+CFUN?") == "AT+CFUN?\r\r\n+CFUN: 0\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CSQ") == "AT+CSQ\r\r\n+CSQ: 99,99\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CPIN?") == "AT+CPIN?\r\r\n+CPIN: NOT READY\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CFUN=1", 4s) ==
        "AT+CFUN=1\r\r\nOK\r\n\r\n+CPIN: READY\r\n\r\n+CEREG: 2\r\n\r\n+CGREG: 2\r\n\r\n+CEREG: 1,\"1A2B\",\"01A2D101\",7\r\n\r\n+CGREG: 1\r\n");
  CHECK(b.command("AT+CFUN=1") == "AT+CFUN=1\r\r\nOK\r\n");  // already on: no URC
}

TEST_CASE("sim: AT+CFSRFILE reads back what AT+CFSWFILE wrote, from the start or a position") {
  Bench b;
  b.boot();
  CHECK(b.command("AT+CFSRFILE=3,\"a.txt\",0,10,0") == "AT+CFSRFILE=3,\"a.txt\",0,10,0\r\r\nERROR\r\n");  // no AT+CFSINIT
  b.command("AT+CFSINIT");
  b.command("AT+CFSWFILE=3,\"a.txt\",0,12,1000");
  b.module.uart_in("hello\r\nworld", b.now);
  b.run_for(50ms);
  b.take();
  CHECK(b.command("AT+CFSRFILE=3,\"a.txt\",0,100,0") == "AT+CFSRFILE=3,\"a.txt\",0,100,0\r\r\n+CFSRFILE: 12\r\nhello\r\nworld\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CFSRFILE=3,\"a.txt\",1,3,7") == "AT+CFSRFILE=3,\"a.txt\",1,3,7\r\r\n+CFSRFILE: 3\r\nwor\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CFSRFILE=3,\"b.txt\",0,10,0") == "AT+CFSRFILE=3,\"b.txt\",0,10,0\r\r\nERROR\r\n");
  CHECK(b.command("AT+CFSRFILE=3,\"a.txt\",0,10241,0") == "AT+CFSRFILE=3,\"a.txt\",0,10241,0\r\r\nERROR\r\n");
}

TEST_CASE("sim: power cut while an update applies: old revision back, recovery codes on SIM7000, 7 on the others, and a retry succeeds") {
  for (auto [model, from, to, code_early, code_late] :
       {std::tuple{"SIM7000G", "1529B08SIM7000G", "1529B09SIM7000G", 2, 4}, std::tuple{"SIM7080G", "1951B02SIM7080G", "1951B03SIM7080G", 7, 7}}) {
    for (auto [cut_after, code] : {std::pair{30s, code_early}, std::pair{120s, code_late}}) {
      CAPTURE(model);
      CAPTURE(cut_after.count());
      Bench b(model);
      b.boot();
      store_delta(b, model, from, to);
      CHECK(b.command("AT+CFOTA=1", 3s).find("Start to update") != std::string::npos);
      b.run_for(cut_after);
      b.module.pin_in(Pin::supply, Level::low, b.now, b.now);
      b.run_for(3s);
      b.module.pin_in(Pin::supply, Level::high, b.now, b.now);
      b.run_for(1s);
      b.boot();
      CHECK(b.command("AT+CFOTA?") == fmt::format("AT+CFOTA?\r\r\n+CFOTA: {}\r\n\r\nOK\r\n", code));
      CHECK(b.command("AT+GMR") == fmt::format("AT+GMR\r\r\nRevision:{}\r\n\r\nOK\r\n", from));
      b.command("AT+CFOTA=1", 200s);  // the package is still there: the retry goes through
      b.sync();
      CHECK(b.command("AT+CFOTA?") == "AT+CFOTA?\r\r\n+CFOTA: 6\r\n\r\nOK\r\n");
      CHECK(b.command("AT+GMR") == fmt::format("AT+GMR\r\r\nRevision:{}\r\n\r\nOK\r\n", to));
    }
  }
}

TEST_CASE("sim: a slot's state resets to how the process started, only while the module is off") {
  Bench b;
  b.boot();
  b.command("AT+IPR=9600");
  b.command("AT+CFSINIT");
  b.command("AT+CFSWFILE=3,\"a.txt\",0,2,1000");
  b.module.uart_in("hi", b.now);
  b.run_for(50ms);
  CHECK_FALSE(b.module.reset_state());
  power_off(b);
  CHECK(b.module.reset_state());
  CHECK(b.module.line_rate() == 115200);
  b.boot();
  b.command("AT+CFSINIT");
  CHECK(b.command("AT+CFSGFIS=3,\"a.txt\"") == "AT+CFSGFIS=3,\"a.txt\"\r\r\nERROR\r\n");
}

// ---- faults ---------------------------------------------------------------------------

TEST_CASE("faults: names and arguments are checked, with the catalogue's names offered") {
  CHECK_THROWS_WITH_AS(faults("hnag"), doctest::Contains("unknown fault 'hnag' (did you mean 'hang'?)"), athil::InputError);
  CHECK_THROWS_WITH_AS(faults("hang=soon"), doctest::Contains("fault 'hang=soon': 'soon' is not a duration"), athil::InputError);
  CHECK_THROWS_WITH_AS(faults("fota-fail=100"), doctest::Contains("not a percent from 0 to 99"), athil::InputError);
  CHECK_THROWS_WITH_AS(faults("byte-loss=2"), doctest::Contains("not a probability"), athil::InputError);
  CHECK_THROWS_WITH_AS(faults("http-601=1"), doctest::Contains("takes no argument"), athil::InputError);
  CHECK_THROWS_WITH_AS(faults("stuck-cfun5=later"), doctest::Contains("WHEN is 'update' or 'boot'"), athil::InputError);
  auto f = faults("hang=30s, late-reply  pdp-drop=1m");
  CHECK(f.hang == 30s);
  CHECK(f.late_reply == 5s);
  CHECK(f.pdp_drop == 60s);
  CHECK_FALSE(f.fota_fail);
  CHECK(fault_catalogue().size() == 22);
  CHECK(faults("sms-fail").sms_fail);
}

TEST_CASE("fault fota-fail: a valid delta stops at the percent, +CFOTA: 7, old revision, module usable") {
  Bench b("SIM7080G", nullptr, faults("fota-fail=30"));
  b.boot();
  store_delta(b, "SIM7080G", "1951B02SIM7080G", "1951B03SIM7080G");
  auto said = b.command("AT+CFOTA=1", 120s);
  CHECK(has(said, "+CFOTA: \"Updating\",30"));
  CHECK_FALSE(has(said, "+CFOTA: \"Updating\",40"));
  CHECK(has(said, "+CFOTA: \"Update failed, please wait for reset\""));
  b.sync();
  CHECK(b.command("AT+CFOTA?") == "AT+CFOTA?\r\r\n+CFOTA: 7\r\n\r\nOK\r\n");
  CHECK(b.command("AT+GMR") == "AT+GMR\r\r\nRevision:1951B02SIM7080G\r\n\r\nOK\r\n");
}

TEST_CASE("fault fota-stall: progress stops and the updater stays silent until the supply is cut") {
  Bench b("SIM7080G", nullptr, faults("fota-stall=20"));
  b.boot();
  store_delta(b, "SIM7080G", "1951B02SIM7080G", "1951B03SIM7080G");
  auto said = b.command("AT+CFOTA=1", 600s);
  CHECK(has(said, "+CFOTA: \"Updating\",20"));
  CHECK_FALSE(has(said, "+CFOTA: \"Updating\",30"));
  CHECK_FALSE(has(said, "please wait for reset"));
  CHECK(b.module.pin(Pin::status) == Level::high);
  CHECK(b.command("AT").empty());
  b.press(1300ms);  // PWRKEY does not reach the updater
  b.run_for(10s);
  CHECK(b.take().empty());
  b.module.pin_in(Pin::supply, Level::low, b.now, b.now);
  b.run_for(3s);
  b.module.pin_in(Pin::supply, Level::high, b.now, b.now);
  b.boot();
  CHECK(b.command("AT+CFOTA?") == "AT+CFOTA?\r\r\n+CFOTA: 7\r\n\r\nOK\r\n");
  CHECK(b.command("AT+GMR") == "AT+GMR\r\r\nRevision:1951B02SIM7080G\r\n\r\nOK\r\n");
}

TEST_CASE("fault spontaneous-powerdown: NORMAL POWER DOWN after the time, once, and PWRKEY brings it back") {
  Bench b("SIM7080G", nullptr, faults("spontaneous-powerdown=20s"));
  b.boot();  // ready 2.8 s after the press
  b.run_for(10s);
  CHECK(b.take().empty());
  b.run_for(10s);
  CHECK(b.take() == "\r\nNORMAL POWER DOWN\r\n");
  CHECK(b.module.pin(Pin::status) == Level::low);
  b.run_for(2s);
  b.boot();
  b.run_for(60s);
  CHECK(b.module.pin(Pin::status) == Level::high);  // once only
  CHECK(b.command("AT") == "AT\r\r\nOK\r\n");
}

TEST_CASE("fault brownout-silent: nothing answers, PWRKEY and RESET do nothing, a supply cut clears it") {
  Bench b("SIM7000G", nullptr, faults("brownout-silent=15s"));
  b.boot();
  CHECK(b.command("AT") == "AT\r\r\nOK\r\n");
  b.run_for(10s);
  CHECK(b.command("AT", 1s).empty());
  CHECK(b.module.pin(Pin::status) == Level::high);
  b.module.pin_in(Pin::reset, Level::low, b.now, b.now);
  b.run_for(300ms);
  b.module.pin_in(Pin::reset, Level::high, b.now, b.now);
  b.press(1500ms);
  b.run_for(10s);
  CHECK(b.module.pin(Pin::status) == Level::high);
  CHECK(b.command("AT", 1s).empty());
  b.module.pin_in(Pin::supply, Level::low, b.now, b.now);
  b.run_for(3s);
  b.module.pin_in(Pin::supply, Level::high, b.now, b.now);
  b.boot();
  CHECK(b.command("AT") == "AT\r\r\nOK\r\n");
}

TEST_CASE("fault hang: silent until a reset: RESET on SIM7000, a long PWRKEY on the others") {
  Bench old("SIM7000G", nullptr, faults("hang=15s"));
  old.boot();
  old.run_for(10s);
  CHECK(old.command("AT", 1s).empty());
  old.press(1500ms);  // a normal power-off press needs the firmware: nothing
  old.run_for(10s);
  CHECK(old.module.pin(Pin::status) == Level::high);
  old.module.pin_in(Pin::reset, Level::low, old.now, old.now);
  old.run_for(300ms);
  old.module.pin_in(Pin::reset, Level::high, old.now, old.now);
  old.run_for(6s);
  CHECK(old.command("AT", 200ms).empty());  // autobauding again after the reset: the first AT is lost
  CHECK(old.command("AT") == "AT\r\r\nOK\r\n");

  Bench b("SIM7080G", nullptr, faults("hang=15s"));
  b.boot();
  b.run_for(10s);
  CHECK(b.command("AT", 1s).empty());
  b.press(13s);
  b.run_for(5s);
  CHECK(has(b.take(), "RDY"));
  CHECK(b.command("AT") == "AT\r\r\nOK\r\n");
}

TEST_CASE("fault garbage-on-boot: every power-up starts with a stale URC, PPP fragments and invalid UTF-8") {
  Bench b("SIM7080G", nullptr, faults("garbage-on-boot"));
  b.press(1200ms);
  b.run_for(5s);
  auto said = b.take();
  CHECK(said.rfind("\r\nNORMAL POWER DOWN\r\n~}#", 0) == 0);
  CHECK(has(said, std::string("\xff\xfe\x00~", 4)));
  CHECK(said.find("\r\nRDY\r\n") > said.find("~}#"));
  CHECK(has(b.command("AT+CFUN=1,1", 5s), "~}#"));
}

TEST_CASE("fault slow-boot: RDY and STATUS come the extra time later, at every boot") {
  Bench b("SIM7080G", nullptr, faults("slow-boot=10s"));
  b.press(1200ms);
  b.run_for(8s);  // a healthy SIM7080G is up 1.8 s after the press
  CHECK_FALSE(has(b.take(), "RDY"));
  CHECK(b.module.pin(Pin::status) == Level::low);
  b.run_for(4s);
  CHECK(has(b.take(), "RDY"));
  CHECK(b.module.pin(Pin::status) == Level::high);
  b.command("AT+CFUN=1,1", 200ms);
  b.run_for(8s);
  CHECK_FALSE(has(b.take(), "RDY"));  // the restart is as slow: 0.7 s down, then 11.8 s
  b.run_for(6s);
  CHECK(has(b.take(), "RDY"));
}

TEST_CASE("fault first-at-lost: the first command after every boot gets no echo and no answer") {
  Bench b("SIM7080G", nullptr, faults("first-at-lost"));
  b.press(1200ms);
  b.run_for(8s);
  b.take();
  CHECK(b.command("AT+GMR").empty());
  CHECK(b.command("AT+GMR") == "AT+GMR\r\r\nRevision:1951B02SIM7080G\r\n\r\nOK\r\n");
  b.command("AT+CFUN=1,1", 8s);
  CHECK(b.command("AT").empty());
  CHECK(b.command("AT") == "AT\r\r\nOK\r\n");
}

TEST_CASE("fault urc-storm: unsolicited lines all the time, and one inside every response before its result") {
  Bench b("SIM7080G", nullptr, faults("urc-storm=100ms"));
  b.boot();
  CHECK(b.command("AT+GMR", 0ms).find("\r\nRevision:1951B02SIM7080G\r\n\r\n") != std::string::npos);
  auto said = b.command("AT+CGMM", 0ms);
  auto storm_line = said.find("\r\nSIMCOM_SIM7080\r\n\r\n") + 20;
  CHECK(said.find("\r\nOK\r\n") > storm_line);
  CHECK((has(said, "DST: 0") || has(said, "*PSUTTZ:") || has(said, "+CTZV:")));
  b.run_for(1s);
  auto idle = b.take();
  CHECK(std::count(idle.begin(), idle.end(), '\n') >= 18);  // about ten lines a second
}

TEST_CASE("fault late-reply: the final result code comes the delay after the response lines") {
  Bench b("SIM7080G", nullptr, faults("late-reply=3s"));
  b.boot();
  b.run_for(5s);
  b.take();
  CHECK(b.command("AT+GMR", 2900ms) == "AT+GMR\r\r\nRevision:1951B02SIM7080G\r\n");
  b.run_for(200ms);
  CHECK(b.take() == "\r\nOK\r\n");
}

TEST_CASE("fault byte-loss: bytes go missing each way, the same ones on every run") {
  auto run = [] {
    Bench b("SIM7080G", nullptr, faults("byte-loss=0.01"));
    b.boot();
    std::string all;
    for (int i = 0; i < 40; ++i) all += b.command("AT+SIMCOMATI");
    return all;
  };
  auto first = run();
  Bench clean;
  clean.boot();
  std::string whole;
  for (int i = 0; i < 40; ++i) whole += clean.command("AT+SIMCOMATI");
  CHECK(first.size() < whole.size() * 99 / 100);
  CHECK(first.size() > whole.size() * 60 / 100);
  CHECK(run() == first);
}

TEST_CASE("fault pdp-drop: the first bearer drops after the time with the model's URC, and comes up again") {
  Bench b("SIM7080G", nullptr, faults("pdp-drop=10s"));
  b.boot();
  b.command("AT+CNACT=0,1", 1s);
  b.run_for(8s);
  CHECK(b.take().empty());
  b.run_for(2s);
  CHECK(b.take() == "\r\n+APP PDP: 0,DEACTIVE\r\n");
  CHECK(has(b.command("AT+CNACT?"), "+CNACT: 0,0,"));
  CHECK(b.command("AT+CNACT=0,1", 1s) == "AT+CNACT=0,1\r\r\nOK\r\n\r\n+APP PDP: 0,ACTIVE\r\n");
  b.run_for(30s);
  CHECK(b.take().empty());  // once

  Bench old("SIM7000G", nullptr, faults("pdp-drop=10s"));
  old.boot();
  old.command("AT+CNACT=1,\"cmnet\"", 1s);
  old.run_for(10s);
  CHECK(old.take() == "\r\n+APP PDP: DEACTIVE\r\n");
}

TEST_CASE("fault stuck-cfun5: after an update the module stays in factory test mode, power cycles or not") {
  Bench b("SIM7080G", nullptr, faults("stuck-cfun5"));
  b.boot();
  CHECK(b.command("AT+CFUN?") == "AT+CFUN?\r\r\n+CFUN: 1\r\n\r\nOK\r\n");
  store_delta(b, "SIM7080G", "1951B02SIM7080G", "1951B03SIM7080G");
  auto said = b.command("AT+CFOTA=1", 200s);
  auto boot = said.substr(said.find("Update successfully"));
  CHECK(has(boot, "+CFUN: 5"));
  CHECK_FALSE(has(boot, "+CPIN: READY"));
  b.sync();
  CHECK(b.command("AT+CFUN?") == "AT+CFUN?\r\r\n+CFUN: 5\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CFUN=1") == "AT+CFUN=1\r\r\nERROR\r\n");
  CHECK(b.command("AT+CEREG?") == "AT+CEREG?\r\r\n+CEREG: 0,0\r\n\r\nOK\r\n");
  power_off(b);
  b.boot();
  CHECK(b.command("AT+CFUN?") == "AT+CFUN?\r\r\n+CFUN: 5\r\n\r\nOK\r\n");

  Bench at_boot("SIM7090G", nullptr, faults("stuck-cfun5=boot"));
  at_boot.boot();
  CHECK(at_boot.command("AT+CFUN?") == "AT+CFUN?\r\r\n+CFUN: 5\r\n\r\nOK\r\n");
}

TEST_CASE("fault http-601: every HTTP download ends in a network error, whatever the server") {
  Bench b("SIM7080G", nullptr, faults("http-601"));
  b.boot();
  b.command("AT+CNACT=0,1", 1s);
  CHECK(b.command("AT+HTTPTOFS=\"http://127.0.0.1:8080/x\",\"/fota/update.zip\"", 2s) ==
        "AT+HTTPTOFS=\"http://127.0.0.1:8080/x\",\"/fota/update.zip\"\r\r\nOK\r\n\r\n+HTTPTOFS: 601,0\r\n");
  CHECK(b.http.empty());  // it never reached the server
}

TEST_CASE("sim: ATI answers in each family's form: model and release on a SIM7000, the release alone on the SIM7070, SIM7080 and SIM7090") {
  const std::pair<const char*, const char*> expected[] = {
      {"SIM7000G", "SIM7000G R1529"}, {"SIM7070G", "R1951.07"}, {"SIM7080G", "R1951.07"}, {"SIM7090G", "R2110.01"}};
  for (const auto& [model, ati] : expected) {
    CAPTURE(model);
    Bench b(model);
    b.boot();
    b.command("ATE0");
    CHECK(b.command("ATI") == fmt::format("\r\n{}\r\n\r\nOK\r\n", ati));
  }
}

TEST_CASE("sim: SMS in text mode: the > prompt, the text echoed, Ctrl-Z sends, Esc drops, and a message from the network is announced, read and deleted") {
  Bench b;
  b.boot();
  b.run_for(4s);  // registered
  CHECK(b.command("AT+CMGF=1") == "AT+CMGF=1\r\r\nOK\r\n");
  CHECK(b.command("AT+CMGS=\"+15550100\"") == "AT+CMGS=\"+15550100\"\r\r\n> ");
  b.module.uart_in("Hi\rthere", b.now);
  b.run_for(10ms);
  CHECK(b.take() == "Hi\r\r\n> there");  // CR adds a line and prompts again
  b.module.uart_in("\x1a", b.now);
  b.run_for(3s);
  CHECK(b.take() == "\r\n+CMGS: 1\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CMGS=\"+15550100\"") == "AT+CMGS=\"+15550100\"\r\r\n> ");
  b.module.uart_in("never\x1b", b.now);
  b.run_for(3s);
  CHECK(b.take() == "never\r\nOK\r\n");  // dropped: no +CMGS

  b.module.sms_in("+15550199", "ping", "26/11/29,10:00:00+00");
  CHECK(b.take() == "\r\n+CMTI: \"SM\",1\r\n");
  CHECK(b.command("AT+CMGR=1") == "AT+CMGR=1\r\r\n+CMGR: \"REC UNREAD\",\"+15550199\",\"\",\"26/11/29,10:00:00+00\"\r\nping\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CMGL=\"ALL\"") == "AT+CMGL=\"ALL\"\r\r\n+CMGL: 1,\"REC READ\",\"+15550199\",\"\",\"26/11/29,10:00:00+00\"\r\nping\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CMGD=1") == "AT+CMGD=1\r\r\nOK\r\n");
  CHECK(b.command("AT+CMEE=1") == "AT+CMEE=1\r\r\nOK\r\n");
  CHECK(b.command("AT+CMGR=1") == "AT+CMGR=1\r\r\n+CMS ERROR: 321\r\n");
}

TEST_CASE("sim: SMS: PDU mode is not modelled, a module off the network and the sms-fail fault answer +CMS ERROR, and the settings reset at boot") {
  {
    Bench b;
    b.boot();
    // Straight after boot the module is still searching: no network service.
    b.command("AT+CMEE=1");
    b.command("AT+CMGF=1");
    b.command("AT+CFUN=0", 200ms);
    b.command("AT+CMGS=\"+15550100\"");
    b.module.uart_in("x\x1a", b.now);
    b.run_for(3s);
    CHECK(has(b.take(), "\r\n+CMS ERROR: 331\r\n"));
    power_off(b);
    b.boot();
    CHECK(b.command("AT+CMGF?") == "AT+CMGF?\r\r\n+CMGF: 0\r\n\r\nOK\r\n");
    CHECK(b.command("AT+CMGS=23") == "AT+CMGS=23\r\r\nERROR\r\n");  // PDU mode: answered as an unknown command
    CHECK(b.unmodelled == std::vector<std::string>{"+CMGS=23"});
  }
  Bench f("SIM7080G", nullptr, faults("sms-fail"));
  f.boot();
  f.run_for(4s);
  f.command("AT+CMEE=1");
  f.command("AT+CMGF=1");
  f.command("AT+CMGS=\"+15550100\"");
  f.module.uart_in("x\x1a", f.now);
  f.run_for(3s);
  CHECK(f.take() == "x\r\n+CMS ERROR: 500\r\n");
}

TEST_CASE("sim: housekeeping: ICCID, IMSI, supply, the revision, the serving cell and the PDP context as a host reads them") {
  Bench b;
  b.boot();
  CHECK(b.command("AT+CCID") == "AT+CCID\r\r\n89001012012341234012\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CIMI") == "AT+CIMI\r\r\n001010123456789\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CBC") == "AT+CBC\r\r\n+CBC: 0,50,3800\r\n\r\nOK\r\n");
  CHECK(b.command("AT+GSV") == "AT+GSV\r\r\nSIMCOM_Ltd\r\n\r\nSIMCOM_SIM7080\r\n\r\nRevision:1951B02SIM7080G\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CGACT?") == "AT+CGACT?\r\r\n+CGACT: 1,1\r\n\r\nOK\r\n");
  // As a SIM7070 printed it: the header, then the serving cell, the same cell AT+CPSI names.
  CHECK(b.command("AT+CENG=1,1") == "AT+CENG=1,1\r\r\nOK\r\n");
  CHECK(b.command("AT+CENG?") == "AT+CENG?\r\r\n+CENG: 1,1,1,LTE CAT-M1\r\n\r\n+CENG: 0,\"6350,465,-83,-53,-16,10,2000,12024586,001,01,255\"\r\n\r\nOK\r\n");
  CHECK(has(b.command("AT+CPSI?"), "001-01,0x07D0,12024586,465,EUTRAN-BAND20,6350"));
  CHECK(b.command("AT+CENG=2") == "AT+CENG=2\r\r\nERROR\r\n");
  CHECK(b.unmodelled.empty());

  // With the radio off the SIM is not read: not modelled, and said so.
  b.command("AT+CFUN=0", 200ms);
  CHECK(b.command("AT+CCID") == "AT+CCID\r\r\nERROR\r\n");
  CHECK(b.command("AT+CGACT?") == "AT+CGACT?\r\r\n+CGACT: 1,0\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CENG?") == "AT+CENG?\r\r\nERROR\r\n");
  CHECK(b.unmodelled == std::vector<std::string>{"+CCID (with the SIM off)", "+CENG? (off the network)"});
}

TEST_CASE("sim: the clock runs from 80/01/06 at power-on, AT+CCLK sets it, and after AT+CLTS=1 the network's time comes with the attach") {
  Bench b;
  b.boot();
  CHECK(has(b.command("AT+CCLK?"), "\r\n+CCLK: \"80/01/06,00:00:"));
  CHECK(b.command("AT+CCLK=\"26/11/29,12:00:00+04\"") == "AT+CCLK=\"26/11/29,12:00:00+04\"\r\r\nOK\r\n");
  b.run_for(9950ms);
  CHECK(b.command("AT+CCLK?") == "AT+CCLK?\r\r\n+CCLK: \"26/11/29,12:00:10+04\"\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CCLK=\"26/13/01,00:00:00+00\"") == "AT+CCLK=\"26/13/01,00:00:00+00\"\r\r\nERROR\r\n");
  CHECK(b.command("AT+CCLK=\"26/11/29 12:00\"") == "AT+CCLK=\"26/11/29 12:00\"\r\r\nERROR\r\n");

  // Without AT+CLTS=1 an attach brings no time.
  b.command("AT+CFUN=0", 200ms);
  b.command("AT+CFUN=1", 4s);
  CHECK(b.command("AT+CLTS?") == "AT+CLTS?\r\r\n+CLTS: 0\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CLTS=1") == "AT+CLTS=1\r\r\nOK\r\n");
  b.command("AT+CFUN=0", 200ms);
  std::string attach = b.command("AT+CFUN=1", 4s);
  // The SIM7000's boot-log shape, stray quote included; the network's clock here is fixed (2026-01-01 UTC).
  CHECK(has(attach, "\r\nDST: 0\r\n\r\n*PSUTTZ: 26/01/01,00:00:00\",\"+00\",0\r\n"));
  CHECK(has(b.command("AT+CCLK?"), "+CCLK: \"26/01/01,00:00:0"));

  // Neither the setting nor the time outlives a power cycle.
  power_off(b);
  b.boot();
  CHECK(has(b.command("AT+CLTS?"), "+CLTS: 0"));
  CHECK(has(b.command("AT+CCLK?"), "+CCLK: \"80/01/06,00:00:"));
}

TEST_CASE("sim: AT+CNETLIGHT=0 keeps the status light dark until AT+CNETLIGHT=1") {
  Bench b;
  b.boot();
  CHECK(b.command("AT+CNETLIGHT?") == "AT+CNETLIGHT?\r\r\n+CNETLIGHT: 1\r\n\r\nOK\r\n");
  b.command("AT+CNETLIGHT=0");
  b.pins.clear();
  b.run_for(10s);
  CHECK(b.levels_of(Pin::netlight).empty());
  b.command("AT+CNETLIGHT=1");
  b.run_for(10s);
  auto netlight = b.levels_of(Pin::netlight);
  CHECK(std::count(netlight.begin(), netlight.end(), Level::high) >= 2);
  CHECK(b.command("AT+CNETLIGHT=2") == "AT+CNETLIGHT=2\r\r\nERROR\r\n");
}

TEST_CASE("sim: AT+CLAC lists the family's commands, and a command the real module does not know either is told apart from one not modelled") {
  Bench s7000("SIM7000G");
  s7000.boot();
  std::string list7000 = s7000.command("AT+CLAC");
  Bench s7080;
  s7080.boot();
  std::string list7080 = s7080.command("AT+CLAC");
  for (const auto* both : {"\r\nAT+CGMI\r\n", "\r\nAT+SHCONN\r\n", "\r\nAT+CAOPEN\r\n", "\r\nAT+SMPUB\r\n", "\r\nAT+CGNSINF\r\n", "\r\nATE\r\n"}) {
    CHECK_MESSAGE(has(list7000, both), both);
    CHECK_MESSAGE(has(list7080, both), both);
  }
  CHECK(has(list7000, "\r\nAT+CIPSTART\r\n"));  // the SIM7000's older stack
  CHECK(has(list7000, "\r\nAT+SAPBR\r\n"));
  CHECK_FALSE(has(list7080, "AT+CIPSTART"));
  CHECK(has(list7080, "\r\nAT+SGNSCMD\r\n"));
  CHECK_FALSE(has(list7000, "AT+SGNSCMD"));
  CHECK(list7080.ends_with("\r\nOK\r\n"));

  s7080.command("AT+CRSM=176,28539,0,0,12");
  s7080.command("AT+XYZZY");
  s7080.command("ATE0");
  s7080.command("ATS3?");
  s7080.command("ATS99?");
  CHECK(s7080.unmodelled == std::vector<std::string>{"+CRSM=176,28539,0,0,12", "S3?"});
  CHECK(s7080.unknown == std::vector<std::string>{"+XYZZY", "S99?"});
  s7000.command("AT+HTTPINIT");
  s7080.command("AT+HTTPINIT");
  CHECK(s7000.unmodelled == std::vector<std::string>{"+HTTPINIT"});
  CHECK(s7080.unknown == std::vector<std::string>{"+XYZZY", "S99?", "+HTTPINIT"});
}

TEST_CASE("sim: every command the virtual module plays is one a real module lists, and a family answers only its own") {
  for (auto command : athil::sim::VirtualModule::modelled_commands()) {
    bool listed = false;
    for (const auto* name : {"SIM7000G", "SIM7070G", "SIM7080G", "SIM7090G"}) listed = listed || lists(*find_model(name), command);
    CHECK_MESSAGE(listed, "AT", command);
  }
  Bench b("SIM7000G");
  b.boot();
  CHECK(b.command("AT+SGNSCMD=1,0") == "AT+SGNSCMD=1,0\r\r\nERROR\r\n");  // the SIM7070/7080/7090's GNSS control
  CHECK(b.unknown == std::vector<std::string>{"+SGNSCMD=1,0"});
  CHECK(b.unmodelled.empty());
}

TEST_CASE("sim: PSM: the requested timers read back, and the module sleeps after the release and the active time, deaf with STATUS low, until T3412 wakes it") {
  Bench b;
  b.boot();
  CHECK(b.command("AT+CPSMS?") == "AT+CPSMS?\r\r\n+CPSMS: 0,,,\"00100001\",\"00000101\"\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CPSMS=1,,,\"1010001\",\"00000011\"") == "AT+CPSMS=1,,,\"1010001\",\"00000011\"\r\r\nERROR\r\n");  // 7 bits
  CHECK(b.command("AT+CPSMS=3") == "AT+CPSMS=3\r\r\nERROR\r\n");
  b.command("AT+CPSMSTATUS=1");
  // T3412 2 minutes (unit 101, 1 min x 2), T3324 6 s (unit 000, 2 s x 3).
  CHECK(b.command("AT+CPSMS=1,,,\"10100010\",\"00000011\"") == "AT+CPSMS=1,,,\"10100010\",\"00000011\"\r\r\nOK\r\n");
  CHECK(b.command("AT+CPSMS?") == "AT+CPSMS?\r\r\n+CPSMS: 1,,,\"10100010\",\"00000011\"\r\n\r\nOK\r\n");
  b.pins.clear();
  b.run_for(15s);  // the network's 10 s release, then 6 s active: not yet
  CHECK(b.take().empty());
  b.run_for(1100ms);
  CHECK(b.take() == "\r\n+CPSMSTATUS: \"ENTER PSM\"\r\n");
  CHECK(b.levels_of(Pin::status) == std::vector<Level>{Level::low});
  CHECK(b.module.state_name() == std::string("psm"));
  CHECK(b.command("AT", 1s).empty());  // deaf: no echo, no answer
  b.run_for(2min);
  CHECK(has(b.take(), "\r\n+CPSMSTATUS: \"EXIT PSM\"\r\n"));
  CHECK(b.levels_of(Pin::status) == std::vector<Level>{Level::low, Level::high});
  CHECK(b.command("AT") == "AT\r\r\nOK\r\n");
  CHECK(b.command("AT+CEREG?") == "AT+CEREG?\r\r\n+CEREG: 0,1\r\n\r\nOK\r\n");  // registration kept through PSM
  // Awake for the release and the active time again, then asleep again.
  b.run_for(17s);
  CHECK(b.module.state_name() == std::string("psm"));
}

TEST_CASE(
    "sim: PSM: a PWRKEY edge wakes the module and means nothing more, AT+CPSMS=0 and a deactivated T3324 keep it awake, the setting outlives a power cycle") {
  Bench b;
  b.boot();
  b.command("AT+CPSMS=1,,,\"00100001\",\"00000000\"");  // T3324 zero: asleep at the release
  b.run_for(11s);
  REQUIRE(b.module.state_name() == std::string("psm"));
  b.press(1500ms);  // a power-off press outside PSM
  b.run_for(3s);
  CHECK(b.module.state_name() == std::string("on"));
  CHECK(b.command("AT") == "AT\r\r\nOK\r\n");
  b.command("AT+CPSMS=0");
  b.run_for(30s);
  CHECK(b.module.state_name() == std::string("on"));
  b.command("AT+CPSMS=1,,,\"00100001\",\"11100000\"");  // T3324 deactivated: no PSM
  b.run_for(30s);
  CHECK(b.module.state_name() == std::string("on"));

  b.command("AT+CPSMS=1,,,\"00100001\",\"00000001\"");
  power_off(b);
  b.boot();
  CHECK(has(b.command("AT+CPSMS?"), "+CPSMS: 1,,,\"00100001\",\"00000001\""));
  CHECK(has(b.command("AT+CPSMSTATUS?"), "+CPSMSTATUS: 0"));  // the URCs are not kept
  b.run_for(15s);
  CHECK(b.module.state_name() == std::string("psm"));
  b.command("AT+CPSMS=2");  // not heard: asleep
  b.press(100ms);
  CHECK(b.command("AT+CPSMS=2") == "AT+CPSMS=2\r\r\nOK\r\n");
  CHECK(has(b.command("AT+CPSMS?"), "+CPSMS: 0,,,\"00100001\",\"00000101\""));
}

TEST_CASE("fault psm-no-wake: the periodic timer never wakes the module, PWRKEY does") {
  Bench b("SIM7000G", nullptr, faults("psm-no-wake"));
  b.boot();
  b.command("AT+CPSMSTATUS=1");
  b.command("AT+CPSMS=1,,,\"10100001\",\"00000001\"");  // T3412 1 min, T3324 2 s
  b.run_for(13s);
  CHECK(has(b.take(), "ENTER PSM"));
  b.run_for(5min);
  CHECK(b.take().empty());
  CHECK(b.module.state_name() == std::string("psm"));
  CHECK(b.command("AT", 1s).empty());
  b.press(100ms);
  CHECK(has(b.take(), "\r\n+CPSMSTATUS: \"EXIT PSM\"\r\n"));
  CHECK(b.command("AT") == "AT\r\r\nOK\r\n");
}

TEST_CASE("sim: sleep mode: with AT+CSCLK=1 and DTR high the UART sleeps after 2 s without input, DTR low wakes it in 50 ms, URCs still come") {
  Bench b;
  b.boot();
  CHECK(b.command("AT+CSCLK?") == "AT+CSCLK?\r\r\n+CSCLK: 0\r\n\r\nOK\r\n");
  b.run_for(5s);
  CHECK(b.command("AT") == "AT\r\r\nOK\r\n");  // DTR high (not driven), but AT+CSCLK=0: awake
  CHECK(b.command("AT+CSCLK=1") == "AT+CSCLK=1\r\r\nOK\r\n");
  b.run_for(1500ms);
  CHECK(b.command("AT") == "AT\r\r\nOK\r\n");  // input within the 2 s keeps it awake
  b.run_for(2500ms);
  CHECK(b.command("AT").empty());  // asleep: deaf
  b.module.sms_in("+15550100", "hi", "26/11/29,12:00:00+00");
  b.run_for(10ms);
  CHECK(has(b.take(), "+CMTI: \"SM\",1"));  // the URC still comes
  b.module.pin_in(Pin::dtr, Level::low, b.now, b.now);
  b.run_for(60ms);
  CHECK(b.command("AT") == "AT\r\r\nOK\r\n");
  b.run_for(10s);
  CHECK(b.command("AT") == "AT\r\r\nOK\r\n");  // DTR low: never asleep
  CHECK(b.command("AT+CSCLK=2") == "AT+CSCLK=2\r\r\nERROR\r\n");
  CHECK(b.unmodelled == std::vector<std::string>{"+CSCLK=2"});
  // Not kept across a restart.
  b.module.pin_in(Pin::dtr, Level::high, b.now, b.now);
  power_off(b);
  b.boot();
  b.run_for(5s);
  CHECK(b.command("AT") == "AT\r\r\nOK\r\n");
}

TEST_CASE("sim: eDRX: AT+CEDRXS reads back what was asked per access technology, and AT+CEDRXRDP reports it in use only when on and registered") {
  Bench b;
  b.boot();
  CHECK(b.command("AT+CEDRXS?") == "AT+CEDRXS?\r\r\nOK\r\n");  // off: no access technology listed
  CHECK(b.command("AT+CEDRXRDP") == "AT+CEDRXRDP\r\r\n+CEDRXRDP: 0\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CEDRXS=1,4,\"0101\"") == "AT+CEDRXS=1,4,\"0101\"\r\r\nOK\r\n");
  CHECK(b.command("AT+CEDRXS?") == "AT+CEDRXS?\r\r\n+CEDRXS: 4,\"0101\"\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CEDRXRDP") == "AT+CEDRXRDP\r\r\n+CEDRXRDP: 4,\"0101\",\"0101\",\"0000\"\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CEDRXS=1,7,\"0101\"") == "AT+CEDRXS=1,7,\"0101\"\r\r\nERROR\r\n");
  CHECK(b.command("AT+CEDRXS=1,4,\"012\"") == "AT+CEDRXS=1,4,\"012\"\r\r\nERROR\r\n");
  b.command("AT+CFUN=0", 200ms);
  CHECK(b.command("AT+CEDRXRDP") == "AT+CEDRXRDP\r\r\n+CEDRXRDP: 0\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CEDRXS=3") == "AT+CEDRXS=3\r\r\nOK\r\n");
  CHECK(b.command("AT+CEDRXS?") == "AT+CEDRXS?\r\r\nOK\r\n");
}

namespace {
using MqttKind = MqttRequest::Kind;

// Registered, the bearer up, AT+SMCONN answered by the broker.
void mqtt_connected(Bench& b) {
  b.boot();
  b.run_for(4s);
  b.command("AT+CNACT=0,1", 1s);
  CHECK(b.command("AT+SMCONF=\"URL\",\"broker.lab\",1884") == "AT+SMCONF=\"URL\",\"broker.lab\",1884\r\r\nOK\r\n");
  b.command("AT+SMCONF=\"CLIENTID\",\"t1\"");
  b.command("AT+SMCONF=\"KEEPTIME\",30");
  CHECK(b.command("AT+SMCONN") == "AT+SMCONN\r");  // no answer before the broker's
  REQUIRE(b.mqtt.size() == 1);
  CHECK(b.mqtt[0].kind == MqttKind::connect);
  CHECK(b.mqtt[0].host == "broker.lab");
  CHECK(b.mqtt[0].port == 1884);
  CHECK(b.mqtt[0].client_id == "t1");
  CHECK(b.mqtt[0].keepalive_s == 30);
  b.broker();
  CHECK(b.take() == "\r\nOK\r\n");
}
}  // namespace

TEST_CASE("sim: MQTT: AT+SMCONN answers when the broker has, AT+SMPUB takes exactly its length after the > prompt, and a subscription's message is +SMSUB") {
  Bench b;
  mqtt_connected(b);
  CHECK(b.command("AT+SMSTATE?") == "AT+SMSTATE?\r\r\n+SMSTATE: 1\r\n\r\nOK\r\n");
  CHECK(b.command("AT+SMSUB=\"a/b\",1") == "AT+SMSUB=\"a/b\",1\r");
  CHECK(b.mqtt.back().kind == MqttKind::subscribe);
  CHECK(b.mqtt.back().topic == "a/b");
  b.broker();
  CHECK(b.take() == "\r\nOK\r\n");
  CHECK(b.command("AT+SMPUB=\"a/b\",5,1,0") == "AT+SMPUB=\"a/b\",5,1,0\r\r\n> ");
  // Five bytes are the message, CR and all; what follows is the next command, which waits
  // until the broker has answered the publish.
  b.module.uart_in("he\rloAT\r", b.now);
  b.run_for(50ms);
  CHECK(b.take() == "he\rloAT\r");  // echoed as typed
  CHECK(b.mqtt.back().kind == MqttKind::publish);
  CHECK(b.mqtt.back().payload == "he\rlo");
  CHECK(b.mqtt.back().qos == 1);
  b.module.mqtt_in(MqttEvent{.kind = MqttEvent::Kind::message, .link = b.mqtt.back().link, .topic = "a/b", .payload = "he\rlo"}, b.now);
  b.broker();
  CHECK(b.take() == "\r\n+SMSUB: \"a/b\",\"he\rlo\"\r\n\r\nOK\r\n\r\nOK\r\n");                  // the publish's OK, then the AT's
  CHECK(b.command("AT+SMPUB=\"a/b\",1025,0,0") == "AT+SMPUB=\"a/b\",1025,0,0\r\r\nERROR\r\n");  // over the module's 1024
  CHECK(b.command("AT+SMDISC") == "AT+SMDISC\r\r\nOK\r\n");
  CHECK(b.mqtt.back().kind == MqttKind::disconnect);
  CHECK(b.command("AT+SMSTATE?") == "AT+SMSTATE?\r\r\n+SMSTATE: 0\r\n\r\nOK\r\n");
  CHECK(b.command("AT+SMPUB=\"a/b\",5,0,0") == "AT+SMPUB=\"a/b\",5,0,0\r\r\nERROR\r\n");
}

TEST_CASE("sim: MQTT: a refused connection is ERROR, a lost link says +SMSTATE: 0 (a publish under way still ends in OK), power loss drops the link") {
  {
    Bench b;
    b.boot();
    b.run_for(4s);
    b.command("AT+SMCONF=\"URL\",\"broker.lab\",1883");
    CHECK(b.command("AT+SMCONN") == "AT+SMCONN\r\r\nERROR\r\n");  // no bearer: nothing asked of the network
    CHECK(b.mqtt.empty());
    b.command("AT+CNACT=0,1", 1s);
    b.command("AT+SMCONN");
    b.broker(MqttEvent::Kind::failed);
    CHECK(b.take() == "\r\nERROR\r\n");
  }
  Bench b;
  mqtt_connected(b);
  b.command("AT+SMPUB=\"a/b\",2,1,0");
  b.module.uart_in("hi", b.now);
  b.take();
  b.module.mqtt_in(MqttEvent{.kind = MqttEvent::Kind::lost, .link = b.mqtt.back().link}, b.now);
  CHECK(b.take() == "\r\n+SMSTATE: 0\r\n\r\nOK\r\n");
  CHECK(b.command("AT+SMSTATE?") == "AT+SMSTATE?\r\r\n+SMSTATE: 0\r\n\r\nOK\r\n");
  // Connected again; the supply goes: the broker sees the link die, not a DISCONNECT.
  b.command("AT+SMCONN");
  b.broker();
  b.module.pin_in(Pin::supply, Level::low, b.now, b.now);
  CHECK(b.mqtt.back().kind == MqttKind::drop);
  // An answer for the old link after the module came back means nothing.
  auto old = b.mqtt.back();
  b.module.pin_in(Pin::supply, Level::high, b.now, b.now);
  b.boot();
  b.module.mqtt_in(MqttEvent{.kind = MqttEvent::Kind::lost, .link = old.link}, b.now);
  CHECK(b.take().empty());
}

TEST_CASE("fault mqtt-drop: the first connection dies after the delay with +SMSTATE: 0, the next one stays") {
  Bench b("SIM7080G", nullptr, faults("mqtt-drop=5s"));
  mqtt_connected(b);
  b.run_for(4s);
  CHECK(b.take().empty());
  b.run_for(2s);
  CHECK(b.take() == "\r\n+SMSTATE: 0\r\n");
  CHECK(b.mqtt.back().kind == MqttKind::drop);
  b.command("AT+SMCONN");
  b.broker();
  b.run_for(30s);
  CHECK(b.take() == "\r\nOK\r\n");
}

TEST_CASE("MQTT wire: packets round-trip, a partial packet waits for the rest, and what a broker must not send closes the link") {
  std::string buffer = mqtt::encode_publish("a/b", "payload", 1, true, 7) + mqtt::encode_ack(mqtt::Type::pubrel, 9);
  std::string whole = buffer;
  std::string part = whole.substr(0, 5);
  CHECK_FALSE(mqtt::take_packet(part).has_value());  // incomplete: nothing taken
  CHECK(part.size() == 5);
  auto p = mqtt::take_packet(buffer);
  REQUIRE(p.has_value());
  CHECK(p->type == mqtt::Type::publish);
  CHECK(p->topic == "a/b");
  CHECK(p->payload == "payload");
  CHECK(p->qos() == 1);
  CHECK(p->packet_id == 7);
  auto rel = mqtt::take_packet(buffer);
  REQUIRE(rel.has_value());
  CHECK(rel->type == mqtt::Type::pubrel);
  CHECK(rel->packet_id == 9);
  CHECK(buffer.empty());
  std::string big = mqtt::encode_publish("t", std::string(mqtt::max_packet, 'x'), 0, false, 0);
  CHECK_THROWS_AS(mqtt::take_packet(big), mqtt::MalformedPacket);
  std::string endless = "\x30\xff\xff\xff\xff\x01";
  CHECK_THROWS_AS(mqtt::take_packet(endless), mqtt::MalformedPacket);
  std::string connect = mqtt::encode_connect(mqtt::Connect{.client_id = "c"});
  CHECK_THROWS_AS(mqtt::take_packet(connect), mqtt::MalformedPacket);
  std::string short_topic = std::string("\x30\x03\x00\x09x", 5);  // the topic runs past the packet
  CHECK_THROWS_AS(mqtt::take_packet(short_topic), mqtt::MalformedPacket);
}

namespace {
std::string cgnsinf(Bench& b) {
  auto text = b.command("AT+CGNSINF");
  auto start = text.find("+CGNSINF: ");
  return start == std::string::npos ? text : text.substr(start + 10, text.find("\r\n", start) - start - 10);
}
std::size_t field_count(const std::string& fields) { return static_cast<std::size_t>(std::count(fields.begin(), fields.end(), ',')) + 1; }
}  // namespace

TEST_CASE("sim: GNSS: AT+CGNSINF in each family's form, off, searching on the receiver's 1980 clock and fixed after a cold start, hot after that") {
  Bench s7000("SIM7000G");
  s7000.boot();
  CHECK(cgnsinf(s7000) == "0,,,,,,,,,,,,,,,,,,,,");  // 21 fields, as the SIM868 line prints them
  CHECK(s7000.command("AT+CGNSPWR=1") == "AT+CGNSPWR=1\r\r\nOK\r\n");
  s7000.run_for(10s);
  CHECK(cgnsinf(s7000).rfind("1,0,19800106000010.", 0) == 0);  // no fix yet, LTE on beside it (its own RF path)
  s7000.run_for(25s);
  auto fix = cgnsinf(s7000);
  CHECK(fix.rfind("1,1,20260101000", 0) == 0);  // the satellites' time (the test's network clock)
  CHECK(has(fix, ",31.221345,121.354753,31.900,0.00,0.0,1,,"));
  CHECK(field_count(fix) == 21);
  CHECK(s7000.command("AT+CGNSPWR=0") == "AT+CGNSPWR=0\r\r\nOK\r\n");
  s7000.command("AT+CGNSPWR=1");
  s7000.run_for(3s);  // hot: the ephemeris is still good
  CHECK(cgnsinf(s7000).rfind("1,1,", 0) == 0);

  Bench s7080("SIM7080G");
  s7080.boot();
  CHECK(cgnsinf(s7080) == "0,,,,,,,,,,,,,,,,,");  // 18 fields
  s7080.command("AT+CGNSPWR=1");
  s7080.run_for(60s);
  CHECK(cgnsinf(s7080) == "1,,,,,,,,,,,,,,,,,");  // LTE holds the shared RF path: no fix however long
  s7080.command("AT+CFUN=0", 200ms);
  s7080.run_for(33s);
  fix = cgnsinf(s7080);
  CHECK(fix.rfind("1,1,", 0) == 0);
  CHECK(field_count(fix) == 18);
  CHECK(s7080.command("AT+CGNSPWR?") == "AT+CGNSPWR?\r\r\n+CGNSPWR: 1\r\n\r\nOK\r\n");
  s7080.command("AT+CFUN=1", 200ms);
  CHECK(cgnsinf(s7080) == "1,,,,,,,,,,,,,,,,,");  // the radio took the path back: the fix is gone
  // A power cycle: the receiver is off, and the next start is cold again.
  power_off(s7080);
  s7080.boot();
  CHECK(s7080.command("AT+CGNSPWR?") == "AT+CGNSPWR?\r\r\n+CGNSPWR: 0\r\n\r\nOK\r\n");
  s7080.command("AT+CFUN=0", 200ms);
  s7080.command("AT+CGNSPWR=1");
  s7080.run_for(3s);
  CHECK(cgnsinf(s7080) == "1,,,,,,,,,,,,,,,,,");
}

TEST_CASE("sim: GNSS: a track plays from the receiver's first start with speed and course, AT+SGNSCMD reports fixes, gnss-no-fix never fixes") {
  Bench b("SIM7070G");
  // North along a meridian: 0.01 degree (1.11 km) in 100 s is 40 km/h on course 0.
  athil::test::TempDir dir;
  auto track = dir.write("drive.csv", "# seconds,lat,lon,alt\n0,50.00,8.00,100\n100,50.01,8.00,110\n");
  b.module.set_gnss_track(GnssTrack::load(track));
  b.boot();
  b.command("AT+CFUN=0", 200ms);
  b.command("AT+CGNSPWR=1");
  b.run_for(49950ms);  // with the command's 50 ms, 50 s after the first start: half way
  auto fix = cgnsinf(b);
  CHECK(has(fix, ",50.005000,8.000000,105.000,40.03,0.0,1,,"));
  // Tracking: a report at once (the receiver has its fix), then one a second.
  CHECK(b.command("AT+SGNSCMD=2,1000,0,0", 0ms).rfind("AT+SGNSCMD=2,1000,0,0\r\r\nOK\r\n\r\n+SGNSCMD: 2,00:00:", 0) == 0);
  b.run_for(2500ms);
  auto reports = b.take();
  CHECK(std::count(reports.begin(), reports.end(), '\n') == 4);
  CHECK(has(reports, "\r\n+SGNSCMD: 2,00:00:"));
  CHECK(has(reports, ",50.00520,8.00000,3.20,105.20,105.20,40.03,0.00,0x"));  // 52.05 s into the track
  CHECK(b.command("AT+SGNSCMD=0") == "AT+SGNSCMD=0\r\r\nOK\r\n");
  b.run_for(3s);
  CHECK(b.take().empty());
  CHECK(b.command("AT+SGNSCMD=2,500") == "AT+SGNSCMD=2,500\r\r\nERROR\r\n");  // under the 1 s minimum

  Bench blind("SIM7000G", nullptr, faults("gnss-no-fix"));
  blind.boot();
  blind.command("AT+CGNSPWR=1");
  blind.run_for(300s);
  CHECK(cgnsinf(blind).rfind("1,0,", 0) == 0);
}

TEST_CASE("GNSS track: rows are checked with their line, and past the last row the receiver stays there") {
  athil::test::TempDir dir;
  auto bad = dir.write("bad.csv", "0,50,8\n\n10,95,8\n");
  CHECK_THROWS_WITH_AS(GnssTrack::load(bad), doctest::Contains("bad.csv:3: latitude 95 is outside -90..90"), athil::InputError);
  auto backwards = dir.write("back.csv", "5,50,8\n5,50,8.1\n");
  CHECK_THROWS_WITH_AS(GnssTrack::load(backwards), doctest::Contains("back.csv:2: 5 s does not come after the row before (5 s)"), athil::InputError);
  auto words = dir.write("words.csv", "0,north,8\n");
  CHECK_THROWS_WITH_AS(GnssTrack::load(words), doctest::Contains("words.csv:1: a row is SECONDS,LAT,LON[,ALT], numbers each"), athil::InputError);
  CHECK_THROWS_WITH_AS(GnssTrack::point("50"), doctest::Contains("a GNSS point is LAT,LON[,ALT]"), athil::InputError);
  auto ok = GnssTrack::load(dir.write("ok.csv", "0,50,8,1\n10,51,8,1\n"));
  CHECK(ok.at(1000).latitude == 51);
  CHECK(ok.at(1000).speed_kmh == 0);
}

TEST_CASE(
    "sim: HTTP(S): an https URL needs a converted CA, AT+SHCONN answers once connected, AT+SHBOD's prompt, +SHREQ after OK, AT+SHREAD in 2048-byte chunks") {
  Bench b("SIM7080G");
  b.boot();
  b.run_for(4s);
  b.command("AT+CNACT=0,1", 1s);
  CHECK(b.command("AT+SHCONF=\"URL\",\"https://lab.example:8443\"") == "AT+SHCONF=\"URL\",\"https://lab.example:8443\"\r\r\nOK\r\n");
  CHECK(b.command("AT+SHCONN") == "AT+SHCONN\r\r\nERROR\r\n");                                                      // no CA named: no TLS
  CHECK(b.command("AT+CSSLCFG=\"convert\",2,\"ca.crt\"") == "AT+CSSLCFG=\"convert\",2,\"ca.crt\"\r\r\nERROR\r\n");  // not in /customer/ yet
  store_ca(b);
  CHECK(b.command("AT+CSSLCFG=\"convert\",2,\"ca.crt\"") == "AT+CSSLCFG=\"convert\",2,\"ca.crt\"\r\r\nOK\r\n");
  CHECK(b.command("AT+SHSSL=1,\"ca.crt\"") == "AT+SHSSL=1,\"ca.crt\"\r\r\nOK\r\n");
  CHECK(b.command("AT+SHCONN") == "AT+SHCONN\r");
  REQUIRE(!b.http.empty());
  CHECK(b.http.back().method == HttpMethod::connect_only);
  CHECK(b.http.back().url == "https://lab.example:8443");
  b.module.http_done(HttpResult{.id = b.http.back().id}, b.now);
  CHECK(b.take() == "\r\nOK\r\n");
  CHECK(b.command("AT+SHSTATE?") == "AT+SHSTATE?\r\r\n+SHSTATE: 1\r\n\r\nOK\r\n");
  b.command("AT+SHAHEAD=\"Content-Type\",\"text/plain\"");
  CHECK(b.command("AT+SHBOD=4,1000") == "AT+SHBOD=4,1000\r\r\n> ");
  b.module.uart_in("ping", b.now);
  b.run_for(50ms);
  CHECK(b.take() == "\r\nOK\r\n");
  CHECK(b.command("AT+SHREQ=\"/up\",3") == "AT+SHREQ=\"/up\",3\r");
  const auto& post = b.http.back();
  CHECK(post.method == HttpMethod::post);
  CHECK(post.url == "https://lab.example:8443/up");
  CHECK(post.body == "ping");
  CHECK(post.headers == std::vector<std::pair<std::string, std::string>>{{"Content-Type", "text/plain"}});
  b.module.http_done(HttpResult{.id = post.id, .status = 200, .body = std::string(3000, 'x')}, b.now);
  CHECK(b.take() == "\r\nOK\r\n");
  b.run_for(300ms);
  CHECK(b.take() == "\r\n+SHREQ: \"POST\",200,3000\r\n");
  auto read = b.command("AT+SHREAD=0,3000");
  CHECK(read == "AT+SHREAD=0,3000\r\r\nOK\r\n\r\n+SHREAD: 2048\r\n" + std::string(2048, 'x') + "\r\n\r\n+SHREAD: 952\r\n" + std::string(952, 'x') + "\r\n");
  CHECK(b.command("AT+SHREAD=0,3001") == "AT+SHREAD=0,3001\r\r\nERROR\r\n");  // past the body
  CHECK(b.command("AT+SHBOD=4,100") == "AT+SHBOD=4,100\r\r\n> ");
  b.run_for(200ms);
  CHECK(b.take() == "\r\nERROR\r\n");  // the input time ran out
  CHECK(b.command("AT+SHDISC") == "AT+SHDISC\r\r\nOK\r\n");
  CHECK(b.command("AT+SHSTATE?") == "AT+SHSTATE?\r\r\n+SHSTATE: 0\r\n\r\nOK\r\n");
}

TEST_CASE("sim: HTTP on SIM7000: the body inline in AT+SHBOD, and a request that fails says +SHSTATE: 0") {
  Bench b("SIM7000G");
  b.boot();
  b.run_for(4s);
  b.command("AT+CNACT=1,\"apn\"", 1s);
  b.command("AT+SHCONF=\"URL\",\"http://lab.example\"");
  b.command("AT+SHCONN");
  b.module.http_done(HttpResult{.id = b.http.back().id}, b.now);
  b.take();
  CHECK(b.command("AT+SHBOD=\"SIMCOMBODY\",10") == "AT+SHBOD=\"SIMCOMBODY\",10\r\r\nOK\r\n");
  CHECK(b.command("AT+SHBOD=\"SIMCOMBODY\",9") == "AT+SHBOD=\"SIMCOMBODY\",9\r\r\nERROR\r\n");
  b.command("AT+SHREQ=\"/x\",1");
  CHECK(b.http.back().method == HttpMethod::get);
  b.module.http_done(HttpResult{.id = b.http.back().id, .failure = HttpResult::Failure::refused}, b.now);
  CHECK(b.take() == "\r\nOK\r\n\r\n+SHSTATE: 0\r\n");
  // TLS without verifying the server: AT+SHSSL with no CA, as drivers do.
  b.command("AT+SHCONF=\"URL\",\"https://lab.example\"");
  CHECK(b.command("AT+SHCONN") == "AT+SHCONN\r\r\nERROR\r\n");
  b.command("AT+SHSSL=1,\"\"");
  auto asked = b.http.size();
  CHECK(b.command("AT+SHCONN") == "AT+SHCONN\r");
  CHECK(b.http.size() == asked + 1);
}

TEST_CASE(
    "sim: TCP/UDP: AT+CAOPEN answers when the socket opened or failed, AT+CASEND's prompt and +CASEND, +CADATAIND then AT+CARECV, +CASTATE when the peer "
    "closes") {
  Bench b("SIM7080G");
  b.boot();
  b.run_for(4s);
  CHECK(b.command("AT+CAOPEN=0,0,\"TCP\",\"lab.example\",7") == "AT+CAOPEN=0,0,\"TCP\",\"lab.example\",7\r\r\n+CAOPEN: 0,21\r\n\r\nOK\r\n");  // no bearer
  b.command("AT+CNACT=0,1", 1s);
  CHECK(b.command("AT+CAOPEN=0,0,\"TCP\",\"lab.example\",7") == "AT+CAOPEN=0,0,\"TCP\",\"lab.example\",7\r");
  REQUIRE(b.sockets.size() == 1);
  CHECK(b.sockets[0].host == "lab.example");
  CHECK(b.sockets[0].port == 7);
  CHECK_FALSE(b.sockets[0].udp);
  b.module.socket_in(SocketEvent{.kind = SocketEvent::Kind::opened, .link = b.sockets[0].link}, b.now);
  CHECK(b.take() == "\r\n+CAOPEN: 0,0\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CASTATE?") == "AT+CASTATE?\r\r\n+CASTATE: 0,1\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CASEND=0,5") == "AT+CASEND=0,5\r\r\n> ");
  b.module.uart_in("hello", b.now);
  CHECK(b.take() == "\r\nOK\r\n\r\n+CASEND: 0,0,5\r\n");
  CHECK(b.sockets.back().kind == SocketRequest::Kind::send);
  CHECK(b.sockets.back().data == "hello");
  b.module.socket_in(SocketEvent{.kind = SocketEvent::Kind::data, .link = b.sockets[0].link, .data = "0123456789"}, b.now);
  b.module.socket_in(SocketEvent{.kind = SocketEvent::Kind::data, .link = b.sockets[0].link, .data = "ab"}, b.now);
  CHECK(b.take() == "\r\n+CADATAIND: 0\r\n");  // announced once until read
  CHECK(b.command("AT+CARECV=0,4") == "AT+CARECV=0,4\r\r\n+CARECV: 4,0123\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CARECV=0,100") == "AT+CARECV=0,100\r\r\n+CARECV: 8,456789ab\r\n\r\nOK\r\n");
  b.module.socket_in(SocketEvent{.kind = SocketEvent::Kind::closed, .link = b.sockets[0].link}, b.now);
  CHECK(b.take() == "\r\n+CASTATE: 0,0\r\n");
  CHECK(b.command("AT+CASEND=0,5") == "AT+CASEND=0,5\r\r\nERROR\r\n");
  // Refused, and unresolved: the manual's result codes.
  b.command("AT+CAOPEN=1,0,\"UDP\",\"lab.example\",9");
  CHECK(b.sockets.back().udp);
  b.module.socket_in(SocketEvent{.kind = SocketEvent::Kind::refused, .link = b.sockets.back().link}, b.now);
  CHECK(b.take() == "\r\n+CAOPEN: 1,23\r\n\r\nOK\r\n");
  b.command("AT+CAOPEN=1,0,\"TCP\",\"nowhere.invalid\",9");
  b.module.socket_in(SocketEvent{.kind = SocketEvent::Kind::unresolved, .link = b.sockets.back().link}, b.now);
  CHECK(b.take() == "\r\n+CAOPEN: 1,20\r\n\r\nOK\r\n");
}

TEST_CASE("sim: TCP on SIM7000: AT+CAOPEN=<cid>,\"<host>\",<port> as its log has it, and power loss closes the socket") {
  Bench b("SIM7000G");
  b.boot();
  b.run_for(4s);
  b.command("AT+CNACT=1,\"apn\"", 1s);
  CHECK(b.command("AT+CACID=0") == "AT+CACID=0\r\r\nOK\r\n");
  CHECK(b.command("AT+CASSLCFG=0,ssl,1") == "AT+CASSLCFG=0,ssl,1\r\r\nOK\r\n");
  CHECK(b.command("AT+CAOPEN=0,\"lab.example\",8883") == "AT+CAOPEN=0,\"lab.example\",8883\r");
  b.module.socket_in(SocketEvent{.kind = SocketEvent::Kind::opened, .link = b.sockets.back().link}, b.now);
  CHECK(b.take() == "\r\n+CAOPEN: 0,0\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CAOPEN=1,0,\"TCP\",\"lab.example\",7") == "AT+CAOPEN=1,0,\"TCP\",\"lab.example\",7\r\r\nERROR\r\n");  // the other family's form
  b.module.pin_in(Pin::supply, Level::low, b.now, b.now);
  CHECK(b.sockets.back().kind == SocketRequest::Kind::close);
}

TEST_CASE(
    "sim: SIM7000's TCP/IP toolkit: AT+CSTT, AT+CIICR and AT+CIFSR's bare address through AT+CIPSTATUS's states, AT+CIPSTART's OK then CONNECT OK, "
    "AT+CIPSEND's prompt and SEND OK, pushed data, CLOSED, CLOSE OK and SHUT OK") {
  Bench b("SIM7000G");
  b.boot();
  b.run_for(4s);
  auto status = [&] { return b.command("AT+CIPSTATUS"); };
  CHECK(status() == "AT+CIPSTATUS\r\r\nOK\r\n\r\nSTATE: IP INITIAL\r\n");
  CHECK(b.command("AT+CIPSTART=\"TCP\",\"lab.example\",7") == "AT+CIPSTART=\"TCP\",\"lab.example\",7\r\r\nERROR\r\n");  // no context yet
  CHECK(b.command("AT+CSTT=\"lab\"") == "AT+CSTT=\"lab\"\r\r\nOK\r\n");
  CHECK(status() == "AT+CIPSTATUS\r\r\nOK\r\n\r\nSTATE: IP START\r\n");
  CHECK(b.command("AT+CIICR") == "AT+CIICR\r\r\nOK\r\n");
  CHECK(status() == "AT+CIPSTATUS\r\r\nOK\r\n\r\nSTATE: IP GPRSACT\r\n");
  CHECK(b.command("AT+CIFSR") == "AT+CIFSR\r\r\n10.110.17.5\r\n");  // no OK, as the SIM7000C session shows
  CHECK(status() == "AT+CIPSTATUS\r\r\nOK\r\n\r\nSTATE: IP STATUS\r\n");
  CHECK(b.command("AT+CIPSTART=\"TCP\",\"lab.example\",\"7\"") == "AT+CIPSTART=\"TCP\",\"lab.example\",\"7\"\r\r\nOK\r\n");
  REQUIRE_FALSE(b.sockets.empty());
  CHECK(b.sockets.back().host == "lab.example");
  CHECK(status() == "AT+CIPSTATUS\r\r\nOK\r\n\r\nSTATE: TCP CONNECTING\r\n");
  b.module.socket_in(SocketEvent{.kind = SocketEvent::Kind::opened, .link = b.sockets.back().link}, b.now);
  CHECK(b.take() == "\r\nCONNECT OK\r\n");
  CHECK(b.command("AT+CIPSTART=\"TCP\",\"lab.example\",7") == "AT+CIPSTART=\"TCP\",\"lab.example\",7\r\r\nERROR\r\n\r\nALREADY CONNECT\r\n");
  CHECK(b.command("AT+CIPSEND=5") == "AT+CIPSEND=5\r\r\n> ");
  b.module.uart_in("hello", b.now);
  CHECK(b.take() == "\r\nSEND OK\r\n");
  CHECK(b.sockets.back().data == "hello");
  b.module.socket_in(SocketEvent{.kind = SocketEvent::Kind::data, .link = b.sockets.front().link, .data = "pong"}, b.now);
  CHECK(b.take() == "pong");  // pushed as it comes, no header by default
  CHECK(b.command("AT+CIPCLOSE") == "AT+CIPCLOSE\r\r\nCLOSE OK\r\n");
  CHECK(b.sockets.back().kind == SocketRequest::Kind::close);
  CHECK(status() == "AT+CIPSTATUS\r\r\nOK\r\n\r\nSTATE: TCP CLOSED\r\n");
  // Again, the peer closing; data read by hand with AT+CIPRXGET=1; quick send.
  CHECK(b.command("AT+CIPRXGET=1") == "AT+CIPRXGET=1\r\r\nOK\r\n");
  CHECK(b.command("AT+CIPQSEND=1") == "AT+CIPQSEND=1\r\r\nOK\r\n");
  b.command("AT+CIPSTART=\"TCP\",\"lab.example\",7");
  b.module.socket_in(SocketEvent{.kind = SocketEvent::Kind::opened, .link = b.sockets.back().link}, b.now);
  b.take();
  b.command("AT+CIPSEND=2");
  b.module.uart_in("hi", b.now);
  CHECK(b.take() == "\r\nDATA ACCEPT:2\r\n");
  auto link = b.sockets.front().link;
  for (auto& r : b.sockets) link = r.link;
  b.module.socket_in(SocketEvent{.kind = SocketEvent::Kind::data, .link = link, .data = "abc"}, b.now);
  b.module.socket_in(SocketEvent{.kind = SocketEvent::Kind::data, .link = link, .data = "de"}, b.now);
  CHECK(b.take() == "\r\n+CIPRXGET: 1\r\n");  // announced once until read
  CHECK(b.command("AT+CIPRXGET=4") == "AT+CIPRXGET=4\r\r\n+CIPRXGET: 4,5\r\n\r\nOK\r\n");
  CHECK(b.command("AT+CIPRXGET=3,2") == "AT+CIPRXGET=3,2\r\r\n+CIPRXGET: 3,2,3\r\n6162\r\n\r\nOK\r\n");  // in hex
  CHECK(b.command("AT+CIPRXGET=2,2") == "AT+CIPRXGET=2,2\r\r\n+CIPRXGET: 2,2,1\r\ncd\r\n\r\nOK\r\n");
  b.module.socket_in(SocketEvent{.kind = SocketEvent::Kind::closed, .link = link}, b.now);
  CHECK(b.take() == "\r\nCLOSED\r\n");
  CHECK(b.command("AT+CIPRXGET=2,4") == "AT+CIPRXGET=2,4\r\r\n+CIPRXGET: 2,1,0\r\ne\r\n\r\nOK\r\n");  // still there after the close
  CHECK(b.command("AT+CIPSHUT") == "AT+CIPSHUT\r\r\nSHUT OK\r\n");
  CHECK(status() == "AT+CIPSTATUS\r\r\nOK\r\n\r\nSTATE: IP INITIAL\r\n");
}

TEST_CASE("sim: SIM7000's AT+CIPMUX=1: every connection's lines start with its number, and AT+CIPSTATUS lists them") {
  Bench b("SIM7000G");
  b.boot();
  b.run_for(4s);
  CHECK(b.command("AT+CIPMUX=1") == "AT+CIPMUX=1\r\r\nOK\r\n");
  b.command("AT+CSTT=\"lab\"");
  b.command("AT+CIICR");
  CHECK(b.command("AT+CIPMUX=0") == "AT+CIPMUX=0\r\r\nERROR\r\n");  // only in IP INITIAL
  b.command("AT+CIFSR");
  CHECK(b.command("AT+CIPSTART=2,\"UDP\",\"lab.example\",9") == "AT+CIPSTART=2,\"UDP\",\"lab.example\",9\r\r\nOK\r\n");
  CHECK(b.sockets.back().udp);
  b.module.socket_in(SocketEvent{.kind = SocketEvent::Kind::opened, .link = b.sockets.back().link}, b.now);
  CHECK(b.take() == "\r\n2, CONNECT OK\r\n");
  auto status = b.command("AT+CIPSTATUS");
  CHECK(status.find("\r\nSTATE: IP PROCESSING\r\n") != std::string::npos);
  CHECK(status.find("\r\nC: 2,0,\"UDP\",\"lab.example\",\"9\",\"CONNECTED\"\r\n") != std::string::npos);
  CHECK(status.find("\r\nC: 0,,\"\",\"\",\"\",\"INITIAL\"\r\n") != std::string::npos);
  CHECK(b.command("AT+CIPSEND=2,3") == "AT+CIPSEND=2,3\r\r\n> ");
  b.module.uart_in("abc", b.now);
  CHECK(b.take() == "\r\n2, SEND OK\r\n");
  b.module.socket_in(SocketEvent{.kind = SocketEvent::Kind::data, .link = b.sockets.front().link, .data = "xy"}, b.now);
  CHECK(b.take() == "\r\n+RECEIVE,2,2:\r\nxy");
  CHECK(b.command("AT+CIPCLOSE=2") == "AT+CIPCLOSE=2\r\r\n2, CLOSE OK\r\n");
  // A refused connection.
  b.command("AT+CIPSTART=0,\"TCP\",\"lab.example\",1");
  b.module.socket_in(SocketEvent{.kind = SocketEvent::Kind::refused, .link = b.sockets.back().link}, b.now);
  CHECK(b.take() == "\r\n0, CONNECT FAIL\r\n");
}

TEST_CASE("sim: SIM7000's AT+SAPBR bearer profile: parameters, open, query with the address, close") {
  Bench b("SIM7000G");
  b.boot();
  b.run_for(4s);
  CHECK(b.command("AT+SAPBR=3,1,\"Contype\",\"GPRS\"") == "AT+SAPBR=3,1,\"Contype\",\"GPRS\"\r\r\nOK\r\n");
  CHECK(b.command("AT+SAPBR=3,1,\"APN\",\"lab\"") == "AT+SAPBR=3,1,\"APN\",\"lab\"\r\r\nOK\r\n");
  CHECK(b.command("AT+SAPBR=2,1") == "AT+SAPBR=2,1\r\r\n+SAPBR: 1,3,\"0.0.0.0\"\r\n\r\nOK\r\n");
  CHECK(b.command("AT+SAPBR=1,1") == "AT+SAPBR=1,1\r\r\nOK\r\n");
  CHECK(b.command("AT+SAPBR=1,1") == "AT+SAPBR=1,1\r\r\nERROR\r\n");  // open already
  CHECK(b.command("AT+SAPBR=2,1") == "AT+SAPBR=2,1\r\r\n+SAPBR: 1,1,\"10.110.17.5\"\r\n\r\nOK\r\n");
  CHECK(b.command("AT+SAPBR=0,1") == "AT+SAPBR=0,1\r\r\nOK\r\n");
  CHECK(b.command("AT+SAPBR=0,1") == "AT+SAPBR=0,1\r\r\nERROR\r\n");
  // The other family has no such command.
  Bench c("SIM7080G");
  c.boot();
  c.run_for(4s);
  CHECK(c.command("AT+SAPBR=2,1") == "AT+SAPBR=2,1\r\r\nERROR\r\n");
  CHECK(c.command("AT+CIPSTATUS") == "AT+CIPSTATUS\r\r\nERROR\r\n");
}

TEST_CASE("sim: MQTT over TLS (simulated): AT+SMSSL names the CA, and AT+SMCONN fails the handshake until AT+CSSLCFG has converted it") {
  Bench b("SIM7080G");
  b.boot();
  b.run_for(4s);
  b.command("AT+CNACT=0,1", 1s);
  b.command("AT+SMCONF=\"URL\",\"broker.lab\",8883");
  CHECK(b.command("AT+SMSSL=1,\"ca.crt\",\"\"") == "AT+SMSSL=1,\"ca.crt\",\"\"\r\r\nOK\r\n");
  CHECK(b.command("AT+SMSSL?") == "AT+SMSSL?\r\r\n+SMSSL: 1,\"ca.crt\",\"\"\r\n\r\nOK\r\n");
  CHECK(b.command("AT+SMCONN") == "AT+SMCONN\r\r\nERROR\r\n");  // the CA was never converted
  CHECK(b.command("AT+SMSSL=2") == "AT+SMSSL=2\r\r\nERROR\r\n");
  CHECK(b.mqtt.empty());
  store_ca(b);
  b.command("AT+CSSLCFG=\"convert\",2,\"ca.crt\"");
  CHECK(b.command("AT+SMCONN") == "AT+SMCONN\r");  // on its way to the broker
  REQUIRE(b.mqtt.size() == 1);
  CHECK(b.mqtt[0].port == 8883);
}

TEST_CASE("sim: SIM7000's AT+CIPSEND without a length takes what is typed until Ctrl-Z, echoed, and Esc drops it") {
  Bench b("SIM7000G");
  b.boot();
  b.run_for(4s);
  b.command("AT+CSTT=\"lab\"");
  b.command("AT+CIICR");
  b.command("AT+CIFSR");
  b.command("AT+CIPSTART=\"TCP\",\"lab.example\",7");
  b.module.socket_in(SocketEvent{.kind = SocketEvent::Kind::opened, .link = b.sockets.back().link}, b.now);
  b.take();
  CHECK(b.command("AT+CIPSEND") == "AT+CIPSEND\r\r\n> ");
  b.module.uart_in("GET /\r\n\x1a", b.now);
  CHECK(b.take() == "GET /\r\n\r\nSEND OK\r\n");  // echoed as typed, CR LF included; Ctrl-Z is not
  CHECK(b.sockets.back().kind == SocketRequest::Kind::send);
  CHECK(b.sockets.back().data == "GET /\r\n");
  auto sent = b.sockets.size();
  CHECK(b.command("AT+CIPSEND") == "AT+CIPSEND\r\r\n> ");
  b.module.uart_in("never\x1b", b.now);
  CHECK(b.take() == "never\r\nOK\r\n");
  CHECK(b.sockets.size() == sent);  // nothing went out
  CHECK(b.command("AT+CIPSEND") == "AT+CIPSEND\r\r\n> ");
  b.module.uart_in("\x1a", b.now);
  CHECK(b.take() == "\r\nERROR\r\n");  // nothing typed
}
