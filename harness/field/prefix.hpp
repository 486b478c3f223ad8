#pragma once
// What loggers put before the text of a line: an RTT channel (00> ), a shell prompt (uart:~$ ),
// a timestamp of any common shape ([00:00:13.222,442], 12:34:56.789 -> , ISO 8601, epoch
// seconds, a millisecond counter, a quoted spreadsheet date), a syslog or journal header
// (Nov 28 12:00:01 host ModemManager[812]: ), a level (<dbg>, D (910), [INFO], TRACE:) and
// bracketed tags ([ncp.at]). They are taken off one after another; the time, when there is one,
// is kept. ANSI colour codes are dropped anywhere in the line.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace athil::field {

struct Message {
  std::string text;                // the line without its decorations
  std::optional<double> t;         // seconds, on the log's own clock, when a decoration had a time
  std::vector<const char*> kinds;  // the decorations taken off, in order ("RTT channel", "time", ...)
  bool indented = false;           // the text began with blanks (a continuation line, a dump's row)
};

struct StripOptions {
  // PlatformIO's monitor (its "time" filter) writes "12:34:56.789 > " before every line it shows:
  // the ">" goes with the time. Elsewhere a ">" after a time may be a direction mark.
  bool time_then_gt = false;
};

Message strip_decorations(std::string_view line, StripOptions options = {});

}  // namespace athil::field
