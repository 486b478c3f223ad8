// The virtual bench DC source (an HP 66332A on SCPI): its protocol as the sim answers it, Debian's
// sigrok-cli (libsigrok's own scpi-pps driver) reading it on loopback TCP, and athil's libsigrok
// backend measuring the module through it and switching its supply.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>

#include <fstream>
#include <functional>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "base/error.hpp"
#include "instrument/sigrok.hpp"
#include "instrument/spec.hpp"
#include "instrument/stats.hpp"
#include "rig/pins.hpp"
#include "sim/models.hpp"
#include "sim/scpi_supply.hpp"
#include "tests/support.hpp"

using namespace athil;
using namespace std::chrono_literals;
using Source = sim::VirtualDcSource;

namespace {

std::vector<std::string> answers(Source& source, std::string_view line) {
  std::vector<std::string> out;
  for (const auto& r : source.line(line)) out.push_back(r.measure == Source::Measure::none ? r.text : "(measures)");
  return out;
}

// `athil sim` with a virtual bench supply, the module powered at once, at 1/20 of real time.
struct SimWithSupply {
  explicit SimWithSupply(const char* model) {
    pid = test::spawn_process(
        {test::athil_exe().string(), "sim", "--model", model, "--link", (dir.path() / "m").string(), "--scpi-supply", "0", "--powered", "--time-scale", "0.05"},
        dir.path(), dir.path() / "sim.log");
    std::smatch m;
    REQUIRE(test::eventually(
        [&] {
          log = test::read_file(dir.path() / "sim.log");
          return std::regex_search(log, m, std::regex("scpi-pps (tcp-raw/127\\.0\\.0\\.1/[0-9]+)")) && std::filesystem::exists(dir.path() / "m.ctl");
        },
        20s));
    conn = m[1];
    pins = rig::connect_virtual_pins("s1", (dir.path() / "m.ctl").string());
  }
  ~SimWithSupply() {
    ::kill(pid, SIGTERM);
    test::wait_process(pid);
  }
  test::TempDir dir;
  int pid = -1;
  std::string log, conn;
  std::unique_ptr<rig::Pins> pins;
};

instrument::CurrentStats binned_stats(instrument::CurrentMeter& meter, Duration span) {
  auto capture = meter.start({.bin = 1ms});
  std::this_thread::sleep_for(span);
  return instrument::summarize(capture->take());
}

}  // namespace

TEST_CASE("virtual 66332A: SCPI headers long or short, units in one line continuing their path, unknown headers queued as errors with no answer") {
  Source source;
  CHECK(answers(source, "*IDN?") == std::vector<std::string>{"HEWLETT-PACKARD,66332A,0,A.03.01"});
  CHECK(answers(source, ":SOUR:VOLT?") == std::vector<std::string>{"+3.80000E+00"});
  CHECK(answers(source, "source:voltage:level 4.2;:VOLTage?") == std::vector<std::string>{"+4.20000E+00"});
  CHECK(answers(source, "VOLT 25").empty());  // out of range: refused, queued
  CHECK(answers(source, "SYST:ERR?") == std::vector<std::string>{"-222,\"Data out of range\""});
  CHECK(answers(source, "MEAS:VOLT?;CURR?") == std::vector<std::string>{"(measures)", "(measures)"});
  CHECK(answers(source, "MEAS:POWER?").empty());                     // the 66332A has no such query: no answer at all
  CHECK(answers(source, "*STB?") == std::vector<std::string>{"4"});  // an error waits in the queue
  CHECK(answers(source, "SYST:ERR?;ERR?") == std::vector<std::string>{"-113,\"Undefined header\"", "+0,\"No error\""});
  // As libsigrok arms the status registers: the rest of the line continues STAT:OPER:.
  CHECK(answers(source, "STAT:OPER:PTR 3328;NTR 3328;ENAB 3328").empty());
  CHECK(answers(source, "STAT:OPER:NTR?;ENAB?") == std::vector<std::string>{"3328", "3328"});
  CHECK(answers(source, "STAT:OPER:COND?") == std::vector<std::string>{"256"});  // constant voltage while on
  CHECK(answers(source, "OUTP:STAT OFF").empty());
  CHECK_FALSE(source.output_on());
  CHECK(answers(source, "*STB?") == std::vector<std::string>{"128"});  // the output's end, a negative transition armed
  CHECK(answers(source, "STAT:OPER:EVEN?;COND?;:*STB?") == std::vector<std::string>{"256", "0", "0"});
}

