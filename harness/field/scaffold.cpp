#include "field/scaffold.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <map>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "at/dialect.hpp"
#include "at/engine.hpp"
#include "base/duration.hpp"
#include "base/error.hpp"
#include "base/escape.hpp"
#include "base/xml_source.hpp"
#include "models/models.hpp"
#include "scenario/model.hpp"
#include "scenario/writer.hpp"

namespace athil::field {

namespace {

bool blank(const std::string& text) { return text.find_first_not_of(" \t") == std::string::npos; }

// A gap of over a week between two lines of a log is its clock being set (an RTC set from the
// network jumps from 1970 to today), not a wait.
constexpr double clock_set_gap_s = 7 * 24 * 3600.0;
bool clock_was_set(double after) { return std::isnan(after) || after > clock_set_gap_s; }

// A wait long enough for what the log measured, plus a margin; nothing when the default (10 s
// for a response, 60 s for a URC) covers it, or when the log's clock was set in between.
std::string timeout_for(double after, double default_s) {
  if (clock_was_set(after)) return "";
  double wanted = std::ceil(after * 1.5 + 5.0);
  return wanted > default_s ? fmt::format("{}s", static_cast<long long>(wanted)) : "";
}

// A regex that matches exactly `text`: its specials escaped, and every byte an XML file cannot
// hold (control characters, what is not UTF-8) written as \xHH.
std::string regex_escape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    auto cp = decode_utf8(text, i);
    if (!cp || cp->value < 0x20 || cp->value == 0x7f || (cp->value >= 0x80 && cp->value < 0xa0)) {
      std::size_t n = cp ? cp->length : 1;
      for (std::size_t k = 0; k < n; ++k) out += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[i + k]));
      i += n;
      continue;
    }
    if (cp->length == 1 && std::string_view("\\^$.|?*+()[]{}").find(text[i]) != std::string_view::npos) out += '\\';
    out.append(text.substr(i, cp->length));
    i += cp->length;
  }
  return out;
}

// A regex for `text` within the loader's bound: past it, the line's start and then anything.
std::string bounded_regex(std::string_view text) {
  std::string whole = regex_escape(text);
  if (whole.size() <= scenario::LinePattern::max_regex) return whole;
  std::string start;
  for (std::size_t i = 0; i < text.size();) {
    auto cp = decode_utf8(text, i);
    std::size_t n = cp ? cp->length : 1;
    auto more = regex_escape(text.substr(i, n));
    if (start.size() + more.size() + 2 > scenario::LinePattern::max_regex) break;
    start += more;
    i += n;
  }
  return start + ".*";
}

scenario::DraftAction line_action(const char* element, const std::string& text, double after, double default_s) {
  scenario::DraftAction a{element, {}, text, {}};
  // A scenario's line text is trimmed: a line with blanks at its ends (the "> " prompt) is
  // matched by a regex instead, and so is one with bytes an XML file cannot hold.
  if (text.front() == ' ' || text.back() == ' ' || text.front() == '\t' || text.back() == '\t' || has_control_characters(text)) {
    a.text.clear();
    a.attributes.emplace_back("regex", bounded_regex(text));
  }
  if (auto t = timeout_for(after, default_s); !t.empty()) a.attributes.emplace_back("timeout", t);
  return a;
}

// The engine's rule (at/engine.cpp): a line the model's table knows as unsolicited is a URC,
// unless it is the reply of the pending command that reads or tests.
bool unsolicited(const Dialect& dialect, const std::string& line, const std::string& pending) {
  if (!dialect.urcs.matches(line)) return false;
  if (pending.empty()) return true;
  bool own = AtEngine::has_response_prefix(line, AtEngine::response_prefix(pending));
  return !(own && !AtEngine::is_set_form(pending));
}

// Where the runs of digits are in a line: [start, end) each.
std::vector<std::pair<std::size_t, std::size_t>> digit_runs(std::string_view line) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  for (std::size_t i = 0; i < line.size();) {
    if (!std::isdigit(static_cast<unsigned char>(line[i]))) {
      ++i;
      continue;
    }
    std::size_t start = i;
    while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]))) ++i;
    out.emplace_back(start, i);
  }
  return out;
}

// A line with its digit runs blanked: two answers of one command with the same shape and
// other numbers are a value that varies (a signal level, a counter, an address).
std::string shape_of(const std::string& line) {
  std::string out;
  std::size_t at = 0;
  for (auto [start, end] : digit_runs(line)) {
    out.append(line, at, start - at).append("#");
    at = end;
  }
  return out.append(line, at);
}

// The response lines, per command and position among its answers, seen anywhere in the log.
using AnswersSeen = std::map<std::string, std::vector<std::set<std::string>>>;

