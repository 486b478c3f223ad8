#include "scenario/loader.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/error.hpp"
#include "base/escape.hpp"
#include "base/line_regex.hpp"
#include "base/quantity.hpp"
#include "base/regex_syntax.hpp"
#include "base/text.hpp"
#include "base/xml_source.hpp"
#include "models/models.hpp"
#include "scenario/check.hpp"
#include "scenario/expr.hpp"

namespace athil::scenario {

const std::vector<std::string>& run_variables() {
  static const std::vector<std::string> names = {"slot",          "model",       "firmware",  "rig",       "firmware_url", "firmware_host",
                                                 "firmware_port", "fota_target", "port_kind", "mqtt_host", "mqtt_port"};
  return names;
}

namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (std::isspace(static_cast<unsigned char>(s[i])) || s[i] == ',')) ++i;
    std::size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i])) && s[i] != ',') ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

// What reading one scenario has expanded so far: fixtures are plain data copied in at each
// <use>, so fixtures that each use the next ten times would grow as 10^depth. Each fixture
// file is parsed once, and the actions are counted against a bound.
struct Expansion {
  static constexpr std::size_t max_actions = 100'000;
  std::vector<std::string> stack;  // the fixtures being read, outermost first
  std::size_t actions = 0;         // elements read as actions, expanded fixtures' included
  bool exceeded = false;           // reported once, at the <use> that crossed the bound
  std::map<std::string, std::unique_ptr<XmlSource>, std::less<>> parsed;
  struct RegexCheck {
    std::optional<std::size_t> count;  // its groups, when it compiles
    std::string error;
    bool has_value() const { return count.has_value(); }
  };
  std::map<std::string, RegexCheck> regexes;  // each pattern checked once
};

// A pattern as the engine will compile it: each ${variable} one character, or its default
// written in; `from` maps each character back to the pattern.
struct Written {
  std::string text;
  std::vector<std::size_t> from;
};
enum class Defaults { none, all, one };
Written written(const std::string& pattern, Defaults defaults, std::size_t which = 0) {
  Written w;
  std::size_t done = 0, n = 0;
  const auto copy = [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) w.text += pattern[i], w.from.push_back(i);
  };
  for_each_reference(pattern, [&](const Reference& r) {
    copy(done, r.begin);
    const bool in = r.fallback && (defaults == Defaults::all || (defaults == Defaults::one && n == which));
    n += r.fallback ? 1 : 0;
    if (in) {
      const auto at = static_cast<std::size_t>(r.fallback->data() - pattern.data());
      copy(at, at + r.fallback->size());
    } else {
      w.text += 'x', w.from.push_back(r.begin);
    }
    done = r.end;
  });
  copy(done, pattern.size());
  return w;
}

// The groups of a written pattern; or none, and why not in `error`.
std::optional<std::size_t> group_count(const Written& w, const std::string& pattern, std::size_t added, std::string& error) {
  try {
    return LineRegex(w.text).group_count();
  } catch (const regex::RefusedPattern& e) {
    if (e.at() == regex::RefusedPattern::nowhere) {
      error = e.reason();
    } else {
      const std::size_t at = e.at() < w.from.size() ? w.from[e.at()] : pattern.size();
      error = fmt::format("{} at character {}", e.reason(), std::max(at, added) - added + 1);
    }
    return std::nullopt;
  }
}

// Which default adds groups to a pattern that has `count` without them.
std::string default_with_group(const std::string& pattern, std::size_t count, std::size_t added) {
  std::string error;
  std::size_t n = 0;
  for_each_reference(pattern, [&](const Reference& r) {
    if (!error.empty() || !r.fallback || group_count(written(pattern, Defaults::one, n++), pattern, added, error) == count) return;
    if (error.empty())
      error = fmt::format(
          "a group in the default of ${{{}}} at character {}: it would count only while {} is undefined (put the group around the variable instead: "
          "(${{{}:-...}}))",
          r.name, std::max(r.begin, added) - added + 1, r.name, r.name);
  });
  return error.empty() ? "its defaults, written in, hold groups, which would count only while their variables are undefined" : error;
}

// Walks one file's elements into actions; <use> recurses into fixture files.
class FileReader {
 public:
  FileReader(const XmlSource& src, const fs::path& fixtures_dir, Expansion& expansion, Diagnostics& diagnostics)
      : src_(src), fixtures_dir_(fixtures_dir), expansion_(expansion), diagnostics_(diagnostics) {}

  // The actions of a block. A faulty element is reported and skipped, so that one pass
  // reports every faulty element.
  std::vector<Action> actions(pugi::xml_node parent) const {
    // Nesting (repeat in repeat, fixture in fixture) is bounded: input cannot exhaust the stack.
    if (++depth_ > max_depth) {
      --depth_;
      src_.fail(parent, fmt::format("nested more than {} deep", max_depth));
    }
    std::vector<Action> out;
    out.reserve(static_cast<std::size_t>(std::distance(parent.begin(), parent.end())));  // an Action is large to move
    for (const auto& loose : src_.loose_text(parent))
      diagnostics_.attempt(
          [&] { throw InputError(loose.pos, fmt::format("text '{}' outside an element: put it inside <send>, <expect> or <log>", loose.text)); });
    for (auto node : parent.children()) {
      if (node.type() == pugi::node_element) diagnostics_.attempt([&] { append(node, out); });
      if (expansion_.exceeded) break;
    }
    --depth_;
    return out;
  }

