// Each model as a host sees it: `athil sim` started as a process, its pseudo-terminal opened
// as a serial port, its PWRKEY pressed through the control channel.
#include <doctest/doctest.h>

#include <thread>

#include <fmt/format.h>

#include "base/duration.hpp"
#include "rig/model.hpp"
#include "rig/pins.hpp"
#include "rig/virtual_module.hpp"
#include "tests/support.hpp"
#include "transport/serial_port.hpp"

using namespace athil;
using namespace std::chrono_literals;

namespace {

struct Host {
  SerialPort port;
  std::string seen;

  Host(const std::string& link, unsigned baud) : port(link, SerialPort::Settings{baud, false}) {}

  // Reads until `what` has arrived (true) or the time is up (false); what came stays in `seen`.
  bool read_until(std::string_view what, Duration within) {
    auto deadline = Clock::now() + within;
    while (seen.find(what) == std::string::npos) {
      if (Clock::now() >= deadline) return false;
      seen += port.read_some(deadline);
    }
    return true;
  }
  std::string ask(const std::string& command, Duration within = 3s) {
    seen.clear();
    port.write_all(command + "\r", Clock::now() + 1s);
    read_until("OK\r\n", within);
    return std::exchange(seen, {});
  }
};

void press(rig::Pins& pins, Duration hold) {
  pins.set(rig::PinRole::pwrkey, rig::Level::low);
  std::this_thread::sleep_for(hold);
  pins.set(rig::PinRole::pwrkey, rig::Level::high);
}

// A SIM7080G powered by its PWRKEY and booted to SMS Ready, its port open at 115200.
struct BootedSim7080 {
  explicit BootedSim7080(double scale)
      : module(rig::Slot{"p1", "SIM7080G", "1951B02SIM7080G", {}, rig::VirtualSlot{}, {}}, scale, {test::athil_exe(), dir.path(), dir.path() / "sim.log"}),
        host(module.port_link(), 115200),
        pins(rig::connect_virtual_pins("p1", module.control_socket())) {
    press(*pins, TimeScale(scale).hold(1200ms));
    REQUIRE(host.read_until("SMS Ready", 10s));
  }
  test::TempDir dir;
  rig::VirtualModuleProcess module;
  Host host;
  std::unique_ptr<rig::Pins> pins;
};

struct Expected {
  const char* model;
  const char* firmware;
  const char* cgmm;
  Duration boot;  // PWRKEY recognised (1 s) to UART ready
  const char* bearer_on;
  const char* bearer_urc;
};

}  // namespace

