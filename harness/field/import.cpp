// Importing a log: its shape chosen from the text (or told), the decorations taken off each
// line, the shape's recognizer placing what went to the module and what came from it, and a
// report of what was recognised. Lines are read one at a time and bounded (log_text.hpp);
// nothing here runs a regex over the log.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/error.hpp"
#include "base/escape.hpp"
#include "field/log_text.hpp"
#include "field/prefix.hpp"
#include "field/session.hpp"
#include "field/shapes.hpp"

namespace athil::field {

namespace {

constexpr std::string_view transcript_header = "# athil-transcript";

bool is_athil_transcript(std::string_view text) {
  LogLines lines(text);
  while (auto l = lines.next()) {
    if (l->text.empty()) continue;
    return l->text.rfind(transcript_header, 0) == 0;
  }
  return false;
}

// The harness's own transcripts: "seconds direction escaped-bytes".
void import_athil(std::string_view text, Session& s) {
  LogLines lines(text);
  while (auto l = lines.next()) {
    std::string_view t = l->text;
    if (t.rfind(transcript_header, 0) == 0) {
      if (t != "# athil-transcript 1") {
        s.problem(ImportProblem{l->number, std::string(t), "a transcript version this athil does not read (it reads version 1)"});
        return;
      }
      continue;
    }
    if (t.empty()) continue;
    // "0.003120 < bytes": the time, a blank, one direction character, a blank or the end.
    auto space = t.find(' ');
    double seconds = 0;
    bool timed = space != std::string_view::npos && space > 0;
    try {
      std::size_t used = 0;
      if (timed) seconds = std::stod(std::string(t.substr(0, space)), &used);
      timed = timed && used == space;
    } catch (const std::exception&) {
      timed = false;
    }
    if (!timed || space + 1 >= t.size() || std::string_view("<>=#").find(t[space + 1]) == std::string_view::npos ||
        (space + 2 < t.size() && t[space + 2] != ' ')) {
      s.problem(ImportProblem{l->number, std::string(t), "not an event line (seconds, direction, bytes)"});
      continue;
    }
    auto dir = static_cast<Direction>(t[space + 1]);
    if (dir != Direction::to_module && dir != Direction::from_module) continue;  // notes and pins: the harness's own
    try {
      s.add(SessionEvent{seconds, dir, unescape_bytes(space + 3 <= t.size() ? t.substr(space + 3) : std::string_view()), l->number});
      ++s.detection.placed;
    } catch (const InputError& e) {
      s.problem(ImportProblem{l->number, std::string(t), e.what()});
    }
  }
}

// What a first pass over the log sees: each shape's marks, the decorations most lines had,
// and whether a command line is often repeated at once (the host's write, then the echo).
struct Survey {
  std::map<LogFormat, int> marks;
  std::map<std::string, int> decorations;  // "time, level" -> lines
  std::map<std::string, std::string> example;
  int lines = 0;
  int commands = 0, doubled = 0;
  int timed = 0, timed_gt = 0, timed_lt = 0;  // lines with a time, and of them those that go on with ">" or "<"