TEST_CASE("virtual 66332A: a current measurement averages a sweep of 2048 points, paging peaks included, and reads zero with the output off") {
  Source source;
  sim::DrawLog log;
  auto t0 = sim::Draw::Time::clock::now();
  log.record(t0, sim::Draw{.floor = 0.010, .peak = 0.060, .period = 16ms, .width = 4ms, .phase = t0});
  double read = std::stod(source.measured(Source::Measure::current, t0, log));
  CHECK(read == doctest::Approx(0.010 + 0.050 * 4.0 / 16.0).epsilon(0.05));  // two whole cycles in the 31.9 ms sweep
  CHECK(std::stod(source.measured(Source::Measure::voltage, t0, log)) == doctest::Approx(3.8));
  source.line("OUTP OFF");
  CHECK(std::stod(source.measured(Source::Measure::current, t0, log)) == 0);
}

TEST_CASE("sigrok-cli finds the virtual bench supply with libsigrok's own scpi-pps driver and reads the module's current as athil does") {
  SimWithSupply sim("SIM7080G");
  auto scan = test::run_process({"/usr/bin/sigrok-cli", "-d", "scpi-pps:conn=" + sim.conn, "--scan"}, sim.dir.path());
  INFO(scan.out, scan.err);
  REQUIRE(scan.exit_code == 0);
  CHECK(test::contains(scan.out, "HP 66332A A.03.01"));
  CHECK(test::contains(scan.out, "V1 I1"));
  // Registered and idle after the boot (4.5 s module time) and the search.
  REQUIRE(test::eventually([&] { return sim.pins->get(rig::PinRole::status) == rig::Level::high; }, 20s));
  std::this_thread::sleep_for(1s);
  auto read = test::run_process({"/usr/bin/sigrok-cli", "-d", "scpi-pps:conn=" + sim.conn, "--channels", "I1", "--samples", "8"}, sim.dir.path());
  INFO(read.out, read.err);
  REQUIRE(read.exit_code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(read.out, m, std::regex("I1: ([0-9.]+) mA DC")));
  double theirs = std::stod(m[1]) / 1000;
  const auto& f = sim::find_model("SIM7080G")->current;
  CHECK(theirs == doctest::Approx(f.idle).epsilon(0.2));  // one 32 ms sweep: part of a DRX cycle
  auto meter = instrument::open_sigrok_meter(instrument::parse_spec("scpi-pps:conn=" + sim.conn));
  CHECK(test::contains(meter->describe(), "HP 66332A A.03.01 on " + sim.conn + ", channel I1"));
  auto ours = binned_stats(*meter, 1300ms);  // one DRX cycle is 64 ms here: many of them
  CHECK(ours.samples >= 10);
  CHECK(ours.average == doctest::Approx(f.idle).epsilon(0.05));
  CHECK(theirs == doctest::Approx(ours.average).epsilon(0.2));  // sigrok-cli's eight sweeps against athil's many
  CHECK(ours.peak < f.paging_peak);                             // a 32 ms sweep averages a 10 ms peak away, as the real one does
}

