#include "field/scaffold.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <set>
#include <regex>

#include <fmt/format.h>

#include "at/dialect.hpp"
#include "at/engine.hpp"
#include "base/escape.hpp"
#include "scenario/writer.hpp"

namespace athil::field {

namespace {

bool blank(const std::string& text) { return text.find_first_not_of(" \t") == std::string::npos; }

// A wait long enough for what the log measured, plus a margin; nothing when the default (10 s
// for a response, 60 s for a URC) covers it.
std::string timeout_for(double after, double default_s) {
  double wanted = std::ceil(after * 1.5 + 5.0);
  return wanted > default_s ? fmt::format("{}s", static_cast<long long>(wanted)) : "";
}

std::string regex_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

scenario::DraftAction line_action(const char* element, const std::string& text, double after, double default_s) {
  scenario::DraftAction a{element, {}, text, {}};
  // A scenario's line text is trimmed: a line with blanks at its ends (the "> " prompt) is
  // matched by a regex instead.
  if (text.front() == ' ' || text.back() == ' ' || text.front() == '\t' || text.back() == '\t') {
    a.text.clear();
    a.attributes.emplace_back("regex", regex_escape(text));
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

// A line with its digit runs blanked: two answers of one command with the same shape and
// other numbers are a value that varies (a signal level, a counter, an address).
std::string shape_of(const std::string& line) {
  static const std::regex digits(R"(\d+)");
  return std::regex_replace(line, digits, "#");
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
  static const std::regex digits(R"(\d+)");
  auto runs_of = [](const std::string& text) {
    std::vector<std::string> out;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), digits); it != std::sregex_iterator(); ++it) out.push_back(it->str());
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
  for (auto it = std::sregex_iterator(line.begin(), line.end(), digits); it != std::sregex_iterator(); ++it, ++index) {
    regex += regex_escape(line.substr(at, static_cast<std::size_t>(it->position()) - at));
    if (differs[index]) {
      regex += "(\\d+)";
      names += fmt::format("{}{}_{}", names.empty() ? "" : " ", stem, ++n);
    } else {
      regex += it->str();
    }
    at = static_cast<std::size_t>(it->position() + it->length());
  }
  regex += regex_escape(line.substr(at));
  return scenario::DraftAction{"expect", {{"regex", regex}, {"capture", names}}, "", fmt::format("varies in the log: also '{}'", same_shape.front())};
}

}  // namespace

std::string guess_model(const Session& session) {
  static const std::regex model_re(R"(SIM(7000|7070|7080|7090))");
  for (const auto& e : session.events) {
    if (e.dir != Direction::from_module) continue;
    std::smatch m;
    if (std::regex_search(e.bytes, m, model_re)) return "SIM" + m[1].str();
  }
  return "";
}

std::string scaffold(const Session& session, const ScaffoldOptions& o) {
  Dialogue d = dialogue_of(session);
  std::string guessed = guess_model(session);
  std::string models = !o.models.empty() ? o.models : !guessed.empty() ? guessed : "SIM7000 SIM7070 SIM7080 SIM7090";
  Dialect dialect = Dialect::sim70x0(models.substr(0, models.find(' ')));

  scenario::ScenarioDraft draft;
  draft.name = o.name;
  draft.models = models;
  draft.tags = "field";
  std::size_t commands = 0;
  for (const auto& e : d.exchanges) commands += is_command(e.command);
  double span = 0;
  for (const auto& e : d.exchanges)
    for (const auto& out : e.output) span += out.after;
  draft.timeout = fmt::format("{}m", std::max<long long>(10, static_cast<long long>(std::ceil(span * 2 / 60.0)) + 5));
  draft.description = fmt::format(
      "\n    Scaffolded by athil scaffold from {} ({} format, {} command{}): each command as the log\n"
      "    has it, each line the module answered, each URC with a timeout from the measured time\n"
      "    plus a margin. {}Edit it into the reproduction of the field failure: say\n"
      "    here which failure it catches.\n  ",
      o.source, to_string(session.format), commands, commands == 1 ? "" : "s",
      d.before_first.empty() ? "" : fmt::format("The {} bytes the module sent before the first command are not waited for. ", [&] {
        std::size_t n = 0;
        for (const auto& out : d.before_first) n += out.bytes.size();
        return n;
      }()));

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
  for (std::size_t i = 0; i < d.exchanges.size(); ++i) {
    const auto& e = d.exchanges[i];
    bool command = is_command(e.command);
    if (command || draft.blocks.empty()) {
      ++step;
      std::string shown = e.command.size() > 48 ? e.command.substr(0, 45) + "..." : e.command;
      draft.blocks.push_back(scenario::DraftBlock{"step", fmt::format("{:02} {}", step, command ? shown : "data"), {}});
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
      if (!answered) {
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
  }
  return scenario::to_xml(draft);
}

}  // namespace athil::field
