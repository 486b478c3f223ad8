#pragma once
// A recorded session served as a module: each command the host sends is answered with what
// the module sent after it in the log, at the recorded times (scaled), and every divergence
// (a command the log does not have, one out of the recorded order, a payload that differs)
// is reported, never hidden.
#include <chrono>
#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "field/session.hpp"

namespace athil::field {

using ReplayClock = std::chrono::steady_clock;

class Replayer {
 public:
  // `vary`: regexes for the parts of a command that may differ from the log (an APN, a
  // server address): a sent command and a recorded one match when they are equal once each
  // match of these is blanked out.
  Replayer(Dialogue dialogue, double time_scale, std::vector<std::regex> vary, std::function<void(const std::string&)> report);

  // The module's output before the first command (boot URCs), due at once.
  void start(ReplayClock::time_point now);
  // Bytes from the host.
  void host_bytes(std::string_view bytes, ReplayClock::time_point now);
  // The module's bytes due by `now`, in order.
  std::string due(ReplayClock::time_point now);
  std::optional<ReplayClock::time_point> next_due() const;

  std::size_t served() const { return served_; }
  std::size_t exchanges() const { return dialogue_.exchanges.size(); }
  std::size_t divergences() const { return divergences_; }

 private:
  void line_from_host(const std::string& line, ReplayClock::time_point now);
  void serve(std::size_t index, ReplayClock::time_point now);
  bool same(const std::string& sent, const std::string& recorded) const;
  void diverge(const std::string& what);

  Dialogue dialogue_;
  double scale_;
  std::vector<std::regex> vary_;
  std::function<void(const std::string&)> report_;
  std::vector<bool> done_;
  std::size_t next_ = 0;  // the next exchange in recorded order
  std::string pending_;   // host bytes not yet a whole line
  struct Scheduled {
    ReplayClock::time_point at;
    std::string bytes;
  };
  std::vector<Scheduled> out_;  // kept in time order
  std::size_t served_ = 0;
  std::size_t divergences_ = 0;
};

struct ReplayOptions {
  std::string log;
  std::string lines;  // "FIRST-LAST": only those lines of the log ("" for all)
  LogFormat format = LogFormat::automatic;
  std::string link;  // symlink to the pseudo-terminal
  double time_scale = 1.0;
  std::vector<std::string> vary;
  std::string report;  // divergences go here as well as to stderr ("" for stderr only)
  int parent_pid = 0;  // end when this process ends (a runner that started the replay for a slot)
};

// Serves until SIGINT or SIGTERM; returns 0, or 1 when anything diverged. Throws on set-up
// errors (an unreadable log, a bad --vary regex, a link that is a file).
int run_replay(const ReplayOptions& options);

}  // namespace athil::field
