// What each libgpiod backend asks the kernel for, checked without a chip: the kernel lab
// (ctest -L kernel) runs the same requests against gpio-sim.
#include <doctest/doctest.h>

#include <memory>
#include <mutex>
#include <thread>

#include "base/error.hpp"
#include "rig/gpio_request.hpp"
#include "rig/gpiod_backend.hpp"

using namespace athil;
using rig::PinRole;

namespace {
rig::GpioLine line(PinRole role, bool active_low = false) { return rig::GpioLine{.role = role, .offset = 3, .active_low = active_low}; }
}  // namespace

TEST_CASE("GPIO request plan: outputs start released, the inputs (STATUS, NETLIGHT) have edges, active-low is the kernel's") {
  for (auto role : {PinRole::pwrkey, PinRole::reset, PinRole::supply, PinRole::dtr}) {
    auto plan = rig::plan_request(line(role, true));
    CHECK(plan.direction == rig::LineDirection::output);
    CHECK(plan.initial == rig::Level::high);  // module-side: PWRKEY and RESET not pressed, supply on
    CHECK(plan.active_low);
    CHECK_FALSE(plan.edge_events);
  }
  auto status = rig::plan_request(line(PinRole::status));
  CHECK(status.direction == rig::LineDirection::input);
  CHECK(status.edge_events);
  CHECK_FALSE(status.active_low);
  auto netlight = rig::plan_request(line(PinRole::netlight));
  CHECK(netlight.direction == rig::LineDirection::input);
  CHECK(netlight.edge_events);  // for the waveform; libgpiod 2 requests it apart from STATUS
}

TEST_CASE("GPIO consumer: names the slot, within what the kernel keeps") {
  CHECK(rig::gpio_consumer("s1") == "athil:s1");
  auto long_name = rig::gpio_consumer(std::string(60, 'x'));
  CHECK(long_name.size() == 31);
  CHECK(long_name.rfind("athil:xxx", 0) == 0);
}

TEST_CASE("GPIO event stamps: monotonic ones kept, realtime ones (kernels before 5.7) moved onto the monotonic clock") {
  using namespace std::chrono;
  auto mono = duration_cast<nanoseconds>(steady_clock::now().time_since_epoch());
  CHECK(rig::monotonic_us(mono) == duration_cast<microseconds>(mono).count());
  auto real = duration_cast<nanoseconds>(system_clock::now().time_since_epoch());
  CHECK(std::abs(rig::monotonic_us(real) - duration_cast<microseconds>(mono).count()) < 2'000'000);
}

TEST_CASE("GPIO backend: this build's libgpiod is the one CMake found") {
  auto version = std::string(rig::libgpiod_version());
  CHECK(version.rfind(std::to_string(ATHIL_LIBGPIOD_MAJOR) + ".", 0) == 0);
}

#if ATHIL_LIBGPIOD_MAJOR >= 2
TEST_CASE("libgpiod 2 backend: the plan in line settings") {
  using namespace gpiod::line;
  auto pwrkey = rig::gpiod_backend::settings_for(rig::plan_request(line(PinRole::pwrkey, true)));
  CHECK(pwrkey.direction() == direction::OUTPUT);
  CHECK(pwrkey.active_low());
  CHECK(pwrkey.output_value() == value::ACTIVE);  // logical high: with active-low, the GPIO drives low
  CHECK(pwrkey.edge_detection() == edge::NONE);
  auto status = rig::gpiod_backend::settings_for(rig::plan_request(line(PinRole::status)));
  CHECK(status.direction() == direction::INPUT);
  CHECK(status.edge_detection() == edge::BOTH);
  CHECK(status.event_clock() == clock::MONOTONIC);
  CHECK_FALSE(status.active_low());
  auto netlight = rig::gpiod_backend::settings_for(rig::plan_request(line(PinRole::netlight, true)));
  CHECK(netlight.edge_detection() == edge::BOTH);  // in a request of its own (gpiod_pins_v2.cpp)
  CHECK(netlight.active_low());
}

