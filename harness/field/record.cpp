#include "field/record.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "base/duration.hpp"
#include "base/error.hpp"
#include "base/fd.hpp"
#include "base/pty.hpp"
#include "base/timeline.hpp"
#include "rig/model.hpp"
#include "rig/pins.hpp"
#include "transport/open_port.hpp"

namespace athil::field {

namespace {

// Events written as they happen (a tap killed outright keeps what it saw), from two threads.
class LiveTranscript {
 public:
  explicit LiveTranscript(const std::string& path) : out_(path, std::ios::binary | std::ios::trunc), start_(Clock::now()) {
    if (!out_) throw InfraError(fmt::format("cannot write {}", path));
    out_ << transcript_first_line << std::flush;
  }
  void event(Direction dir, std::string_view bytes) { event_at(Clock::now(), dir, bytes); }
  // A pin edge carries the time it happened, which may be a little before the bytes written
  // just ahead of it.
  void event_at(Clock::time_point at, Direction dir, std::string_view text) {
    std::string line;
    append_transcript_line(line, std::chrono::duration_cast<std::chrono::microseconds>(at - start_).count(), dir, text);
    std::lock_guard lock(mutex_);
    out_ << line << std::flush;
  }

 private:
  std::mutex mutex_;
  std::ofstream out_;
  Clock::time_point start_;
};

}  // namespace

int run_record(const RecordOptions& o) {
  UniqueFd signals = stop_signal_fd();  // before the module thread starts: it inherits the mask

  auto module = open_port(PortSettings{o.port, o.baud, o.rtscts, 0, std::nullopt});
  std::unique_ptr<rig::Pins> pins;
  if (!o.control.empty()) {
    pins = rig::connect_virtual_pins("record", o.control, true);
  } else if (!o.rig.empty()) {
    auto rig = rig::load_rig(o.rig);
    auto slot = std::find_if(rig.slots.begin(), rig.slots.end(), [&](const rig::Slot& s) { return s.name == o.slot; });
    if (slot == rig.slots.end()) throw InputError(fmt::format("{}: no slot named '{}'", o.rig, o.slot));
    const auto* real = std::get_if<rig::RealSlot>(&slot->kind);
    if (!real) throw InputError(fmt::format("{}: slot {} is not wired to real pins (for a virtual module, use --control)", o.rig, o.slot));
    pins = rig::open_real_pins(slot->name, *real);
  }
  LiveTranscript transcript(o.out);
  Pty pty = open_pty();
  OwnedPath link = publish_link(o.link, pty.slave_path);
  fmt::print("record: {} <-> {} (link {}), transcript {}\n", module->describe(), pty.slave_path, o.link, o.out);
  std::fflush(stdout);

  std::atomic<bool> stop = false;
  std::string module_error;
  // The module's side: read with a short deadline so that a stop is seen quickly.
  std::thread from_module([&] {
    try {
      while (!stop) {
        std::string bytes = module->read_some(Clock::now() + std::chrono::milliseconds(50));
        if (pins)
          for (const auto& e : pins->take_events())
            transcript.event_at(from_us(e.t_us), Direction::pin, fmt::format("{} {}", rig::to_string(e.role), rig::to_string(e.level)));
        if (bytes.empty()) continue;
        transcript.event(Direction::from_module, bytes);
        write_to_host(pty, bytes);
      }
    } catch (const std::exception& e) {
      module_error = e.what();
      stop = true;
    }
  });
  // The host's side and the signals, on this thread.
  try {
    while (!stop) {
      auto bytes = read_from_host(pty, signals.get(), 100);
      if (!bytes) break;
      if (bytes->empty()) continue;
      transcript.event(Direction::to_module, *bytes);
      module->write_all(*bytes, Clock::now() + std::chrono::seconds(10));
    }
  } catch (...) {
    stop = true;
    from_module.join();
    throw;
  }
  stop = true;
  from_module.join();
  if (!module_error.empty()) {
    fmt::print(stderr, "record: the module's port: {}\n", module_error);
    return 3;
  }
  return 0;
}

}  // namespace athil::field
