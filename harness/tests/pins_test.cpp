// The rig layer against a running virtual module: its control channel as a rig's pins.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include <fmt/format.h>

#include "at/engine.hpp"
#include "base/error.hpp"
#include "rig/model.hpp"
#include "rig/pins.hpp"
#include "rig/power.hpp"
#include "rig/virtual_module.hpp"
#include "runner/firmware_server.hpp"
#include "tests/support.hpp"
#include "transport/serial_port.hpp"

using namespace athil;
using namespace std::chrono_literals;

TEST_CASE("virtual rack: PWRKEY through the control channel powers the module and STATUS follows") {
  test::TempDir dir;
  rig::Slot slot{"p1", "SIM7080G", "1951B02SIM7080G", {}, rig::VirtualSlot{}, {}};
  rig::VirtualModuleProcess module(slot, 0.05, {test::athil_exe(), dir.path(), dir.path() / "sim.log"});
  SerialPort port(module.port_link(), SerialPort::Settings{});
  auto pins = rig::connect_virtual_pins("p1", module.control_socket());
  Timeline timeline;
  AtEngine engine(port, timeline, Dialect::sim70x0("SIM7080G"));
  auto rdy = [](const std::string& l) { return l == "RDY"; };
  CHECK(pins->get(rig::PinRole::status) == rig::Level::low);

  // A 0.3 s press (scaled) is too short.
  pins->set(rig::PinRole::pwrkey, rig::Level::low);
  engine.drain_until(Clock::now() + TimeScale(0.05).hold(300ms));
  pins->set(rig::PinRole::pwrkey, rig::Level::high);
  CHECK_FALSE(engine.wait_urc(rdy, Clock::now() + 1s).has_value());  // 1 s is 11 boot times at this scale
  CHECK(pins->get(rig::PinRole::status) == rig::Level::low);

  pins->set(rig::PinRole::pwrkey, rig::Level::low);
  engine.drain_until(Clock::now() + TimeScale(0.05).hold(1200ms));
  pins->set(rig::PinRole::pwrkey, rig::Level::high);
  CHECK(engine.wait_urc(rdy, Clock::now() + 10s).has_value());
  CHECK(pins->get(rig::PinRole::status) == rig::Level::high);
  auto events = pins->take_events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].role == rig::PinRole::status);
  CHECK(events[0].level == rig::Level::high);
  CHECK_THROWS_WITH_AS(pins->set(rig::PinRole::status, rig::Level::low), doctest::Contains("answered 'error"), InfraError);
}

// At time scale 0.02 a 100 ms press is 2 ms on the host, and a loaded 2-core machine has
// stalled a harness thread for 25 ms in the middle of one (the default run's power-psm-current):
// a press the module takes for a 1.25 s one.
TEST_CASE("virtual rack: a press the harness ends late is still the press asked for, timed by the module, and a host-timed one is reported") {
  test::TempDir dir;
  rig::Slot slot{"p3", "SIM7080G", "1951B02SIM7080G", {}, rig::VirtualSlot{}, {}};
  const TimeScale scale(0.02);
  rig::VirtualModuleProcess module(slot, scale.factor(), {test::athil_exe(), dir.path(), dir.path() / "sim.log"});
  auto pins = rig::connect_virtual_pins("p3", module.control_socket());
  auto ask = [&](const std::string& request) { return rig::ask_virtual_module("p3", module.control_socket(), request); };
  // An injected stall: every wait of the harness ends 50 ms late, 2.5 s of module time.
  auto stalled = [](Deadline until) { std::this_thread::sleep_until(until + 50ms); };
  std::vector<std::pair<std::string, Clock::time_point>> notes;
  rig::PowerControl by_module(*pins, slot.model, scale, stalled, [&](const std::string& text, Clock::time_point when) { notes.emplace_back(text, when); });

  // A 100 ms press stays one: the module, off, stays off, and measured the press asked for; the
  // timeline has the release when it happened, not when the stalled harness got round to it.
  CHECK_NOTHROW(by_module.press(rig::PinRole::pwrkey, 100ms));
  CHECK(ask("state").rfind("state off ", 0) == 0);
  CHECK(ask("pulses pwrkey") == fmt::format("pulses pwrkey 1 {}", scale.hold(100ms).count()));
  REQUIRE(notes.size() == 2);
  CHECK(notes[0].first == "pwrkey low");
  CHECK(notes[1].first == "pwrkey high");
  CHECK(notes[1].second - notes[0].second == scale.hold(100ms));
  // The power-on hold still powers it on.
  by_module.press(rig::PinRole::pwrkey, 1200ms);
  CHECK(ask("state").rfind("state off ", 0) != 0);

  // Timed by the host, as a GPIO line's press is, the stall stretches it, and athil says so.
  auto host_timed = rig::timed_by_host(*pins);
  rig::PowerControl by_host(*host_timed, slot.model, scale, stalled, [](const std::string&, Clock::time_point) {});
  CHECK_THROWS_WITH_AS(by_host.press(rig::PinRole::pwrkey, 100ms), doctest::Contains("the host is too slow for this time scale"), rig::PressOverrun);
  CHECK(pins->get(rig::PinRole::pwrkey) == rig::Level::high);  // released all the same
}