  Duration duration(pugi::xml_node node, const char* attribute) const {
    try {
      return parse_duration(node.attribute(attribute).value());
    } catch (const InputError& e) {
      src_.fail(node, attribute, e.what());
    }
  }

  // <unsolicited prefix="+SMSUB:"/> or <unsolicited regex="..."/>: literal, no ${variables},
  // since the engine must know it before anything runs.
  UrcDeclaration unsolicited(pugi::xml_node node) const {
    src_.only_attributes(node, {"prefix", "regex"});
    if (!trim(node.child_value()).empty()) src_.fail(node, "<unsolicited> takes prefix=\"...\" or regex=\"...\", not text");
    bool has_prefix = !node.attribute("prefix").empty(), has_regex = !node.attribute("regex").empty();
    if (has_prefix && has_regex) src_.fail(node, "<unsolicited> takes prefix=\"...\" or regex=\"...\", not both");
    if (!has_prefix && !has_regex) src_.fail(node, "<unsolicited> needs prefix=\"...\" or regex=\"...\"");
    const char* attribute = has_prefix ? "prefix" : "regex";
    std::string value = node.attribute(attribute).value();
    if (value.empty()) src_.fail(node, attribute, fmt::format("an empty {} would match every line", attribute));
    if (value.find("${") != std::string::npos)
      src_.fail(node, attribute, fmt::format("the {} may not hold ${{variables}}: URCs are declared before anything runs", attribute));
    if (has_prefix) return UrcDeclaration{value, std::nullopt, src_.pos(node)};
    LinePattern p = pattern(node, "", "regex", "capture");
    return UrcDeclaration{"", std::move(p.text), src_.pos(node)};
  }

  // An action's duration: checked now, or when it runs if it holds ${variables}.
  DurationText duration_text(pugi::xml_node node, const char* attribute) const {
    std::string text = node.attribute(attribute).value();
    if (text.find("${") != std::string::npos) return DurationText{text, std::nullopt};
    return DurationText{text, duration(node, attribute)};
  }

  std::optional<DurationText> optional_duration(pugi::xml_node node, const char* attribute) const {
    if (!node.attribute(attribute)) return std::nullopt;
    return duration_text(node, attribute);
  }

  Expr expression(pugi::xml_node node, const char* attribute) const {
    std::string text = src_.required(node, attribute);
    try {
      return Expr::parse(text);
    } catch (const ExprError& e) {
      SourcePos p = src_.pos(node, attribute);
      // Point into the value: past `name="`.
      p.col += static_cast<int>(std::string_view(attribute).size() + 2 + e.column);
      throw InputError(p, fmt::format("in expression '{}': {}", text, e.what()));
    }
  }

 private:
  LinePattern pattern(pugi::xml_node node, std::string text_source, const char* regex_attr, const char* capture_attr) const {
    LinePattern p;
    auto regex = node.attribute(regex_attr);
    auto capture = node.attribute(capture_attr);
    if (auto names = split_words(capture.value()); !names.empty()) p.capture = BoxedOptional(std::move(names));
    for (const auto& name : p.captures())
      if (!is_identifier(name)) src_.fail(node, capture_attr, fmt::format("capture name '{}' is not a valid variable name", name));
    if (regex) {
      if (!text_source.empty() && std::string_view(regex_attr) == "regex") src_.fail(node, "give either text or regex=\"...\", not both");
      p.regex = true;
      p.text = regex.value();
      if (p.text.size() > LinePattern::max_regex)
        src_.fail(node, regex_attr, fmt::format("regex is {} characters long; the limit is {}", p.text.size(), LinePattern::max_regex));
      // Every AT response starts with '+', and no regex can: a leading '+' is taken literally.
      if (p.text.starts_with('+')) p.text.insert(0, "\\");
      const auto& groups = regex_groups(p.text, p.text.size() - std::string_view(regex.value()).size());
      if (!groups.has_value()) src_.fail(node, regex_attr, fmt::format("invalid regex '{}': {}", regex.value(), groups.error));
      if (p.captures().size() > *groups.count)
        src_.fail(node, capture_attr, fmt::format("{} capture names but the regex has {} group(s)", p.captures().size(), *groups.count));
    } else {
      if (p.capture) src_.fail(node, capture_attr, "capture needs a regex with groups");
      if (text_source.empty()) src_.fail(node, fmt::format("<{}> needs the line to wait for, as text or regex=\"...\"", node.name()));
      p.text = std::move(text_source);
    }
    return p;
  }

  // The regex's group count, or why it does not compile, naming the character as the file has
  // it (`added`: characters put before the file's pattern). Each distinct pattern is checked
  // once: a long scenario repeats a few patterns many times.
  const Expansion::RegexCheck& regex_groups(const std::string& pattern, std::size_t added) const {
    auto [it, fresh] = expansion_.regexes.try_emplace(pattern);
    if (!fresh) return it->second;
    Expansion::RegexCheck& check = it->second;
    // A variable's value is text at run time: one character here. A default is pattern text,
    // and may hold no group, which would count only while its variable is undefined.
    check.count = group_count(written(pattern, Defaults::none), pattern, added, check.error);
    if (!check.count) return check;
    const bool has_default = pattern.find(":-") != std::string::npos;  // else the same again
    if (has_default && group_count(written(pattern, Defaults::all), pattern, added, check.error) != check.count) {
      if (check.error.empty()) check.error = default_with_group(pattern, *check.count, added);
      check.count.reset();
    }
    return check;
  }

