#pragma once
// Telling a restart the scenario waits for from one before it, over two channels that arrive
// in their own time: a STATUS edge reaches the host at once, the module's bytes after the
// port's latency (an FTDI adapter holds them up to 16 ms, ser2net adds a network). So the window
// opens by what the host knows for sure, never by when a line happened to be read:
//  - after the last bytes the host sent (what causes a restart comes after it is sent), and
//  - after the last STATUS rise before the unsolicited line a wait last took was read (the
//    module was up when it sent that line, so a fall after that rise is later than the line,
//    even when the line is read after the fall). Not a response: the module sent it before the
//    restart its command caused, and a host late to read it may find the whole restart, rise
//    included, before it.
#include <cstdint>
#include <vector>

namespace athil::runner {

class RestartWindow {
 public:
  void clear() { edges_.clear(); }
  void status_edge(std::int64_t t_us, bool high) { edges_.push_back({t_us, high}); }

  // Where evidence of the restart may start: `floor_us` (the block's start), `sent_us` (the
  // last bytes written) and `taken_us` (when the last unsolicited line a wait took was read; 0
  // for none).
  std::int64_t opens(std::int64_t floor_us, std::int64_t sent_us, std::int64_t taken_us) const;
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