TEST_CASE("virtual rack: every model through its pseudo-terminal: boot time, identification, bearer syntax, autobaud") {
  constexpr double scale = 0.05;
  const Expected models[] = {
      {"SIM7000G", "1529B08SIM7000G", "SIMCOM_SIM7000G", 4500ms, "AT+CNACT=1,\"cmnet\"", "+APP PDP: ACTIVE"},
      {"SIM7070G", "1951B05SIM7070", "SIMCOM_SIM7070", 2000ms, "AT+CNACT=0,1", "+APP PDP: 0,ACTIVE"},
      {"SIM7080G", "1951B02SIM7080G", "SIMCOM_SIM7080", 1800ms, "AT+CNACT=0,1", "+APP PDP: 0,ACTIVE"},
      {"SIM7090G", "2110B01SIM7090", "SIMCOM_SIM7090", 2000ms, "AT+CNACT=0,1", "+APP PDP: 0,ACTIVE"},
  };
  for (const auto& m : models) {
    CAPTURE(m.model);
    test::TempDir dir;
    rig::Slot slot{"p1", m.model, m.firmware, {}, rig::VirtualSlot{}, {}};
    rig::VirtualModuleProcess module(slot, scale, {test::athil_exe(), dir.path(), dir.path() / "sim.log"});
    Host host(module.port_link(), 115200);
    auto pins = rig::connect_virtual_pins("p1", module.control_socket());
    CHECK(pins->has(rig::PinRole::reset) == (std::string(m.model) == "SIM7000G"));

    auto pressed = Clock::now();
    press(*pins, TimeScale(scale).hold(1200ms));
    bool autobaud = std::string(m.model) == "SIM7000G";
    if (!autobaud) {
      REQUIRE(host.read_until("\r\nRDY\r\n", 10s));
      // Lower bound only: a loaded machine may make it later, never sooner.
      CHECK(Clock::now() - pressed >= TimeScale(scale).hold(1000ms + m.boot) * 9 / 10);
      CHECK(host.seen.rfind("\r\nRDY\r\n", 0) == 0);
      REQUIRE(host.read_until("\r\nSMS Ready\r\n", 10s));
      CHECK(host.seen == "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nSMS Ready\r\n");
    } else {
      // Autobauding: STATUS comes up, the UART says nothing, the first AT goes to the rate.
      auto deadline = Clock::now() + 10s;
      while (pins->get(rig::PinRole::status) != rig::Level::high && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
      CHECK(Clock::now() - pressed >= TimeScale(scale).hold(1000ms + m.boot) * 9 / 10);
      CHECK_FALSE(host.read_until("RDY", 500ms));
      CHECK(host.seen.empty());
      host.port.write_all("AT\r", Clock::now() + 1s);
      CHECK_FALSE(host.read_until("OK", 500ms));
      CHECK(host.seen.empty());
    }
    CHECK(host.ask("AT") == "AT\r\r\nOK\r\n");
    CHECK(host.ask("AT+GMR") == fmt::format("AT+GMR\r\r\nRevision:{}\r\n\r\nOK\r\n", m.firmware));
    CHECK(host.ask("AT+CGMM") == fmt::format("AT+CGMM\r\r\n{}\r\n\r\nOK\r\n", m.cgmm));
    CHECK(host.ask("AT+CGMI") == "AT+CGMI\r\r\nSIMCOM_Ltd\r\n\r\nOK\r\n");
    auto ati = host.ask("ATI");
    CHECK(ati.rfind("ATI\r\r\n", 0) == 0);
    auto simcomati = host.ask("AT+SIMCOMATI");
    for (const char* field : {"\r\nRevision:", "\r\nCSUB:", "\r\nAPRev:", "\r\nQCN:", "\r\nIMEI:"}) CHECK(simcomati.find(field) != std::string::npos);
    // Registered a few seconds after boot, then the model's own bearer syntax.
    for (int i = 0; i < 50 && host.ask("AT+CEREG?").find("+CEREG: 0,1") == std::string::npos; ++i) std::this_thread::sleep_for(20ms);
    host.ask(m.bearer_on);
    CHECK(host.read_until(m.bearer_urc, 5s));
  }
}

TEST_CASE("virtual rack: bytes leave at the line rate: 100 KB at 115200 baud takes its wire time, scaled") {
  constexpr double scale = 0.1;
  BootedSim7080 booted(scale);
  auto& host = booted.host;
  host.ask("AT+CFSINIT");
  std::string chunk(10240, 'x');
  host.port.write_all("AT+CFSWFILE=3,\"big.bin\",0,10240,10000\r", Clock::now() + 1s);
  REQUIRE(host.read_until("DOWNLOAD", 5s));
  host.port.write_all(chunk, Clock::now() + 5s);
  REQUIRE(host.read_until("OK\r\n", 5s));
  auto started = Clock::now();
  std::size_t received = 0;
  for (int i = 0; i < 10; ++i) received += host.ask("AT+CFSRFILE=3,\"big.bin\",0,10240,0", 30s).size();
  auto took = Clock::now() - started;
  CHECK(received > 102400);
  // 10 bits a byte: 102,400 bytes are 8.9 s on the wire at 115200 baud, 0.89 s at this scale.
  auto wire = std::chrono::duration<double>(received * 10.0 / 115200 * scale);
  MESSAGE(fmt::format("{} bytes in {:.3f} s; the wire needs {:.3f} s", received, std::chrono::duration<double>(took).count(), wire.count()));
  CHECK(took >= wire * 0.95);
  CHECK(took < wire * 20);
}

TEST_CASE("virtual rack: a host at another baud rate than the module reads garbage, at the module's rate it works") {
  test::TempDir dir;
  rig::Slot slot{"p1", "SIM7080G", "1951B02SIM7080G", {}, rig::VirtualSlot{}, {}};
  rig::VirtualModuleProcess module(slot, 0.05, {test::athil_exe(), dir.path(), dir.path() / "sim.log"});
  auto pins = rig::connect_virtual_pins("p1", module.control_socket());
  {
    Host host(module.port_link(), 115200);
    press(*pins, TimeScale(0.05).hold(1200ms));
    REQUIRE(host.read_until("SMS Ready", 10s));
    CHECK(host.ask("AT+IPR=9600") == "AT+IPR=9600\r\r\nOK\r\n");  // OK at the old rate
    host.port.write_all("AT\r", Clock::now() + 1s);
    CHECK_FALSE(host.read_until("OK", 1s));
    CHECK_FALSE(host.seen.empty());  // the module's echo, mangled
    for (char c : host.seen) CHECK((static_cast<unsigned char>(c) & 0x80) != 0);
  }
  Host host(module.port_link(), 9600);
  host.port.write_all("\r", Clock::now() + 1s);  // ends the garbage line the module collected
  host.read_until("never", 300ms);
  CHECK(host.ask("AT+IPR?") == "AT+IPR?\r\r\n+IPR: 9600\r\n\r\nOK\r\n");
}

TEST_CASE("virtual rack: an SMS from the network through the control channel is announced and read back, spaces and all") {
  BootedSim7080 booted(0.05);
  auto& host = booted.host;
  auto& module = booted.module;
  CHECK(rig::ask_virtual_module("p1", module.control_socket(), "sms +15550199 meet at 10, gate B") == "ok");
  REQUIRE(host.read_until("+CMTI: \"SM\",1\r\n", 5s));
  host.ask("AT+CMGF=1");
  auto read = host.ask("AT+CMGR=1");
  CHECK(read.find("+CMGR: \"REC UNREAD\",\"+15550199\",\"\",\"") != std::string::npos);
  CHECK(read.find("\"\r\nmeet at 10, gate B\r\n\r\nOK\r\n") != std::string::npos);
  CHECK(rig::ask_virtual_module("p1", module.control_socket(), "sms +15550199") == "error sms needs a sender and a text: sms +15550100 hello");
}