  void append(pugi::xml_node node, std::vector<Action>& out) const {
    std::string_view name = node.name();
    SourcePos pos = src_.pos(node);
    ++expansion_.actions;
    // Built in place: an Action is large to move, and scaffolded logs have many. (Not by
    // emplace_back(what, pos): clang before 16 cannot build an aggregate from parentheses.)
    auto add = [&](auto&& what) {
      Action& a = out.emplace_back();
      using Kind = std::decay_t<decltype(what)>;
      if constexpr (boxed_kind<Kind>)
        a.what.emplace<Boxed<Kind>>(std::forward<decltype(what)>(what));
      else
        a.what.emplace<Kind>(std::forward<decltype(what)>(what));
      a.pos = pos;
    };
    if (name == "send") {
      src_.only_attributes(node, {"raw", "unanswered"});
      auto flag = [&](const char* attribute) {
        std::string value = node.attribute(attribute).value();
        if (!value.empty() && value != "true" && value != "false") src_.fail(node, attribute, fmt::format("{} is \"true\" or \"false\"", attribute));
        return value == "true";
      };
      bool raw = flag("raw");
      bool unanswered = flag("unanswered");
      if (raw && unanswered) src_.fail(node, "unanswered", "raw bytes are no command: unanswered goes with a command");
      std::string text = raw ? std::string(node.child_value()) : trim(node.child_value());
      if (text.empty()) src_.fail(node, "<send> is empty");
      if (raw) {
        try {
          (void)unescape_bytes(text);
        } catch (const InputError& e) {
          src_.fail(node, fmt::format("raw text: {}", e.what()));
        }
      }
      add(Send{.text = std::move(text), .raw = raw, .unanswered = unanswered});
    } else if (name == "expect") {
      src_.only_attributes(node, {"regex", "capture", "timeout"});
      add(Expect{pattern(node, trim(node.child_value()), "regex", "capture"), optional_duration(node, "timeout")});
    } else if (name == "urc") {
      src_.only_attributes(node, {"regex", "capture", "timeout", "count"});
      Urc u{pattern(node, trim(node.child_value()), "regex", "capture"), optional_duration(node, "timeout")};
      if (node.attribute("count")) u.count = positive(node, "count", false);
      add(std::move(u));
    } else if (name == "command") {
      // Short form: send, the expected line (if any), then the final OK.
      src_.only_attributes(node, {"send", "expect", "regex", "capture", "timeout", "echo"});
      std::string send = src_.required(node, "send");
      std::string echo = node.attribute("echo").value();
      if (node.attribute("echo") && echo != "on" && echo != "off") src_.fail(node, "echo", fmt::format("echo is on or off, not '{}'", echo));
      if (trim(node.child_value()) != "") src_.fail(node, "<command> takes attributes only");
      auto timeout = optional_duration(node, "timeout");
      add(Send{.text = send});
      // The expected line is the exact text of expect=, or a regex: regex=, or expect= with
      // capture= (kept from before regex= existed).
      if (node.attribute("expect") && node.attribute("regex")) src_.fail(node, "regex", "give either expect=\"exact line\" or regex=\"...\", not both");
      if (node.attribute("regex"))
        add(Expect{.pattern = pattern(node, "", "regex", "capture"), .timeout = timeout});
      else if (node.attribute("expect") && node.attribute("capture"))
        add(Expect{.pattern = pattern(node, "", "expect", "capture"), .timeout = timeout});
      else if (node.attribute("expect"))
        add(Expect{.pattern = LinePattern{.text = node.attribute("expect").value()}, .timeout = timeout});
      else if (node.attribute("capture"))
        src_.fail(node, "capture", "capture needs regex=\"...\" with groups");
      add(Expect{.pattern = LinePattern{.text = "OK"}, .timeout = timeout});
      if (!echo.empty()) add(EchoCheck{.on = echo == "on"});
    } else if (name == "check") {
      src_.only_attributes(node, {"expr", "message"});
      add(Check{expression(node, "expr"), node.attribute("message").value()});
    } else if (name == "power-key") {
      src_.only_attributes(node, {"hold"});
      src_.required(node, "hold");
      add(PowerKey{duration_text(node, "hold")});
    } else if (name == "reset") {
      src_.only_attributes(node, {"hold"});
      src_.required(node, "hold");
      add(ResetPulse{duration_text(node, "hold")});
    } else if (name == "supply") {
      src_.only_attributes(node, {"state"});
      std::string state = src_.required(node, "state");
      if (state != "on" && state != "off") src_.fail(node, "state", fmt::format("state is on or off, not '{}'", state));
      add(Supply{.on = state == "on"});
    } else if (name == "dtr") {
      src_.only_attributes(node, {"level"});
      std::string level = src_.required(node, "level");
      if (level != "high" && level != "low") src_.fail(node, "level", fmt::format("level is high or low, not '{}'", level));
      add(Dtr{.high = level == "high"});
    } else if (name == "network-sms") {
      src_.only_attributes(node, {"from", "text"});
      NetworkSms sms{.from = src_.required(node, "from"), .text = src_.required(node, "text")};
      check_sms(node, sms);
      add(std::move(sms));
    } else if (name == "sleep") {
      src_.only_attributes(node, {"duration"});
      src_.required(node, "duration");
      add(Sleep{duration_text(node, "duration")});
    } else if (name == "mark") {
      src_.only_attributes(node, {"name"});
      add(Mark{identifier(node, "name")});
    } else if (name == "current") {
      add(current(node));
    } else if (name == "log") {
      src_.only_attributes(node, {});
      add(Log{trim(node.child_value())});
    } else if (name == "repeat") {
      src_.only_attributes(node, {"count", "until", "max"});
      Repeat r;
      if (node.attribute("until")) {
        if (node.attribute("count")) src_.fail(node, "count", "give either count or until (with max), not both");
        r.until = BoxedOptional(expression(node, "until"));
        r.max = positive(node, "max", true);
      } else {
        if (node.attribute("max")) src_.fail(node, "max", "max goes with until");
        r.count = positive(node, "count", true);
      }
      r.body = actions(node);
      add(std::move(r));
    } else if (name == "use") {
      src_.only_attributes(node, {"fixture"});
      std::string fixture = src_.required(node, "fixture");
      Scope scope{fixture, params(node), use_fixture(node, fixture)};
      auto used = referenced_variables(scope.body);
      std::vector<std::string> used_list(used.begin(), used.end());
      for (const auto& p : scope.params)
        if (!used.count(p.name))
          throw InputError(p.pos, fmt::format("fixture '{}' does not use a parameter '{}'{}", fixture, p.name, did_you_mean(p.name, used_list)));
      add(std::move(scope));
    } else if (name == "send-file") {
      src_.only_attributes(node, {"path", "after-prompt", "chunk", "command", "timeout"});
      SendFile f;
      f.path = src_.required(node, "path");
      bool path_ok = !f.path.empty() && f.path[0] != '/' && f.path.find("..") == std::string::npos;
      if (!path_ok) src_.fail(node, "path", fmt::format("path '{}' must lie inside the fixtures folder (relative, no '..')", f.path));
      std::error_code ec;
      if (f.path.find("${") == std::string::npos && !fs::is_regular_file(fixtures_dir_ / f.path, ec))
        src_.fail(node, "path", fmt::format("no file {}", (fixtures_dir_ / f.path).string()));
      f.prompt = node.attribute("after-prompt") ? node.attribute("after-prompt").value() : "DOWNLOAD";
      if (f.prompt != "DOWNLOAD" && f.prompt != "> ") src_.fail(node, "after-prompt", fmt::format("after-prompt is DOWNLOAD or \"> \", not '{}'", f.prompt));
      if (node.attribute("chunk")) f.chunk = static_cast<std::size_t>(positive(node, "chunk", false));
      f.command = node.attribute("command").value();
      if (!f.command.empty() && f.chunk == 0) src_.fail(node, "chunk", "a per-chunk command needs chunk=\"BYTES\"");
      f.timeout = optional_duration(node, "timeout");
      add(std::move(f));
    } else if (name == "power") {
      src_.only_attributes(node, {"action"});
      std::string action = src_.required(node, "action");
      static const std::vector<std::string> actions = {"on", "off", "cycle", "hard-cycle", "reset"};
      auto it = std::find(actions.begin(), actions.end(), action);
      if (it == actions.end())
        src_.fail(node, "action", fmt::format("action is on, off, cycle, hard-cycle or reset, not '{}'{}", action, did_you_mean(action, actions)));
      add(Power{static_cast<Power::Action>(it - actions.begin())});
    } else if (name == "expect-pin") {
      src_.only_attributes(node, {"name", "level", "timeout"});
      std::string pin = src_.required(node, "name");
      if (pin != "status" && pin != "netlight")
        src_.fail(node, "name", fmt::format("expect-pin reads the module's outputs, status or netlight, not '{}'", pin));
      std::string level = src_.required(node, "level");
      if (level != "high" && level != "low") src_.fail(node, "level", fmt::format("level is high or low, not '{}'", level));
      add(ExpectPin{.pin = pin, .high = level == "high", .timeout = optional_duration(node, "timeout")});
    } else if (name == "sync") {
      src_.only_attributes(node, {"tries", "timeout"});
      Sync sync;
      if (node.attribute("tries")) sync.tries = positive(node, "tries", false);
      sync.each = node.attribute("timeout") ? duration_text(node, "timeout") : DurationText{"1s", std::chrono::seconds(1)};
      add(std::move(sync));
    } else if (name == "expect-reboot") {
      src_.only_attributes(node, {"timeout"});
      add(ExpectReboot{optional_duration(node, "timeout")});
    } else if (name == "forbid") {
      src_.only_attributes(node, {"text", "regex"});
      std::string text = node.attribute("text") ? node.attribute("text").value() : trim(node.child_value());
      add(Forbid{pattern(node, text, "regex", "capture")});
    } else if (name == "expect-any") {
      src_.only_attributes(node, {"capture", "timeout", "else"});
      ExpectAny any{.variable = node.attribute("capture").value(), .timeout = optional_duration(node, "timeout"), .otherwise = node.attribute("else").value()};
      if (!any.variable.empty() && !is_identifier(any.variable)) src_.fail(node, "capture", fmt::format("'{}' is not a valid variable name", any.variable));
      if (node.attribute("else") && any.otherwise.empty())
        src_.fail(node, "else", "else names what the variable gets when nothing comes in time: it cannot be empty");
      if (!any.otherwise.empty() && any.variable.empty())
        src_.fail(node, "else", "else needs capture=\"VARIABLE\": it is the value that variable gets when nothing comes in time");
      std::set<std::string> names;
      for (auto alt : node.children()) {
        if (alt.type() != pugi::node_element) continue;
        std::string_view kind = alt.name();
        if (kind != "urc" && kind != "expect") src_.fail(alt, fmt::format("<expect-any> holds <urc> and <expect> alternatives, not <{}>", kind));
        src_.only_attributes(alt, {"name", "regex", "capture"});
        std::string alt_name = src_.required(alt, "name");
        if (!names.insert(alt_name).second) src_.fail(alt, "name", fmt::format("a second alternative named '{}'", alt_name));
        if (alt_name == any.otherwise) src_.fail(alt, "name", fmt::format("'{}' is already the else value", alt_name));
        any.alternatives.push_back(
            Alternative{.name = alt_name, .urc = kind == "urc", .pattern = pattern(alt, trim(alt.child_value()), "regex", "capture"), .pos = src_.pos(alt)});
      }
      // With else, one alternative is an optional wait.
      if (any.alternatives.size() < (any.otherwise.empty() ? 2u : 1u))
        src_.fail(node, any.otherwise.empty() ? "<expect-any> needs at least two alternatives (or one, with else)" : "<expect-any> needs an alternative");
      add(std::move(any));
    } else {
      static const std::vector<std::string> known = {"send",   "expect", "urc",    "command",     "check", "power-key",  "sleep",         "log",
                                                     "repeat", "use",    "forbid", "expect-any",  "power", "expect-pin", "expect-reboot", "send-file",
                                                     "reset",  "supply", "dtr",    "network-sms", "sync",  "mark",       "current"};
      src_.fail(node, fmt::format("unknown element <{}>{} (allowed here: {})", name, did_you_mean(name, known), fmt::join(known, ", ")));
    }
  }

