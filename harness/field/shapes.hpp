#pragma once
// The log shapes the SIM70x0 world writes, each a recognizer of a line's text (decorations off,
// see prefix.hpp): whether the line carries the shape's mark, and what it says went to the
// module or came from it. One Builder turns that into session events for every shape.
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "at/dialect.hpp"
#include "field/prefix.hpp"
#include "field/session.hpp"

namespace athil::field {

// Events into a session. A host send is the bytes and CR; a module line equal to a send not
// echoed yet is its echo. After a header that announces N raw bytes (+SHREAD: N, ...), the lines
// that follow are those bytes, joined by CR LF as the log shows them, until N are there.
class Builder {
 public:
  explicit Builder(Session& s);
  ~Builder();
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;

  bool in_payload() const { return payload_size_ > 0; }
  // A command (or a line of data) the host wrote; the CR is added.
  void send(std::string_view text, std::optional<double> t, int line);
  // Bytes the host wrote as they were (a hex dump's, CR included).
  void send_bytes(std::string_view bytes, std::optional<double> t, int line);
  // A line the module sent (without its CR LF).
  void receive(const std::string& text, std::optional<double> t, int line);
  // Bytes the module sent, as a dump or a repr has them: split into lines at CR and LF, a part
  // line kept until the rest comes.
  void receive_bytes(std::string_view bytes, std::optional<double> t, int line);
  void note(std::string_view text, std::optional<double> t, int line);
  void problem(int line, std::string_view text, std::string why);
  // Whether the module has not yet ended the last command with a final result code.
  bool command_open() const { return command_open_; }
  // Whether `text` was sent and not yet echoed.
  bool unechoed(std::string_view text) const;
  const Dialect& dialect() const { return dialect_; }

 private:
  void end_payload();
  void flush_partial();

  Session& s_;
  Dialect dialect_;
  std::deque<std::string> unechoed_;
  std::size_t payload_size_ = 0;
  std::string payload_;
  std::optional<double> payload_t_;
  int payload_line_ = 0;
  std::string partial_;  // received bytes after the last line end
  std::optional<double> partial_t_;
  int partial_line_ = 0;
  bool command_open_ = false;
};

// One shape. take() is called with every line in order; it returns true when the line placed
// bytes to or from the module.
class Shape {
 public:
  virtual ~Shape() = default;
  // Whether the line carries this shape's own mark (detection counts marks).
  virtual bool marks(const Message& m) const = 0;
  virtual bool take(const Message& m, int line, Builder& b) = 0;
  // Called once after the last line.
  virtual void finish(Builder&) {}
  // What the shape looks for, said when a log held none of it.
  virtual const char* looks_for() const = 0;
};

// The shapes detection chooses among, in order of preference at equal marks.
const std::vector<LogFormat>& line_shapes();
// `host_lines_shown` (raw): the log shows the host's writes as well as the module's echo
// (TinyGSM's StreamDebugger), so a command line followed by the same line is one command.
std::unique_ptr<Shape> make_shape(LogFormat format, bool host_lines_shown = false);

// A line a module sends on its own or in answer, as opposed to a host program's own log line:
// a final result code, +NAME:, a URC of the model's table, a prompt, digits (an IMEI), ...
bool looks_like_module_output(std::string_view text, const Dialect& dialect);

}  // namespace athil::field