TEST_CASE("virtual rack: a module that cannot start is an infrastructure error with its log") {
  test::TempDir dir;
  rig::Slot slot{"p2", "SIM9999", "x", {}, rig::VirtualSlot{}, {}};
  CHECK_THROWS_WITH_AS(rig::VirtualModuleProcess(slot, 1.0, {test::athil_exe(), dir.path(), dir.path() / "sim.log"}),
                       doctest::Contains("unknown model 'SIM9999'"), InfraError);
}

TEST_CASE("GPIO: a missing chip is a clear error naming slot, chip and the cause") {
  rig::RealSlot wiring;
  wiring.gpio_chip = "athil-no-such-chip";
  wiring.lines = {rig::GpioLine{rig::PinRole::pwrkey, 4, true, {}}};
  CHECK_THROWS_WITH_AS(rig::open_gpio_pins("r1", wiring), doctest::Contains("slot r1: GPIO chip 'athil-no-such-chip' cannot be opened"), InfraError);
}

TEST_CASE("the bundled rigs load and a real slot's wiring is read as written") {
  auto rig = rig::load_rig((test::source_dir() / "rigs" / "virtual.xml").string());
  CHECK(rig.time_scale < 1.0);
  REQUIRE(!rig.slots.empty());
  CHECK(rig.slots[0].is_virtual());
  // The commented example for a real rack says what it shows.
  auto example = rig::load_rig((test::source_dir() / "rigs" / "example-rack.xml").string());
  REQUIRE(example.slots.size() == 4);
  const auto& s1 = std::get<rig::RealSlot>(example.slots[0].kind);
  CHECK(s1.rtscts);
  CHECK(s1.lines[0].role == rig::PinRole::pwrkey);
  CHECK(s1.lines[0].active_low);  // through an inverting transistor
  CHECK(std::get<rig::RealSlot>(example.slots[1].kind).lines[1].role == rig::PinRole::reset);
  const auto& s3 = std::get<rig::RealSlot>(example.slots[2].kind);
  CHECK(s3.usb);
  CHECK(s3.supply_off == std::vector<std::string>{"uhubctl", "--location", "1-1", "--ports", "3", "--action", "off"});
  CHECK(std::get<rig::RealSlot>(example.slots[3].kind).port == "socket://10.0.0.42:3333");
  test::TempDir dir;
  auto file = dir.write("r.xml", R"(<rig name="lab">
  <slot name="dut1" model="SIM7000G">
    <serial port="/dev/ttyUSB2" baud="115200" flow="rtscts"/>
    <gpio chip="gpiochip0"><line role="pwrkey" offset="17" active-low="true"/><line role="status" offset="27"/></gpio>
  </slot>
</rig>)");
  auto lab = rig::load_rig(file.string());
  const auto& real = std::get<rig::RealSlot>(lab.slots[0].kind);
  CHECK(real.rtscts);
  REQUIRE(real.lines.size() == 2);
  CHECK(real.lines[0].offset == 17);
  CHECK(real.lines[0].active_low);
  // The broker a real slot's module reaches: it then provides mqtt-broker; without one it does not.
  auto brokered = dir.write("m.xml", R"(<rig name="lab">
  <slot name="dut1" model="SIM7080G" mqtt-broker="broker.lab:1883"><serial port="/dev/ttyUSB2"/></slot>
  <slot name="dut2" model="SIM7080G"><serial port="/dev/ttyUSB3"/></slot>
  <slot name="v" model="SIM7080G" firmware="1951B02SIM7080G"><virtual/></slot>
</rig>)");
  auto m = rig::load_rig(brokered.string());
  REQUIRE(m.slots[0].mqtt_broker.has_value());
  CHECK(m.slots[0].mqtt_broker->host == "broker.lab");
  CHECK(m.slots[0].mqtt_broker->port == 1883);
  CHECK(m.slots[0].provides("mqtt-broker"));
  CHECK_FALSE(m.slots[0].uses_run_broker());
  CHECK_FALSE(m.slots[1].provides("mqtt-broker"));
  CHECK(test::contains(m.slots[1].how_to_provide("mqtt-broker"), "mqtt-broker=\"HOST:PORT\""));
  CHECK(m.slots[2].uses_run_broker());
  auto no_port =
      dir.write("n.xml", "<rig name=\"lab\">\n  <slot name=\"d\" model=\"SIM7080G\" mqtt-broker=\"broker.lab\"><serial port=\"/dev/x\"/></slot>\n</rig>");
  CHECK_THROWS_WITH_AS(rig::load_rig(no_port.string()), doctest::Contains("n.xml:2:35: mqtt-broker is HOST:PORT (broker.lab:1883), not 'broker.lab'"),
                       InputError);
  // A virtual slot's GNSS receiver: a point, or a track beside the rig file, each checked.
  dir.write("drive.csv", "0,50,8\n10,50.01,8\n");
  auto placed = rig::load_rig(dir.write("g.xml", R"(<rig name="lab">
  <slot name="a" model="SIM7080G" firmware="1951B02SIM7080G"><virtual gnss-track="drive.csv"/></slot>
  <slot name="b" model="SIM7080G" firmware="1951B02SIM7080G"><virtual gnss-at="50,8"/></slot>
</rig>)")
                                  .string());
  CHECK(std::get<rig::VirtualSlot>(placed.slots[0].kind).gnss_track == (dir.path() / "drive.csv").string());
  CHECK(std::get<rig::VirtualSlot>(placed.slots[1].kind).gnss_at == "50,8");
  auto off_globe = dir.write("o.xml", "<rig name=\"lab\">\n  <slot name=\"a\" model=\"SIM7080G\" firmware=\"x\"><virtual gnss-at=\"91,8\"/></slot>\n</rig>");
  CHECK_THROWS_WITH_AS(rig::load_rig(off_globe.string()), doctest::Contains("o.xml:2:57: latitude 91 is outside -90..90"), InputError);
  auto bad = dir.write("b.xml",
                       "<rig name=\"lab\">\n  <slot name=\"d\" model=\"SIM7000G\">\n    <serial port=\"/dev/x\"/>\n    <gpio chip=\"c\"><line role=\"pwrkye\" "
                       "offset=\"1\"/></gpio>\n  </slot>\n</rig>");
  CHECK_THROWS_WITH_AS(rig::load_rig(bad.string()), doctest::Contains("b.xml:4:26: unknown pin role 'pwrkye'"), InputError);
}

