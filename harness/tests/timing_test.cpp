// Timing as the wire has it: a pin edge reaches the host at once, the module's bytes after the
// port's latency (a USB-serial adapter's timer, ser2net's network). The rules that relate the
// two channels, the adapter the virtual rack models, the library on a rack of such slots, and
// what a scenario leaves the next one (the firmware).
// A run's whole output goes with a wrong exit code only: a failing case names itself, first, in
// what CI keeps of a long log.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include "runner/restart_window.hpp"
#include "sim/adapter.hpp"
#include "tests/rack_support.hpp"

using namespace athil::test;
using athil::runner::RestartWindow;
using athil::sim::UsbSerialAdapter;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// A rack of virtual slots, two of each model (one under the sanitizers, below), every one behind an
// adapter of `latency` and measured by its virtual PPK2 (whose stream the adapter does not delay: it is a USB device of its own).
// Under the sanitizers (two to three times slower, 2 cores) a rack of eight at time scale 0.02
// stalled a slot's thread long enough to stretch a 100 ms PWRKEY press past the module's 1 s
// hold (seen: 62 ms on the host, 18 ms allowed), when the host still timed virtual presses
// (the module times them now): there the rack is one slot of each model at 0.04, twice the
// room for the other bounds with half the load.
#ifdef ATHIL_SANITIZED
constexpr int slots_per_model = 1;
constexpr const char* rack_time_scale = "0.04";
#else
constexpr int slots_per_model = 2;
constexpr const char* rack_time_scale = "0.02";
#endif

std::string rack_behind(const std::string& latency) {
  struct Model {
    const char *name, *firmware, *target;
  };
  const Model models[] = {{"SIM7080G", "1951B02SIM7080G", "1951B03SIM7080G"},
                          {"SIM7000G", "1529B08SIM7000G", "1529B10SIM7000G"},
                          {"SIM7070G", "1951B05SIM7070", "1951B07SIM7070"},
                          {"SIM7090G", "2110B01SIM7090", "2110B03SIM7090"}};
  std::string rig = std::string("<rig name=\"lat\" time-scale=\"") + rack_time_scale + "\">\n";
  int n = 0;
  for (const auto& m : models)
    for (int k = 0; k < slots_per_model; ++k)
      rig += "  <slot name=\"s" + std::to_string(++n) + "\" model=\"" + m.name + "\" firmware=\"" + m.firmware + "\" fota-target=\"" + m.target +
             "\"><virtual latency=\"" + latency + "\"/><instrument spec=\"ppk2\"/></slot>\n";
  return rig + "</rig>\n";
}

void library_passes_behind(const std::string& latency) {
  TempDir dir;
  auto rig = dir.write("rig.xml", rack_behind(latency));
  auto junit = dir.path() / "out" / "junit.xml";
  auto r = run_process({athil_exe().string(), "run", "--rig", rig.string(), "--tag", "smoke,nightly", "--junit", junit.string()}, source_dir());
  CHECK_MESSAGE(r.exit_code == 0, r.out, r.err);
  auto report = read_report(junit);
  REQUIRE(report.suites.size() == 4 * slots_per_model);
  for (auto& [suite, cases] : report.suites) {
    CHECK_MESSAGE(cases.size() >= 15, suite);
    for (auto& [name, c] : cases) CHECK_MESSAGE(c.verdict == "passed", suite, " ", name, ": ", c.message);
  }
}

}  // namespace