// "+CSQ: 20,99" where the log also has "+CSQ: 23,99": the regex with the varying numbers
// captured, named after the command (csq_1, csq_2, ...); empty when nothing varies.
scenario::DraftAction varying_expect(const std::string& line, const std::set<std::string>& seen, const std::string& command) {
  std::vector<std::string> same_shape;
  for (const auto& other : seen)
    if (other != line && shape_of(other) == shape_of(line)) same_shape.push_back(other);
  if (same_shape.empty()) return {};
  std::string stem;
  for (char c : command.substr(2)) {
    if (c == '=' || c == '?') break;
    if (std::isalnum(static_cast<unsigned char>(c))) stem += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (stem.empty()) stem = "value";
  auto runs_of = [](const std::string& text) {
    std::vector<std::string> out;
    for (auto [start, end] : digit_runs(text)) out.push_back(text.substr(start, end - start));
    return out;
  };
  // Only the numbers that differ are captured; the others stay as the log has them.
  auto mine = runs_of(line);
  std::vector<bool> differs(mine.size(), false);
  for (const auto& other : same_shape) {
    auto theirs = runs_of(other);
    for (std::size_t i = 0; i < mine.size() && i < theirs.size(); ++i) differs[i] = differs[i] || theirs[i] != mine[i];
  }
  std::string regex, names;
  int n = 0;
  std::size_t at = 0, index = 0;
  for (auto [start, end] : digit_runs(line)) {
    regex += regex_escape(std::string_view(line).substr(at, start - at));
    if (differs[index++]) {
      regex += "(\\d+)";
      names += fmt::format("{}{}_{}", names.empty() ? "" : " ", stem, ++n);
    } else {
      regex += line.substr(start, end - start);
    }
    at = end;
  }
  regex += regex_escape(std::string_view(line).substr(at));
  if (regex.size() > scenario::LinePattern::max_regex) return {};  // the line as it is, then
  return scenario::DraftAction{
      "expect", {{"regex", regex}, {"capture", names}}, "", fmt::format("varies in the log: also '{}'", escape_bytes(same_shape.front()))};
}

// A scaffold never writes a scenario that `athil validate` refuses: past the size scenario files
// are held to, or the actions a scenario may have, it stops and says where to cut the log.
class Budget {
 public:
  void spend(const std::vector<scenario::DraftAction>& actions, int log_line) {
    for (std::size_t i = counted_; i < actions.size(); ++i) {
      const auto& a = actions[i];
      bytes_ += a.text.size() + a.comment.size() + a.element.size() * 2 + 16;
      for (const auto& [k, v] : a.attributes) bytes_ += k.size() + v.size() + 4;
      ++count_;
    }
    counted_ = actions.size();
    if (bytes_ < max_bytes && count_ < max_actions) {
      last_fit_ = log_line;
      return;
    }
    throw InputError(
        fmt::format("the scenario would outgrow what a scenario file may hold ({} KiB, {} actions) by log line {}: "
                    "scaffold a part of the log with --lines FIRST-LAST (up to line {} fits)",
                    XmlSource::max_file_bytes / 1024, max_actions, log_line, last_fit_));
  }
  void next_block() { counted_ = 0; }

 private:
  // The XML's own markup and indentation come on top: a margin under the file limit.
  static constexpr std::size_t max_bytes = XmlSource::max_file_bytes * 3 / 4;
  static constexpr std::size_t max_actions = 90'000;
  std::size_t bytes_ = 0, count_ = 0, counted_ = 0;
  int last_fit_ = 0;
};

}  // namespace

std::string guess_model(const Session& session) {
  for (const auto& e : session.events) {
    if (e.dir != Direction::from_module) continue;
    for (auto at = e.bytes.find("SIM70"); at != std::string::npos; at = e.bytes.find("SIM70", at + 1)) {
      std::string family = e.bytes.substr(at, 7);
      auto families = family_names();
      if (std::find(families.begin(), families.end(), family) != families.end()) return family;
    }
  }
  return "";
}

namespace {

// Where the scenario came from, and what of the log it does not wait for.
std::string description(const std::string& source, LogFormat format, std::size_t commands, const std::vector<Output>& before_first, std::size_t clock_sets) {
  std::size_t before = 0;
  for (const auto& out : before_first) before += out.bytes.size();
  return fmt::format(
      "\n    Scaffolded by athil scaffold from {} ({} format, {} command{}): each command as the log\n"
      "    has it, each line the module answered, each URC with a timeout from the measured time\n"
      "    plus a margin. {}{}Edit it into the reproduction of the field failure: say\n"
      "    here which failure it catches.\n  ",
      escape_bytes(source), to_string(format), commands, commands == 1 ? "" : "s",
      before_first.empty() ? "" : fmt::format("The {} bytes the module sent before the first command are not waited for. ", before),
      clock_sets == 0 ? ""
                      : fmt::format("The log's clock jumps by over a week before {} line(s): it was set, and they keep the default timeout. ", clock_sets));
}

}  // namespace

