#pragma once
// The store as a page (REPORTS/history.html, rewritten after each run): per scenario and slot,
// its verdicts over the last runs and the trend of each measurement, and the diff of the last
// run against the one before. Self-contained, as the run's own page.
#include <string>

#include "history/store.hpp"

namespace athil::history {

std::string render_history_page(const Store& store, std::size_t last_runs);

}  // namespace athil::history