TEST_CASE("the bench supply is the module's supply: athil's backend turns its output off and the module loses power, on and it is supplied again") {
  SimWithSupply sim("SIM7000G");
  auto meter = instrument::open_sigrok_meter(instrument::parse_spec("scpi-pps:conn=" + sim.conn));
  CHECK(meter->supplies());
  REQUIRE(test::eventually([&] { return sim.pins->get(rig::PinRole::status) == rig::Level::high; }, 20s));
  meter->power(false);
  REQUIRE(test::eventually([&] { return sim.pins->get(rig::PinRole::status) == rig::Level::low; }, 10s));
  CHECK(sim.pins->get(rig::PinRole::supply) == rig::Level::low);
  CHECK(binned_stats(*meter, 300ms).average == 0);
  meter->power(true);
  REQUIRE(test::eventually([&] { return sim.pins->get(rig::PinRole::supply) == rig::Level::high; }, 10s));
  CHECK(binned_stats(*meter, 300ms).average == doctest::Approx(sim::find_model("SIM7000G")->current.off).epsilon(0.05));  // supplied, not on
}

TEST_CASE("a libsigrok meter that goes closes its own connection and nothing else: no descriptor of another thread's is closed under it") {
  SimWithSupply sim("SIM7080G");
  auto spec = instrument::parse_spec("scpi-pps:conn=" + sim.conn);
  auto first = instrument::open_sigrok_meter(spec);
  auto last = instrument::open_sigrok_meter(spec);
  first.reset();
  // The lowest free number: the one the first meter's connection had. A report being written
  // or a slot's port would get it the same way.
  int mine = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(mine >= 0);
  last.reset();  // libsigrok 0.5's sr_exit would close the first connection's number again here
  CHECK(::fcntl(mine, F_GETFD) != -1);
  ::close(mine);
}

TEST_CASE("a libsigrok instrument that is absent, of a driver libsigrok lacks, or without conn is an error that says so") {
  auto message = [](const std::function<void()>& f) -> std::string {
    try {
      f();
    } catch (const std::exception& e) {
      return e.what();
    }
    return "(no error)";
  };
  CHECK(test::contains(message([] { instrument::open_meter(instrument::parse_spec("scpi-pps:conn=tcp-raw/127.0.0.1/1")); }), "nothing answered"));
  CHECK(test::contains(message([] { instrument::open_meter(instrument::parse_spec("scpi-ps:conn=x")); }), "nor libsigrok's"));
  CHECK(test::contains(message([] { instrument::open_meter(instrument::parse_spec("scpi-pps")); }), "conn= says how to reach it"));
  CHECK(test::contains(message([] { instrument::open_meter(instrument::parse_spec("scpi-pps:conn=x:speed=1")); }), "no option 'speed'"));
  CHECK(instrument::spec_problem("scpi-pps", instrument::Served::virtually) == std::nullopt);
  CHECK(instrument::spec_problem("scpi-pps:conn=tcp-raw/10.0.0.5/5025", instrument::Served::by_lab) == std::nullopt);
  CHECK(test::contains(instrument::spec_problem("rigol-ds", instrument::Served::virtually).value_or(""), "serves a PPK2"));
  CHECK(test::contains(instrument::spec_problem("scpi-pps", instrument::Served::by_lab).value_or(""), "conn= says how"));
}

TEST_CASE("a virtual slot measured by a bench supply: rig check opens it, the boot's charge is measured through libsigrok and reported") {
  test::TempDir dir;
  std::ofstream(dir.path() / "rig.xml") << R"(<rig name="bench" time-scale="0.02">
  <slot name="b1" model="SIM7080G" firmware="1951B02SIM7080G"><virtual/><instrument spec="scpi-pps"/></slot>
</rig>
)";
  auto check = test::run_process({test::athil_exe().string(), "rig", "check", (dir.path() / "rig.xml").string()}, test::source_dir());
  INFO(check.out, check.err);
  CHECK(check.exit_code == 0);
  CHECK(std::regex_search(check.out, std::regex("b1 +instrument scpi-pps +ok +answers: HP 66332A A.03.01 on tcp-raw/127.0.0.1/[0-9]+, channel I1")));
  auto run = test::run_process({test::athil_exe().string(), "run", "--rig", (dir.path() / "rig.xml").string(), "--junit", (dir.path() / "r/junit.xml").string(),
                                "scenarios/power/boot-energy.xml"},
                               test::source_dir());
  INFO(run.out, run.err);
  CHECK(run.exit_code == 0);
  auto junit = test::read_file(dir.path() / "r/junit.xml");
  CHECK(std::regex_search(junit, std::regex("power-boot-energy/boot\\.charge\" value=\"[0-9.]+ m?C\"")));
}

