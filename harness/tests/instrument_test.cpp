// Current meters: quantities as files write them, the PPK2's wire read by the harness's own
// decoder from what the virtual PPK2 sends, and the PPK2 backend against `athil sim --ppk2`
// through its pseudo-terminal, the module's states and supply included.
#include <doctest/doctest.h>

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <functional>
#include <thread>

#include "base/error.hpp"
#include "base/quantity.hpp"
#include "instrument/ppk2.hpp"
#include "instrument/spec.hpp"
#include "instrument/stats.hpp"
#include "rig/pins.hpp"
#include "sim/models.hpp"
#include "sim/ppk2.hpp"
#include "tests/pty_pair.hpp"
#include "tests/support.hpp"
#include "transport/serial_port.hpp"

using namespace athil;
using namespace std::chrono_literals;

namespace {

bool throws_with(const std::function<void()>& f, const std::string& part) {
  try {
    f();
  } catch (const std::exception& e) {
    INFO(e.what());
    return test::contains(e.what(), part);
  }
  return false;
}

// `athil sim` with a virtual PPK2, its module off, at 1/20 of real time.
struct SimWithPpk2 {
  explicit SimWithPpk2(const char* model) {
    pid = test::spawn_process({test::athil_exe().string(), "sim", "--model", model, "--link", (dir.path() / "m").string(), "--ppk2",
                               (dir.path() / "ppk2").string(), "--time-scale", "0.05"},
                              dir.path(), dir.path() / "sim.log");
    REQUIRE(test::eventually([&] { return std::filesystem::exists(dir.path() / "ppk2") && std::filesystem::exists(dir.path() / "m.ctl"); }, 20s));
    pins = rig::connect_virtual_pins("s1", (dir.path() / "m.ctl").string());
  }
  ~SimWithPpk2() {
    ::kill(pid, SIGTERM);
    test::wait_process(pid);
  }
  std::string spec(const std::string& extra = "") const { return "ppk2:conn=" + (dir.path() / "ppk2").string() + extra; }
  void press(Duration hold) {
    pins->set(rig::PinRole::pwrkey, rig::Level::low);
    std::this_thread::sleep_for(hold);
    pins->set(rig::PinRole::pwrkey, rig::Level::high);
  }
  test::TempDir dir;
  int pid = -1;
  std::unique_ptr<rig::Pins> pins;
};

instrument::CurrentStats read_for(instrument::CurrentMeter& meter, Duration span, int decimate = 1, std::vector<instrument::Sample>* kept = nullptr) {
  auto capture = meter.start(instrument::CaptureOptions{.decimate = decimate});
  std::this_thread::sleep_for(span);
  auto samples = capture->take();
  CHECK(capture->lost() == 0);
  if (kept) *kept = samples;
  return instrument::summarize(samples);
}

}  // namespace

TEST_CASE("quantities: read with their prefixes, printed with three digits and the prefix that fits") {
  CHECK(parse_quantity("3.2uA", Unit::ampere) == doctest::Approx(3.2e-6));
  CHECK(parse_quantity("1.8 mA", Unit::ampere) == doctest::Approx(1.8e-3));
  CHECK(parse_quantity("41mC", Unit::coulomb) == doctest::Approx(0.041));
  CHECK(parse_quantity("3.8V", Unit::volt) == doctest::Approx(3.8));
  CHECK(parse_quantity("70\xc2\xb5"
                       "A",
                       Unit::ampere) == doctest::Approx(70e-6));
  CHECK(throws_with([] { parse_quantity("3.2uC", Unit::ampere); }, "the unit must be A"));
  CHECK(throws_with([] { parse_quantity("3.2kA", Unit::ampere); }, "'k' is not a prefix"));
  CHECK(throws_with([] { parse_quantity("mA", Unit::ampere); }, "does not start with a number"));
  CHECK(format_quantity(3.2e-6, Unit::ampere) == "3.2 uA");
  CHECK(format_quantity(0.167, Unit::ampere) == "167 mA");
  CHECK(format_quantity(0.041, Unit::coulomb) == "41 mC");
  CHECK(format_quantity(2.5, Unit::ampere) == "2.5 A");
  CHECK(format_quantity(0, Unit::ampere) == "0 A");
}

