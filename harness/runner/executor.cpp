#include "runner/executor.hpp"

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "base/escape.hpp"
#include "base/interrupt.hpp"
#include "rig/power.hpp"

namespace athil::runner {

namespace {

using namespace std::chrono_literals;
using scenario::Action;
using scenario::LinePattern;

constexpr Duration default_expect_timeout = 10s;
constexpr Duration default_urc_timeout = 60s;
constexpr Duration write_timeout = 10s;
constexpr std::size_t recent_lines_in_report = 12;

// The module did not behave as the scenario says.
struct StepFailure {
  std::string message;
  std::string detail;
};

std::string show_line(const std::string& line) { return fmt::format("'{}'", escape_bytes(line)); }

}  // namespace

struct Executor::Context {
  struct ActiveForbid {
    AtEngine::LineTest test;
    std::string wanted;
    SourcePos pos;
  };
  Vars vars;
  std::set<std::string> fixed;  // rig, -D and captured names: fixture parameters never override them
  std::vector<ActiveForbid> forbids;
  int reattachments_at_block_start = 0;
  std::int64_t block_start_us = 0;
  Deadline scenario_deadline;
  Duration scenario_timeout;
  std::optional<Deadline> step_deadline;  // a <step timeout>
  Duration step_timeout{};
  std::string block;
  SourcePos block_pos;

  const Vars* model_vars = nullptr;
  mutable int model_depth = 0;  // a model variable that uses itself, through others, ends here