TEST_CASE("a rig file's mistakes come all in one pass, each at file:line:col, misspelt names with a suggestion") {
  test::TempDir dir;
  auto bad = dir.write("bad.xml", R"(<rig name="r" time-scale="fast">
  <slot name="a" model="SIM7080" firmware="x"><virtaul/></slot>
  <slot name="b" model="SIM7000G" firmwar="y"><serial port="/dev/ttyUSB0"/>
    <gpio chip="gpiochip0"><line role="pwrky" offset="3"/><lne role="status" offset="4"/></gpio>
  </slot>
  <slot name="a" model="SIM7070G" firmware="z"><virtual usb="maybe"/></slot>
  <vra name="x" value="1"/>
</rig>)");
  try {
    rig::load_rig(bad.string());
    FAIL("no error");
  } catch (const InputError& e) {
    std::vector<std::string> found;
    for (const auto& d : e.all()) found.push_back(d.pos.str().substr(d.pos.str().find("bad.xml")) + " " + d.message);
    CHECK(found ==
          std::vector<std::string>{
              "bad.xml:1:15 time-scale is a number above 0 (1 is real time), not 'fast'",
              "bad.xml:2:18 unknown model 'SIM7080' (did you mean 'SIM7080G'?) (the family: SIM7000G, SIM7000E, SIM7000A, SIM7000C, SIM7070G, "
              "SIM7070E, SIM7080G, SIM7090G)",
              // Not "a real slot needs <serial>": the misspelt element is the mistake.
              "bad.xml:2:47 unknown element <virtaul> in <slot> (did you mean 'virtual'?) (allowed: virtual, replay, serial, gpio, supply, instrument)",
              "bad.xml:3:35 <slot> has no attribute 'firmwar' (did you mean 'firmware'?) (allowed: name, model, firmware, fota-target, mqtt-broker)",
              "bad.xml:4:34 unknown pin role 'pwrky' (did you mean 'pwrkey'?) (pwrkey, reset, supply, status, netlight, dtr)",
              "bad.xml:4:59 unknown element <lne> in <gpio> (did you mean 'line'?) (allowed: line)",
              "bad.xml:6:9 a second slot named 'a'",
              "bad.xml:6:57 usb is \"true\" or \"false\", not 'maybe'",
              "bad.xml:7:3 unknown element <vra> in <rig> (did you mean 'var'?) (allowed: var, slot)",
          });
  }
}

