// What each libgpiod backend asks the kernel for, checked without a chip: the kernel lab
// (ctest -L kernel) runs the same requests against gpio-sim.
#include <doctest/doctest.h>

#include "rig/gpiod_backend.hpp"

using namespace athil;
using rig::PinRole;

namespace {
rig::GpioLine line(PinRole role, bool active_low = false) { return rig::GpioLine{.role = role, .offset = 3, .active_low = active_low}; }
}  // namespace

TEST_CASE("GPIO request plan: outputs start released, STATUS alone has edges, active-low is the kernel's") {
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
  CHECK_FALSE(netlight.edge_events);  // blinks all the time: read as a level
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
  CHECK(netlight.edge_detection() == edge::NONE);
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
  CHECK(netlight.request.request_type == gpiod::line_request::DIRECTION_INPUT);
}
#endif
