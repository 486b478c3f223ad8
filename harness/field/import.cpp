// Importers: each log shape into a Session. A line an importer cannot place becomes an
// ImportProblem with its number; comment lines (starting with '#') are the log keeper's notes.
#include <algorithm>
#include <cctype>
#include <deque>
#include <charconv>
#include <regex>
#include <stdexcept>

#include <fmt/format.h>

#include "at/dialect.hpp"
#include "base/escape.hpp"
#include "base/text.hpp"
#include "field/session.hpp"

namespace athil::field {

namespace {

struct Line {
  int number;
  std::string text;  // without CR and LF
};

std::vector<Line> lines_of(std::string_view text) {
  std::vector<Line> out;
  int n = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    auto nl = text.find('\n', at);
    std::string_view l = text.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
    while (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    out.push_back(Line{++n, std::string(l)});
    if (nl == std::string_view::npos) break;
    at = nl + 1;
  }
  return out;
}

bool is_comment(const std::string& text) { return trim(text).rfind('#', 0) == 0; }

// What the module's UART carries for a line it sent: CR LF framing around it.
std::string module_line(const std::string& text) { return "\r\n" + text + "\r\n"; }

// Builds the events: a host send is the bytes and CR; a line the module sent back equal to the
// last send is its echo (the command and the CR the host sent). After a header that announces
// N raw bytes (+SHREAD: N, ...), the lines that follow are those bytes, joined by CR LF as the
// log shows them, until N are there.
class Builder {
 public:
  explicit Builder(Session& s) : s_(s), payloads_(Dialect::sim70x0("SIM7000").payloads) {}
  ~Builder() { end_payload(); }
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;
  bool in_payload() const { return payload_size_ > 0; }
  void send(const std::string& text, std::optional<double> t, int line) {
    end_payload();
    if (trim(text).empty()) return;  // an empty send marker: nothing went to the module
    s_.events.push_back(SessionEvent{t, Direction::to_module, text + "\r", line});
    unechoed_.push_back(text);
    if (unechoed_.size() > 4) unechoed_.pop_front();
  }
  void receive(const std::string& text, std::optional<double> t, int line) {
    if (in_payload()) {
      payload_.append(text).append("\r\n");
      if (payload_.size() >= payload_size_) end_payload();
      return;
    }
    // A prompt ends without a line end; what follows it on the log's line came after it.
    if (text == ">" || text.rfind("> ", 0) == 0) {
      s_.events.push_back(SessionEvent{t, Direction::from_module, "\r\n> ", line});
      if (text.size() > 2 && !trim(text.substr(2)).empty()) receive(text.substr(2), t, line);
      return;
    }
    // An echo: of the last send, or of one before it that the module echoed late.
    if (auto it = std::find(unechoed_.begin(), unechoed_.end(), text); it != unechoed_.end()) {
      s_.events.push_back(SessionEvent{t, Direction::from_module, text + "\r", line});
      unechoed_.erase(it);
      return;
    }
    s_.events.push_back(SessionEvent{t, Direction::from_module, module_line(text), line});
    for (const auto& rule : payloads_) {
      if (rule.inline_data || text.rfind(rule.prefix, 0) != 0) continue;
      std::size_t n = 0;
      auto digits = text.substr(rule.prefix.size());
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
      if (ec == std::errc() && n > 0 && (end == digits.data() + digits.size() || *end == ',')) {
        payload_size_ = n;
        payload_t_ = t;
        payload_line_ = line;
      }
    }
  }
  void problem(const Line& l, std::string why) { s_.problems.push_back(ImportProblem{l.number, l.text, std::move(why)}); }

 private:
  void end_payload() {
    if (!in_payload()) return;
    // The CR LF that ended the last line is framing when the payload is complete without it.
    std::size_t got = payload_.size();
    if (got == payload_size_ + 2) payload_.resize(payload_size_);
    else if (got != payload_size_)
      s_.problems.push_back(ImportProblem{payload_line_, payload_.substr(0, 40),
                                          fmt::format("a payload of {} bytes announced, the log holds {}: replayed as the log has it", payload_size_, got)});
    s_.events.push_back(SessionEvent{payload_t_, Direction::from_module, std::move(payload_), payload_line_ + 1, true});
    payload_.clear();
    payload_size_ = 0;
  }