  std::string identifier(pugi::xml_node node, const char* attribute) const {
    std::string v = src_.required(node, attribute);
    if (!is_identifier(v)) src_.fail(node, attribute, fmt::format("{} '{}' must be letters, digits and '_', not starting with a digit", attribute, v));
    return v;
  }

  Current current(pugi::xml_node node) const {
    src_.only_attributes(node, {"name", "for", "since", "compare", "resolution"});
    Current c{.name = identifier(node, "name"),
              .span = optional_duration(node, "for"),
              .since = node.attribute("since").value(),
              .compare = node.attribute("compare").value()};
    if (node.attribute("resolution")) c.resolution = resolution(node);
    if (c.span && node.attribute("since")) src_.fail(node, "since", "a window is either the next 'for' or 'since' a mark, not both");
    if (node.attribute("since") && !is_identifier(c.since)) src_.fail(node, "since", fmt::format("since names a <mark>, not '{}'", c.since));
    for (auto child : node.children()) {
      if (child.type() != pugi::node_element) continue;
      if (std::string_view(child.name()) != "limit") src_.fail(child, fmt::format("<current> holds <limit> elements, not <{}>", child.name()));
      c.limits.push_back(current_limit(child, !c.compare.empty()));
    }
    return c;
  }

  // A sample's span: from a PPK2's 10 us to a second, in us, ms or s.
  std::chrono::nanoseconds resolution(pugi::xml_node node) const {
    std::string_view text = node.attribute("resolution").value();
    std::chrono::nanoseconds r{0};
    try {
      if (text.ends_with("us")) {
        r = std::chrono::microseconds(std::stoll(std::string(text.substr(0, text.size() - 2))));
        if (std::to_string(r.count() / 1000) + "us" != text) throw InputError("");
      } else {
        r = parse_duration(text);
      }
    } catch (const std::exception&) {
      src_.fail(node, "resolution", fmt::format("resolution is a duration in us, ms or s (10us, 1ms), not '{}'", text));
    }
    if (r < std::chrono::microseconds(10) || r > std::chrono::seconds(1))
      src_.fail(node, "resolution", fmt::format("resolution {} is outside 10us (a PPK2's sample) to 1s", text));
    return r;
  }