TEST_CASE("a rig's serial port: ser2net's socket://, standard rates only, mistakes at file:line:col") {
  test::TempDir dir;
  auto serial = [&](const std::string& attributes) {
    return dir.write("s.xml", "<rig name=\"lab\">\n  <slot name=\"d\" model=\"SIM7080G\">\n    <serial " + attributes + "/>\n  </slot>\n</rig>\n");
  };
  auto net = rig::load_rig(serial(R"(port="socket://lab-pi:3001" baud="3686400" usb="true")").string());
  CHECK(std::get<rig::RealSlot>(net.slots[0].kind).port == "socket://lab-pi:3001");
  CHECK(std::get<rig::RealSlot>(net.slots[0].kind).baud == 3686400);
  CHECK_THROWS_WITH_AS(rig::load_rig(serial(R"(port="socket://lab-pi" )").string()), doctest::Contains("s.xml:3:13: the address needs :PORT after the host"),
                       InputError);
  CHECK_THROWS_WITH_AS(rig::load_rig(serial(R"(port="rfc2217://lab-pi:3001")").string()), doctest::Contains("a port is a device path or socket://HOST:PORT"),
                       InputError);
  CHECK_THROWS_WITH_AS(rig::load_rig(serial(R"(port="/dev/ttyUSB2" baud="115201")").string()),
                       doctest::Contains("s.xml:3:33: 115201 is not a standard baud rate"), InputError);
}

namespace {
// A plain HTTP/1.1 GET on a raw socket; returns the status line.
std::string http_status(unsigned short port, const std::string& target) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  REQUIRE(::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size()));
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) resp.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return resp.substr(0, resp.find("\r\n"));
}
}  // namespace

TEST_CASE("firmware server: serves files under its folder and nothing outside it") {
  test::TempDir dir;
  dir.write("fw/A___B/update.zip", "delta");
  dir.write("secret.txt", "outside");
  std::filesystem::create_symlink(dir.path() / "secret.txt", dir.path() / "fw" / "link.txt");
  runner::FirmwareServer server(dir.path() / "fw");
  CHECK(server.url().rfind("http://127.0.0.1:", 0) == 0);
  CHECK(http_status(server.port(), "/A___B/update.zip") == "HTTP/1.1 200 OK");
  CHECK(http_status(server.port(), "/A___B/missing.zip") == "HTTP/1.1 404 Not Found");
  CHECK(http_status(server.port(), "/../secret.txt") == "HTTP/1.1 404 Not Found");
  CHECK(http_status(server.port(), "/%2e%2e/secret.txt") == "HTTP/1.1 404 Not Found");
  CHECK(http_status(server.port(), "/link.txt") == "HTTP/1.1 404 Not Found");  // a symlink out of the folder
}