  Session& s_;
  std::vector<PayloadRule> payloads_;
  std::deque<std::string> unechoed_;
  std::size_t payload_size_ = 0;
  std::string payload_;
  std::optional<double> payload_t_;
  int payload_line_ = 0;
};

// "HH:MM:SS.mmm" or "HH:MM:SS:mmm", with an optional date before it, in seconds of the day.
std::optional<double> clock_time(const std::string& text) {
  static const std::regex time_re(R"((\d{1,2}):(\d{2}):(\d{2})(?:[.:,](\d{1,6}))?)");
  std::smatch m;
  if (!std::regex_search(text, m, time_re)) return std::nullopt;
  double t = std::stoi(m[1]) * 3600.0 + std::stoi(m[2]) * 60.0 + std::stoi(m[3]);
  if (m[4].matched) t += std::stod("0." + m[4].str());
  return t;
}

// The harness's own transcripts: "seconds direction escaped-bytes".
void import_athil(const std::vector<Line>& lines, Session& s) {
  static const std::regex event_re(R"(^(\d+\.\d+) ([<>=#]) ?(.*)$)");
  for (const auto& l : lines) {
    if (l.text.rfind("# athil-transcript", 0) == 0) {
      if (l.text != "# athil-transcript 1") {
        s.problems.push_back(ImportProblem{l.number, l.text, "a transcript version this athil does not read (it reads version 1)"});
        return;
      }
      continue;
    }
    if (l.text.empty()) continue;
    std::smatch m;
    if (!std::regex_match(l.text, m, event_re)) {
      s.problems.push_back(ImportProblem{l.number, l.text, "not an event line (seconds, direction, bytes)"});
      continue;
    }
    auto dir = static_cast<Direction>(m[2].str()[0]);
    if (dir != Direction::to_module && dir != Direction::from_module) continue;  // notes and pins: the harness's own
    try {
      s.events.push_back(SessionEvent{std::stod(m[1]), dir, unescape_bytes(m[3].str()), l.number});
    } catch (const std::invalid_argument& e) {
      s.problems.push_back(ImportProblem{l.number, l.text, e.what()});
    }
  }
}

// A terminal capture: the commands as the module echoed them, then its lines. An Arduino
// serial monitor's "HH:MM:SS.mmm -> " prefix gives the time.
void import_raw(const std::vector<Line>& lines, Session& s) {
  static const std::regex monitor_re(R"(^(\d{2}:\d{2}:\d{2}\.\d{3}) -> ?(.*)$)");
  Builder b(s);
  for (const auto& l : lines) {
    std::string text = l.text;
    std::optional<double> t;
    std::smatch m;
    if (std::regex_match(l.text, m, monitor_re)) {
      t = clock_time(m[1]);
      text = m[2];
    }
    if (b.in_payload()) {
      b.receive(text, t, l.number);
      continue;
    }
    if (trim(text).empty() && text.find(' ') == std::string::npos) continue;  // framing
    if (is_comment(text)) continue;
    if (is_command(text)) {
      b.send(text, t, l.number);
      b.receive(text, t, l.number);
    } else {
      b.receive(text, t, l.number);
    }
  }
}

// Host logs with a direction marker per block: "[Send->]" / "[Recv<-]" (terminal tools, a
// timestamp before the marker; the block goes on until the next marker), or ">>>" / "<<<" per
// line (with or without a timestamp).
void import_markers(const std::vector<Line>& lines, Session& s) {
  static const std::regex block_re(R"(^(.*)\[(Send->|Recv<-)\](.*)$)");
  static const std::regex arrow_re(R"(^(.*?)(>>>|<<<) ?(.*)$)");
  Builder b(s);
  enum class Block { none, send, receive } block = Block::none;
  std::optional<double> block_t;
  std::string pending_send;  // a send block's text, kept until the block ends (it may go on)
  int pending_line = 0;
  auto flush = [&] {
    if (!pending_send.empty()) b.send(pending_send, block_t, pending_line);
    pending_send.clear();
  };
  for (const auto& l : lines) {
    std::smatch m;
    if (std::regex_match(l.text, m, block_re)) {
      flush();
      block = m[2] == "Send->" ? Block::send : Block::receive;
      block_t = clock_time(m[1]);
      std::string rest = m[3];
      if (block == Block::send) {
        pending_send = rest;
        pending_line = l.number;
      } else if (!trim(rest).empty()) {
        b.receive(rest, block_t, l.number);
      }
      continue;
    }
    if (std::regex_match(l.text, m, arrow_re) && (m[1].length() == 0 || clock_time(m[1]))) {
      flush();
      block = Block::none;
      auto t = clock_time(m[1]);
      if (m[2] == ">>>") b.send(m[3], t, l.number);
      else if (!trim(m[3].str()).empty()) b.receive(m[3], t, l.number);
      continue;
    }
    if (trim(l.text).empty() || is_comment(l.text)) continue;
    if (block == Block::send) {
      // A send that goes on over lines: the tool sent the line break as typed; the module takes
      // each line on its own (it ignores one that is not a command).
      b.problem(l, "a send block goes on over more than one line: taken as a second line sent");
      flush();
      pending_send = l.text;
      pending_line = l.number;
    } else if (block == Block::receive) {
      b.receive(l.text, block_t, l.number);
    } else {
      b.problem(l, "outside any send or receive block");
    }
  }
  flush();
}

// ESP-IDF's esp-modem: "I (721) AT CMD: AT" and one "AT RESP: line" per line received; the
// rest is the application's own log.
void import_espidf(const std::vector<Line>& lines, Session& s) {
  static const std::regex at_re(R"(^[IWEDV] \((\d+)\) AT (CMD|RESP): ?(.*)$)");
  Builder b(s);
  for (const auto& l : lines) {
    std::smatch m;
    if (std::regex_match(l.text, m, at_re)) {
      double t = std::stod(m[1]) / 1000.0;
      if (m[2] == "CMD") b.send(m[3], t, l.number);
      else if (!trim(m[3].str()).empty()) b.receive(m[3], t, l.number);
      continue;
    }
    if (trim(l.text).empty() || is_comment(l.text)) continue;
    b.problem(l, "not an AT CMD or AT RESP line (the host's own log)");
  }
}

// A typed session pasted into a document: "-> AT" for what the user typed, the module's
// lines indented below. Echo is not shown.
void import_arrows(const std::vector<Line>& lines, Session& s) {
  static const std::regex typed_re(R"(^\s*-> (.*)$)");
  Builder b(s);
  for (const auto& l : lines) {
    std::smatch m;
    if (std::regex_match(l.text, m, typed_re)) {
      b.send(trim(m[1].str()), std::nullopt, l.number);
      continue;
    }
    std::string text = trim(l.text);
    if (text.empty() || is_comment(text)) continue;
    if (text.rfind("->", 0) == 0) {
      b.problem(l, "an arrow line that is not '-> COMMAND'");
      continue;
    }
    b.receive(text, std::nullopt, l.number);
  }
}

LogFormat detect(const std::vector<Line>& lines) {
  static const std::regex espidf_re(R"(^[IWEDV] \(\d+\) AT (CMD|RESP):)");
  static const std::regex arrows_re(R"(^\s*-> \S)");
  static const std::regex markers_re(R"(\[(Send->|Recv<-)\]|^(\S.*?)?(>>>|<<<)( |$))");
  for (const auto& l : lines) {
    if (l.text.empty() || l.text[0] == '#') {
      if (l.text.rfind("# athil-transcript", 0) == 0) return LogFormat::athil;
      continue;
    }
    break;
  }
  for (const auto& l : lines) {
    if (std::regex_search(l.text, espidf_re)) return LogFormat::espidf;
    if (std::regex_search(l.text, markers_re)) return LogFormat::markers;
    if (std::regex_search(l.text, arrows_re)) return LogFormat::arrows;
  }
  return LogFormat::raw;
}

}  // namespace

bool is_command(std::string_view text) {
  return text.size() >= 2 && std::toupper(static_cast<unsigned char>(text[0])) == 'A' && std::toupper(static_cast<unsigned char>(text[1])) == 'T' &&
         (text.size() == 2 || text[2] != ' ');
}

LogFormat parse_log_format(std::string_view name) {
  for (auto f : {LogFormat::automatic, LogFormat::athil, LogFormat::raw, LogFormat::markers, LogFormat::espidf, LogFormat::arrows})
    if (name == to_string(f)) return f;
  throw std::invalid_argument(fmt::format("unknown log format '{}' (auto, athil, raw, markers, espidf, arrows)", name));
}

const char* to_string(LogFormat format) {
  switch (format) {
    case LogFormat::automatic: return "auto";
    case LogFormat::athil: return "athil";
    case LogFormat::raw: return "raw";
    case LogFormat::markers: return "markers";
    case LogFormat::espidf: return "espidf";
    case LogFormat::arrows: return "arrows";
  }
  return "?";
}

Session import_log(std::string_view text, LogFormat format) {
  auto lines = lines_of(text);
  Session s;
  s.format = format == LogFormat::automatic ? detect(lines) : format;
  switch (s.format) {
    case LogFormat::athil: import_athil(lines, s); break;
    case LogFormat::markers: import_markers(lines, s); break;
    case LogFormat::espidf: import_espidf(lines, s); break;
    case LogFormat::arrows: import_arrows(lines, s); break;
    case LogFormat::raw:
    case LogFormat::automatic: import_raw(lines, s); break;
  }
  bool any_command = false;
  for (const auto& e : s.events) any_command |= e.dir == Direction::to_module;
  if (!any_command) s.problems.push_back(ImportProblem{0, "", "no command sent to the module anywhere in the log"});
  return s;
}

std::string render_transcript(const Session& session) {
  std::string out = "# athil-transcript 1\n";
  std::optional<double> t0;
  double last = 0;
  for (const auto& e : session.events) {
    if (e.t && !t0) t0 = *e.t;
    // A log without times keeps its order; one with them is shown from its first time.
    double t = e.t && t0 ? std::max(*e.t - *t0, last) : last;
    last = t;
    out += fmt::format("{:.6f} {} {}\n", t, static_cast<char>(e.dir), escape_bytes(e.bytes));
  }
  return out;
}

Dialogue dialogue_of(const Session& session) {
  Dialogue d;
  std::optional<double> sent_at;
  for (const auto& e : session.events) {
    if (e.dir == Direction::to_module) {
      std::string text = e.bytes;
      while (!text.empty() && (text.back() == '\r' || text.back() == '\n')) text.pop_back();
      d.exchanges.push_back(Exchange{text, e.line, {}});
      sent_at = e.t;
    } else if (e.dir == Direction::from_module) {
      double after = e.t && sent_at ? std::max(0.0, *e.t - *sent_at) : 0.0;
      (d.exchanges.empty() ? d.before_first : d.exchanges.back().output).push_back(Output{after, e.bytes, e.line, e.payload});
    }
  }
  return d;
}

std::vector<OutputLine> output_lines(const std::vector<Output>& output) {
  std::vector<OutputLine> out;
  for (const auto& o : output) {
    if (o.payload) continue;
    std::size_t at = 0;
    while (at <= o.bytes.size()) {
      auto end = o.bytes.find_first_of("\r\n", at);
      std::string text = o.bytes.substr(at, end == std::string::npos ? std::string::npos : end - at);
      if (!text.empty()) out.push_back(OutputLine{text, o.after, o.line});
      if (end == std::string::npos) break;
      at = end + 1;
    }
  }
  return out;
}

}  // namespace athil::field
