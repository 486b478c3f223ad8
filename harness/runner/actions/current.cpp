// <mark> and <current>: windows of the slot's current, bounded by what the scenario already
// knows (a mark placed after a URC or a pin edge, the step's start, a span), checked against
// limits with a marginal band, and kept as named values with their units.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "base/quantity.hpp"
#include "instrument/stats.hpp"
#include "runner/actions/step.hpp"

namespace athil::runner {

namespace {

using scenario::CurrentLimit;
using scenario::CurrentStat;
using Window = CurrentState::Window;

// The samples a scenario keeps: 8 Mi of them is over 20 hours at 1 ms (a PPK2's 100 kHz in
// 1 ms bins, each with its peak), 80 s at its full 10 us.
constexpr std::size_t max_samples = 8 * 1024 * 1024;
// How long after a window's end its last samples may take to arrive (USB, the reader's thread).
constexpr auto delivery_bound = std::chrono::seconds(2);

CurrentState& current_of(Step& step) {
  if (!step.state.current) throw InfraError(fmt::format("slot {}: no current meter is capturing", step.device.slot));
  return *step.state.current;
}

double percentile_of(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p / 100 * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

double value_of(const Window& w, const CurrentLimit& l) {
  switch (l.stat) {
    case CurrentStat::average: return w.stats.average;
    case CurrentStat::peak: return w.stats.peak;
    case CurrentStat::lowest: return w.stats.lowest;
    case CurrentStat::charge: return w.stats.charge;
    case CurrentStat::percentile: return percentile_of(w.sorted, l.percentile);
  }
  return 0;
}

Unit unit_of(const CurrentLimit& l) { return l.stat == CurrentStat::charge ? Unit::coulomb : Unit::ampere; }

// What the meter has delivered, kept for the windows and the trace, within bounds.
void absorb(CurrentState& cur, const std::string& slot) {
  auto more = cur.capture->take();
  if (cur.samples.size() + more.size() > max_samples)
    throw InfraError(fmt::format("slot {}: the scenario's current samples exceed {} ({} each): a coarser resolution= keeps fewer", slot, max_samples,
                                 format_duration(std::chrono::duration_cast<Duration>(cur.capture->sample_period()))));
  cur.samples.insert(cur.samples.end(), more.begin(), more.end());
}

// `s` into `into`: their mean weighed by their spans, the higher peak.
void merge(instrument::Sample& into, const instrument::Sample& s) {
  auto seconds = [](std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); };
  double total = seconds(into.span + s.span);
  if (total > 0) into.amps = (into.amps * seconds(into.span) + s.amps * seconds(s.span)) / total;
  into.span += s.span;
  into.peak = std::max(into.peak, s.peak);
}

// Consecutive samples merged until each spans `resolution`: what a window's lowest and
// percentiles are taken over.
std::vector<instrument::Sample> rebinned(std::span<const instrument::Sample> samples, std::chrono::nanoseconds resolution) {
  std::vector<instrument::Sample> out;
  for (const auto& s : samples) {
    if (out.empty() || out.back().span >= resolution)
      out.push_back(s);
    else
      merge(out.back(), s);
  }
  // The window's end cuts the last one short: under half a sample, it joins the one before.
  if (out.size() > 1 && out.back().span < resolution / 2) {
    auto last = out.back();
    out.pop_back();
    merge(out.back(), last);
  }
  return out;
}

// The samples of [from, to), once the meter has delivered them all, at `resolution`.
Window window(Step& step, CurrentState& cur, Clock::time_point from, Clock::time_point to, std::chrono::nanoseconds resolution) {
  if (!cur.capture->wait_covering(to, Clock::now() + delivery_bound)) {
    cur.capture->take();  // rethrows what stopped the meter, if something did
    throw InfraError(fmt::format("slot {}: its current meter delivered no samples up to the window's end within {} ({} samples lost so far)", step.device.slot,
                                 format_duration(delivery_bound), cur.capture->lost()));
  }
  absorb(cur, step.device.slot);
  auto first = std::lower_bound(cur.samples.begin(), cur.samples.end(), from, [](const instrument::Sample& s, Clock::time_point t) { return s.at < t; });
  auto last = std::lower_bound(first, cur.samples.end(), to, [](const instrument::Sample& s, Clock::time_point t) { return s.at < t; });
  auto bins = rebinned(std::span(first, last), resolution);
  Window w{.stats = instrument::summarize(bins)};
  // On a compressed rig the module lives its time faster: a span and a charge are told in the
  // module's time, as they would be at real speed (currents need no scaling).
  w.stats.span = std::chrono::duration_cast<std::chrono::nanoseconds>(w.stats.span / step.scale.factor());
  w.stats.charge /= step.scale.factor();
  if (w.stats.samples == 0)
    throw InfraError(fmt::format("slot {}: no current samples in the window (it lasted {})", step.device.slot,
                                 format_duration(std::chrono::duration_cast<Duration>(to - from))));
  for (const auto& b : bins) w.sorted.push_back(b.amps);
  std::sort(w.sorted.begin(), w.sorted.end());
  return w;
}

enum class Judged { pass, marginal, fail };

struct Judgement {
  Judged verdict = Judged::pass;
  std::string why;  // for the one that decided it
};

Judgement judge(const scenario::Current& a, const Window& w, const CurrentState& cur) {
  Judgement out;
  for (const auto& l : a.limits) {
    double value = value_of(w, l);
    bool relative = l.bound.relative || (l.marginal && l.marginal->relative);
    double reference = relative ? value_of(cur.measured.at(a.compare), l) : 0;
    auto resolve = [&](const CurrentLimit::Bound& b) { return b.relative ? reference * (1 + b.value) : b.value; };
    auto beyond = [&](double bound) { return l.upper ? value > bound : value < bound; };
    Judged v = beyond(resolve(l.bound)) ? Judged::fail : l.marginal && beyond(resolve(*l.marginal)) ? Judged::marginal : Judged::pass;
    if (v <= out.verdict) continue;
    std::string stat = l.text.substr(0, l.text.find(' '));
    std::string state = v == Judged::marginal ? "inside the marginal band of its limit" : l.upper ? "above its limit" : "below its limit";
    out = Judgement{.verdict = v,
                    .why = fmt::format("{} {} is {} ({}{})", stat, format_quantity(value, unit_of(l)), state, l.text,
                                       relative ? fmt::format(", against '{}' at {}", a.compare, format_quantity(reference, unit_of(l))) : "")};
  }
  return out;
}

report::Measurement measurement(const scenario::Current& a, const Window& w, Judged verdict) {
  std::string limits;
  for (const auto& l : a.limits) limits += (limits.empty() ? "" : "; ") + l.text;
  return report::Measurement{.name = a.name,
                             .values = {{"average", format_quantity(w.stats.average, Unit::ampere)},
                                        {"peak", format_quantity(w.stats.peak, Unit::ampere)},
                                        {"lowest", format_quantity(w.stats.lowest, Unit::ampere)},
                                        {"charge", format_quantity(w.stats.charge, Unit::coulomb)},
                                        {"window", format_duration(std::chrono::duration_cast<Duration>(w.stats.span))}},
                             .verdict = verdict == Judged::pass       ? "pass"
                                        : verdict == Judged::marginal ? "marginal"
                                                                      : "fail",
                             .limits = limits};
}

}  // namespace

void start_current(rig::Device& device, ScenarioState& state, std::chrono::nanoseconds resolution) {
  if (!device.open_meter) throw InfraError(fmt::format("slot {}: the scenario measures current and the slot has no <instrument>", device.slot));
  auto cur = std::make_unique<CurrentState>();
  cur->meter = device.open_meter();
  cur->capture = cur->meter->start(instrument::CaptureOptions{.bin = resolution});
  device.timeline.record(Direction::note, fmt::format("current: {} capturing", cur->meter->describe()));
  state.current = std::move(cur);
}

report::CurrentTrace current_trace(CurrentState& cur, const std::string& slot) {
  absorb(cur, slot);
  report::CurrentTrace trace;
  trace.reserve(cur.samples.size());
  for (const auto& s : cur.samples) trace.push_back({.t_us = to_us(s.at), .amps = s.amps, .peak = s.peak});
  return trace;
}

void perform(const scenario::Mark& a, Step& step) {
  current_of(step).marks[a.name] = Clock::now();
  step.device.timeline.record(Direction::note, fmt::format("mark {}", a.name));
}

void perform(const scenario::Current& a, Step& step) {
  auto& cur = current_of(step);
  Clock::time_point from, to;
  std::string bounds;
  if (a.span) {
    from = Clock::now();
    to = step.deadline(step.scale.hold(step.duration(*a.span)));
    step.device.timeline.record(Direction::note, fmt::format("current {}: window opens for {}", a.name, a.span->text));
    step.engine().drain_until(to);  // the port is read meanwhile: its URCs stay on the timeline
    step.state.timed_end = to;
    bounds = fmt::format("the {} from {}", a.span->text, step.pos.str());
  } else {
    from = a.since.empty() ? from_us(step.state.block_start_us) : cur.marks.at(a.since);
    to = Clock::now();
    bounds = a.since.empty() ? "since its block began" : fmt::format("since mark '{}'", a.since);
  }
  Window w = window(step, cur, from, to, a.resolution);
  step.device.timeline.record_at(to_us(from), Direction::note, "current window open " + a.name, Shown::waveform_only);
  step.device.timeline.record_at(to_us(to), Direction::note, "current window close " + a.name, Shown::waveform_only);
  auto j = judge(a, w, cur);
  auto m = measurement(a, w, j.verdict);
  std::string line = fmt::format("current {} over {}: ", a.name, bounds);
  for (const auto& [k, v] : m.values) line += fmt::format("{} {}, ", k, v);
  step.device.timeline.record(Direction::note, line + m.verdict + (j.why.empty() ? "" : ": " + j.why));
  step.state.measured.push_back(m);
  cur.measured[a.name] = w;
  for (auto [suffix, value] : {std::pair{"_average", w.stats.average}, {"_peak", w.stats.peak}, {"_lowest", w.stats.lowest}, {"_charge", w.stats.charge}})
    step.vars().set(a.name + suffix, fmt::format("{:.6g}", value));
  if (j.verdict == Judged::fail)
    throw StepFailure{.message = fmt::format("current '{}' at {}: {}", a.name, step.pos.str(), j.why),
                      .detail = fmt::format("{}\nlimits: {}\n", line + "fail", m.limits),
                      .instead = fmt::format("{} {}", a.name, j.why.substr(0, j.why.find(" its ")))};
}

}  // namespace athil::runner
