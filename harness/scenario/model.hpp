#pragma once
// A scenario as plain data. The loader builds it from XML; the runner's executor walks it.
// Nothing here knows about XML, ports or pins.
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "base/duration.hpp"
#include "base/error.hpp"
#include "scenario/expr.hpp"

namespace athil::scenario {

struct Var {
  std::string name;
  std::string value;
  SourcePos pos;
};

// Values held by pointer and copied as values. A long scenario holds its actions for the whole
// run, and every action is as large as the largest kind: the large, rare kinds (a file to send,
// a current window, a check, a fixture's scope) are boxed, and so are the attributes most
// actions leave out (BoxedOptional). 6,000 actions were 1.3 MB at 224 bytes each, now 528 KB.

// An optional value held by pointer: one pointer where std::optional takes the value's size.
template <class T>
class BoxedOptional {
 public:
  BoxedOptional() = default;
  // Explicit: a value passed where an action's attribute is read would be boxed on each call.
  explicit BoxedOptional(T value) : held_(std::make_unique<T>(std::move(value))) {}
  BoxedOptional(std::optional<T> value) : held_(value ? std::make_unique<T>(std::move(*value)) : nullptr) {}
  BoxedOptional(const BoxedOptional& other) : held_(other ? std::make_unique<T>(*other) : nullptr) {}
  BoxedOptional(BoxedOptional&&) noexcept = default;
  BoxedOptional& operator=(BoxedOptional other) noexcept {
    held_ = std::move(other.held_);
    return *this;
  }
  explicit operator bool() const { return held_ != nullptr; }
  const T& operator*() const { return *held_; }
  const T* operator->() const { return held_.get(); }

 private:
  std::unique_ptr<T> held_;
};

// A value held by pointer, never empty: a boxed action kind.
template <class T>
class Boxed {
 public:
  Boxed(T value) : held_(std::move(value)) {}
  const T& operator*() const { return *held_; }
  const T* operator->() const { return held_.operator->(); }