TEST_CASE("ppk2 metadata: a device's calibration is read, and text that is not a PPK2's is refused") {
  auto c =
      instrument::parse_ppk2_metadata("Calibrated: 0\nR0: 1003.3\nR1: 101.4\nR2: 10.3\nR3: 0.98\nR4: 0.051\nGS0: 0.0001\nGI0: 0.98\nO0: 12\nUG0: 1.01\nEND\n");
  REQUIRE(c);
  CHECK(c->r[0] == doctest::Approx(1003.3));
  CHECK(c->r[4] == doctest::Approx(0.051));
  CHECK(c->gi[0] == doctest::Approx(0.98));
  CHECK(c->o[0] == doctest::Approx(12));
  CHECK(c->gi[1] == 1);  // not reported: unit gain
  CHECK_FALSE(instrument::parse_ppk2_metadata("\r\nRDY\r\n"));
  CHECK_FALSE(instrument::parse_ppk2_metadata("R0: 1000\n"));  // no END
  CHECK_FALSE(instrument::parse_ppk2_metadata("R0: 0\nEND\n"));
}

TEST_CASE("ppk2 wire: the virtual device's words read back through the harness's decoder as the current encoded, 3.2 uA to 1 A") {
  sim::VirtualPpk2 device;
  auto t0 = sim::Draw::Time(1000s);
  std::string meta = device.input(std::string(1, '\x19'), t0);
  auto calibration = instrument::parse_ppk2_metadata(meta);
  REQUIRE(calibration);
  for (double amps : {3.2e-6, 9e-6, 250e-6, 11e-3, 60e-3, 167e-3, 0.5, 1.0}) {
    CAPTURE(amps);
    sim::DrawLog log;
    log.record(t0, sim::Draw{.floor = amps});
    device.input(std::string(1, '\x06'), t0);
    std::string words = device.samples_until(t0 + 100us, log);
    device.input(std::string(1, '\x07'), t0);
    REQUIRE(words.size() == 40);
    std::uint32_t w = 0;
    for (int b = 0; b < 4; ++b) w |= static_cast<std::uint32_t>(static_cast<unsigned char>(words[static_cast<std::size_t>(b)])) << (8 * b);
    double read = calibration->amps(w & 0x3fff, (w >> 14) & 7, 3.8);
    CHECK(read == doctest::Approx(amps).epsilon(0.01));  // within a percent: 14 bits in a range that fits
  }
}

