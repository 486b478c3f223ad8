#pragma once
// A recorded module session as plain data, whatever log it came from: who sent which bytes,
// and when where the log says. Importers read the log shapes people have (the harness's own
// transcripts, raw terminal captures, host logs with send/receive markers); the replay and
// the scaffold read a session's dialogue.
#include <deque>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/timeline.hpp"

namespace athil::field {

enum class LogFormat { automatic, athil, raw, markers, espidf, zephyr_chat, zephyr_hexdump, esp_modem, modemmanager, pppd, python, rtthread_at };
// "athil", "raw", ...; throws InputError for an unknown name, listing the known.
LogFormat parse_log_format(std::string_view name);
const char* to_string(LogFormat format);

struct SessionEvent {
  std::optional<double> t;  // seconds, on the log's own clock; empty when the log has none
  Direction dir;            // to_module, from_module, or note (a line of the host's own log)
  std::string bytes;
  int line = 0;          // where in the log
  bool payload = false;  // raw bytes a header announced (+SHREAD: N), not lines
};

// A line the importer could not place, with its number: nothing is dropped unseen.
struct ImportProblem {
  int line;
  std::string text;
  std::string why;
};

// What the import made of the log: the shape it recognised (or was told), the decorations it
// took off the lines, and how much of the log it placed.
struct Detection {
  std::string prefix;                   // "RTT channel, time, level" and an example, or empty
  int lines = 0;                        // lines in the log
  int placed = 0;                       // lines that became bytes to or from the module
  std::vector<std::string> candidates;  // when nothing was placed: the likeliest shapes, and why each failed
};

struct Session {
  LogFormat format = LogFormat::automatic;
  Detection detection;
  // The events in order; or, where `sink` is set, handed to it as they are made and not kept
  // (a transcript written while the log is read holds nothing of it in memory).
  std::deque<SessionEvent> events;  // a deque: a long log's events are never moved or over-allocated
  std::function<void(const SessionEvent&)> sink;
  bool keep_notes = true;    // the host program's own lines (a replay or a scaffold needs none)
  std::size_t commands = 0;  // events to the module
  void add(SessionEvent e) {
    if (e.dir == Direction::note && !keep_notes) return;
    commands += e.dir == Direction::to_module;
    if (sink) return sink(e);
    // The module's lines that came at one time are one chunk, as the harness records them.
    if (!events.empty() && e.dir == Direction::from_module && !e.payload) {
      auto& last = events.back();
      if (last.dir == Direction::from_module && !last.payload && last.t == e.t) return void(last.bytes += e.bytes);
    }
    events.push_back(std::move(e));
  }
  // Lines the importer could not place, the first max_problems of them (the rest are counted).
  static constexpr std::size_t max_problems = 1000;
  std::vector<ImportProblem> problems;
  std::size_t problems_not_kept = 0;
  void problem(ImportProblem p) {
    if (problems.size() < max_problems)
      problems.push_back(std::move(p));
    else
      ++problems_not_kept;
  }
};

// "AT", "AT+CSQ", "ATE0": a command (not "AT command in the serial terminal", nor a payload).
bool is_command(std::string_view text);

// Reads a log. With `automatic`, the shape is chosen from the text (see field/README.md).
// Throws InputError for a file that is no text log (binary, NUL bytes).
struct ImportOptions {
  std::function<void(const SessionEvent&)> sink;  // events as they are made, instead of keeping them
  bool keep_notes = true;
};
Session import_log(std::string_view text, LogFormat format = LogFormat::automatic, ImportOptions options = {});

// Lines FIRST..LAST (1-based, inclusive) of a log: the part of a long field log around a
// failure. Throws InputError for a range the log does not have.
std::string_view log_lines(std::string_view text, int first, int last);

// The transcript format (athil-transcript 1), an event at a time, times from 0 where known.
class TranscriptWriter {
 public:
  explicit TranscriptWriter(std::ostream& out);
  void operator()(const SessionEvent& e);

 private:
  std::ostream& out_;
  std::optional<double> t0_;
  double last_ = 0;
  std::string line_;  // reused: a long log is many lines
};
// The session in the transcript format.
std::string render_transcript(const Session& session);
// What `athil import` says first: the shape, the decorations taken off, the lines placed.
std::string describe_detection(const Session& session);

// The session as commands, each with what the module sent after it until the next command.
struct Output {
  double after = 0;  // seconds after the command was sent (0 where the log has no times)
  std::string bytes;
  int line = 0;
  bool payload = false;
};
struct Exchange {
  std::string command;  // without the CR
  int line = 0;
  std::vector<Output> output;
};
struct Dialogue {
  std::vector<Output> before_first;  // what the module said before any command (boot URCs)
  std::vector<Exchange> exchanges;
};
Dialogue dialogue_of(const Session& session);
// The same, its bytes moved out of the session (left with empty events): a long log's session
// and its dialogue are never both in memory.
Dialogue take_dialogue(Session& session);

// The lines of a module's output (CR and LF stripped, blank lines and payloads dropped), each
// with the time of the output it came in.
struct OutputLine {
  std::string text;
  double after = 0;
  int line = 0;
};
std::vector<OutputLine> output_lines(const std::vector<Output>& output);

}  // namespace athil::field