  CurrentLimit current_limit(pugi::xml_node node, bool can_compare) const {
    src_.only_attributes(node, {"of", "max", "min", "marginal"});
    CurrentLimit l{.pos = src_.pos(node)};
    std::string of = src_.required(node, "of");
    static const std::vector<std::pair<std::string, CurrentStat>> stats = {
        {"average", CurrentStat::average}, {"peak", CurrentStat::peak}, {"lowest", CurrentStat::lowest}, {"charge", CurrentStat::charge}};
    bool known = false;
    for (const auto& [word, stat] : stats)
      if (of == word) l.stat = stat, known = true;
    if (!known && of.size() > 1 && of[0] == 'p') {
      auto [end, ec] = std::from_chars(of.data() + 1, of.data() + of.size(), l.percentile);
      known = ec == std::errc() && end == of.data() + of.size() && l.percentile > 0 && l.percentile < 100;
      l.stat = CurrentStat::percentile;
    }
    if (!known) src_.fail(node, "of", fmt::format("of is average, peak, lowest, charge or a percentile such as p99, not '{}'", of));
    if (node.attribute("max") && node.attribute("min")) src_.fail(node, "min", "one bound per <limit>: max or min");
    l.upper = !node.attribute("min");
    const char* side = l.upper ? "max" : "min";
    Unit unit = l.stat == CurrentStat::charge ? Unit::coulomb : Unit::ampere;
    l.bound = current_bound(node, side, unit, can_compare);
    if (node.attribute("marginal")) l.marginal = current_bound(node, "marginal", unit, can_compare);
    if (l.marginal && l.marginal->relative == l.bound.relative && (l.upper ? l.marginal->value >= l.bound.value : l.marginal->value <= l.bound.value))
      src_.fail(node, "marginal", fmt::format("the marginal band lies inside the limit: marginal must be {} than {}", l.upper ? "lower" : "higher", side));
    l.text =
        fmt::format("{} {} {}{}", of, side, node.attribute(side).value(), l.marginal ? fmt::format(" (marginal {})", node.attribute("marginal").value()) : "");
    return l;
  }