TEST_CASE("a PPK2 stream that reaches the host inside a word, behind bytes of an earlier stream in flight, is read from its first whole word") {
  test::PtyPair port;
  sim::VirtualPpk2 device;
  const auto t0 = sim::Draw::Time(1000s);
  sim::DrawLog log;
  log.record(t0, sim::Draw{.floor = 11e-3});
  // The device on the master side: its metadata when asked; when told to start, three bytes of a
  // word an earlier stream left in flight, then 200 samples of 11 mA.
  std::jthread device_side([&](std::stop_token stop) {
    char buf[64];
    while (!stop.stop_requested()) {
      pollfd p{.fd = port.master.get(), .events = POLLIN, .revents = 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      ssize_t n = ::read(port.master.get(), buf, sizeof buf);
      if (n <= 0) continue;
      bool was_measuring = device.measuring();
      std::string answer = device.input(std::string_view(buf, static_cast<std::size_t>(n)), t0);
      if (device.measuring() && !was_measuring) answer += "\x12\x34\x56" + device.samples_until(t0 + 2ms, log);
      if (!answer.empty() && ::write(port.master.get(), answer.data(), answer.size()) != static_cast<ssize_t>(answer.size())) return;
    }
  });
  instrument::Ppk2 ppk2({.port = port.slave});
  auto capture = ppk2.start({});
  std::vector<instrument::Sample> samples;
  CHECK(test::eventually(
      [&] {
        for (auto& s : capture->take()) samples.push_back(s);
        return samples.size() >= 200;
      },
      10s));
  CHECK(samples.size() == 200);
  CHECK(capture->lost() == 0);
  for (const auto& s : samples) CHECK(s.amps == doctest::Approx(11e-3).epsilon(0.01));
}

TEST_CASE("virtual PPK2 through its pty: off, booting and registered with paging peaks read at the model's figures, stamped at 100 kHz") {
  SimWithPpk2 sim("SIM7000G");
  const auto& f = sim::find_model("SIM7000G")->current;
  auto meter = instrument::open_meter(instrument::parse_spec(sim.spec()));
  CHECK(test::contains(meter->describe(), "ampere meter at 3800 mV"));
  std::vector<instrument::Sample> samples;
  auto off = read_for(*meter, 300ms, 1, &samples);
  CHECK(off.average == doctest::Approx(f.off).epsilon(0.02));
  CHECK(off.samples > 10'000);  // 100 kHz for 0.3 s, the first and last reads aside
  REQUIRE(samples.size() > 2);
  CHECK(samples[1].at - samples[0].at == 10us);
  CHECK(samples.back().at <= Clock::now());
  sim.press(60ms);  // 1.2 s at 1/20
  auto boot = read_for(*meter, 100ms);
  CHECK(boot.average == doctest::Approx(f.boot).epsilon(0.02));
  // Registered 3 s (0.15 s here) after the 4.5 s boot: read whole DRX cycles (64 ms here).
  std::this_thread::sleep_for(600ms);
  auto idle = read_for(*meter, 640ms, 10);
  CHECK(idle.average == doctest::Approx(f.idle).epsilon(0.1));
  CHECK(idle.peak == doctest::Approx(f.paging_peak).epsilon(0.02));  // the peaks survive decimation
  CHECK(idle.lowest < f.idle);
}

namespace {

// Straight on the wire: start the stream, read nothing for `stall`, stop it, then read all the
// port still holds. Returns how many words came and whether their counters follow each other.
struct Stalled {
  std::size_t words = 0;
  bool in_order = true;
};
Stalled stall_reading(const std::filesystem::path& port_path, Duration stall) {
  SerialPort port(port_path, SerialPort::Settings{});
  port.write_all(std::string(1, '\x06'), Clock::now() + 1s);
  std::this_thread::sleep_for(stall);
  port.write_all(std::string(1, '\x07'), Clock::now() + 1s);
  std::string bytes;  // until a second passes without a byte: the device drains what it holds every 5 ms
  for (std::string got; !(got = port.read_some(Clock::now() + 1s)).empty();) bytes += got;
  Stalled seen{.words = bytes.size() / 4};
  auto counter = [&](std::size_t w) { return static_cast<unsigned char>(bytes[4 * w + 2]) >> 2; };  // bits 18 to 23
  for (std::size_t w = 1; w < seen.words; ++w) seen.in_order = seen.in_order && counter(w) == ((counter(w - 1) + 1) & 0x3f);
  return seen;
}

}  // namespace

TEST_CASE("virtual PPK2: a host late to read loses no samples while the device can hold them, and after that the newest, in whole words") {
  SimWithPpk2 sim("SIM7080G");
  // 80 ms of samples, 32 kB: more than the pty takes (17 KiB), less than the device and the pty
  // hold together (81 KiB).
  auto short_stall = stall_reading(sim.dir.path() / "ppk2", 80ms);
  CHECK(short_stall.words >= 5'500);  // 8,000 made; the sim may take the start late
  CHECK(short_stall.in_order);
  // 1 s, 400 kB: what the device and the pty hold arrives, the rest is lost, and what came is one
  // unbroken run.
  auto long_stall = stall_reading(sim.dir.path() / "ppk2", 1s);
  CHECK(long_stall.words >= 64 * 1024 / 4);
  CHECK(long_stall.words < 100 * 1024 / 4);
  CHECK(long_stall.in_order);
}

TEST_CASE("a virtual PPK2 a dead run left streaming, its buffer full, is stopped and read by the next run") {
  SimWithPpk2 sim("SIM7000G");
  {
    SerialPort port(sim.dir.path() / "ppk2", SerialPort::Settings{});
    port.write_all(std::string(1, '\x06'), Clock::now() + 1s);  // started, never stopped: the run died
  }
  std::this_thread::sleep_for(2s);  // what the device holds fills, with time to spare
  auto meter = instrument::open_meter(instrument::parse_spec(sim.spec()));
  auto off = read_for(*meter, 100ms);
  CHECK(off.average == doctest::Approx(sim::find_model("SIM7000G")->current.off).epsilon(0.02));
}

TEST_CASE("virtual PPK2 in source mode is the module's supply: its DUT switch cuts the module's power and restores it") {
  SimWithPpk2 sim("SIM7080G");
  instrument::Ppk2 ppk2({.port = sim.dir.path() / "ppk2", .mode = instrument::Ppk2::Mode::source, .millivolts = 3800});
  CHECK(test::contains(ppk2.describe(), "sourcing 3800 mV"));
  // Source mode with its switch off: unpowered, once the device has taken the mode command (the
  // constructor only sends it).
  CHECK(test::eventually([&] { return sim.pins->get(rig::PinRole::supply) == rig::Level::low; }, 10s));
  CHECK(read_for(ppk2, 100ms).average == 0);
  ppk2.dut_power(true);
  REQUIRE(test::eventually([&] { return sim.pins->get(rig::PinRole::supply) == rig::Level::high; }, 10s));
  CHECK(read_for(ppk2, 100ms).average == doctest::Approx(sim::find_model("SIM7080G")->current.off).epsilon(0.02));
  sim.press(60ms);
  REQUIRE(test::eventually([&] { return sim.pins->get(rig::PinRole::status) == rig::Level::high; }, 20s));
  ppk2.dut_power(false);
  REQUIRE(test::eventually([&] { return sim.pins->get(rig::PinRole::status) == rig::Level::low; }, 10s));  // power lost at once
}

TEST_CASE("an instrument that is absent, busy or not a PPK2 is an error that names it, and a bad spec is refused") {
  test::TempDir dir;
  CHECK(throws_with([&] { instrument::open_meter(instrument::parse_spec("ppk2:conn=" + (dir.path() / "none").string())); }, "cannot open"));
  {
    test::PtyPair module;  // something that answers, but not as a PPK2
    module.module_says("\r\nRDY\r\n");
    CHECK(throws_with([&] { instrument::Ppk2({.port = module.slave}); }, "answers nonsense for its metadata"));
  }
  SimWithPpk2 sim("SIM7080G");
  auto first = instrument::open_meter(instrument::parse_spec(sim.spec()));
  CHECK(throws_with([&] { instrument::open_meter(instrument::parse_spec(sim.spec())); }, "in use"));
  CHECK(throws_with([] { instrument::parse_spec("ppk2:conn"); }, "is not key=value"));
  CHECK(throws_with([] { instrument::open_meter(instrument::parse_spec("keysight:conn=x")); }, "nor libsigrok's"));
  CHECK(throws_with([] { instrument::open_meter(instrument::parse_spec("ppk2:mode=source")); }, "conn= names its serial port"));
  CHECK(throws_with([] { instrument::open_meter(instrument::parse_spec("ppk2:conn=x:voltage=6V")); }, "outside the 0.8 V to 5 V"));
}
