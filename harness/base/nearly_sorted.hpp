#pragma once
// A stable sort for sequences that are almost in order already, as a timeline is: events are
// recorded as they are read, and only a few (pin edges, measured windows) are stamped earlier.
#include <algorithm>
#include <iterator>
#include <vector>

namespace athil {

// The elements behind an earlier one with a later key are taken out, sorted and merged back:
// linear when few are out of order, n log n at worst. Equal keys keep their order: an element
// kept in place never follows a taken-out one of the same key.
template <class T, class Less>
void stable_sort_nearly_sorted(std::vector<T>& items, Less less) {
  if (std::is_sorted(items.begin(), items.end(), less)) return;
  std::vector<T> kept, late;
  kept.reserve(items.size());
  for (auto& item : items) {
    if (kept.empty() || !less(item, kept.back()))
      kept.push_back(std::move(item));
    else
      late.push_back(std::move(item));
  }
  std::stable_sort(late.begin(), late.end(), less);
  items.clear();
  std::merge(std::make_move_iterator(kept.begin()), std::make_move_iterator(kept.end()), std::make_move_iterator(late.begin()),
             std::make_move_iterator(late.end()), std::back_inserter(items), less);
}

}  // namespace athil