  CurrentLimit::Bound current_bound(pugi::xml_node node, const char* attribute, Unit unit, bool can_compare) const {
    std::string v = src_.required(node, attribute);
    if (!v.empty() && v.back() == '%') {
      if (!can_compare) src_.fail(node, attribute, fmt::format("'{}' is relative: name the measurement it compares with, compare=\"NAME\" on <current>", v));
      double percent = 0;
      const char* begin = v.data() + (v[0] == '+' ? 1 : 0);
      auto [end, ec] = std::from_chars(begin, v.data() + v.size() - 1, percent);
      if (ec != std::errc() || end != v.data() + v.size() - 1) src_.fail(node, attribute, fmt::format("'{}' is not a percentage such as +20% or -10%", v));
      return CurrentLimit::Bound{.value = percent / 100, .relative = true};
    }
    try {
      return CurrentLimit::Bound{.value = parse_quantity(v, unit)};
    } catch (const InputError& e) {
      src_.fail(node, attribute, e.what());
    }
    return {};
  }

  int positive(pugi::xml_node node, const char* attribute, bool required) const {
    if (required) src_.required(node, attribute);
    std::string v = node.attribute(attribute).value();
    int n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || n < 1 || n > 1'000'000)
      src_.fail(node, attribute, fmt::format("{} must be a whole number from 1 to 1000000, not '{}'", attribute, v));
    return n;
  }

  std::vector<Var> params(pugi::xml_node use) const {
    std::vector<Var> out;
    std::set<std::string> seen;
    if (auto loose = src_.loose_text(use); !loose.empty()) throw InputError(loose.front().pos, "text inside <use>: parameters are <param name value/>");
    for (auto p : use.children()) {
      if (p.type() != pugi::node_element) continue;
      if (std::string_view(p.name()) != "param") src_.fail(p, fmt::format("<use> holds <param name value/>, not <{}>", p.name()));
      src_.only_attributes(p, {"name", "value"});
      std::string name = src_.required(p, "name");
      if (!is_identifier(name)) src_.fail(p, "name", fmt::format("'{}' is not a valid variable name", name));
      if (!seen.insert(name).second) src_.fail(p, "name", fmt::format("a second parameter '{}'", name));
      out.push_back(Var{name, src_.required(p, "value"), src_.pos(p)});
    }
    return out;
  }

  std::vector<Action> use_fixture(pugi::xml_node node, const std::string& fixture) const {
    bool safe =
        !fixture.empty() && fixture.size() <= 128 && fixture.find("..") == std::string::npos && fixture[0] != '/' &&
        std::all_of(fixture.begin(), fixture.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '/'; });
    if (!safe)
      src_.fail(node, "fixture", fmt::format("fixture name '{}' may hold only letters, digits, '-', '_' and '/', at most 128 of them", fixture.substr(0, 200)));
    auto& stack = expansion_.stack;
    if (stack.size() >= static_cast<std::size_t>(max_depth)) src_.fail(node, "fixture", fmt::format("fixtures nested more than {} deep", max_depth));
    if (std::find(stack.begin(), stack.end(), fixture) != stack.end())
      src_.fail(node, "fixture", fmt::format("fixture '{}' uses itself (through {})", fixture, fmt::join(stack, " -> ")));
    if (expansion_.exceeded) return {};
    if (expansion_.actions > Expansion::max_actions) {
      expansion_.exceeded = true;
      src_.fail(node, "fixture",
                fmt::format("using fixture '{}' here makes the scenario more than {} actions long once every <use> is expanded (fixtures that use others "
                            "many times multiply): use fewer, or a <repeat>",
                            fixture, Expansion::max_actions));
    }
    const XmlSource& fsrc = fixture_source(node, fixture);
    auto root = fsrc.doc().document_element();
    stack.push_back(fixture);
    std::vector<Action> result;
    FileReader inner(fsrc, fixtures_dir_, expansion_, diagnostics_);
    for (const auto& loose : fsrc.loose_text(root)) diagnostics_.attempt([&] { throw InputError(loose.pos, "text outside an element"); });
    for (auto child : root.children()) {
      if (child.type() != pugi::node_element || std::string_view(child.name()) == "description") continue;
      diagnostics_.attempt([&] { inner.append(child, result); });
      if (expansion_.exceeded) break;
    }
    stack.pop_back();
    return result;
  }

  // The fixture's file, parsed on its first use and checked as a fixture.
  const XmlSource& fixture_source(pugi::xml_node node, const std::string& fixture) const {
    if (auto it = expansion_.parsed.find(fixture); it != expansion_.parsed.end()) return *it->second;
    fs::path file = fixtures_dir_ / (fixture + ".xml");
    std::error_code exists_error;
    if (!fs::is_regular_file(file, exists_error)) {
      std::vector<std::string> present;
      std::error_code ec;
      for (const auto& e : fs::recursive_directory_iterator(fixtures_dir_, ec))
        if (e.path().extension() == ".xml") present.push_back(e.path().lexically_relative(fixtures_dir_).replace_extension().string());
      src_.fail(node, "fixture", fmt::format("no fixture '{}'{} (looked for {})", fixture, did_you_mean(fixture, present), file.string()));
    }
    auto fsrc = XmlSource::load(file);
    auto root = fsrc->doc().document_element();
    if (std::string_view(root.name()) != "fixture") fsrc->fail(root, fmt::format("a fixture file's root element is <fixture>, not <{}>", root.name()));
    fsrc->only_attributes(root, {"name"});
    if (root.attribute("name") && fixture != root.attribute("name").value())
      fsrc->fail(root, "name", fmt::format("fixture file is named '{}' but says name=\"{}\"", fixture, root.attribute("name").value()));
    return *expansion_.parsed.emplace(fixture, std::move(fsrc)).first->second;
  }

  // A message goes on one control-channel line (harness/sim/README.md): a number, then at most
  // 160 characters of one line. Checked again after ${variables} are expanded, in the run.
  void check_sms(pugi::xml_node node, const NetworkSms& sms) const {
    if (!NetworkSms::is_number(sms.from) && sms.from.find("${") == std::string::npos)
      src_.fail(node, "from", fmt::format("from is a phone number (digits, an optional +, at most 20), not '{}'", escape_bytes(sms.from)));
    if (has_control_characters(sms.text)) src_.fail(node, "text", "the text is one line: no control characters");
    if (sms.text.size() > NetworkSms::max_text && sms.text.find("${") == std::string::npos)
      src_.fail(node, "text", fmt::format("a text message holds at most {} characters", NetworkSms::max_text));
  }

  static constexpr int max_depth = 16;
  const XmlSource& src_;
  const fs::path& fixtures_dir_;
  Expansion& expansion_;
  Diagnostics& diagnostics_;
  mutable int depth_ = 0;
};

