#include "transport/reattaching_port.hpp"

#include <thread>

#include <fmt/format.h>

namespace athil {

namespace {
// How often the path is looked at while the port is away: short against any reattach limit.
constexpr auto look_interval = std::chrono::milliseconds(10);
}  // namespace

ReattachingPort::ReattachingPort(std::filesystem::path path, SerialPort::Settings settings, Duration reattach_limit,
                                 std::function<void(const std::string&)> note)
    : path_(std::move(path)), settings_(settings), limit_(reattach_limit), note_(std::move(note)) {
  away_since_ = Clock::now();
  try_open();
}

bool ReattachingPort::try_open() {
  if (port_) return true;
  std::error_code ec;
  if (std::filesystem::exists(path_, ec)) {
    try {
      port_.emplace(path_, settings_);
      away_since_.reset();
      if (ever_open_) {
        ++reattachments_;
        if (note_) note_(fmt::format("port back: {}", path_.string()));
      }
      ever_open_ = true;
      return true;
    } catch (const InfraError&) {
      // The link may point at a node that is not ready yet; look again shortly.
    }
  }
  if (Clock::now() - *away_since_ > limit_)
    throw InfraError(fmt::format("serial port {}: {} for more than {} (the reattach limit)", path_.string(),
                                 ever_open_ ? "gone" : "not present", format_duration(limit_)));
  return false;
}

void ReattachingPort::lost(const PortGone& e) {
  port_.reset();
  away_since_ = Clock::now();
  if (note_) note_(fmt::format("port gone: {}", e.what()));
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
    std::this_thread::sleep_for(std::min<Clock::duration>(look_interval, deadline - Clock::now()));
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
    if (Clock::now() >= deadline)
      throw InfraError(fmt::format("serial port {}: away, {} bytes not written", path_.string(), bytes.size()));
    std::this_thread::sleep_for(std::min<Clock::duration>(look_interval, deadline - Clock::now()));
  }
}

std::string ReattachingPort::describe() const {
  return fmt::format("{} @{} (reattaches within {})", path_.string(), settings_.baud, format_duration(limit_));
}

}  // namespace athil