  std::string lookup(std::string_view name) const {
    auto it = vars.find(std::string(name));
    if (it != vars.end()) return it->second;
    if (auto m = model_vars->find(std::string(name)); m != model_vars->end()) {
      if (model_depth > 8) throw std::out_of_range(fmt::format("model variable ${{{}}} uses itself", name));
      ++model_depth;
      struct Leave {
        int& depth;
        ~Leave() { --depth; }
      } leave{model_depth};
      return scenario::substitute(m->second, [this](std::string_view n) { return lookup(n); });
    }
    throw std::out_of_range(fmt::format("undefined variable ${{{}}}", name));
  }
  Deadline deadline(Duration timeout) const {
    auto dl = std::min(Clock::now() + timeout, scenario_deadline);
    return step_deadline ? std::min(dl, *step_deadline) : dl;
  }
  // Whether a deadline from deadline() is the step's or the scenario's bound, not the action's own.
  bool is_bound(Deadline dl) const { return dl == scenario_deadline || (step_deadline && dl == *step_deadline); }
  // The nearer of the step's and the scenario's bounds.
  Deadline bound() const { return step_deadline ? std::min(*step_deadline, scenario_deadline) : scenario_deadline; }
  // Which bound a deadline from deadline() is: "the step timeout (5s)"; empty for the action's own.
  std::string bound_name(Deadline dl) const {
    if (step_deadline && dl == *step_deadline && dl != scenario_deadline) return fmt::format("the step timeout ({})", format_duration(step_timeout));
    if (dl == scenario_deadline) return fmt::format("the {} timeout ({})", block == "teardown" ? "teardown" : "scenario", format_duration(scenario_timeout));
    return std::string();
  }
  // "step 'attach' (file:line:col)"
  std::string where(const SourcePos& pos) const {
    std::string kind = block == "setup" || block == "teardown" ? block : fmt::format("step '{}'", block);
    return fmt::format("{} ({})", kind, pos.str());
  }
};

Executor::Executor(Device& device, TimeScale scale, Vars base_vars, std::filesystem::path fixtures, Vars model_vars)
    : device_(device),
      scale_(scale),
      base_vars_(std::move(base_vars)),
      model_vars_(std::move(model_vars)),
      fixtures_(std::move(fixtures)),
      regexes_(std::make_unique<Regexes>()) {}

Executor::~Executor() = default;

rig::PowerControl& Executor::power_control() {
  if (!power_) power_ = device_.power_control(scale_);
  return *power_;
}

// std::regex is slow to build and a scenario runs the same few patterns again and again;
// patterns with ${variables} are as many as the values they took, so the cache is bounded.
struct Executor::Regexes {
  static constexpr std::size_t max_cached = 1000;
  std::map<std::string, std::shared_ptr<const std::regex>> compiled;
  std::shared_ptr<const std::regex> get(const std::string& pattern) {
    if (auto it = compiled.find(pattern); it != compiled.end()) return it->second;
    if (compiled.size() >= max_cached) compiled.clear();
    return compiled.emplace(pattern, std::make_shared<const std::regex>(pattern)).first->second;
  }
};

void Executor::record_pin_events() {
  if (!device_.pins) return;
  for (const auto& e : device_.pins->take_events()) {
    std::string edge = fmt::format("{} {}", rig::to_string(e.role), rig::to_string(e.level));
    device_.timeline.record_at(e.t_us, Direction::pin, edge);
    if (e.role == rig::PinRole::status) restart_window_.status_edge(e.t_us, e.level == rig::Level::high);
    // The transcript orders events by when they reached the host: say where the pins' channel
    // got ahead of the port's, whose bytes come after its latency.
    if (auto read = device_.engine->last_received_us(); e.t_us < read)
      device_.timeline.record_at(e.t_us, Direction::note,
                                 fmt::format("{} reached the host {:.1f} ms before bytes already read: the port delivers after its latency, so the module may "
                                             "have sent those bytes before this edge",
                                             edge, static_cast<double>(read - e.t_us) / 1000.0));
  }
}

Outcome Executor::run(const scenario::Scenario& s) {
  Outcome out;
  power_.reset();  // over the device's pins as they are now (a module started anew has new ones)
  restart_window_.clear();
  auto started = Clock::now();
  Context ctx;
  ctx.vars = base_vars_;
  ctx.model_vars = &model_vars_;
  for (const auto& [k, v] : base_vars_) ctx.fixed.insert(k);
  // A forbidden line fails the scenario the moment it is read, whatever is being waited for.
  device_.engine->set_line_observer([&ctx](const ReceivedLine& line) {
    for (const auto& f : ctx.forbids)
      if (f.test(line.text))
        throw StepFailure{fmt::format("forbidden line '{}' arrived (forbid {} at {})", escape_bytes(line.text), f.wanted, f.pos.str()),
                          fmt::format("forbidden: {} (declared at {})\narrived:   '{}' at t={} us\n", f.wanted, f.pos.str(), escape_bytes(line.text), line.t_us)};
  });
  UrcTable declared;
  for (const auto& u : s.unsolicited) {
    if (u.regex) declared.add_regex(*u.regex);
    else declared.add_prefix(u.prefix);
  }
  device_.engine->declare_urcs(std::move(declared));
  ctx.scenario_timeout = scale_.timeout(s.timeout);
  ctx.scenario_deadline = started + ctx.scenario_timeout;
  device_.timeline.record(Direction::note, fmt::format("scenario {} on slot {} ({})", s.name, device_.slot, s.path));

  auto fail = [&](report::Verdict v, std::string message, std::string detail) {
    if (out.verdict != report::Verdict::passed) return;
    out.verdict = v;
    out.message = std::move(message);
    out.detail = std::move(detail);
  };
  auto guarded = [&](auto&& body) {
    try {
      body();
    } catch (const StepFailure& f) {
      fail(report::Verdict::failed, f.message, f.detail);
    } catch (const InputError& e) {
      // Only what depends on run-time values gets here (a duration from a variable, say).
      fail(report::Verdict::error, fmt::format("scenario mistake: {}", e.what()), e.diagnostic());
      out.mistake = true;
    } catch (const InfraError& e) {
      out.port_gone |= dynamic_cast<const PortGone*>(&e) != nullptr;
      fail(report::Verdict::error, e.what(), fmt::format("in {} '{}' ({}): {}", ctx.block == "setup" || ctx.block == "teardown" ? "block" : "step",
                                                        ctx.block, ctx.block_pos.str(), e.what()));
    } catch (const std::exception& e) {
      fail(report::Verdict::error, fmt::format("harness fault: {}", e.what()), e.what());
    }
  };

  guarded([&] {
    for (const auto& v : s.vars) {
      if (base_vars_.count(v.name)) continue;  // -D, rig and slot variables override a scenario's defaults
      ctx.vars[v.name] = scenario::substitute(v.value, [&](std::string_view n) { return ctx.lookup(n); });
    }
    run_block(s.setup, ctx);
    if (after_setup_) after_setup_();
    for (const auto& step : s.steps) run_block(step, ctx);
  });

  // On failure, the scenario's diagnostics run and their transcript joins the evidence.
  ctx.forbids.clear();
  ctx.scenario_deadline = Clock::now() + scale_.timeout(s.teardown_timeout);
  ctx.scenario_timeout = scale_.timeout(s.teardown_timeout);
  if (out.verdict != report::Verdict::passed && !s.on_failure.actions.empty() && !interrupt::requested()) {
    auto from = device_.timeline.size();
    std::string problem;
    try {
      run_block(s.on_failure, ctx);
    } catch (const StepFailure& f) {
      problem = f.message;
    } catch (const std::exception& e) {
      problem = e.what();
    }
    out.detail += fmt::format("\n--- on-failure diagnostics{} ---\n{}", problem.empty() ? "" : " (cut short: " + problem + ")",
                              device_.timeline.render(from, device_.timeline.size()));
  }

  // The teardown always runs, bounded by its own timeout, even while the run is being stopped.
  interrupt::Shield shield;
  ctx.scenario_deadline = Clock::now() + scale_.timeout(s.teardown_timeout);
  ctx.scenario_timeout = scale_.timeout(s.teardown_timeout);
  bool passed_before_teardown = out.verdict == report::Verdict::passed;
  guarded([&] { run_block(s.teardown, ctx); });
  if (passed_before_teardown && out.verdict != report::Verdict::passed) out.message = "teardown: " + out.message;

  device_.engine->set_line_observer(nullptr);
  device_.engine->declare_urcs({});
  guarded([&] { record_pin_events(); });
  out.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return out;
}

void Executor::run_block(const scenario::Block& block, Context& ctx) {
  ctx.block = block.name;
  ctx.block_pos = block.pos;
  ctx.step_deadline.reset();
  if (block.timeout) {
    ctx.step_timeout = scale_.timeout(*block.timeout);
    ctx.step_deadline = Clock::now() + ctx.step_timeout;
  }
  if (on_block_) on_block_(block.name);
  device_.engine->clear_urcs();  // a <urc> counts lines that arrived since its block began
  ctx.reattachments_at_block_start = device_.port->reattachments();
  record_pin_events();
  ctx.block_start_us = to_us(Clock::now());
  device_.timeline.record(Direction::note, fmt::format("{} {}", block.name == "setup" || block.name == "teardown" ? "block" : "step", block.name));
  run_actions(block.actions, ctx);
}

// Every action, waiting or not, starts within the bounds and unless the run is being stopped:
// a loop that does no I/O ends by them too.
void Executor::check_bounds(const Action& action, Context& ctx) {
  interrupt::check();
  auto bound = ctx.bound();
  if (Clock::now() >= bound) {
    std::string what = fmt::format("{} ran out", ctx.bound_name(bound));
    throw StepFailure{fmt::format("{}: {}", ctx.where(action.pos), what), fmt::format("{}\nexpected: to go on\ninstead:  {}\n", ctx.where(action.pos), what)};
  }
}

void Executor::run_actions(const std::vector<Action>& actions, Context& ctx) {
  // A <forbid> holds to the end of the actions it stands among.
  auto forbids_before = ctx.forbids.size();
  try {
    for (const auto& action : actions) {
      check_bounds(action, ctx);
      run_action(action, ctx);
      // Edges carry the time they happened, so taking them a little later changes nothing on
      // the timeline; taking them after every action would cost a look at the pins each.
      if (auto now = Clock::now(); now - pins_taken_ >= std::chrono::milliseconds(10)) {
        pins_taken_ = now;
        record_pin_events();
      }
    }
  } catch (...) {
    ctx.forbids.resize(forbids_before);
    throw;
  }
  ctx.forbids.resize(forbids_before);
}

void Executor::run_action(const Action& action, Context& ctx) {
  auto sub = [&](const std::string& text) {
    try {
      return scenario::substitute(text, [&](std::string_view n) { return ctx.lookup(n); });
    } catch (const std::out_of_range& e) {
      throw InputError(action.pos, e.what());
    }
  };
  // A duration as written: fixed at load time, or read now from its ${variables}.
  auto dur = [&](const scenario::DurationText& d) {
    if (d.fixed) return *d.fixed;
    std::string text = sub(d.text);
    try {
      return parse_duration(text);
    } catch (const std::invalid_argument& e) {
      throw InputError(action.pos, fmt::format("{} (from '{}')", e.what(), d.text));
    }
  };
  auto timeout_or = [&](const std::optional<scenario::DurationText>& t, Duration fallback) { return scale_.timeout(t ? dur(*t) : fallback); };
  auto where = [&] { return ctx.where(action.pos); };
  auto evidence = [&](const std::string& expected, const std::string& instead) {
    std::string d = fmt::format("{}\nexpected: {}\ninstead:  {}\nlast lines received:\n", where(), expected, instead);
    auto recent = device_.engine->recent_lines(recent_lines_in_report);
    if (recent.empty()) d += "  (none)\n";
    for (const auto& l : recent) d += "  " + l + "\n";
    return d;
  };
  // Returns a test for the engine and, after a match, fills the captures.
  auto make_test = [&](const LinePattern& p, std::vector<std::string>& groups) -> std::pair<AtEngine::LineTest, std::string> {
    if (!p.regex) {
      std::string text = sub(p.text);
      return {[text](const std::string& line) { return line == text; }, fmt::format("the line '{}'", text)};
    }
    std::string pattern = sub(*p.regex);
    auto re = regexes_->get(pattern);
    return {[re, &groups](const std::string& line) {
              std::smatch m;
              if (!std::regex_match(line, m, *re)) return false;
              groups.clear();
              for (std::size_t i = 1; i < m.size(); ++i) groups.push_back(m[i].str());
              return true;
            },
            fmt::format("a line matching /{}/", pattern)};
  };
  auto capture = [&](const LinePattern& p, const std::vector<std::string>& groups) {
    for (std::size_t i = 0; i < p.capture.size() && i < groups.size(); ++i) {
      ctx.vars[p.capture[i]] = groups[i];
      ctx.fixed.insert(p.capture[i]);
    }
  };
  // A module that sent nothing at all while the harness waited is hung, off or cut off: say so,
  // since the cause of the failure is then the silence, not a wrong answer.
  auto silence_text = [&](Duration waited) {
    auto now = Clock::now();
    auto last = device_.engine->last_received_us();
    Duration silent = last == 0 ? waited : std::chrono::duration_cast<Duration>(now - from_us(last));
    if (silent * 2 < waited) return std::string();  // it spoke during most of the wait
    if (last == 0) return std::string("; the module has sent nothing yet");
    // Its last words are often the cause (NORMAL POWER DOWN), even from a block before this one.
    auto said = device_.engine->recent_lines(1);
    return fmt::format("; the module has sent nothing for {:.1f}s{}", std::chrono::duration<double>(silent).count(),
                       said.empty() ? "" : fmt::format(", its last line {}", said.front()));
  };
  auto bound_name = [&](Deadline dl) { return ctx.bound_name(dl); };
  auto timed_out_text = [&](Duration timeout, Deadline dl) {
    std::string bound = bound_name(dl);
    if (bound.empty()) return fmt::format("nothing matched within {}", format_duration(timeout)) + silence_text(timeout);
    return fmt::format("{} ran out first", bound) + (dl == ctx.scenario_deadline ? std::string() : silence_text(ctx.step_timeout));
  };
  // Power sequences and presses end by the step's or the scenario's bound.
  auto power_bound = [&] { return ctx.deadline(std::chrono::hours(24 * 365)); };
  auto cut_short = [&](const rig::PowerSequenceCut& e, Deadline bound) {
    std::string got = fmt::format("{}: {} ran out first", e.what(), bound_name(bound));
    return StepFailure{fmt::format("{}: {}", where(), got), evidence("the power sequence to complete", got)};
  };

  // The URCs that came in this block and no wait took: often the cause (NORMAL POWER DOWN).
  auto queued_urcs_text = [&](std::string_view label) {
    constexpr std::size_t shown = 8;  // the latest; a storm's are all on the timeline
    const auto& urcs = device_.engine->urcs();
    if (urcs.empty()) return std::string();
    std::vector<std::string> latest;
    for (std::size_t i = urcs.size() > shown ? urcs.size() - shown : 0; i < urcs.size(); ++i) latest.push_back(show_line(urcs[i].text));
    std::string earlier = urcs.size() > shown ? fmt::format("{} earlier, then ", urcs.size() - shown) : "";
    return fmt::format("; {}: {}{}", label, earlier, fmt::join(latest, ", "));
  };

  std::visit(
      [&](const auto& a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, scenario::Send>) {
          std::string text = sub(a.text);
          if (a.raw) device_.engine->send_raw(unescape_bytes(text), Clock::now() + write_timeout);
          else device_.engine->send_command(text, Clock::now() + write_timeout, !a.unanswered);
        } else if constexpr (std::is_same_v<T, scenario::Expect>) {
          std::vector<std::string> groups;
          auto [test, wanted] = make_test(a.pattern, groups);
          auto timeout = timeout_or(a.timeout, default_expect_timeout);
          auto dl = ctx.deadline(timeout);
          auto r = device_.engine->expect_response(test, dl);
          if (r.kind == AtEngine::ExpectResult::Kind::matched) return capture(a.pattern, groups);
          std::string before;
          for (const auto& l : r.passed_over) before += (before.empty() ? "" : ", ") + show_line(l.text);
          if (r.kind == AtEngine::ExpectResult::Kind::other_final) {
            std::string got = before.empty() ? fmt::format("the command ended with {}", show_line(r.line.text))
                                             : fmt::format("got {} and the command ended with {}", before, show_line(r.line.text));
            throw StepFailure{fmt::format("{}: expected {}, {}", where(), wanted, got), evidence(wanted, got)};
          }
          std::string got = timed_out_text(timeout, dl) + (before.empty() ? "" : fmt::format("; response lines: {}", before)) + queued_urcs_text("URCs meanwhile");
          throw StepFailure{fmt::format("{}: expected {}: {}", where(), wanted, got), evidence(wanted, got)};
        } else if constexpr (std::is_same_v<T, scenario::Urc>) {
          std::vector<std::string> groups;
          auto [test, wanted] = make_test(a.pattern, groups);
          auto timeout = timeout_or(a.timeout, default_urc_timeout);
          auto dl = ctx.deadline(timeout);
          int seen = 0;
          while (seen < a.count && device_.engine->wait_urc(test, dl)) ++seen;
          if (seen == a.count) return capture(a.pattern, groups);
          if (a.count > 1) wanted = fmt::format("{} x {} ({} seen)", a.count, wanted, seen);
          std::string got = timed_out_text(timeout, dl) + queued_urcs_text("other URCs");
          throw StepFailure{fmt::format("{}: expected URC {}: {}", where(), wanted, got), evidence("URC " + wanted, got)};
        } else if constexpr (std::is_same_v<T, scenario::Check>) {
          bool ok = false;
          try {
            ok = a.expr.evaluate([&](std::string_view n) { return ctx.lookup(n); });
          } catch (const std::out_of_range& e) {
            throw InputError(action.pos, e.what());
          }
          if (!ok) {
            std::string values;
            for (const auto& [k, v] : ctx.vars)
              if (a.expr.source().find("${" + k + "}") != std::string::npos) values += fmt::format("{}{}={}", values.empty() ? "" : ", ", k, show_line(v));
            std::string msg = a.message.empty() ? fmt::format("check failed: {}", a.expr.source()) : sub(a.message);
            throw StepFailure{fmt::format("{}: {} ({})", where(), msg, values), evidence(a.expr.source(), fmt::format("false with {}", values))};
          }
        } else if constexpr (std::is_same_v<T, scenario::PowerKey> || std::is_same_v<T, scenario::ResetPulse>) {
          auto role = std::is_same_v<T, scenario::PowerKey> ? rig::PinRole::pwrkey : rig::PinRole::reset;
          if (!device_.pins || !device_.pins->has(role))
            throw InfraError(fmt::format("slot {}: {} at {} but the rig wires no {} line", device_.slot, std::is_same_v<T, scenario::PowerKey> ? "<power-key>" : "<reset>",
                                         action.pos.str(), rig::to_string(role)));
          auto bound = power_bound();
          try {
            power_control().press(role, dur(a.hold), bound);
          } catch (const rig::PowerSequenceCut& e) {
            throw cut_short(e, bound);
          }
          device_.engine->module_restarted(fmt::format("{} pressed", rig::to_string(role)));
        } else if constexpr (std::is_same_v<T, scenario::Supply>) {
          if (!device_.pins || !device_.pins->has(rig::PinRole::supply))
            throw InfraError(fmt::format("slot {}: <supply> at {} but the rig switches no supply", device_.slot, action.pos.str()));
          device_.pins->set_within(rig::PinRole::supply, a.on ? rig::Level::high : rig::Level::low, ctx.bound());
          device_.timeline.record(Direction::pin, a.on ? "supply on" : "supply off");
          device_.engine->module_restarted(a.on ? "supply on" : "supply off");
        } else if constexpr (std::is_same_v<T, scenario::Sleep>) {
          device_.engine->drain_until(ctx.deadline(scale_.hold(dur(a.duration))));
        } else if constexpr (std::is_same_v<T, scenario::Log>) {
          device_.timeline.record(Direction::note, "log: " + sub(a.text));
        } else if constexpr (std::is_same_v<T, scenario::Repeat>) {
          if (!a.until) {
            for (int i = 0; i < a.count; ++i) run_actions(a.body, ctx);
            return;
          }
          for (int round = 0;; ++round) {
            bool done = false;
            try {
              done = a.until->evaluate([&](std::string_view n) { return ctx.lookup(n); });
            } catch (const std::out_of_range& e) {
              throw InputError(action.pos, e.what());
            }
            if (done) return;
            if (round == a.max)
              throw StepFailure{fmt::format("{}: '{}' still false after {} round(s)", where(), a.until->source(), a.max),
                                evidence(a.until->source(), fmt::format("still false after {} round(s)", a.max))};
            run_actions(a.body, ctx);
          }
        } else if constexpr (std::is_same_v<T, scenario::SendFile>) {
          std::string rel = sub(a.path);
          if (rel.empty() || rel[0] == '/' || rel.find("..") != std::string::npos)
            throw InputError(action.pos, fmt::format("path '{}' must lie inside the fixtures folder", rel));
          std::ifstream in(fixtures_ / rel, std::ios::binary);
          if (!in) throw InputError(action.pos, fmt::format("cannot read {}", (fixtures_ / rel).string()));
          std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
          auto timeout = timeout_or(a.timeout, default_expect_timeout);
          auto prompt = [&](const std::string& after) {
            auto r = device_.engine->expect_response([&](const std::string& l) { return l == a.prompt; }, ctx.deadline(timeout));
            if (r.kind != AtEngine::ExpectResult::Kind::matched) {
              std::string got = r.kind == AtEngine::ExpectResult::Kind::timeout ? fmt::format("no prompt within {}", format_duration(timeout))
                                                                                : fmt::format("the command ended with {}", show_line(r.line.text));
              throw StepFailure{fmt::format("{}: expected the prompt '{}' {}: {}", where(), a.prompt, after, got), evidence("the prompt " + a.prompt, got)};
            }
          };
          std::size_t chunk = a.chunk ? a.chunk : std::max<std::size_t>(data.size(), 1);
          std::size_t sent = 0;
          if (a.command.empty()) {
            prompt("before the file");
            for (; sent < data.size(); sent += chunk) device_.engine->send_raw(std::string_view(data).substr(sent, chunk), Clock::now() + write_timeout);
            sent = data.size();
          }
          for (std::size_t offset = 0; !a.command.empty() && offset < data.size(); offset += chunk) {
            std::size_t length = std::min(chunk, data.size() - offset);
            std::string command = sub(a.command);
            for (auto [key, value] : {std::pair<std::string, std::string>{"{mode}", offset == 0 ? "0" : "1"}, {"{length}", std::to_string(length)}, {"{offset}", std::to_string(offset)}})
              for (auto at = command.find(key); at != std::string::npos; at = command.find(key)) command.replace(at, key.size(), value);
            device_.engine->send_command(command, Clock::now() + write_timeout);
            prompt(fmt::format("for bytes {}..{}", offset, offset + length));
            device_.engine->send_raw(std::string_view(data).substr(offset, length), Clock::now() + write_timeout);
            auto ok = device_.engine->expect_response([](const std::string& l) { return l == "OK"; }, ctx.deadline(timeout));
            if (ok.kind != AtEngine::ExpectResult::Kind::matched) {
              std::string got = ok.kind == AtEngine::ExpectResult::Kind::timeout ? fmt::format("nothing within {}", format_duration(timeout))
                                                                                 : show_line(ok.line.text);
              throw StepFailure{fmt::format("{}: the module did not take bytes {}..{} of {}: {}", where(), offset, offset + length, rel, got),
                                evidence("OK after the chunk", got)};
            }
            sent = offset + length;
          }
          ctx.vars["sent"] = std::to_string(sent);
          device_.timeline.record(Direction::note, fmt::format("sent {} bytes of {}", sent, rel));
        } else if constexpr (std::is_same_v<T, scenario::Power>) {
          auto& pc = power_control();
          device_.engine->module_restarted("power sequence");
          auto bound = power_bound();
          try {
            switch (a.action) {
              case scenario::Power::Action::on: pc.on(bound); break;
              case scenario::Power::Action::off: pc.off(bound); break;
              case scenario::Power::Action::cycle: pc.cycle(bound); break;
              case scenario::Power::Action::hard_cycle: pc.hard_cycle(bound); break;
              case scenario::Power::Action::reset: pc.reset(bound); break;
            }
          } catch (const rig::PowerSequenceCut& e) {
            throw cut_short(e, bound);
          } catch (const rig::PowerSequenceFailure& e) {
            throw StepFailure{fmt::format("{}: {}", where(), e.what()), evidence("the power sequence to complete", e.what())};
          }
        } else if constexpr (std::is_same_v<T, scenario::ExpectPin>) {
          auto role = *rig::pin_role_from(a.pin);
          if (!device_.pins || !device_.pins->has(role))
            throw InfraError(fmt::format("slot {}: <expect-pin name=\"{}\"> at {} but the rig wires no {} line", device_.slot, a.pin, action.pos.str(), a.pin));
          auto level = a.high ? rig::Level::high : rig::Level::low;
          auto timeout = timeout_or(a.timeout, default_expect_timeout);
          if (!power_control().wait_level(role, level, ctx.deadline(timeout))) {
            std::string got = fmt::format("{} stayed {} for {}", a.pin, rig::to_string(level == rig::Level::high ? rig::Level::low : rig::Level::high), format_duration(timeout));
            throw StepFailure{fmt::format("{}: expected {} {}: {}", where(), a.pin, rig::to_string(level), got), evidence(a.pin + " " + rig::to_string(level), got)};
          }
        } else if constexpr (std::is_same_v<T, scenario::ExpectReboot>) {
          auto timeout = timeout_or(a.timeout, default_urc_timeout);
          auto dl = ctx.deadline(timeout);
          const auto status = rig::PinRole::status;
          if (device_.pins && device_.pins->has(status)) {
            // STATUS is the evidence: low inside the window (a restart before it, such as
            // AT+CFOTA=1's into the updater, is not this one), and high again. RDY alone would
            // not do: an autobauding SIM7000 prints none.
            auto restarted = [&] {
              record_pin_events();
              auto since = restart_window_.opens(ctx.block_start_us, device_.engine->last_sent_us(), device_.engine->last_taken_us());
              return restart_window_.fell_after(since) && device_.pins->get(status) == rig::Level::high;
            };
            constexpr auto slice = std::chrono::milliseconds(20);
            while (!restarted()) {
              if (Clock::now() >= dl) {
                bool fell = restart_window_.fell_after(restart_window_.opens(ctx.block_start_us, device_.engine->last_sent_us(), device_.engine->last_taken_us()));
                std::string got = fmt::format("{} {}", fell ? "STATUS went low but not high again:" : "STATUS never went low:", timed_out_text(timeout, dl));
                throw StepFailure{fmt::format("{}: expected the module to restart (STATUS low, then high): {}", where(), got), evidence("a restart (STATUS low, then high)", got)};
              }
              device_.engine->drain_until(std::min<Deadline>(Clock::now() + slice, dl));
            }
          } else if (!device_.engine->wait_urc([](const std::string& l) { return l == "RDY"; }, dl)) {
            std::string got = timed_out_text(timeout, dl);
            throw StepFailure{fmt::format("{}: expected the module to restart (RDY; an autobauding module prints none, and this rig wires no STATUS): {}", where(), got),
                              evidence("a restart (RDY)", got)};
          }
          // On a port that re-enumerates, the evidence could be stale: the port must have gone and
          // come back. It comes back after the module's boot, often well after STATUS: the host's
          // USB enumeration follows the module's (the kernel lab's ttyUSB0: 0.4 s after STATUS).
          const auto& port = *device_.port;
          if (port.can_reattach()) {
            auto back = [&] { return port.reattachments() != ctx.reattachments_at_block_start; };
            while (!back() && Clock::now() < dl) device_.engine->drain_until(std::min<Deadline>(Clock::now() + std::chrono::milliseconds(20), dl));
            if (!back())
              throw StepFailure{fmt::format("{}: the module restarted but its port did not go away and come back within {}", where(), format_duration(timeout)),
                                evidence("the port to re-enumerate", "the same port throughout")};
          }
        } else if constexpr (std::is_same_v<T, scenario::EchoCheck>) {
          const auto& ended = device_.engine->last_ended_command();
          if (!ended) throw StepFailure{fmt::format("{}: no command has ended to check its echo", where()), evidence("a command", "none")};
          if (ended->echoed != a.on) {
            std::string want = a.on ? fmt::format("the echo of '{}'", ended->text) : "no echo";
            std::string got = a.on ? "no echo" : fmt::format("'{}' echoed", ended->text);
            throw StepFailure{fmt::format("{}: expected {} (echo {}): got {}", where(), want, a.on ? "on" : "off", got), evidence(want, got)};
          }
        } else if constexpr (std::is_same_v<T, scenario::Sync>) {
          auto each = timeout_or(a.each, std::chrono::seconds(1));
          auto late_before = device_.engine->late_replies().size();
          auto late_text = [&] {
            auto late = device_.engine->late_replies().size() - late_before;
            return late == 0 ? std::string() : fmt::format("; {} answer(s) came after their wait", late);
          };
          for (int attempt = 1; attempt <= a.tries; ++attempt) {
            auto dl = ctx.deadline(each);
            auto r = device_.engine->probe_at(Clock::now() + write_timeout, dl, fmt::format("sync: no answer to AT within {}", format_duration(each)));
            // The step's or the scenario's bound ran out: more tries would not be waited for.
            if (r.kind == AtEngine::ExpectResult::Kind::timeout && ctx.is_bound(dl)) {
              std::string got = fmt::format("no OK to {} AT command(s): {}", attempt, timed_out_text(each, dl)) + late_text() + queued_urcs_text("URCs meanwhile");
              throw StepFailure{fmt::format("{}: the module did not answer AT: {}", where(), got), evidence("OK to AT", got)};
            }
            if (r.kind == AtEngine::ExpectResult::Kind::matched) {
              if (attempt > 1) device_.timeline.record(Direction::note, fmt::format("sync: AT answered at try {}", attempt));
              return;
            }
            interrupt::check();
          }
          std::string got = fmt::format("no OK to any of {} AT commands, {} each", a.tries, format_duration(each)) + silence_text(each * a.tries) + late_text() + queued_urcs_text("URCs meanwhile");
          throw StepFailure{fmt::format("{}: the module did not answer AT: {}", where(), got), evidence("OK to AT", got)};
        } else if constexpr (std::is_same_v<T, scenario::Forbid>) {
          std::vector<std::string> unused;
          auto [test, wanted] = make_test(a.pattern, unused);
          ctx.forbids.push_back(Context::ActiveForbid{test, wanted, action.pos});
        } else if constexpr (std::is_same_v<T, scenario::ExpectAny>) {
          std::vector<std::vector<std::string>> groups(a.alternatives.size());
          std::vector<AtEngine::Alternative> alternatives;
          std::string wanted;
          for (std::size_t i = 0; i < a.alternatives.size(); ++i) {
            auto [test, text] = make_test(a.alternatives[i].pattern, groups[i]);
            alternatives.push_back(AtEngine::Alternative{a.alternatives[i].urc, test});
            wanted += fmt::format("{}{} '{}': {}", wanted.empty() ? "" : ", ", a.alternatives[i].urc ? "URC" : "response", a.alternatives[i].name, text);
          }
          auto timeout = a.otherwise.empty() ? timeout_or(a.timeout, default_urc_timeout) : scale_.optional_wait(a.timeout ? dur(*a.timeout) : default_urc_timeout);
          auto dl = ctx.deadline(timeout);
          auto r = device_.engine->expect_any(alternatives, dl);
          if (r.index) {
            const auto& alt = a.alternatives[*r.index];
            if (!a.variable.empty()) {
              ctx.vars[a.variable] = alt.name;
              ctx.fixed.insert(a.variable);
            }
            device_.timeline.record(Direction::note, fmt::format("expect-any: '{}' arrived", alt.name));
            return capture(alt.pattern, groups[*r.index]);
          }
          std::string got = r.line.text.empty() ? timed_out_text(timeout, dl) : fmt::format("the command ended with {}", show_line(r.line.text));
          // An optional wait: nothing in time is an answer too, unless the scenario's own bound ran out.
          if (!a.otherwise.empty() && r.line.text.empty() && !ctx.is_bound(dl)) {
            ctx.vars[a.variable] = a.otherwise;
            ctx.fixed.insert(a.variable);
            device_.timeline.record(Direction::note, fmt::format("expect-any: nothing within {}: '{}'", format_duration(timeout), a.otherwise));
            return;
          }
          throw StepFailure{fmt::format("{}: expected one of {}: {}", where(), wanted, got), evidence("one of " + wanted, got)};
        } else if constexpr (std::is_same_v<T, scenario::Scope>) {
          // Parameters rank above scenario defaults, below rig variables, -D and captures.
          std::vector<std::pair<std::string, std::optional<std::string>>> saved;
          for (const auto& p : a.params) {
            if (ctx.fixed.count(p.name)) continue;
            auto it = ctx.vars.find(p.name);
            saved.emplace_back(p.name, it == ctx.vars.end() ? std::nullopt : std::optional<std::string>(it->second));
            ctx.vars[p.name] = sub(p.value);
          }
          device_.timeline.record(Direction::note, fmt::format("fixture {}", a.fixture));
          auto restore = [&] {
            for (const auto& [name, value] : saved) {
              if (ctx.fixed.count(name)) continue;  // captured inside: the capture stands
              if (value) ctx.vars[name] = *value;
              else ctx.vars.erase(name);
            }
          };
          try {
            run_actions(a.body, ctx);
          } catch (...) {
            restore();
            throw;
          }
          restore();
        }
      },
      action.what);
}

}  // namespace athil::runner
