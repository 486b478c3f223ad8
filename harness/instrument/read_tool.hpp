#pragma once
// `athil current SPEC`: reads an instrument for a while and says what the current came to, the
// samples in a CSV file if asked; a lab's first check that athil reaches its meter.
#include <string>

#include "base/duration.hpp"

namespace athil::instrument {

struct ReadOptions {
  std::string spec;  // "ppk2:conn=/dev/ttyACM0[:mode=source:voltage=3.8V]"
  Duration span = std::chrono::seconds(1);
  int decimate = 1;
  std::string csv;     // "" for none
  bool power = false;  // source mode: supply the device under test while reading
};

// Exit code: 0, 2 for a bad spec, 3 when the instrument cannot be used.
int read_current(const ReadOptions& options);

}  // namespace athil::instrument