// A name goes into reports, file names and a terminal's lines: no control characters.
void check_name(const XmlSource& src, pugi::xml_node node, const std::string& name, const char* what) {
  if (has_control_characters(name))
    src.fail(node, "name",
             fmt::format("the {} name '{}' holds a control character (a line break, an escape, ...): names are one line of text", what, escape_bytes(name)));
}

}  // namespace

const std::vector<std::string>& LinePattern::captures() const {
  static const std::vector<std::string> none;
  return capture ? *capture : none;
}

std::string describe(const Block& block) { return block.kind == BlockKind::step ? fmt::format("step '{}'", block.name) : block.name; }

bool Scenario::applies_to(std::string_view model) const {
  return std::any_of(models.begin(), models.end(), [&](const std::string& m) { return model.substr(0, m.size()) == m; });
}

Loader::Loader(fs::path fixtures_dir, std::optional<std::vector<std::string>> known_variables)
    : fixtures_dir_(std::move(fixtures_dir)), known_variables_(std::move(known_variables)) {}

Scenario Loader::load(const fs::path& file) const { return load_source(*XmlSource::load(file)); }

Scenario Loader::load_text(std::string text, std::string display_name) const {
  return load_source(*XmlSource::parse(std::move(text), std::move(display_name)));
}

Scenario Loader::load_source(const XmlSource& source) const {
  const XmlSource* src = &source;
  fs::path file = source.name();
  auto root = src->doc().document_element();
  if (!root) throw InputError(SourcePos{file.string()}, "no root element");
  if (std::string_view(root.name()) != "scenario") src->fail(root, fmt::format("the root element is <scenario>, not <{}>", root.name()));

  Diagnostics diagnostics;
  Expansion expansion;
  FileReader reader(*src, fixtures_dir_, expansion, diagnostics);
  Scenario s;
  s.path = file.string();
  s.content_hash = src->content_hash();
  s.pos = src->pos(root);
  diagnostics.attempt([&] { src->only_attributes(root, {"name", "models", "tags", "timeout", "requires"}); });
  diagnostics.attempt([&] {
    static const std::vector<std::string> capabilities = {"supply", "reset", "status", "dtr", "usb", "fota-target", "network-sms", "mqtt-broker", "current"};
    for (const auto& r : split_words(root.attribute("requires").value())) {
      if (std::find(capabilities.begin(), capabilities.end(), r) == capabilities.end())
        src->fail(root, "requires",
                  fmt::format("unknown rig capability '{}'{} (supply, reset, status, dtr, usb, fota-target, network-sms, mqtt-broker, current)", r,
                              did_you_mean(r, capabilities)));
      s.requires_.push_back(r);
    }
  });
  diagnostics.attempt([&] {
    s.name = src->required(root, "name");
    if (s.name.empty()) src->fail(root, "name", "the scenario's name is empty");
    check_name(*src, root, s.name, "scenario");
  });
  diagnostics.attempt([&] {
    s.models = split_words(src->required(root, "models"));
    if (s.models.empty()) src->fail(root, "models", "models lists no model");
    for (const auto& m : s.models) {
      // A model of the family or a prefix of one, at least the family's name ("SIM7000").
      bool known = m.size() >= 7 && find_model(m);
      if (!known)
        src->fail(root, "models", fmt::format("unknown model '{}'{} (the family: {})", m, did_you_mean(m, model_names()), fmt::join(model_names(), ", ")));
    }
  });
  s.tags = split_words(root.attribute("tags").value());
  diagnostics.attempt([&] {
    if (root.attribute("timeout")) s.timeout = reader.duration(root, "timeout");
  });

  std::set<std::string> step_names;
  bool seen_setup = false, seen_teardown = false, seen_on_failure = false;
  for (const auto& loose : src->loose_text(root)) diagnostics.attempt([&] { throw InputError(loose.pos, "text outside an element"); });
  for (auto node : root.children()) {
    diagnostics.attempt([&] {
      if (node.type() != pugi::node_element) return;
      std::string_view name = node.name();
      if (name == "description") {
        src->only_attributes(node, {});
        s.description = trim(node.child_value());
      } else if (name == "var") {
        src->only_attributes(node, {"name", "value"});
        std::string var = src->required(node, "name");
        if (!is_identifier(var)) src->fail(node, "name", fmt::format("'{}' is not a valid variable name", var));
        s.vars.push_back(Var{var, src->required(node, "value"), src->pos(node)});
      } else if (name == "unsolicited") {
        s.unsolicited.push_back(reader.unsolicited(node));
      } else if (name == "setup" || name == "teardown" || name == "on-failure") {
        bool& seen = name == "setup" ? seen_setup : name == "teardown" ? seen_teardown : seen_on_failure;
        if (seen) src->fail(node, fmt::format("a scenario has one <{}>", name));
        seen = true;
        if (name == "teardown")
          src->only_attributes(node, {"timeout"});
        else
          src->only_attributes(node, {});
        Block& b = name == "setup" ? s.setup : name == "teardown" ? s.teardown : s.on_failure;
        b.pos = src->pos(node);
        b.actions = reader.actions(node);
        if (name == "teardown" && node.attribute("timeout")) s.teardown_timeout = reader.duration(node, "timeout");
      } else if (name == "step") {
        src->only_attributes(node, {"name", "timeout"});
        std::string step = src->required(node, "name");
        check_name(*src, node, step, "step");
        // The duplicate is reported, and the step still read: its own mistakes come in the same pass.
        if (!step_names.insert(step).second) diagnostics.attempt([&] { src->fail(node, "name", fmt::format("a second step named '{}'", step)); });
        Block b{.kind = BlockKind::step, .name = step, .pos = src->pos(node), .actions = reader.actions(node)};
        if (node.attribute("timeout")) b.timeout = reader.duration(node, "timeout");
        s.steps.push_back(std::move(b));
      } else {
        static const std::vector<std::string> known = {"description", "var", "unsolicited", "setup", "step", "teardown", "on-failure"};
        src->fail(node, fmt::format("unknown element <{}> in <scenario>{} (allowed: {})", name, did_you_mean(name, known), fmt::join(known, ", ")));
      }
    });
  }
  diagnostics.attempt([&] {
    if (s.steps.empty() && step_names.empty()) src->fail(root, "a scenario needs at least one <step>");
  });
  if (known_variables_) diagnostics.attempt([&] { check_variables(s, *known_variables_); });
  diagnostics.attempt([&] { check_reachable(s); });
  diagnostics.attempt([&] { check_current(s); });
  // Measuring current needs an instrument on the slot: a slot without one skips it, saying so.
  if (measures_current(s) && std::find(s.requires_.begin(), s.requires_.end(), "current") == s.requires_.end()) s.requires_.push_back("current");
  diagnostics.throw_if_any();
  return s;
}

std::vector<Scenario> Loader::load_all(const std::vector<fs::path>& paths) const {
  std::vector<fs::path> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file(ec) && it->path().extension() == ".xml") files.push_back(it->path());
      if (ec) throw InputError(SourcePos{p.string()}, fmt::format("cannot read the folder: {}", ec.message()));
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      throw InputError(SourcePos{p.string()}, "no such scenario file or folder");
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<Scenario> out;
  std::map<std::string, std::string> names;  // name -> the file that has it
  Diagnostics diagnostics;                   // every file is read, and every mistake of every file reported
  for (const auto& f : files) {
    diagnostics.attempt([&] {
      Scenario s = load(f);
      auto [it, fresh] = names.emplace(s.name, s.path);
      if (!fresh) throw InputError(s.pos, fmt::format("a second scenario named '{}' (the first is in {})", s.name, it->second));
      out.push_back(std::move(s));
    });
  }
  diagnostics.throw_if_any();
  return out;
}

}  // namespace athil::scenario