  // Whether most lines with a time go on with "> " and none with "<": a monitor's mark before
  // every line it shows (PlatformIO's), not the direction of each.
  bool monitor_marks() const { return timed_gt >= 2 && timed_lt == 0 && timed_gt * 2 >= timed; }
};

std::string kinds_text(const std::vector<const char*>& kinds) {
  std::string out;
  for (const char* k : kinds) {
    if (!out.empty() && out.find(k) != std::string::npos) continue;
    out += fmt::format("{}{}", out.empty() ? "" : ", ", k);
  }
  return out;
}

Survey survey(std::string_view text, const std::vector<std::unique_ptr<Shape>>& shapes, StripOptions options) {
  Survey s;
  LogLines lines(text);
  std::string last_command;
  while (auto l = lines.next()) {
    ++s.lines;
    if (l->text == "#" || l->text.rfind("# ", 0) == 0) continue;  // a comment: no shape's mark
    Message m = strip_decorations(l->text, options);
    if (std::find(m.kinds.begin(), m.kinds.end(), std::string_view("time")) != m.kinds.end()) {
      ++s.timed;
      s.timed_gt += m.text.starts_with('>') && !m.text.starts_with(">>");
      s.timed_lt += m.text.starts_with('<');
    }
    if (!m.kinds.empty()) {
      auto key = kinds_text(m.kinds);
      if (s.decorations[key]++ == 0) s.example[key] = std::string(l->text.substr(0, l->text.size() - std::min(l->text.size(), m.text.size())));
    }
    for (std::size_t i = 0; i < shapes.size(); ++i)
      if (shapes[i]->marks(m)) ++s.marks[line_shapes()[i]];
    auto t = trim_view(m.text);
    if (is_command(t)) {
      ++s.commands;
      if (t == last_command) ++s.doubled;
      last_command = std::string(t);
    } else if (!t.empty()) {
      last_command.clear();
    }
  }
  return s;
}

LogFormat choose(const Survey& s) {
  LogFormat best = LogFormat::raw;
  int most = 0;
  for (auto f : line_shapes()) {
    if (f == LogFormat::raw) continue;
    auto it = s.marks.find(f);
    if (it != s.marks.end() && it->second > most) {
      most = it->second;
      best = f;
    }
  }
  return best;
}

// For a log in which nothing was placed: the three shapes with most marks, and what each lacked.
std::vector<std::string> candidates(const Survey& survey, const std::vector<std::unique_ptr<Shape>>& shapes) {
  std::vector<std::pair<int, std::size_t>> ranked;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    auto it = survey.marks.find(line_shapes()[i]);
    ranked.emplace_back(it == survey.marks.end() ? 0 : it->second, i);
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](auto a, auto b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (std::size_t k = 0; k < 3 && k < ranked.size(); ++k) {
    auto [n, i] = ranked[k];
    out.push_back(fmt::format("{}: {} (it looks for {})", to_string(line_shapes()[i]),
                              n == 0 ? "no line of its kind" : fmt::format("{} line(s) of its kind, but none with a command", n), shapes[i]->looks_for()));
  }
  return out;
}

void import_lines(std::string_view text, Session& s, bool host_lines_shown, StripOptions options) {
  Builder b(s);
  auto shape = make_shape(s.format, host_lines_shown);
  LogLines lines(text);
  while (auto l = lines.next()) {
    // "# ..." at a line's start: the log keeper's comment (a source, what the log shows), never traffic.
    if (l->text == "#" || l->text.rfind("# ", 0) == 0) {
      b.note(l->text, std::nullopt, l->number);
      continue;
    }
    Message m = strip_decorations(l->text, options);
    if (l->cut)
      b.problem(l->number, l->text.substr(0, 60), fmt::format("a line over {} bytes: only its first {} were read", LogLines::max_line, LogLines::max_line));
    s.detection.placed += shape->take(m, l->number, b);
  }
  shape->finish(b);
  if (!text.empty() && !lines.ends_with_newline())
    b.problem(s.detection.lines, "", "the log ends without a line end: its last line may be cut (a log pasted from a page often is)");
}

}  // namespace

bool is_command(std::string_view text) {
  // "AT> ATE0" and "AT< OK" are a dialer's direction marks, not commands.
  return text.size() >= 2 && std::toupper(static_cast<unsigned char>(text[0])) == 'A' && std::toupper(static_cast<unsigned char>(text[1])) == 'T' &&
         (text.size() == 2 || (text[2] != ' ' && text[2] != '>' && text[2] != '<'));
}

namespace {
struct FormatName {
  LogFormat format;
  std::string_view name;
};
constexpr FormatName format_names[] = {{LogFormat::automatic, "auto"},
                                       {LogFormat::athil, "athil"},
                                       {LogFormat::raw, "raw"},
                                       {LogFormat::markers, "markers"},
                                       {LogFormat::espidf, "espidf"},
                                       {LogFormat::zephyr_chat, "zephyr-chat"},
                                       {LogFormat::zephyr_hexdump, "zephyr-hexdump"},
                                       {LogFormat::esp_modem, "esp-modem"},
                                       {LogFormat::modemmanager, "modemmanager"},
                                       {LogFormat::pppd, "pppd"},
                                       {LogFormat::python, "python"},
                                       {LogFormat::rtthread_at, "rt-thread-at"}};
}  // namespace

LogFormat parse_log_format(std::string_view name) {
  if (name == "arrows") return LogFormat::markers;  // the typed-session shape of earlier releases is a kind of markers
  std::vector<std::string_view> known;
  for (const auto& f : format_names) {
    if (name == f.name) return f.format;
    known.push_back(f.name);
  }
  throw InputError(fmt::format("unknown log format '{}' ({})", name, fmt::join(known, ", ")));
}

const char* to_string(LogFormat format) {
  for (const auto& f : format_names)
    if (f.format == format) return f.name.data();
  return "?";
}

Session import_log(std::string_view text, LogFormat format, ImportOptions options) {
  if (auto why = not_a_text_log(text)) throw InputError(*why);
  Session s;
  s.sink = std::move(options.sink);
  s.keep_notes = options.keep_notes;
  if (format == LogFormat::athil || (format == LogFormat::automatic && is_athil_transcript(text))) {
    s.format = LogFormat::athil;
    import_athil(text, s);
  } else {
    std::vector<std::unique_ptr<Shape>> shapes;
    for (auto f : line_shapes()) shapes.push_back(make_shape(f));
    StripOptions stripping;
    Survey seen = survey(text, shapes, stripping);
    if (seen.monitor_marks()) {
      stripping.time_then_gt = true;
      seen = survey(text, shapes, stripping);
    }
    s.format = format == LogFormat::automatic ? choose(seen) : format;
    s.detection.lines = seen.lines;
    // The decorations most lines had, with the first line's as an example.
    auto most = std::max_element(seen.decorations.begin(), seen.decorations.end(), [](auto& a, auto& b) { return a.second < b.second; });
    if (most != seen.decorations.end())
      s.detection.prefix = fmt::format("{} on {} line(s), such as '{}'", most->first, most->second, escape_bytes(seen.example[most->first]));
    // StreamDebugger-like: command lines come twice, the host's write then the echo (until ATE0
    // turns the echo off). A terminal shows a command twice only when it was typed twice unanswered.
    bool host_lines_shown = seen.doubled >= 2;
    import_lines(text, s, host_lines_shown, stripping);
    if (s.detection.placed == 0) s.detection.candidates = candidates(seen, shapes);
  }
  if (s.commands == 0) s.problem(ImportProblem{0, "", "no command sent to the module anywhere in the log"});
  return s;
}

std::string_view log_lines(std::string_view text, int first, int last) {
  if (first < 1 || last < first) throw InputError(fmt::format("lines {}-{}: give FIRST-LAST, 1 <= FIRST <= LAST", first, last));
  std::size_t begin = std::string_view::npos, at = 0;
  for (int n = 1; at <= text.size(); ++n) {
    if (n == first) begin = at;
    auto nl = text.find('\n', at);
    if (n == last || nl == std::string_view::npos) {
      if (begin == std::string_view::npos) break;
      return text.substr(begin, (nl == std::string_view::npos ? text.size() : nl + 1) - begin);
    }
    at = nl + 1;
  }
  throw InputError(fmt::format("lines {}-{}: the log has fewer lines", first, last));
}

std::string describe_detection(const Session& s) {
  const auto& d = s.detection;
  std::string out = fmt::format("shape {}", to_string(s.format));
  if (!d.prefix.empty()) out += fmt::format("; took off {}", d.prefix);
  if (s.format != LogFormat::athil) out += fmt::format("; placed {} of {} line(s)", d.placed, d.lines);
  for (const auto& c : d.candidates) out += fmt::format("\n  not placed as {}", c);
  return out;
}

TranscriptWriter::TranscriptWriter(std::ostream& out) : out_(out) { out_ << transcript_first_line; }

void TranscriptWriter::operator()(const SessionEvent& e) {
  if (e.t && !t0_) t0_ = *e.t;
  // A log without times keeps its order; one with them is shown from its first time.
  double t = e.t && t0_ ? std::max(*e.t - *t0_, last_) : last_;
  last_ = t;
  // In whole microseconds; a log's clock that runs past what 64 bits hold (292,000 years) stops there.
  const std::int64_t us = t < 9.2e12 ? std::llround(t * 1e6) : std::numeric_limits<std::int64_t>::max();
  line_.clear();
  append_transcript_line(line_, us, e.dir, e.bytes);
  out_ << line_;
}

std::string render_transcript(const Session& session) {
  std::ostringstream out;
  TranscriptWriter write(out);
  for (const auto& e : session.events) write(e);
  return std::move(out).str();
}

namespace {
template <class Events>
Dialogue dialogue_from(Events& events) {
  Dialogue d;
  std::optional<double> sent_at;
  for (auto& e : events) {
    if (e.dir == Direction::to_module) {
      std::string text = e.bytes;
      while (!text.empty() && (text.back() == '\r' || text.back() == '\n')) text.pop_back();
      d.exchanges.push_back(Exchange{std::move(text), e.line, {}});
      sent_at = e.t;
    } else if (e.dir == Direction::from_module) {
      double after = e.t && sent_at ? std::max(0.0, *e.t - *sent_at) : 0.0;
      auto& into = d.exchanges.empty() ? d.before_first : d.exchanges.back().output;
      if constexpr (std::is_const_v<std::remove_reference_t<decltype(e)>>)
        into.push_back(Output{after, e.bytes, e.line, e.payload});
      else
        into.push_back(Output{after, std::move(e.bytes), e.line, e.payload});
    }
  }
  return d;
}
}  // namespace

Dialogue dialogue_of(const Session& session) { return dialogue_from(session.events); }

Dialogue take_dialogue(Session& session) {
  auto d = dialogue_from(session.events);
  session.events.clear();
  session.events.shrink_to_fit();
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