std::string scaffold(Session session, const ScaffoldOptions& o) {
  std::string guessed = guess_model(session);
  Dialogue d = take_dialogue(session);
  // A scenario needs a step: a log of the module's lines alone gives none.
  if (d.exchanges.empty()) throw InputError("nothing to scaffold: the log shows no command sent to the module");
  std::string models = !o.models.empty() ? o.models : !guessed.empty() ? guessed : fmt::format("{}", fmt::join(family_names(), " "));
  Dialect dialect = Dialect::sim70x0(models.substr(0, models.find(' ')));

  scenario::ScenarioDraft draft;
  draft.name = o.name;
  draft.models = models;
  draft.tags = "field";
  std::size_t commands = 0;
  for (const auto& e : d.exchanges) commands += is_command(e.command);
  double span = 0;
  std::size_t clock_sets = 0;
  for (const auto& e : d.exchanges)
    for (const auto& out : e.output) {
      if (clock_was_set(out.after))
        ++clock_sets;
      else if (out.after > 0)
        span += out.after;
    }
  const double longest_minutes = std::chrono::duration<double, std::ratio<60>>(max_duration).count();
  draft.timeout = fmt::format("{}m", static_cast<long long>(std::clamp(std::ceil(span * 2 / 60.0) + 5, 10.0, longest_minutes)));
  draft.description = description(o.source, session.format, commands, d.before_first, clock_sets);

  // Every answer line per command and position, to find the values that vary.
  AnswersSeen answers;
  for (const auto& e : d.exchanges) {
    if (!is_command(e.command)) continue;
    std::size_t k = 0;
    auto& per_position = answers[e.command];
    for (const auto& l : output_lines(e.output)) {
      if (AtEngine::is_final_result(l.text)) break;  // as the steps below count them: responses only
      if (l.text == e.command || blank(l.text) || unsolicited(dialect, l.text, e.command)) continue;
      if (per_position.size() <= k) per_position.resize(k + 1);
      per_position[k++].insert(l.text);
    }
  }

  std::string pending;  // the command whose final result code has not come yet
  std::deque<std::string> unechoed;
  int step = 0;
  Budget budget;
  for (std::size_t i = 0; i < d.exchanges.size(); ++i) {
    const auto& e = d.exchanges[i];
    bool command = is_command(e.command);
    if (command || draft.blocks.empty()) {
      ++step;
      std::string shown = escape_bytes(e.command.size() > 48 ? e.command.substr(0, 45) + "..." : e.command);
      draft.blocks.push_back(scenario::DraftBlock{"step", fmt::format("{:02} {}", step, command ? shown : "data"), {}});
      budget.next_block();
    }
    auto& actions = draft.blocks.back().actions;
    auto lines = output_lines(e.output);
    if (command) {
      pending = e.command;
      // Answered when a final result code comes before the next command (after a payload, too).
      bool answered = false;
      for (std::size_t k = i; k < d.exchanges.size() && !answered && (k == i || !is_command(d.exchanges[k].command)); ++k)
        for (const auto& l : output_lines(d.exchanges[k].output)) answered |= AtEngine::is_final_result(l.text);
      scenario::DraftAction send{"send", {}, e.command, fmt::format("log line {}", e.line)};
      // Bytes an XML file cannot hold go as escapes, the CR the command ends with written out.
      bool raw = has_control_characters(e.command);
      if (raw) {
        send.text = escape_bytes(e.command + "\r");
        send.attributes.emplace_back("raw", "true");
      }
      if (!answered && !raw) {  // raw bytes are owed no result code anyway
        send.attributes.emplace_back("unanswered", "true");
        send.comment += ": no result code follows in the log";
      }
      actions.push_back(std::move(send));
    } else {
      actions.push_back(scenario::DraftAction{"send", {{"raw", "true"}}, escape_bytes(e.command + "\r\n"), fmt::format("log line {}: a payload", e.line)});
    }
    std::size_t position = 0;  // among this command's answer lines
    unechoed.push_back(e.command);
    if (unechoed.size() > 4) unechoed.pop_front();
    for (const auto& l : lines) {
      // An echo, of this send or of one before it that the module echoed late.
      if (auto it = std::find(unechoed.begin(), unechoed.end(), l.text); it != unechoed.end()) {
        unechoed.erase(it);
        continue;
      }
      if (blank(l.text)) continue;
      if (!pending.empty() && AtEngine::is_final_result(l.text)) {
        actions.push_back(line_action("expect", l.text, l.after, 10));
        pending.clear();
      } else if (!pending.empty() && !unsolicited(dialect, l.text, pending)) {
        auto action = line_action("expect", l.text, l.after, 10);
        if (command && position < answers[e.command].size())
          if (auto varying = varying_expect(l.text, answers[e.command][position], e.command); !varying.element.empty()) {
            for (const auto& a : action.attributes)
              if (a.first == "timeout") varying.attributes.push_back(a);
            action = std::move(varying);
          }
        ++position;
        actions.push_back(std::move(action));
      } else {
        actions.push_back(line_action("urc", l.text, l.after, 60));
      }
    }
    budget.spend(actions, e.line);
  }
  return scenario::to_xml(draft);
}

}  // namespace athil::field
