#pragma once
// What a window of current samples comes to: its average, peak, lowest and charge.
#include <chrono>
#include <cstddef>
#include <span>

#include "instrument/meter.hpp"

namespace athil::instrument {

struct CurrentStats {
  std::size_t samples = 0;
  double average = 0;  // amperes
  double peak = 0;     // the highest reading, inside decimated samples too
  double lowest = 0;   // the lowest sample mean
  double charge = 0;   // coulombs: the average over the span the samples cover
  std::chrono::nanoseconds span{0};
};

// Each sample weighs as much as its span. Empty input: all zero.
CurrentStats summarize(std::span<const Sample> samples);

}  // namespace athil::instrument
