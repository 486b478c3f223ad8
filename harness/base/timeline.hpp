#pragma once
// One device's timeline: every byte written and read, every pin change and every harness
// action, stamped on the monotonic clock in microseconds, whatever the matching does.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace athil {

enum class Direction : char { to_module = '>', from_module = '<', pin = '=', note = '#' };

// Where an event is shown: NETLIGHT blinks all the time, so its edges are in the waveform,
// not in the transcript a person reads.
enum class Shown { everywhere, waveform_only };

// The transcript format, version 1 (Timeline::render shows it): its first line, and one event
// as a line, `t_us` microseconds after the transcript's start. Every writer of the format uses these.
inline constexpr std::string_view transcript_first_line = "# athil-transcript 1\n";
void append_transcript_line(std::string& out, std::int64_t t_us, Direction dir, std::string_view bytes);

struct TimelineEvent {
  std::int64_t t_us;  // CLOCK_MONOTONIC
  Direction dir;
  std::string data;  // raw bytes for > and <; text for = and #
  Shown shown = Shown::everywhere;
};

class Timeline {
 public:
  void record(Direction dir, std::string_view data);
  void record_at(std::int64_t t_us, Direction dir, std::string_view data, Shown shown = Shown::everywhere);
  std::size_t size() const { return events_.size(); }
  const std::vector<TimelineEvent>& events() const { return events_; }
  // When the first event of `dir` after `t_us` was recorded, if one was among the last `look`
  // events (an edge is taken soon after the bytes around it: the recent end is enough).
  std::optional<std::int64_t> first_after(Direction dir, std::int64_t t_us, std::size_t look = 256) const;
  // Once a scenario's events are in its files: a long run keeps one scenario's worth.
  void clear() { events_.clear(); }

  // The transcript format (version 1), for events [from, to) shown everywhere: a header line,
  // then one event per line: seconds since the first event, direction character, bytes escaped.
  //   # athil-transcript 1
  //   0.000000 > AT+GMR\r
  //   0.003120 < AT+GMR\r\r\nRevision:1951B02SIM7080G\r\n\r\nOK\r\n
  std::string render(std::size_t from, std::size_t to) const;

 private:
  std::vector<TimelineEvent> events_;
};

}  // namespace athil