TEST_CASE("libsigrok is loaded by a process that names one of its instruments, and by no other") {
  test::TempDir dir;
  for (const char* spec : {"ppk2", "scpi-pps"})
    std::ofstream(dir.path() / fmt::format("{}.xml", spec)) << fmt::format(R"(<rig name="bench" time-scale="0.02">
  <slot name="b1" model="SIM7080G" firmware="1951B02SIM7080G"><virtual/><instrument spec="{}"/></slot>
</rig>
)",
                                                                           spec);
  // The dynamic loader names every object it opens, in athil and in the virtual module it starts.
  auto opened = [&](const char* spec) {
    auto check =
        test::run_process({"/usr/bin/env", "LD_DEBUG=files", test::athil_exe().string(), "rig", "check", (dir.path() / fmt::format("{}.xml", spec)).string()},
                          test::source_dir());
    INFO(check.out);
    CHECK(check.exit_code == 0);
    return check.err;
  };
  auto without = opened("ppk2");
  CHECK(test::contains(without, "file=libfmt"));  // the loader's list is there to read
  CHECK_FALSE(test::contains(without, "libsigrok"));
  CHECK_FALSE(test::contains(without, "athil_sigrok.so"));
  auto with = opened("scpi-pps");
  CHECK(test::contains(with, "athil_sigrok.so"));
  CHECK(test::contains(with, "file=libsigrokcxx"));
}

TEST_CASE("a slot whose bench supply is its supply: supply cuts go through the instrument's output, and a rig that also wires a supply line is refused") {
  test::TempDir dir;
  std::ofstream(dir.path() / "rig.xml") << R"(<rig name="bench" time-scale="0.02">
  <slot name="b1" model="SIM7080G" firmware="1951B02SIM7080G" fota-target="1951B03SIM7080G"><virtual/><instrument spec="scpi-pps"/></slot>
</rig>
)";
  auto run = test::run_process({test::athil_exe().string(), "run", "--rig", (dir.path() / "rig.xml").string(), "--junit", (dir.path() / "r/junit.xml").string(),
                                "scenarios/fota/supply-cuts.xml"},
                               test::source_dir());
  INFO(run.out, run.err);
  CHECK(run.exit_code == 0);
  std::string module_log;
  for (const auto& path : test::files_named(dir.path() / "r", "@virtual-module.log")) module_log = test::read_file(path);
  CHECK(test::contains(module_log, "scpi-pps: output off"));
  CHECK(test::contains(module_log, "scpi-pps: output on"));
  CHECK_FALSE(test::contains(module_log, "pin supply"));  // the control channel's supply was never touched

  std::ofstream(dir.path() / "both.xml") << R"(<rig name="bench">
  <slot name="r1" model="SIM7080G" firmware="1951B02SIM7080G">
    <serial port="/dev/ttyUSB0"/>
    <gpio chip="gpiochip0"><line role="pwrkey" offset="17"/><line role="supply" offset="22"/></gpio>
    <instrument spec="scpi-pps:conn=tcp-raw/10.0.0.5/5025"/>
  </slot>
</rig>
)";
  auto both = test::run_process({test::athil_exe().string(), "rig", "check", (dir.path() / "both.xml").string()}, test::source_dir());
  INFO(both.out, both.err);
  CHECK(both.exit_code == 2);
  CHECK(std::regex_search(both.err, std::regex("both\\.xml:5:17: .*the slot's supply, and the slot switches a supply of its own too")));
}