 private:
  BoxedOptional<T> held_;  // its copy is the value's
};

// A duration as written in an action. One that holds ${variables} (a fixture parameter,
// say) is read when the action runs; any other was checked at load time.
struct DurationText {
  std::string text;
  std::optional<Duration> fixed;
};

// A line to look for: equal to `text`, or with `regex`, matching `text` as a regex over the
// whole line. It may hold ${variables}; `capture` names the regex groups, in order.
struct LinePattern {
  // A line of a module's answer is short: so is a pattern that matches it.
  static constexpr std::size_t max_regex = 1000;
  std::string text;
  BoxedOptional<std::vector<std::string>> capture;  // most patterns capture nothing
  bool regex = false;
  const std::vector<std::string>& captures() const;
};

struct Send {
  std::string text;         // ${variables} substituted at run time
  bool raw = false;         // raw: exact bytes (escapes such as \x1a), no CR appended
  bool unanswered = false;  // the module ends it with no result code (data mode; a log edited without it)
};
struct Expect {
  LinePattern pattern;
  BoxedOptional<DurationText> timeout;
};
struct Urc {
  LinePattern pattern;
  BoxedOptional<DurationText> timeout;
  int count = 1;  // wait for this many such lines; captures come from the last
};
struct Check {
  Expr expr;
  std::string message;
};
struct PowerKey {
  DurationText hold;
};
// A file from the fixtures folder, written raw after a prompt. With `command`, the file goes in
// chunks, each after its own command ({mode} 0 for the first chunk and 1 after, {length},
// {offset} filled in) and each answered by OK: AT+CFSWFILE's appended writes.
struct SendFile {
  std::string path;                     // relative to the fixtures folder; may hold ${variables}
  std::string content_hash;             // of the file's bytes: a results store tells edited scenarios apart
  std::string prompt;                   // DOWNLOAD or "> "
  std::size_t chunk = 0;                // bytes per write (0: all at once)
  std::string command;                  // optional per-chunk command template
  BoxedOptional<DurationText> timeout;  // for each prompt and OK
};
// A RESET pin pulse of exactly `hold`.
struct ResetPulse {
  DurationText hold;
};
// The supply switched on or off.
struct Supply {
  bool on = true;
};
// The module's DTR input driven high (the host not ready: with AT+CSCLK=1 the module may sleep)
// or low (awake).
struct Dtr {
  bool high = true;
};
// A text message from the network to the module (a virtual slot's network; requires="network-sms").
struct NetworkSms {
  std::string from;  // may hold ${variables}
  std::string text;
  // What goes on the control channel's one line: a number (digits, an optional +, at most 20)
  // and one line of text.
  static constexpr std::size_t max_text = 160;
  static bool is_number(std::string_view s) { return !s.empty() && s.size() <= 20 && s.find_first_not_of("+0123456789") == std::string_view::npos; }
};
// The model's documented power sequence, checked against STATUS where the rig wires it.
struct Power {
  enum class Action { on, off, cycle, hard_cycle, reset } action;
};
// An output pin of the module (status, netlight) reaching a level.
struct ExpectPin {
  std::string pin;
  bool high = true;
  BoxedOptional<DurationText> timeout;
};
// The module went down and came back: RDY seen (earlier in the block counts), STATUS high.
struct ExpectReboot {
  BoxedOptional<DurationText> timeout;
};
struct Sleep {
  DurationText duration;
};
struct Log {
  std::string text;
};
// From here to the end of the enclosing block, a line matching the pattern fails the scenario.
struct Forbid {
  LinePattern pattern;
};
// The first of several lines, response or URC; the variable gets the alternative's name.
struct Alternative {
  std::string name;
  bool urc = true;  // <urc>, or <expect> for a response line
  LinePattern pattern;
  SourcePos pos;
};
struct ExpectAny {
  std::vector<Alternative> alternatives;
  std::string variable;  // set to the name of the alternative that arrived
  BoxedOptional<DurationText> timeout;
  std::string otherwise;  // when set, nothing in time sets the variable to this instead of failing
};
// AT until the module answers OK, each unanswered AT taken as lost: what a host does after
// power-on, because an autobauding module (SIM7000 from the factory) learns the rate from the
// first AT and never answers it.
struct Sync {
  int tries = 10;
  DurationText each;  // how long to wait for each OK
};
// Whether the module echoed the last command that ended (<command echo="on|off">): echo is on
// after every boot, and ATE0 must hold until the next.
struct EchoCheck {
  bool on = true;
};
// A moment a current window may start from (<mark name="asleep"/>), placed after what bounds
// it: a URC's wait, a pin's, a command.
struct Mark {
  std::string name;
};
// What a limit constrains, over a current window's samples.
enum class CurrentStat { average, peak, lowest, charge, percentile };
// One limit (<limit of="average" max="15uA" marginal="10uA"/>): within `marginal` it passes,
// between it and `bound` it passes as marginal, beyond `bound` it fails. A relative bound
// ("+20%") is a fraction of the same statistic of the measurement named by `compare`.
struct CurrentLimit {
  struct Bound {
    double value = 0;  // amperes or coulombs; a fraction (0.2 for "+20%") when relative
    bool relative = false;
  };
  CurrentStat stat = CurrentStat::average;
  double percentile = 0;  // for CurrentStat::percentile, 0-100
  bool upper = true;      // max= (true) or min=
  Bound bound;
  std::optional<Bound> marginal;
  std::string text;  // as written, for messages: "average max 15uA (marginal 10uA)"
  SourcePos pos;
};
// The current over a window, measured by the slot's instrument and checked (<current>): the
// next `span` (module time, as <sleep>), or from the <mark> named `since` (the enclosing
// block's start when empty) to here. Sets ${NAME_average}, ${NAME_peak}, ${NAME_lowest}
// (amperes) and ${NAME_charge} (coulombs). `resolution`: the span of each sample its lowest
// and percentiles are taken over (the instrument's, real time: a PPK2 gives 10 us).
struct Current {
  static constexpr std::chrono::nanoseconds default_resolution = std::chrono::milliseconds(1);
  std::string name;
  BoxedOptional<DurationText> span;
  std::chrono::nanoseconds resolution = default_resolution;
  std::string since;
  std::string compare;  // an earlier measurement's name, for relative limits
  std::vector<CurrentLimit> limits;
};
struct Action;
// A fixture's actions with its parameters bound (fixture parameters rank above scenario
// defaults and below rig variables, -D and captures).
struct Scope {
  std::string fixture;
  std::vector<Var> params;
  std::vector<Action> body;
};
struct Repeat {
  int count = 0;              // with no `until`: run the body this many times
  BoxedOptional<Expr> until;  // checked before each round; stops when true
  int max = 0;                // with `until`: rounds allowed before it is a failure
  std::vector<Action> body;
};

using ActionKind = std::variant<Send, Expect, Urc, Boxed<Check>, PowerKey, Sleep, Log, Repeat, Forbid, Boxed<ExpectAny>, Boxed<Scope>, Power, ExpectPin,
                                ExpectReboot, Boxed<SendFile>, ResetPulse, Supply, Dtr, NetworkSms, Sync, EchoCheck, Mark, Boxed<Current>>;

struct Action {
  ActionKind what;
  SourcePos pos;
};
// Every action is as large as the largest kind: one larger than 64 bytes goes in a Boxed.
static_assert(sizeof(Action) <= 88, "an action kind grew past 64 bytes: box it");

// Whether the kind T is held as Boxed<T>.
template <class T>
inline constexpr bool boxed_kind = std::is_constructible_v<ActionKind, std::in_place_type_t<Boxed<T>>, T>;
// A kind as itself, boxed or not: what a visitor of an action's kind takes.
template <class T>
const T& unboxed(const T& kind) {
  return kind;
}
template <class T>
const T& unboxed(const Boxed<T>& kind) {
  return *kind;
}
// The action's kind if it is a T (boxed or not), else null.
template <class T>
const T* kind_if(const Action& a) {
  if constexpr (boxed_kind<T>) {
    const auto* boxed = std::get_if<Boxed<T>>(&a.what);
    return boxed ? &**boxed : nullptr;
  } else {
    return std::get_if<T>(&a.what);
  }
}

enum class BlockKind { setup, step, teardown, on_failure };

struct Block {
  BlockKind kind = BlockKind::step;
  std::string name;  // "setup", "teardown", "on-failure", or the step's name
  SourcePos pos;
  std::vector<Action> actions;
  std::optional<Duration> timeout;  // a step's own bound, within the scenario's
};

// A line the module may send unasked that its model's table does not know (a scenario about
// an application's own URCs): a prefix, or a regex over the whole line. The engine then takes
// such a line for a URC even inside a response.
struct UrcDeclaration {
  std::string prefix;
  std::optional<std::string> regex;
  SourcePos pos;
};

struct Scenario {
  std::string name;
  std::string description;
  std::string path;
  std::string content_hash;  // of the file's bytes: a results store tells edited scenarios apart
  SourcePos pos;
  std::vector<std::string> models;  // entries match a slot's model exactly or as a prefix
  std::vector<std::string> tags;
  std::vector<std::string> requires_;  // rig capabilities: supply, reset, status, usb
  Duration timeout = std::chrono::minutes(10);
  Duration teardown_timeout = std::chrono::minutes(5);
  std::vector<Var> vars;  // defaults, in order; a value may use earlier variables
  std::vector<UrcDeclaration> unsolicited;
  Block setup{.kind = BlockKind::setup, .name = "setup"};
  std::vector<Block> steps;
  Block teardown{.kind = BlockKind::teardown, .name = "teardown"};
  Block on_failure{.kind = BlockKind::on_failure, .name = "on-failure"};  // diagnostics run when setup or a step fails; their output goes in the report

  bool applies_to(std::string_view model) const;
};

// "setup", "teardown", "on-failure" or "step 'attach'": what a message or the console calls a block.
std::string describe(const Block& block);

}  // namespace athil::scenario
