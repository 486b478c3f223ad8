#pragma once
// Instruments libsigrok drives (bench supplies over SCPI, multimeters), through its C++
// bindings, named as sigrok-cli names them: "scpi-pps:conn=tcp-raw/10.0.0.5/5025". A polled
// instrument gives one reading per query, unstamped: each is stamped when it arrives and stands
// for the span since the reading before.
//
// libsigrok, its bindings and what they load (glibmm, libusb, libftdi, BlueZ, ...) live in a
// module of their own, athil_sigrok.so, loaded at the first use: a process that names no such
// instrument (a virtual module, a run on PPK2s, `athil validate`) starts without them. Linked
// in, they cost every start 10 ms of CPU and 375 page faults on the VM this was measured on.
#include <memory>
#include <string>

#include "instrument/meter.hpp"
#include "instrument/spec.hpp"

namespace athil::instrument {

// Whether libsigrok has a driver of that name ("scpi-pps").
bool sigrok_drives(const std::string& driver);

// Scans for the device the spec names (its conn= and serialcomm= are libsigrok's scan options;
// channel= picks a current channel, the first by default). Throws InputError for an unknown
// driver or option, InfraError when nothing answers, it has no current channel or the module
// cannot be loaded. A power supply's output (its channel's group) is what power() switches.
std::unique_ptr<CurrentMeter> open_sigrok_meter(const InstrumentSpec& spec);

// What the module exports (sigrok.cpp), looked up by name.
namespace sigrok_module {
using Drives = bool(const std::string& driver);
using Open = CurrentMeter*(const InstrumentSpec& spec);  // the caller owns the meter
inline constexpr const char* file = "athil_sigrok.so";
inline constexpr const char* drives = "athil_sigrok_drives";
inline constexpr const char* open = "athil_sigrok_open";
}  // namespace sigrok_module

}  // namespace athil::instrument