TEST_CASE("restart window: a STATUS fall that reaches the host before the OK of AT+CREBOOT is that restart, the updater's restart before the last URC is not") {
  RestartWindow w;
  // Booted at 1.0 s. AT+CREBOOT written at 5.000 s; the module answers OK and goes down at
  // 5.0008 s, but the OK is read only at 5.0012 s, 16 ms adapters being what they are.
  w.status_edge(1'000'000, true);
  w.status_edge(5'000'800, false);
  auto open = w.opens(4'000'000, 5'000'000, 5'001'200);
  CHECK(open == 5'000'000);
  CHECK(w.fell_after(open));
  // Read by the old rule (after the line last taken), the fall was missed.
  CHECK_FALSE(w.fell_after(5'001'200));

  // FOTA: AT+CFOTA=1 at 10 s, the updater's restart (down 10.1 s, up 11 s), progress URCs, the
  // last one read at 30 s. The restart waited for is the one after it, not the updater's.
  RestartWindow fota;
  fota.status_edge(1'000'000, true);
  fota.status_edge(10'100'000, false);
  fota.status_edge(11'000'000, true);
  auto after_last_urc = fota.opens(9'000'000, 10'000'000, 30'000'000);
  CHECK(after_last_urc == 11'000'000);
  CHECK_FALSE(fota.fell_after(after_last_urc));
  // The final restart's fall, even stamped before the last URC was read (it came through the adapter later).
  fota.status_edge(29'990'000, false);
  CHECK(fota.fell_after(fota.opens(9'000'000, 10'000'000, 30'000'000)));
}

TEST_CASE("USB-serial adapter: the module's bytes wait for the latency timer, or go at once as a full 62-byte packet") {
  UsbSerialAdapter adapter(16ms);
  auto t0 = std::chrono::steady_clock::now();
  CHECK(adapter.receive("\r\nOK\r\n", t0).empty());
  REQUIRE(adapter.due());
  CHECK(*adapter.due() == t0 + 16ms);
  CHECK(adapter.receive("\r\n+CSQ: 20,99\r\n", t0 + 5ms).empty());
  CHECK(*adapter.due() == t0 + 16ms);  // the timer runs from the oldest byte held
  CHECK(adapter.release() == "\r\nOK\r\n\r\n+CSQ: 20,99\r\n");
  CHECK_FALSE(adapter.due());
  std::string burst(150, 'x');
  auto sent = adapter.receive(burst, t0 + 20ms);
  CHECK(sent.size() == 124);  // two packets now, the rest held
  CHECK(adapter.release().size() == 26);
}

