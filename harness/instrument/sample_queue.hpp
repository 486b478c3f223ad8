#pragma once
// What a capture's reader thread hands to the runner: samples held until taken (a bounded
// number: beyond it they are dropped, and the reader counts them lost), how far they cover, and
// what stopped the reader. Both backends' captures keep one.
#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <utility>
#include <vector>

#include "instrument/meter.hpp"

namespace athil::instrument {

class SampleQueue {
 public:
  // About 42 s of a PPK2's 100 kHz undecimated: a runner that never takes loses samples, not memory.
  static constexpr std::size_t max_held = std::size_t{1} << 22;

  // Returns how many did not fit.
  std::size_t push(const std::vector<Sample>& samples) {
    std::lock_guard lock(mutex_);
    std::size_t room = max_held - std::min(max_held, held_.size());
    std::size_t kept = std::min(room, samples.size());
    held_.insert(held_.end(), samples.begin(), samples.begin() + static_cast<long>(kept));
    if (!samples.empty()) covered_ = samples.back().at;
    arrived_.notify_all();
    return samples.size() - kept;
  }
  // The first failure is the one told.
  void fail(std::exception_ptr why) {
    std::lock_guard lock(mutex_);
    if (!failure_) failure_ = std::move(why);
    arrived_.notify_all();
  }
  bool failed() const {
    std::lock_guard lock(mutex_);
    return failure_ != nullptr;
  }
  // The samples since the last take; rethrows what stopped the reader.
  std::vector<Sample> take() {
    std::lock_guard lock(mutex_);
    if (failure_) std::rethrow_exception(failure_);
    return std::exchange(held_, {});
  }
  // Until a sample starts at or after `t`, or `by`, or a failure: false for the last two.
  bool wait_covering(Clock::time_point t, Deadline by) {
    std::unique_lock lock(mutex_);
    return arrived_.wait_until(lock, by, [&] { return failure_ || covered_ >= t; }) && !failure_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<Sample> held_;
  Clock::time_point covered_{};  // the start of the newest sample
  std::exception_ptr failure_;
};

}  // namespace athil::instrument
