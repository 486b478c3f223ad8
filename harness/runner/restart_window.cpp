#include "runner/restart_window.hpp"

#include <algorithm>

#include "transport/transport.hpp"

namespace athil::runner {

std::int64_t RestartWindow::opens(std::int64_t floor_us, std::int64_t sent_us, std::int64_t urc_absent_us) const {
  std::int64_t open = std::max(floor_us, sent_us);
  if (urc_absent_us <= port_latency_bound_us) return open;  // not known
  const std::int64_t urc_sent_after = urc_absent_us - port_latency_bound_us;
  for (const auto& e : edges_)
    if (e.high && e.t_us < urc_sent_after) open = std::max(open, e.t_us);
  return open;
}

bool RestartWindow::fell_after(std::int64_t t_us) const {
  return std::any_of(edges_.begin(), edges_.end(), [&](const Edge& e) { return !e.high && e.t_us > t_us; });
}

}  // namespace athil::runner
