#include "report/html_timeline.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "report/html.hpp"

namespace athil::report {

namespace {

constexpr std::size_t max_read = 4 * 1024 * 1024;  // of a transcript or a CSV
constexpr std::size_t max_marks = 400;             // per lane: the page stays small
constexpr double width = 1000, lane = 26, label = 90;

std::string read_head(const std::filesystem::path& path, std::size_t max) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  std::string text(ec ? 0 : std::min<std::uintmax_t>(size, max), '\0');  // not `max` zeroes for a short file
  in.read(text.data(), static_cast<std::streamsize>(max));
  text.resize(static_cast<std::size_t>(std::max<std::streamsize>(0, in.gcount())));
  return text;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  for (std::size_t at = 0; at < text.size();) {
    auto end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

// A transcript line, its seconds read only when drawn: most lines of a long run are thinned out.
struct Event {
  std::string_view seconds;
  char dir = '#';
  std::string_view text;
  double t() const {
    double t = 0;
    std::from_chars(seconds.data(), seconds.data() + seconds.size(), t);
    return t;
  }
};

// Digits with at most one point: "1.2.3" in a hand-edited transcript is no time.
bool is_seconds(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }) && std::count(s.begin(), s.end(), '.') <= 1 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

// The transcript's events by lane, in one pass and with no list of them all: a long run's
// transcript has tens of thousands of lines.
struct Lanes {
  std::vector<Event> sent, received, urcs, status, blocks;
  std::string_view last_seconds;  // of the last event of any lane: the timeline's span
};
Lanes lanes_of(std::string_view transcript) {
  Lanes l;
  for (auto line : lines_of(transcript)) {
    auto space = line.find(' ');
    if (space == std::string_view::npos || space + 2 >= line.size() || !is_seconds(line.substr(0, space))) continue;
    const Event e{.seconds = line.substr(0, space), .dir = line[space + 1], .text = line.substr(std::min(line.size(), space + 3))};
    l.last_seconds = e.seconds;
    if (e.dir == '>') l.sent.push_back(e);
    if (e.dir == '<') l.received.push_back(e);
    if (e.dir == '#' && e.text.starts_with("urc: ")) l.urcs.push_back(e);
    if (e.dir == '=' && e.text.starts_with("status ")) l.status.push_back(e);
    if (e.dir == '#' && (e.text.starts_with("step ") || e.text.starts_with("block "))) l.blocks.push_back(e);
  }
  return l;
}

// Every k-th of many: a lane of thousands of marks is noise, and weight on the page.
template <typename T>
std::vector<T> thinned(const std::vector<T>& all) {
  if (all.size() <= max_marks) return all;
  std::vector<T> out;
  for (std::size_t i = 0; i < all.size(); i += (all.size() + max_marks - 1) / max_marks) out.push_back(all[i]);
  return out;
}

struct Scale {
  double span;
  double x(double t) const { return label + (width - label) * (span > 0 ? t / span : 0); }
};

// A coordinate with one decimal, as "{:.1f}" formats it but for a tie, rounded away from zero
// (on a page the same): fmt's fixed precision and std::to_chars's are slow, and a page has a
// thousand marks.
void append_tenths(std::string& out, double value) {
  auto tenths = std::llround(value * 10);
  char text[32];
  auto end = std::to_chars(text, text + sizeof text, tenths / 10).ptr;
  *end++ = '.';
  *end++ = static_cast<char>('0' + std::abs(tenths % 10));
  if (tenths < 0 && tenths > -10) out += '-';  // "-0.5": the whole part alone lost its sign
  out.append(text, static_cast<std::size_t>(end - text));
}

std::string marks(const std::vector<Event>& events, int row, const char* css, const Scale& s) {
  std::string out, y;
  append_tenths(y, row * lane + 6);
  for (const auto& e : thinned(events)) {
    out += R"(<rect class=")";
    out += css;
    out += R"(" x=")";
    append_tenths(out, s.x(e.t()));
    out += R"(" y=")";
    out += y;
    out += R"(" width="3" height="14"><title>)";
    out += e.seconds;  // as the transcript has it
    out += " s ";
    out += html_text(e.text.substr(0, 160));
    out += "</title></rect>";
  }
  return out;
}