TEST_CASE("libgpiod 2 backend: a chip named by something that is not there says which chips there are") {
  CHECK(rig::gpiod_backend::find_chip("/dev/gpiochip7") == "/dev/gpiochip7");  // a path is taken as given
  CHECK_THROWS_WITH(rig::gpiod_backend::find_chip("athil-no-such-chip"), doctest::Contains("chips here:"));
}
#else
TEST_CASE("libgpiod 1.6 backend: the plan in a line request") {
  auto pwrkey = rig::gpiod_backend::request_for(rig::plan_request(line(PinRole::pwrkey, true)), "athil:s1");
  CHECK(pwrkey.request.request_type == gpiod::line_request::DIRECTION_OUTPUT);
  CHECK(pwrkey.request.flags == gpiod::line_request::FLAG_ACTIVE_LOW);
  CHECK(pwrkey.request.consumer == "athil:s1");
  CHECK(pwrkey.initial == 1);  // logical high: with active-low, the GPIO drives low
  auto status = rig::gpiod_backend::request_for(rig::plan_request(line(PinRole::status)), "athil:s1");
  CHECK(status.request.request_type == gpiod::line_request::EVENT_BOTH_EDGES);
  CHECK(status.request.flags.none());
  auto netlight = rig::gpiod_backend::request_for(rig::plan_request(line(PinRole::netlight)), "athil:s1");
  CHECK(netlight.request.request_type == gpiod::line_request::EVENT_BOTH_EDGES);
}
#endif

namespace {

// A line's edges as a kernel keeps them: 16 at most, the oldest lost beyond (libgpiod 1).
class SixteenEdgeLine final : public athil::rig::Pins {
 public:
  bool has(PinRole role) const override { return role == PinRole::netlight; }
  void set(PinRole, athil::rig::Level) override {}
  athil::rig::Level get(PinRole) override { return athil::rig::Level::low; }
  std::vector<athil::rig::PinEvent> take_events() override {
    std::lock_guard lock(mutex);
    ++reads;
    if (fail) throw athil::InfraError("slot s1: reading edges on GPIO gpiochip0: No such device");
    return std::exchange(kernel, {});
  }
  std::string describe() const override { return "sixteen"; }
  void edge(std::int64_t t) {
    std::lock_guard lock(mutex);
    kernel.push_back({PinRole::netlight, t % 2 ? athil::rig::Level::high : athil::rig::Level::low, t});
    if (kernel.size() > 16) kernel.erase(kernel.begin());
  }
  int read_count() {
    std::lock_guard lock(mutex);
    return reads;
  }
  std::mutex mutex;
  std::vector<athil::rig::PinEvent> kernel;
  int reads = 0;
  bool fail = false;
};

}  // namespace

TEST_CASE("GPIO edges are read on a thread of their own: a harness that takes none for a long wait loses none, and an error reaches it") {
  auto owned = std::make_unique<SixteenEdgeLine>();
  auto& line = *owned;
  auto pins = rig::drained(std::move(owned));
  // 100 edges, never more than 16 between two of the drain's reads.
  for (std::int64_t t = 0; t < 100; ++t) {
    int seen = line.read_count();
    if (t % 8 == 0)
      for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30); line.read_count() == seen;) {
        REQUIRE(std::chrono::steady_clock::now() < until);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    line.edge(t);
  }
  auto events = pins->take_events();
  REQUIRE(events.size() == 100);
  for (std::int64_t t = 0; t < 100; ++t) CHECK(events[static_cast<std::size_t>(t)].t_us == t);
  {
    std::lock_guard lock(line.mutex);
    line.fail = true;
  }
  CHECK_THROWS_WITH_AS(pins->take_events(), doctest::Contains("No such device"), athil::InfraError);
}
