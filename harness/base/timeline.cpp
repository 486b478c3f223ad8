#include "base/timeline.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "base/duration.hpp"
#include "base/escape.hpp"

namespace athil {

void Timeline::record(Direction dir, std::string_view data) { record_at(to_us(Clock::now()), dir, data); }

void Timeline::record_at(std::int64_t t_us, Direction dir, std::string_view data, Shown shown) {
  events_.push_back(TimelineEvent{.t_us = t_us, .dir = dir, .data = std::string(data), .shown = shown});
}

std::string Timeline::render(std::size_t from, std::size_t to) const {
  std::string out = "# athil-transcript 1\n";
  to = std::min(to, events_.size());
  if (from >= to) return out;
  // Pin events are stamped when the edge happened but recorded when read: order by time.
  std::vector<const TimelineEvent*> order;
  for (std::size_t i = from; i < to; ++i)
    if (events_[i].shown == Shown::everywhere) order.push_back(&events_[i]);
  if (order.empty()) return out;
  std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->t_us < b->t_us; });
  std::int64_t origin = order.front()->t_us;
  for (const auto* ev : order) {
    const auto& e = *ev;
    auto rel = e.t_us - origin;
    out += fmt::format("{}.{:06d} {} {}\n", rel / 1'000'000, rel % 1'000'000, static_cast<char>(e.dir), escape_bytes(e.data));
  }
  return out;
}

}  // namespace athil
