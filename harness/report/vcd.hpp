#pragma once
// A scenario's pins as a VCD waveform (IEEE 1364 value change dump) that GTKWave and
// PulseView open: one wire per pin the timeline saw (NETLIGHT too where the slot reports its
// edges), two marker wires, `at_command` (high from a command's write to the module's next
// bytes) and `urc` (a 1 ms pulse per URC), and their texts as the string variables `at_text`
// and `urc_text` (GTKWave's extension: spaces shown as '_'). The texts are listed in the header
// too: PulseView skips string variables, and body comments stop sigrok's VCD reader.
#include <string>

#include "base/timeline.hpp"

namespace athil::report {

// Events [from, to) of the timeline; times are microseconds from the first event, as in the
// transcript of the same range.
std::string render_vcd(const Timeline& timeline, std::size_t from, std::size_t to, std::string_view title);

}  // namespace athil::report
