// A slot's session (rig::SlotSession), one test per slot kind: what it opens, in which order it
// lets go, and what it tells a runner that must not ask which kind it is.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "base/error.hpp"
#include "rig/module_log.hpp"
#include "rig/slot_lock.hpp"
#include "rig/slot_session.hpp"
#include "tests/pty_pair.hpp"
#include "tests/support.hpp"

using namespace athil;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

rig::SlotSession::Paths paths_in(const test::TempDir& dir) { return {.executable = test::athil_exe(), .run_dir = dir.path(), .slot_dir = dir.path() / "slot"}; }

// Lock files under the test's folder, for as long as the test runs.
struct LockFolder {
  explicit LockFolder(const fs::path& dir) { ::setenv("ATHIL_LOCK_DIR", dir.c_str(), 1); }
  ~LockFolder() { ::unsetenv("ATHIL_LOCK_DIR"); }
};

}  // namespace

TEST_CASE("slot session: a virtual slot opens its module, port, pins and engine, and its module goes with the session") {
  test::TempDir dir;
  rig::Rig rig{.name = "r", .time_scale = 0.05};
  rig::Slot slot{.name = "v1", .model = "SIM7080G", .firmware = "1951B02SIM7080G", .kind = rig::VirtualSlot{}};
  std::string port;
  {
    auto session = rig::SlotSession::open(rig, slot, paths_in(dir));
    auto& device = session->device();
    REQUIRE(device.pins);
    REQUIRE(device.engine);
    port = session->port_name();
    CHECK(fs::exists(port));
    // The pins reach the module: a press powers it, and it says so on the port.
    auto power = device.power_control(TimeScale(rig.time_scale));
    power->on();
    CHECK(device.engine->wait_urc([](const std::string& l) { return l == "RDY"; }, Clock::now() + 10s).has_value());
    CHECK(session->recoverable());
    CHECK_FALSE(session->divergence_log());
    CHECK_FALSE(session->end_scenario(false));  // the module still runs
    CHECK(fs::exists(dir.path() / "slot" / "@virtual-module.log"));
  }
  CHECK_FALSE(fs::exists(port));  // the module's pseudo-terminal is gone with it
}

TEST_CASE("slot session: a real slot holds the slot's lock while it is open, and no longer") {
  test::TempDir dir;
  LockFolder locks(dir.path() / "locks");
  test::PtyPair module;
  rig::Rig rig{.name = "bench", .time_scale = 1.0};
  rig::Slot slot{.name = "r1", .model = "SIM7000G", .firmware = "1529B08SIM7000G", .kind = rig::RealSlot{.port = module.slave}};
  {
    auto session = rig::SlotSession::open(rig, slot, paths_in(dir));
    CHECK(session->port_name() == module.slave);
    CHECK_FALSE(session->device().pins);  // no GPIO lines wired
    CHECK_THROWS_AS(rig::SlotLock("bench", "r1"), rig::SlotBusy);
    CHECK(session->recoverable());
    CHECK_FALSE(session->end_scenario(true));  // no module process of the harness's to end
    // A second session on the same slot is refused, naming the holder.
    CHECK_THROWS_WITH_AS(rig::SlotSession::open(rig, slot, paths_in(dir)), doctest::Contains("r1"), rig::SlotBusy);
  }
  CHECK_NOTHROW(rig::SlotLock("bench", "r1"));
}

TEST_CASE("slot session: a replay slot serves its session afresh for each scenario and is never recovered") {
  test::TempDir dir;
  auto log = dir.write("drop.log", "[10:00:00.000] >>> AT+CGMM\n[10:00:00.020] <<< AT+CGMM\n[10:00:00.021] <<< SIMCOM_SIM7000G\n[10:00:00.022] <<< OK\n");
  rig::Rig rig{.name = "field", .time_scale = 0.05};
  rig::Slot slot{.name = "f1", .model = "SIM7000G", .kind = rig::ReplaySlot{.log = log.string()}};
  auto session = rig::SlotSession::open(rig, slot, paths_in(dir));
  CHECK_FALSE(session->device().pins);
  CHECK_FALSE(session->recoverable());
  REQUIRE(session->divergence_log());
  CHECK(session->divergence_log()->parent_path() == dir.path() / "slot");

  auto ask = [&](Duration within) {
    auto& engine = *session->device().engine;
    engine.send_command("AT+CGMM", Clock::now() + 10s);
    auto r = engine.expect_response([](const std::string& l) { return l.rfind("SIMCOM", 0) == 0; }, Clock::now() + within);
    return r.kind == AtEngine::ExpectResult::Kind::matched ? r.line.text : "";
  };
  session->begin_scenario();
  CHECK(ask(10s) == "SIMCOM_SIM7000G");
  CHECK(ask(1s).empty());  // the session is served: it has no second answer
  CHECK_FALSE(session->end_scenario(false));
  // The next scenario gets the session from its start, through the same link.
  session->begin_scenario();
  CHECK(ask(10s) == "SIMCOM_SIM7000G");
}

TEST_CASE("a virtual module's log tells, from a mark on, the commands it does not model and the bytes its port could not hold") {
  test::TempDir dir;
  auto log = dir.write("module.log", "uart: 500 bytes lost (Resource temporarily unavailable)\nnot modelled: AT+CMGS=\"1\" (answered ERROR)\n");
  auto mark = rig::module_log_mark(log);
  CHECK(mark > 0);
  std::ofstream(log, std::ios::app)
      << "pin pwrkey low\nnot modelled: AT+CMGS=\"2\" (answered ERROR)\nuart: 1200 bytes lost (Resource temporarily unavailable)\n"
      << "not modelled: AT+CSCLK=2 (answered ERROR)\nuart: 34 bytes lost (short write)\nuart: many bytes lost\nuart: 99 bytes lo";
  auto news = rig::module_log_since(log, mark);
  CHECK(news.unmodelled == std::vector<std::string>{"AT+CMGS", "AT+CSCLK"});
  CHECK(news.uart_bytes_lost == 1234);  // not the line before the mark, nor one the module is still writing
  CHECK(rig::module_log_since(log, 0).uart_bytes_lost == 1734);
  CHECK(rig::module_log_since(dir.path() / "none.log", 0).uart_bytes_lost == 0);
}
