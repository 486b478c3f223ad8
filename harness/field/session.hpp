#pragma once
// A recorded module session as plain data, whatever log it came from: who sent which bytes,
// and when where the log says. Importers read the log shapes people have (the harness's own
// transcripts, raw terminal captures, host logs with send/receive markers); the replay and
// the scaffold read a session's dialogue.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "at/timeline.hpp"

namespace athil::field {

enum class LogFormat { automatic, athil, raw, markers, espidf, arrows };
// "athil", "raw", ...; throws std::invalid_argument for an unknown name, listing the known.
LogFormat parse_log_format(std::string_view name);
const char* to_string(LogFormat format);

struct SessionEvent {
  std::optional<double> t;  // seconds, on the log's own clock; empty when the log has none
  Direction dir;            // to_module or from_module (notes and pins as the log has them)
  std::string bytes;
  int line = 0;  // where in the log
  bool payload = false;  // raw bytes a header announced (+SHREAD: N), not lines
};

// A line the importer could not place, with its number: nothing is dropped unseen.
struct ImportProblem {
  int line;
  std::string text;
  std::string why;
};

struct Session {
  LogFormat format = LogFormat::automatic;
  std::vector<SessionEvent> events;
  std::vector<ImportProblem> problems;
};

// "AT", "AT+CSQ", "ATE0": a command (not "AT command in the serial terminal", nor a payload).
bool is_command(std::string_view text);

// Reads a log. With `automatic`, the shape is chosen from the text (see field/README.md).
Session import_log(std::string_view text, LogFormat format = LogFormat::automatic);

// The session in the transcript format (athil-transcript 1), times from 0 where known.
std::string render_transcript(const Session& session);

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

// The lines of a module's output (CR and LF stripped, blank lines and payloads dropped), each
// with the time of the output it came in.
struct OutputLine {
  std::string text;
  double after = 0;
  int line = 0;
};
std::vector<OutputLine> output_lines(const std::vector<Output>& output);

}  // namespace athil::field