TEST_CASE("athil sim --latency: an answer reaches the host no sooner than the adapter's timer lets it") {
  TempDir dir;
  auto link = (dir.path() / "tty").string();
  int pid = spawn_process({athil_exe().string(), "sim", "--link", link, "--power-on", "--time-scale", "0.02", "--latency", "300ms", "--exit-with-parent",
                           std::to_string(::getpid())},
                          source_dir());
  // --power-on boots the module when the port is first opened.
  REQUIRE(eventually([&] { return std::filesystem::exists(link); }));
  int fd = ::open(link.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  termios tio{};
  ::tcgetattr(fd, &tio);
  ::cfmakeraw(&tio);
  ::tcsetattr(fd, TCSANOW, &tio);
  REQUIRE(eventually([&] { return pin_get(link, "status") == "status high\n"; }));
  // The boot URCs come through the adapter too: read them until the port is quiet.
  char buf[256];
  for (pollfd p{fd, POLLIN, 0}; ::poll(&p, 1, 1000) == 1;) REQUIRE(::read(fd, buf, sizeof buf) > 0);
  auto sent = std::chrono::steady_clock::now();
  REQUIRE(::write(fd, "AT\r", 3) == 3);
  std::string got;
  while (got.find("OK\r\n") == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    REQUIRE(::poll(&p, 1, 10'000) == 1);
    auto n = ::read(fd, buf, sizeof buf);
    REQUIRE(n > 0);
    if (got.empty()) CHECK(std::chrono::steady_clock::now() - sent >= 250ms);  // the first byte waited for the timer
    got.append(buf, static_cast<std::size_t>(n));
  }
  CHECK(got == "AT\r\r\nOK\r\n");
  ::close(fd);
  ::kill(pid, SIGTERM);
  wait_process(pid);
}

TEST_CASE(
    "the restart race of a real rack: behind a 16 ms adapter a healthy module restarts by AT+CREBOOT and AT+CFUN=1,1, and the transcript says which channel "
    "came first") {
  TempDir dir;
  auto rig = dir.write("rig.xml", R"xml(<rig name="race" time-scale="0.02">
  <slot name="a" model="SIM7080G" firmware="1951B02SIM7080G"><virtual latency="16ms"/></slot>
  <slot name="b" model="SIM7000G" firmware="1529B08SIM7000G"><virtual latency="16ms" ipr="115200"/></slot>
</rig>)xml");
  auto junit = dir.path() / "out" / "junit.xml";
  auto r = run_process({athil_exe().string(), "run", "--rig", rig.string(), "scenarios/power/restart-commands.xml", "--repeat", "3", "--junit", junit.string()},
                       source_dir());
  CHECK_MESSAGE(r.exit_code == 0, r.out, r.err);
  auto report = read_report(junit);
  int noted = 0;
  for (const char* suite : {"race.a", "race.b"})
    for (auto& [name, c] : report.suites[suite]) {
      CHECK_MESSAGE(c.verdict == "passed", suite, " ", name, ": ", c.message);
      noted += contains(c.out, "reached the host") && contains(c.out, "before the bytes read next");
    }
  CHECK(noted > 0);
}

TEST_CASE("the library passes on a rack of 8 slots behind 16 ms USB-serial adapters") { library_passes_behind("16ms"); }

TEST_CASE("the library passes on a rack of 8 slots behind 40 ms of latency, as ser2net over a LAN") { library_passes_behind("40ms"); }

TEST_CASE("firmware between scenarios: each testcase says the revision it started on, and one that leaves another revision than the rig's says so") {
  TempDir dir;
  auto rig = dir.write("rig.xml", R"xml(<rig name="fw" time-scale="0.02">
  <slot name="a" model="SIM7080G" firmware="1951B02SIM7080G" fota-target="1951B03SIM7080G"><virtual/></slot>
</rig>)xml");
  dir.write("sc/1-update-and-stay.xml", R"xml(<scenario name="update-and-stay" models="SIM7080G" requires="fota-target">
  <setup><use fixture="power-on"/></setup>
  <step name="bearer"><use fixture="attach"/></step>
  <step name="download"><use fixture="fota-download"><param name="delta" value="${firmware}___${fota_target}"/></use></step>
  <step name="update"><use fixture="fota-update"/></step>
  <step name="verify"><command send="AT+GMR" expect="Revision:${fota_target}"/></step>
  <teardown><use fixture="power-off"/></teardown>
</scenario>)xml");
  dir.write("sc/2-next.xml", scenario("next", power + R"xml(<step name="at"><command send="AT"/></step>)xml"));
  auto junit = dir.path() / "out" / "junit.xml";
  auto r = run_process({athil_exe().string(), "run", "--rig", rig.string(), (dir.path() / "sc").string(), "--junit", junit.string()}, source_dir());
  CHECK_MESSAGE(r.exit_code == 0, r.out, r.err);
  auto report = read_report(junit);
  auto& a = report.suites["fw.a"];
  CHECK(contains(a["update-and-stay"].out, "module revision at start: 1951B02SIM7080G"));
  CHECK(contains(a["update-and-stay"].out, "this scenario left the module at revision 1951B03SIM7080G, not the rig's 1951B02SIM7080G"));
  CHECK(contains(a["next"].out, "module revision at start: 1951B03SIM7080G"));
  CHECK(contains(r.out, "update-and-stay                          left the module at revision 1951B03SIM7080G"));
  std::string summary = read_file(dir.path() / "out" / "latest" / "summary.md");
  CHECK(contains(summary, "| update-and-stay | passed |"));
  CHECK(contains(summary, "| 1951B02SIM7080G (left at 1951B03SIM7080G) |"));
}
