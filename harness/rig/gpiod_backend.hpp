#pragma once
// Internal to the two libgpiod backends and their unit tests: how each spells the plan of
// gpio_request.hpp in its own API. Only one of the two is compiled, by the version CMake found.
#include <gpiod.hpp>

#include <string>

#include "rig/gpio_request.hpp"

namespace athil::rig::gpiod_backend {

#if ATHIL_LIBGPIOD_MAJOR >= 2
gpiod::line_settings settings_for(const LineRequest& plan);
// A chip named as libgpiod 1.6 accepted it: a path, a name ("gpiochip0"), a number or the
// chip's label; libgpiod 2 opens paths only. Throws std::runtime_error naming what was seen.
std::string find_chip(const std::string& name);
#else
struct V1Request {
  gpiod::line_request request;
  int initial = 0;
};
V1Request request_for(const LineRequest& plan, const std::string& consumer);
#endif

}  // namespace athil::rig::gpiod_backend
