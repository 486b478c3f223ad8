#pragma once
// A scenario's pins as a VCD waveform (IEEE 1364 value change dump) that GTKWave and
// PulseView open: one wire per pin the timeline saw (NETLIGHT too where the slot reports its
// edges), two marker wires, `at_command` (high from a command's write to the module's next
// bytes) and `urc` (a 1 ms pulse per URC), and their texts as the string variables `at_text`
// and `urc_text` (GTKWave's extension: spaces shown as '_'), and where measured the current. The texts are listed in the header
// too: PulseView skips string variables, and body comments stop sigrok's VCD reader.
#include <cstdint>
#include <string>
#include <vector>

#include "base/timeline.hpp"

namespace athil::report {

// The current an instrument measured while the scenario ran: each sample's start on the
// timeline's clock, its mean and its peak, in amperes.
struct CurrentPoint {
  std::int64_t t_us = 0;
  double amps = 0, peak = 0;
};
using CurrentTrace = std::vector<CurrentPoint>;

// Events [from, to) of the timeline; times are microseconds from the first event, as in the
// transcript of the same range. With a current trace: a real variable `current_A` (GTKWave draws
// it as an analog trace), and the scenario's <current> windows as the wire `current_window` with
// their names in `current_name`.
std::string render_vcd(const Timeline& timeline, std::size_t from, std::size_t to, std::string_view title, const CurrentTrace& current = {});
// The trace as CSV, seconds from its first sample: "seconds,amps,peak_amps".
std::string render_current_csv(const CurrentTrace& current);

}  // namespace athil::report