// STATUS as a level line from its edges ("= status high").
std::string status_line(const std::vector<Event>& events, int row, const Scale& s) {
  std::string points;
  double high = row * lane + 6, low = row * lane + 20, level = low;
  points += fmt::format("{:.1f},{:.1f} ", label, level);
  for (const auto& e : thinned(events)) {
    double next = e.text.ends_with("high") ? high : low;
    points += fmt::format("{:.1f},{:.1f} {:.1f},{:.1f} ", s.x(e.t()), level, s.x(e.t()), next);
    level = next;
  }
  points += fmt::format("{:.1f},{:.1f}", width, level);
  return fmt::format(R"(<polyline class="status" points="{}"/>)", points);
}

// One row of the current's CSV: seconds, amps (then the peak, not drawn here).
std::optional<std::pair<double, double>> csv_sample(std::string_view line) {
  auto comma = line.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  auto rest = line.substr(comma + 1);
  rest = rest.substr(0, rest.find(','));
  double t = 0, a = 0;
  if (std::from_chars(line.data(), line.data() + comma, t).ec != std::errc() || std::from_chars(rest.data(), rest.data() + rest.size(), a).ec != std::errc())
    return std::nullopt;  // the header
  return std::pair{t, a};
}

// The current as a line scaled to its own peak.
std::string current_line(const std::filesystem::path& csv, int row, const Scale& s) {
  std::vector<std::pair<double, double>> samples;
  std::string text = read_head(csv, max_read);  // the lines are views into it
  for (auto line : lines_of(text))
    if (auto sample = csv_sample(line)) samples.push_back(*sample);
  if (samples.empty()) return "";
  samples = thinned(samples);
  double top = 0;
  for (const auto& x : samples) top = std::max(top, x.second);
  std::string points;
  for (auto [t, a] : samples) points += fmt::format("{:.1f},{:.1f} ", s.x(t), row * lane + 22 - (top > 0 ? 18 * a / top : 0));
  return fmt::format(R"(<polyline class="current" points="{}"><title>current, highest {:.3g} A</title></polyline>)", points, top);
}

}  // namespace

std::string timeline_svg(const std::filesystem::path& transcript, const std::filesystem::path& current_csv) {
  std::error_code ec;
  if (transcript.empty() || !std::filesystem::exists(transcript, ec)) return "";
  std::string text = read_head(transcript, max_read);
  const auto [sent, received, urcs, status, blocks, last_seconds] = lanes_of(text);
  if (last_seconds.empty()) return "";
  Scale s{.span = Event{.seconds = last_seconds}.t()};
  bool has_current = !current_csv.empty() && std::filesystem::exists(current_csv, ec);
  int rows = has_current ? 5 : 4;
  std::string out =
      fmt::format(R"(<svg class="timeline" viewBox="0 0 {} {}" role="img" aria-label="timeline: {} commands, {} answers, {} URCs over {:.3f} s of real time">)",
                  width, rows * lane + 14, sent.size(), received.size(), urcs.size(), s.span);
  const char* names[] = {"host", "module", "URC", "STATUS", "current"};
  for (int r = 0; r < rows; ++r) out += fmt::format(R"(<text class="lane" x="2" y="{:.1f}">{}</text>)", r * lane + 18, names[r]);
  for (const auto& b : thinned(blocks))
    out += fmt::format(R"(<line class="block" x1="{0:.1f}" x2="{0:.1f}" y1="0" y2="{1:.1f}"><title>{2}</title></line>)", s.x(b.t()), rows * lane,
                       html_text(b.text));
  out += marks(sent, 0, "sent", s) + marks(received, 1, "received", s) + marks(urcs, 2, "urc", s) + status_line(status, 3, s);
  // The current's seconds count from its first sample: the capture starts with the scenario.
  if (has_current) out += current_line(current_csv, 4, s);
  out += fmt::format(R"(<text class="axis" x="{}" y="{:.1f}">0 s</text><text class="axis end" x="{}" y="{:.1f}">{:.3f} s real time</text></svg>)", label,
                     rows * lane + 12, width, rows * lane + 12, s.span);
  return out;
}

std::string transcript_tail(const std::filesystem::path& transcript, std::size_t lines) {
  std::error_code ec;
  auto size = std::filesystem::file_size(transcript, ec);
  if (ec) return "";
  std::ifstream in(transcript, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(size > max_read ? size - max_read : 0));
  std::string text(std::min<std::uintmax_t>(size, max_read), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  auto all = lines_of(text);
  std::string out;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += std::string(all[i].substr(0, 300)) + "\n";
  return out;
}

}  // namespace athil::report
