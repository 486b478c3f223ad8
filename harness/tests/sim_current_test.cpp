// What the virtual module draws in each state, against its model's figures (sim/models.cpp),
// and the faults that change it: driven on a controlled clock, averaged as an instrument would.
#include <doctest/doctest.h>

#include "sim/faults.hpp"
#include "tests/sim_bench.hpp"

using namespace athil::sim;
using namespace std::chrono_literals;

using Bench = athil::test::SimBench;

namespace {

// The module's average over the next `span` as a 10 kHz meter reads it, the clock not moving.
double average(const Bench& b, std::chrono::milliseconds span) {
  Draw d = b.module.draw();
  double sum = 0;
  int n = 0;
  for (auto t = b.now; t < b.now + span; t += 100us, ++n) sum += d.at(t);
  return sum / n;
}

double peak(const Bench& b, std::chrono::milliseconds span) {
  Draw d = b.module.draw();
  double top = 0;
  for (auto t = b.now; t < b.now + span; t += 100us) top = std::max(top, d.at(t));
  return top;
}

Faults faults(std::string_view list) {
  Faults f;
  add_faults(f, list);
  return f;
}

const CurrentFigures& figures(const char* model) { return find_model(model)->current; }

// PSM timers: T3412 1 min, T3324 2 s; PSM comes after the network's release and the active time.
void enter_psm(Bench& b) {
  b.command("AT+CPSMS=1,,,\"10100001\",\"00000001\"");
  b.run_for(13s);
  REQUIRE(b.module.state_name() == std::string("psm"));
}

}  // namespace

TEST_CASE("current: off, booting, searching and registered (DRX paging) each draw the model's figure") {
  Bench b("SIM7000G");
  const auto& f = figures("SIM7000G");
  CHECK(average(b, 1s) == doctest::Approx(f.off));
  b.module.pin_in(Pin::pwrkey, Level::low, b.now, b.now);
  b.run_for(1200ms);
  b.module.pin_in(Pin::pwrkey, Level::high, b.now, b.now);
  CHECK(average(b, 1s) == doctest::Approx(f.boot));
  b.run_for(5s);
  b.sync();  // registered: the average over whole DRX cycles is the manual's idle figure
  CHECK(average(b, 12800ms) == doctest::Approx(f.idle).epsilon(0.02));
  CHECK(peak(b, 1280ms) == doctest::Approx(f.paging_peak));
  b.command("AT+CFUN=0");
  CHECK(average(b, 1s) == doctest::Approx(f.minimum));
  b.command("AT+CFUN=1", 100ms);
  CHECK(average(b, 1s) == doctest::Approx(f.searching));
  b.module.pin_in(Pin::supply, Level::low, b.now, b.now);
  CHECK(average(b, 1s) == 0);
}

TEST_CASE("current: CSCLK sleep and eDRX lower the idle draw, PSM drops to the model's floor (SIM7080G 3.2 uA)") {
  Bench b("SIM7080G");
  const auto& f = figures("SIM7080G");
  b.boot();
  double idle = average(b, 12800ms);
  CHECK(b.command("AT+CSCLK=1") == "AT+CSCLK=1\r\r\nOK\r\n");
  b.run_for(3s);  // DTR high, no input: the UART sleeps
  CHECK(average(b, 12800ms) == doctest::Approx(f.sleep).epsilon(0.02));
  CHECK(b.command("AT+CEDRXS=1,4,\"0101\"").empty());  // asleep: not heard
  b.module.pin_in(Pin::dtr, Level::low, b.now, b.now);
  b.run_for(100ms);
  CHECK(b.command("AT+CEDRXS=1,4,\"0101\"") == "AT+CEDRXS=1,4,\"0101\"\r\r\nOK\r\n");
  double edrx = average(b, 81920ms);  // one 81.92 s eDRX cycle: one paging occasion instead of 64
  CHECK(edrx < idle);
  CHECK(peak(b, 81920ms) == doctest::Approx(f.paging_peak));
  b.module.pin_in(Pin::dtr, Level::high, b.now, b.now);
  enter_psm(b);
  CHECK(average(b, 10s) == doctest::Approx(3.2e-6));
}

TEST_CASE("current: a network request on the air draws the transmit figure, GNSS adds its own") {
  Bench b("SIM7080G");
  const auto& f = figures("SIM7080G");
  b.boot();
  b.command("AT+CNACT=0,1", 1s);
  b.command("AT+CAOPEN=0,0,\"TCP\",\"127.0.0.1\",80", 10ms);  // waiting on the host's socket
  CHECK(average(b, 100ms) == doctest::Approx(f.transmit));
  b.module.socket_in(SocketEvent{.kind = SocketEvent::Kind::failed, .link = b.sockets.back().link}, b.now);
  b.run_for(100ms);
  b.take();
  double idle = average(b, 12800ms);
  CHECK(b.command("AT+CGNSPWR=1") == "AT+CGNSPWR=1\r\r\nOK\r\n");
  CHECK(average(b, 12800ms) == doctest::Approx(idle + f.gnss));
}

TEST_CASE("fault sleep-current-creep: the PSM floor rises by its step with each wake, and a power cycle clears it") {
  Bench b("SIM7080G", nullptr, faults("sleep-current-creep=100uA"));
  b.boot();
  enter_psm(b);
  CHECK(average(b, 1s) == doctest::Approx(3.2e-6));
  for (int wake = 1; wake <= 3; ++wake) {
    b.press(100ms);  // a PWRKEY edge wakes it
    b.run_for(1s);
    REQUIRE(b.module.state_name() == std::string("on"));
    b.run_for(13s);  // released, active time over: asleep again
    REQUIRE(b.module.state_name() == std::string("psm"));
    CHECK(average(b, 1s) == doctest::Approx(3.2e-6 + wake * 100e-6));
  }
  Bench healthy("SIM7080G");
  healthy.boot();
  enter_psm(healthy);
  healthy.press(100ms);
  healthy.run_for(14s);
  CHECK(average(healthy, 1s) == doctest::Approx(3.2e-6));
}

TEST_CASE("fault psm-no-enter: PSM is granted but never entered: no ENTER PSM, the module answers and draws idle current") {
  Bench b("SIM7000G", nullptr, faults("psm-no-enter"));
  b.boot();
  b.command("AT+CPSMSTATUS=1");
  CHECK(b.command("AT+CPSMS=1,,,\"10100001\",\"00000001\"") == "AT+CPSMS=1,,,\"10100001\",\"00000001\"\r\r\nOK\r\n");
  b.run_for(60s);
  CHECK(b.take().find("ENTER PSM") == std::string::npos);
  CHECK(b.module.state_name() == std::string("on"));
  CHECK(average(b, 12800ms) == doctest::Approx(figures("SIM7000G").idle).epsilon(0.02));
  CHECK(b.command("AT") == "AT\r\r\nOK\r\n");
}

TEST_CASE("current: each model's figures are sane: PSM below sleep below idle below transmit, paging peaks above idle") {
  for (auto name : model_names()) {
    CAPTURE(name);
    const auto& f = find_model(name)->current;
    CHECK(f.psm < f.sleep);
    CHECK(f.sleep < f.idle);
    CHECK(f.idle < f.transmit);
    CHECK(f.off < f.sleep);
    CHECK(f.paging_peak > f.idle);
  }
  CHECK(edrx_cycle("0000") == 5120ms);
  CHECK(edrx_cycle("0101") == 81920ms);
  CHECK(edrx_cycle("1111") == 10485760ms);
  CHECK(edrx_cycle("012") == 0ms);
}
