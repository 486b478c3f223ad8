#include "base/timeline.hpp"

#include <algorithm>
#include <charconv>

#include "base/duration.hpp"
#include "base/escape.hpp"
#include "base/nearly_sorted.hpp"

namespace athil {

namespace {
// "12.000345": seconds and six digits of microseconds; a time before the start is the start.
void append_seconds(std::string& out, std::int64_t rel_us) {
  rel_us = std::max<std::int64_t>(rel_us, 0);
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, rel_us / 1'000'000).ptr;
  *end++ = '.';
  auto micro = rel_us % 1'000'000;
  for (int i = 5; i >= 0; --i, micro /= 10) end[i] = static_cast<char>('0' + micro % 10);
  out.append(digits, static_cast<std::size_t>(end + 6 - digits));
}
}  // namespace

void append_transcript_line(std::string& out, std::int64_t t_us, Direction dir, std::string_view bytes) {
  append_seconds(out, t_us);
  out += ' ';
  out += static_cast<char>(dir);
  out += ' ';
  append_escaped(out, bytes);
  out += '\n';
}

void Timeline::record(Direction dir, std::string_view data) { record_at(to_us(Clock::now()), dir, data); }

void Timeline::record_at(std::int64_t t_us, Direction dir, std::string_view data, Shown shown) {
  events_.push_back(TimelineEvent{.t_us = t_us, .dir = dir, .data = std::string(data), .shown = shown});
}

std::optional<std::int64_t> Timeline::first_after(Direction dir, std::int64_t t_us, std::size_t look) const {
  // Events of one direction are recorded in the order they happened; others land among them.
  std::optional<std::int64_t> first;
  for (std::size_t i = events_.size(); i > 0 && events_.size() - i < look; --i) {
    const auto& e = events_[i - 1];
    if (e.dir != dir) continue;
    if (e.t_us <= t_us) break;
    first = e.t_us;
  }
  return first;
}

std::string Timeline::render(std::size_t from, std::size_t to) const {
  std::string out(transcript_first_line);
  to = std::min(to, events_.size());
  if (from >= to) return out;
  // Pin events are stamped when the edge happened but recorded when read: order by time.
  std::vector<const TimelineEvent*> order;
  for (std::size_t i = from; i < to; ++i)
    if (events_[i].shown == Shown::everywhere) order.push_back(&events_[i]);
  if (order.empty()) return out;
  stable_sort_nearly_sorted(order, [](auto* a, auto* b) { return a->t_us < b->t_us; });
  std::int64_t origin = order.front()->t_us;
  std::size_t size = out.size();
  for (const auto* e : order) size += e->data.size() + 20;  // seconds, direction, line end: grown once
  out.reserve(size);
  // Appended in place, not a formatted string per event: a long run has hundreds of thousands.
  for (const auto* e : order) append_transcript_line(out, e->t_us - origin, e->dir, e->data);
  return out;
}

}  // namespace athil
