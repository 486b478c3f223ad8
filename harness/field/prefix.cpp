#include "field/prefix.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>

namespace athil::field {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads a run of digits (at least `min`, at most `max`) at `at`; its value and length.
struct Number {
  std::int64_t value = 0;
  std::size_t length = 0;
};
std::optional<Number> digits(std::string_view s, std::size_t at, std::size_t min, std::size_t max) {
  Number n;
  while (at + n.length < s.size() && n.length < max && is_digit(s[at + n.length])) n.value = n.value * 10 + (s[at + n.length++] - '0');
  if (n.length < min || (at + n.length < s.size() && is_digit(s[at + n.length]))) return std::nullopt;
  return n;
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> weekdays = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

std::optional<unsigned> month_at(std::string_view s, std::size_t at) {
  for (unsigned i = 0; i < months.size(); ++i)
    if (s.substr(at, 3) == months[i]) return i + 1;
  return std::nullopt;
}

// H:MM:SS or HH:MM:SS, an optional fraction ([.,:]digits, then ",digits" as Zephyr writes
// microseconds), an optional AM/PM and zone. Seconds of the day, and the length read.
struct TimeRead {
  double seconds = 0;
  std::size_t length = 0;
};
std::optional<TimeRead> clock_at(std::string_view s, std::size_t at) {
  auto h = digits(s, at, 1, 2);
  if (!h || at + h->length >= s.size() || s[at + h->length] != ':') return std::nullopt;
  std::size_t i = at + h->length + 1;
  auto m = digits(s, i, 2, 2);
  if (!m || i + 2 >= s.size() || s[i + 2] != ':') return std::nullopt;
  i += 3;
  auto sec = digits(s, i, 2, 2);
  if (!sec || h->value > 23 || m->value > 59 || sec->value > 60) return std::nullopt;
  i += 2;
  double seconds = static_cast<double>(h->value * 3600 + m->value * 60 + sec->value);
  auto fraction = [&](std::size_t from) -> std::optional<std::pair<double, std::size_t>> {
    auto f = digits(s, from, 1, 6);
    if (!f) return std::nullopt;
    double scale = 1.0;
    for (std::size_t k = 0; k < f->length; ++k) scale *= 10.0;
    return std::pair{static_cast<double>(f->value) / scale, f->length};
  };
  bool had_fraction = false;
  // ".222" or ":222" (as some monitors write milliseconds)...
  if (i + 1 < s.size() && (s[i] == '.' || (s[i] == ':' && digits(s, i + 1, 3, 3))))
    if (auto f = fraction(i + 1)) {
      seconds += f->first;
      i += 1 + f->second;
      had_fraction = true;
    }
  // ...then ",442", Zephyr's microseconds; or ",957" alone, Python logging's milliseconds.
  if (i + 1 < s.size() && s[i] == ',')
    if (auto f = fraction(i + 1)) {
      seconds += had_fraction ? f->first / 1000.0 : f->first;
      i += 1 + f->second;
    }
  if (s.substr(i, 3) == " AM" || s.substr(i, 3) == " PM") {
    if (s[i + 1] == 'P' && h->value < 12) seconds += 12 * 3600;
    if (s[i + 1] == 'A' && h->value == 12) seconds -= 12 * 3600;
    i += 3;
  }
  if (i < s.size() && s[i] == 'Z')
    ++i;
  else if (i + 5 < s.size() + 1 && (s[i] == '+' || s[i] == '-') && digits(s, i + 1, 2, 2) && i + 3 < s.size() && s[i + 3] == ':' && digits(s, i + 4, 2, 2))
    i += 6;
  return TimeRead{seconds, i - at};
}

// YYYY-MM-DD or YYYY/MM/DD, or D/M/YYYY as a spreadsheet writes it; days since 1970 and length.
struct Date {
  std::int64_t days = 0;
  std::size_t length = 0;
};
std::optional<Date> date_at(std::string_view s, std::size_t at) {
  if (auto y = digits(s, at, 4, 4); y && at + 4 < s.size() && (s[at + 4] == '-' || s[at + 4] == '/')) {
    char sep = s[at + 4];
    auto m = digits(s, at + 5, 2, 2);
    if (!m || at + 7 >= s.size() || s[at + 7] != sep) return std::nullopt;
    auto d = digits(s, at + 8, 2, 2);
    if (!d || m->value < 1 || m->value > 12 || d->value < 1 || d->value > 31) return std::nullopt;
    return Date{days_from_civil(y->value, static_cast<unsigned>(m->value), static_cast<unsigned>(d->value)), 10};
  }
  auto a = digits(s, at, 1, 2);
  if (!a || at + a->length >= s.size() || s[at + a->length] != '/') return std::nullopt;
  std::size_t i = at + a->length + 1;
  auto b = digits(s, i, 1, 2);
  if (!b || i + b->length >= s.size() || s[i + b->length] != '/') return std::nullopt;
  i += b->length + 1;
  auto y = digits(s, i, 4, 4);
  if (!y) return std::nullopt;
  return Date{days_from_civil(y->value, static_cast<unsigned>(std::clamp<std::int64_t>(a->value, 1, 12)),
                              static_cast<unsigned>(std::clamp<std::int64_t>(b->value, 1, 31))),
              i + 4 - at};
}

// A date and a time (T or blanks between), or a time alone; seconds and length.
std::optional<TimeRead> datetime_at(std::string_view s, std::size_t at) {
  if (auto d = date_at(s, at)) {
    std::size_t i = at + d->length;
    if (i < s.size() && (s[i] == 'T' || s[i] == ' ')) {
      while (i < s.size() && (s[i] == 'T' || s[i] == ' ')) ++i;
      if (auto c = clock_at(s, i)) return TimeRead{static_cast<double>(d->days) * 86400.0 + c->seconds, i + c->length - at};
    }
    return std::nullopt;
  }
  return clock_at(s, at);
}

// "Nov 17 12:15:37", "Dec  1 11:57:24.254", with an optional year after: syslog's and others'.
std::optional<TimeRead> month_day_time_at(std::string_view s, std::size_t at) {
  auto month = month_at(s, at);
  if (!month || at + 3 >= s.size() || s[at + 3] != ' ') return std::nullopt;
  std::size_t i = at + 4;
  if (i < s.size() && s[i] == ' ') ++i;
  auto day = digits(s, i, 1, 2);
  if (!day || i + day->length >= s.size() || s[i + day->length] != ' ') return std::nullopt;
  i += day->length + 1;
  auto c = clock_at(s, i);
  if (!c) return std::nullopt;
  i += c->length;
  std::int64_t year = 2000;
  if (auto y = digits(s, i + 1, 4, 4); y && i < s.size() && s[i] == ' ') {
    year = y->value;
    i += 5;
  }
  return TimeRead{static_cast<double>(days_from_civil(year, *month, static_cast<unsigned>(day->value))) * 86400.0 + c->seconds, i - at};
}

struct Stripper {
  std::string_view rest;
  Message& m;
  StripOptions options;

  void take(std::size_t n, const char* kind, std::optional<double> t = std::nullopt) {
    rest.remove_prefix(n);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    m.kinds.push_back(kind);
    if (t && !m.t) m.t = t;
  }

  // "00> ": SEGGER RTT's terminal channel, as nRF Connect and J-Link RTT Viewer print it.
  bool rtt_channel() {
    if (rest.size() < 4 || !is_digit(rest[0]) || !is_digit(rest[1]) || rest[2] != '>' || rest[3] != ' ') return false;
    take(4, "RTT channel");
    return true;
  }
  // "uart:~$ ", "rtt:~$ ": Zephyr's shell prompt, which logging interleaves with.
  bool shell_prompt() {
    auto p = rest.find(":~$ ");
    if (p == std::string_view::npos || p == 0 || p > 16) return false;
    for (std::size_t i = 0; i < p; ++i)
      if (!std::isalnum(static_cast<unsigned char>(rest[i])) && rest[i] != '_') return false;
    take(p + 4, "shell prompt");
    return true;
  }
  // "\"5/9/2023 1:38:59 PM\",": a log saved from a spreadsheet or a capture tool's CSV.
  bool quoted_time() {
    if (rest.size() < 4 || rest[0] != '"') return false;
    auto close = rest.find("\",");
    if (close == std::string_view::npos || close > 40) return false;
    auto inside = rest.substr(1, close - 1);
    auto c = datetime_at(inside, 0);
    if (!c) return false;
    take(close + 2, "quoted time", c->seconds);
    return true;
  }
  // "<6>": a syslog priority.
  bool syslog_priority() {
    if (rest.size() < 4 || rest[0] != '<') return false;
    auto n = digits(rest, 1, 1, 3);
    if (!n || rest.size() <= 1 + n->length || rest[1 + n->length] != '>') return false;
    take(2 + n->length, "syslog priority");
    return true;
  }
  bool weekday() {
    for (auto w : weekdays)
      if (rest.substr(0, 3) == w && rest.size() > 4 && rest[3] == ' ') {
        take(4, "weekday");
        return true;
      }
    return false;
  }
  // After a syslog time: "host prog[pid]: ", "host facility.level prog[pid]: ", "daemon.warn [5840]: ".
  void syslog_header() {
    std::string_view look = rest;
    for (int words = 0; words < 3 && !look.empty(); ++words) {
      auto end = look.find(' ');
      std::string_view word = look.substr(0, end);
      if (word.size() > 1 && word.back() == ':') {
        take(static_cast<std::size_t>(word.data() + word.size() - rest.data()), "syslog header");
        return;
      }
      if (end == std::string_view::npos) return;
      look = look.substr(end + 1);
    }
  }
  bool timestamp() {
    if (auto c = month_day_time_at(rest, 0)) {
      take(c->length, "time", c->seconds);
      syslog_header();
      return true;
    }
    // A time is followed by a separator or a mark ("14:05:09:055[Send->]"), never by more of a word.
    if (auto c = datetime_at(rest, 0); c && c->length < rest.size() && !std::isalnum(static_cast<unsigned char>(rest[c->length])) && rest[c->length] != '.') {
      std::size_t n = c->length;
      if (rest[n] == ':' || rest[n] == ',') ++n;  // "17:00:24: " (gammu)
      take(n, "time", c->seconds);
      // The separators loggers put after a time.
      for (std::string_view sep : {"-> ", "- ", ": "})
        if (rest.substr(0, sep.size()) == sep) rest.remove_prefix(sep.size());
      if (options.time_then_gt && (rest == ">" || rest.starts_with("> "))) rest.remove_prefix(std::min<std::size_t>(2, rest.size()));
      return true;
    }
    // Seconds since 1970, as journalctl -o short-unix and many tools write them (since 2001: a
    // zero-padded counter is not one).
    if (auto s = digits(rest, 0, 10, 10); s && s->value >= 1'000'000'000 && s->length < rest.size() && (rest[10] == '.' || rest[10] == ' ')) {
      double t = static_cast<double>(s->value);
      std::size_t n = 10;
      if (rest[10] == '.')
        if (auto f = digits(rest, 11, 1, 9)) {
          double scale = 1;
          for (std::size_t k = 0; k < f->length; ++k) scale *= 10;
          t += static_cast<double>(f->value) / scale;
          n = 11 + f->length;
        }
      if (n < rest.size() && rest[n] == ' ') {
        take(n, "epoch time", t);
        return true;
      }
    }
    // A millisecond counter before a tag: "0000007633 [ncp.at]" (Particle).
    if (auto ms = digits(rest, 0, 6, 12); ms && rest.size() > ms->length + 1 && rest[ms->length] == ' ' && rest[ms->length + 1] == '[') {
      take(ms->length, "millisecond counter", static_cast<double>(ms->value) / 1000.0);
      return true;
    }
    // Seconds since start to the millisecond or microsecond: "9306.349 [GSM]: ", "9306.350: ".
    if (auto s = digits(rest, 0, 1, 7); s && rest.size() > s->length + 1 && rest[s->length] == '.')
      if (auto f = digits(rest, s->length + 1, 3, 6); f && (f->length == 3 || f->length == 6)) {
        std::size_t n = s->length + 1 + f->length;
        if (n < rest.size() && (rest[n] == ' ' || rest[n] == ':')) {
          take(rest[n] == ':' ? n + 1 : n, "seconds counter", static_cast<double>(s->value) + static_cast<double>(f->value) / (f->length == 3 ? 1e3 : 1e6));
          return true;
        }
      }
    return false;
  }
  // "ModemManager[812]: ": a program's tag, as journal excerpts start.
  bool program_tag() {
    auto open = rest.find('[');
    if (open == std::string_view::npos || open == 0 || open > 32) return false;
    for (std::size_t i = 0; i < open; ++i)
      if (!std::isalnum(static_cast<unsigned char>(rest[i])) && std::string_view("-_.").find(rest[i]) == std::string_view::npos) return false;
    auto pid = digits(rest, open + 1, 1, 8);
    if (!pid || rest.substr(open + 1 + pid->length, 2) != "]:") return false;
    take(open + 3 + pid->length, "program tag");
    return true;
  }
  // "D (910) ": ESP-IDF's level and millisecond tick.
  bool espidf_level() {
    if (rest.size() < 5 || std::string_view("DIWEV").find(rest[0]) == std::string_view::npos || rest[1] != ' ' || rest[2] != '(') return false;
    auto ms = digits(rest, 3, 1, 10);
    if (!ms || rest.size() <= 3 + ms->length || rest[3 + ms->length] != ')') return false;
    take(4 + ms->length, "ESP-IDF level", static_cast<double>(ms->value) / 1000.0);
    return true;
  }
  // "<dbg>", "<inf>", "<debug>": Zephyr's and ModemManager's levels.
  bool angle_level() {
    for (std::string_view level : {"<dbg>", "<inf>", "<wrn>", "<err>", "<debug>", "<info>", "<warn>", "<error>", "<msg>"})
      if (rest.substr(0, level.size()) == level) {
        take(level.size(), "level");
        return true;
      }
    return false;
  }
  // "DEBUG: ", "TRACE: ", "INFO -> ", "DEBUG - ": level words with their separator.
  bool word_level() {
    for (std::string_view level : {"TRACE", "DEBUG", "INFO", "WARN", "WARNING", "NOTICE", "VERBOSE"})
      if (rest.substr(0, level.size()) == level)
        for (std::string_view sep : {": ", " -> ", " - ", " : "})
          if (rest.substr(level.size(), sep.size()) == sep) {
            take(level.size() + sep.size(), "level");
            return true;
          }
    return false;
  }
  static bool serilog_level(std::string_view word) {
    for (std::string_view level : {"VRB", "DBG", "INF", "WRN", "ERR", "FTL"})
      if (word == level) return true;
    return false;
  }
  // "[13:19:36]", "[Dec  1 11:57:24.254]", "[1574489734.692440]", "[6737]", "[D]", "[ncp.at]",
  // "[ttyUSB2/at]": a bracket around a time, a counter, a level or a tag (never a direction
  // marker such as "[Send->]").
  bool bracket() {
    if (rest.size() < 3 || rest[0] != '[') return false;
    auto close = rest.find(']');
    if (close == std::string_view::npos || close < 2 || close > 40) return false;
    auto inside = rest.substr(1, close - 1);
    if (auto c = month_day_time_at(inside, 0); c && c->length == inside.size()) return take(close + 1, "time", c->seconds), true;
    if (auto c = datetime_at(inside, 0); c && c->length == inside.size()) return take(close + 1, "time", c->seconds), true;
    // Serilog's console template: "[10:43:26 VRB]", the time and the level's three letters.
    if (auto c = datetime_at(inside, 0); c && c->length + 4 == inside.size() && inside[c->length] == ' ' && serilog_level(inside.substr(c->length + 1))) {
      take(close + 1, "time", c->seconds);
      m.kinds.push_back("level");
      return true;
    }
    if (auto n = digits(inside, 0, 1, 12); n && n->length == inside.size())
      return take(close + 1, "millisecond counter", static_cast<double>(n->value) / 1000.0), true;
    if (auto n = digits(inside, 0, 9, 10); n && inside.size() > n->length && inside[n->length] == '.') {
      auto f = digits(inside, n->length + 1, 1, 9);
      if (f && n->length + 1 + f->length == inside.size()) {
        double scale = 1;
        for (std::size_t k = 0; k < f->length; ++k) scale *= 10;
        return take(close + 1, "epoch time", static_cast<double>(n->value) + static_cast<double>(f->value) / scale), true;
      }
    }
    for (char c : inside)
      if (!std::isalnum(static_cast<unsigned char>(c)) && std::string_view("._-/: ").find(c) == std::string_view::npos) return false;
    if (inside.find("->") != std::string_view::npos || inside.find("<-") != std::string_view::npos) return false;
    std::size_t n = close + 1;
    if (n < rest.size() && rest[n] == ':') ++n;
    take(n, "tag");
    return true;
  }
};

// Removes ANSI escape sequences (colours, cursor moves) wherever they are.
std::string without_ansi(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] != '\x1b') {
      out += line[i];
      continue;
    }
    if (i + 1 < line.size() && line[i + 1] == '[') {
      std::size_t k = i + 2;
      while (k < line.size() && !(line[k] >= 0x40 && line[k] <= 0x7e)) ++k;
      i = k;  // the final byte goes too
    } else {
      ++i;  // ESC and the one character after it
    }
  }
  return out;
}

}  // namespace

Message strip_decorations(std::string_view line, StripOptions options) {
  Message m;
  std::string clean;
  if (line.find('\x1b') != std::string_view::npos) {
    clean = without_ansi(line);
    line = clean;
    m.kinds.push_back("ANSI colour");
  }
  // Blanks before the first decoration go with it; a line that has none keeps them (a dump's row).
  std::string_view unindented = line;
  while (!unindented.empty() && (unindented.front() == ' ' || unindented.front() == '\t')) unindented.remove_prefix(1);
  Stripper s{unindented, m, options};
  // A bounded number of rounds: each takes one decoration off the front.
  for (int round = 0; round < 12; ++round) {
    bool took = s.rtt_channel() || s.shell_prompt() || s.quoted_time() || s.syslog_priority() || s.weekday() || s.timestamp() || s.program_tag() ||
                s.espidf_level() || s.angle_level() || s.word_level() || s.bracket();
    if (!took) break;
  }
  bool decorated = m.kinds.size() > (clean.empty() ? 0u : 1u);
  std::string_view text = decorated ? s.rest : line;
  m.indented = !text.empty() && (text.front() == ' ' || text.front() == '\t');
  m.text = std::string(text);
  return m;
}

}  // namespace athil::field
