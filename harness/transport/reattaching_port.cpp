#include "transport/reattaching_port.hpp"

#include <thread>

#include <fmt/format.h>

#include "base/interrupt.hpp"

namespace athil {

namespace {
// How often the port is tried while it is away: short against any reattach limit, long
// against the cost of a try (a stat, an open or a loopback connect).
constexpr auto look_interval = std::chrono::milliseconds(10);
}  // namespace

ReattachingPort::ReattachingPort(std::string name, Opener open, Duration reattach_limit, std::function<void(const std::string&)> note)
    : name_(std::move(name)), open_(std::move(open)), limit_(reattach_limit), note_(std::move(note)) {
  away_since_ = Clock::now();
  try_open();
}

bool ReattachingPort::try_open() {
  if (port_) return true;
  try {
    port_ = open_();
    away_since_.reset();
    if (ever_open_) {
      ++reattachments_;
      if (note_) note_(fmt::format("port back: {}", name_));
    }
    ever_open_ = true;
    return true;
  } catch (const InfraError& e) {
    last_failure_ = e.what();  // away, or not ready yet: try again shortly
  }
  if (Clock::now() - *away_since_ > limit_)
    throw InfraError(fmt::format("{}: {} for more than {} (the reattach limit); last attempt: {}", name_, ever_open_ ? "gone" : "not present",
                                 format_duration(limit_), last_failure_));
  return false;
}

void ReattachingPort::restart_expected() {
  if (away_since_) away_since_ = Clock::now();
}

void ReattachingPort::lost(const PortGone& e) {
  port_.reset();
  away_since_ = Clock::now();
  if (note_) note_(fmt::format("port gone: {}", e.what()));
}

void ReattachingPort::wait_a_little(Deadline deadline) const {
  interrupt::check();
  std::this_thread::sleep_for(std::min<Clock::duration>(look_interval, deadline - Clock::now()));
}

std::string ReattachingPort::read_some(Deadline deadline) {
  while (true) {
    if (try_open()) {
      try {
        return port_->read_some(deadline);
      } catch (const PortGone& e) {
        lost(e);
        continue;
      }
    }
    if (Clock::now() >= deadline) return {};
    wait_a_little(deadline);
  }
}

void ReattachingPort::write_all(std::string_view bytes, Deadline deadline) {
  while (true) {
    if (try_open()) {
      try {
        return port_->write_all(bytes, deadline);
      } catch (const PortGone& e) {
        lost(e);  // what was written before it went is lost with the device, as on the real line
        continue;
      }
    }
    if (Clock::now() >= deadline) throw InfraError(fmt::format("{}: away, {} bytes not written", name_, bytes.size()));
    wait_a_little(deadline);
  }
}

std::string ReattachingPort::describe() const { return fmt::format("{} (reattaches within {})", port_ ? port_->describe() : name_, format_duration(limit_)); }

}  // namespace athil
