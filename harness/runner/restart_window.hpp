#pragma once
// Telling a restart the scenario waits for from one before it, over two channels that arrive
// in their own time: a STATUS edge reaches the host at once, the module's bytes after the
// port's latency (an FTDI adapter holds them up to 16 ms, ser2net adds a network). So the window
// opens by what the host knows for sure, never by when a line happened to be read:
//  - after the host began writing its last bytes (what causes a restart comes after it is
//    sent; not when the write returned, which a descheduled host may see late), and
//  - after the last STATUS rise before the unsolicited line a wait last took was surely sent
//    (the module was up when it sent that line, so a fall after that rise is later than the
//    line). Not when it was read: a host late to read it, or a port holding it, may find the
//    whole restart after it, rise included, before its reading. Sent surely after the host
//    last found the port without it, less the port's latency bound. Not a response either: the
//    module sent it before the restart its command caused.
// Restarts closer together than that bound are not told apart by timing: the earlier counts.
#include <cstdint>
#include <vector>

namespace athil::runner {

class RestartWindow {
 public:
  void clear() { edges_.clear(); }
  void status_edge(std::int64_t t_us, bool high) { edges_.push_back({t_us, high}); }

  // Where evidence of the restart may start: `floor_us` (the block's start), `sent_us` (when the
  // host began writing its last bytes) and `urc_absent_us` (when the host last found the port
  // without the last unsolicited line a wait took; 0 for none, or not known).
  std::int64_t opens(std::int64_t floor_us, std::int64_t sent_us, std::int64_t urc_absent_us) const;
  // Whether STATUS went low after `t_us`.
  bool fell_after(std::int64_t t_us) const;

 private:
  struct Edge {
    std::int64_t t_us;
    bool high;
  };
  std::vector<Edge> edges_;  // in the order they were taken from the pins
};

}  // namespace athil::runner
