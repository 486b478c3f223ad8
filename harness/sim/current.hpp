#pragma once
// What the virtual module draws from its supply: per-model figures (models.cpp) and the
// current at a moment, as a floor with the radio's periodic peaks (paging) on top. Plain data:
// the virtual instruments (ppk2.*) sample it; the module (module/current.cpp) says which applies.
#include <chrono>
#include <string_view>
#include <utility>
#include <vector>

namespace athil::sim {

// Average currents in amperes, as the hardware design manuals give them (the averages include
// the paging peaks), and the paging peak the model adds on top of its floors.
struct CurrentFigures {
  double off;        // supplied, switched off
  double psm;        // power saving mode
  double sleep;      // registered, AT+CSCLK=1 sleep (DRX paging)
  double idle;       // registered, UART awake (DRX paging)
  double minimum;    // AT+CFUN=0: radio off
  double searching;  // looking for a network
  double boot;       // from the press to the UART ready
  double transmit;   // data on the air, 23 dBm
  double gnss;       // added while the GNSS receiver runs
  double update;     // a FOTA update applying
  double paging_peak;
  std::chrono::milliseconds paging_width;
};

// The LTE DRX cycle the virtual network grants (1.28 s), and eDRX's cycle for AT+CEDRXS's
// 4-bit value (3GPP TS 24.008 table 10.5.5.32, WB-S1 mode); zero for a value that is not 4 bits.
inline constexpr std::chrono::milliseconds drx_cycle{1280};
std::chrono::milliseconds edrx_cycle(std::string_view bits);

// The current at a moment, in amperes: `floor`, and `peak` for `width` every `period` from
// `phase` (period zero: no peaks). Times are real time (already scaled by the time scale).
struct Draw {
  using Time = std::chrono::steady_clock::time_point;
  double floor = 0;
  double peak = 0;
  std::chrono::nanoseconds period{0};
  std::chrono::nanoseconds width{0};
  Time phase{};

  double at(Time t) const;
  bool operator==(const Draw&) const = default;
};

// A state drawing `average` in all, of which paging peaks of `peak` for `width` every `period`:
// the floor between them makes up the rest (never below zero).
Draw paging_draw(double average, double peak, std::chrono::nanoseconds width, std::chrono::nanoseconds period, Draw::Time phase);

}  // namespace athil::sim

namespace athil::sim {

// What the module drew and since when, for instruments that sample it a little later than it
// happens: each change as the host saw it, the oldest forgotten once no sample needs them.
class DrawLog {
 public:
  using Time = Draw::Time;
  void record(Time at, const Draw& draw);
  double at(Time t) const;     // amperes at `t` (zero before the first record)
  void forget_before(Time t);  // keeps the draw in effect at `t`
  std::size_t size() const { return changes_.size(); }

 private:
  std::vector<std::pair<Time, Draw>> changes_;
};

}  // namespace athil::sim
