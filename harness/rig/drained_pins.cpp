#include <algorithm>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "rig/gpio_request.hpp"

namespace athil::rig {

namespace {

// Often enough for the 16 edges a line the kernel keeps under libgpiod 1, at NETLIGHT's fastest
// (64 ms on, 300 ms off while data flows).
constexpr auto drain_every = std::chrono::milliseconds(200);
// NETLIGHT edges kept for a harness that takes none for hours: the oldest go first.
constexpr std::size_t max_kept = 1 << 16;

class DrainedPins final : public Pins {
 public:
  explicit DrainedPins(std::unique_ptr<Pins> inner) : inner_(std::move(inner)), thread_([this] { drain_loop(); }) {}

  ~DrainedPins() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  bool has(PinRole role) const override { return inner_->has(role); }
  void set(PinRole role, Level level) override {
    std::lock_guard lock(mutex_);
    inner_->set(role, level);
  }
  void set_within(PinRole role, Level level, Deadline bound) override {
    std::lock_guard lock(mutex_);
    inner_->set_within(role, level, bound);
  }
  bool pulse(PinRole role, Level level, Duration hold) override {
    std::lock_guard lock(mutex_);
    return inner_->pulse(role, level, hold);
  }
  Level get(PinRole role) override {
    std::lock_guard lock(mutex_);
    return inner_->get(role);
  }
  std::vector<PinEvent> take_events() override {
    std::lock_guard lock(mutex_);
    drain();
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    return std::exchange(events_, {});
  }
  std::string describe() const override { return inner_->describe(); }

 private:
  // With mutex_ held. An error waits for the harness's next take_events().
  void drain() {
    if (error_) return;
    try {
      auto fresh = inner_->take_events();
      events_.insert(events_.end(), fresh.begin(), fresh.end());
    } catch (...) {
      error_ = std::current_exception();
    }
    if (events_.size() > max_kept) {
      auto netlight = [](const PinEvent& e) { return e.role == PinRole::netlight; };
      auto first = std::find_if(events_.begin(), events_.end(), netlight);
      if (first != events_.end()) events_.erase(first);
    }
  }

  void drain_loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, drain_every);
      if (!stopping_) drain();
    }
  }

  std::unique_ptr<Pins> inner_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<PinEvent> events_;
  std::exception_ptr error_;
  std::thread thread_;  // last: it starts once everything it uses is there
};

}  // namespace

std::unique_ptr<Pins> drained(std::unique_ptr<Pins> pins) { return std::make_unique<DrainedPins>(std::move(pins)); }

}  // namespace athil::rig
