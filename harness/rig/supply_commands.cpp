// A slot whose supply is switched by external programs (a USB hub's port power through
// uhubctl, a networked PDU's command line) instead of a GPIO line. The programs run as
// argument vectors, never through a shell.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/child_process.hpp"
#include "base/duration.hpp"
#include "base/escape.hpp"
#include "base/fd.hpp"
#include "base/interrupt.hpp"
#include "base/process_wait.hpp"
#include "rig/pins.hpp"

namespace athil::rig {

namespace {

// A hub or a PDU answers in seconds; one that takes a minute is not coming back.
constexpr auto command_timeout = std::chrono::seconds(60);
constexpr std::size_t output_kept = 2000;

class SupplyCommandPins final : public Pins {
 public:
  SupplyCommandPins(std::string slot, std::unique_ptr<Pins> lines, std::vector<std::string> on, std::vector<std::string> off)
      : slot_(std::move(slot)), lines_(std::move(lines)), on_(std::move(on)), off_(std::move(off)) {}

  bool has(PinRole role) const override { return role == PinRole::supply || (lines_ && lines_->has(role)); }

  void set(PinRole role, Level level) override { set_within(role, level, Deadline::max()); }

  void set_within(PinRole role, Level level, Deadline bound) override {
    if (role != PinRole::supply) return other(role).set(role, level);
    run(level == Level::high ? on_ : off_, level == Level::high ? "on" : "off", bound);
    supply_ = level;
  }

  bool pulse(PinRole role, Level level, Duration hold) override { return role != PinRole::supply && other(role).pulse(role, level, hold); }

  // The commands cannot be asked: the level is the last one switched, on until then.
  Level get(PinRole role) override { return role == PinRole::supply ? supply_ : other(role).get(role); }

  std::vector<PinEvent> take_events() override { return lines_ ? lines_->take_events() : std::vector<PinEvent>{}; }

  std::string describe() const override {
    return fmt::format("{}supply commands '{}' / '{}'", lines_ ? lines_->describe() + ", " : "", fmt::join(on_, " "), fmt::join(off_, " "));
  }

 private:
  Pins& other(PinRole role) {
    if (!lines_ || !lines_->has(role)) throw InfraError(fmt::format("slot {}: the rig wires no '{}' line", slot_, to_string(role)));
    return *lines_;
  }

  // Runs the program in a process group of its own, reading its output as it comes (a chatty
  // program must not block on a full pipe) until it ends; then whatever it left running in its
  // group is killed, so that no switch leaves an orphan or waits on one that holds the output.
  // Past `bound`, 60 s, or a stop request, the whole group is killed.
  void run(const std::vector<std::string>& argv, const char* which, Deadline bound) {
    std::string shown = fmt::format("{}", fmt::join(argv, " "));
    std::string program = find_program(argv[0]);
    if (program.empty())
      throw InfraError(fmt::format("slot {}: supply {}: cannot run '{}': {}", slot_, which, argv[0],
                                   argv[0].find('/') == std::string::npos ? "not found on PATH" : "not an executable file"));
    std::optional<ChildProcess> child;
    try {
      child.emplace(ChildSpec{.program = program, .args = std::vector<std::string>(argv.begin() + 1, argv.end()), .output = ChildSpec::Output::pipe});
    } catch (const std::exception& e) {
      throw InfraError(fmt::format("slot {}: supply {}: cannot start '{}': {}", slot_, which, shown, e.what()));
    }
    auto own_limit = Clock::now() + command_timeout;
    auto deadline = std::min(bound, own_limit);
    std::string text;
    auto end = watch(child->pid(), child->output(), deadline, text);
    const int status = child->end();  // killed, with its group, unless it had ended; what it left running goes either way
    if (end != End::exited) {
      if (end == End::stopped)
        throw Interrupted(fmt::format("slot {}: supply {}: '{}' was killed: interrupted by {}", slot_, which, shown, interrupt::reason()));
      std::string limit = deadline == own_limit ? fmt::format("within {} s", command_timeout.count()) : "by the end of the step's or the scenario's time";
      throw InfraError(
          fmt::format("slot {}: supply {}: '{}' did not end {} (killed, with its process group); output: {}", slot_, which, shown, limit, tail(text)));
    }
    if (status != 0) throw InfraError(fmt::format("slot {}: supply {}: '{}' {}; output: {}", slot_, which, shown, describe_wait_status(status), tail(text)));
  }

  enum class End { exited, deadline, stopped };
  // Collects the program's output until it exits (what it wrote before is all read), the
  // deadline passes, or the run is asked to stop (unless this thread is shielded).
  static End watch(int pid, int out_fd, Deadline deadline, std::string& text) {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    bool output_open = true;
    auto keep = [&](const char* buf, ssize_t got) {
      text.append(buf, static_cast<std::size_t>(got));
      if (text.size() > 2 * output_kept) text.erase(0, text.size() - output_kept);
    };
    while (true) {
      bool exited = pidfd ? false : process_end(pid).has_value();
      pollfd p[3] = {{output_open ? out_fd : -1, POLLIN, 0}, {pidfd.get(), POLLIN, 0}, {interrupt::shielded() ? -1 : interrupt::wake_fd(), POLLIN, 0}};
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      int timeout = static_cast<int>(std::clamp<long long>(left, 0, pidfd ? 60'000 : 20));
      int n = exited ? 0 : ::poll(p, 3, timeout);
      if (n < 0 && errno == EINTR) continue;
      if (p[2].revents) return End::stopped;
      if (output_open && (p[0].revents & (POLLIN | POLLHUP))) {
        char buf[512];
        ssize_t got = ::read(out_fd, buf, sizeof buf);
        if (got > 0)
          keep(buf, got);
        else
          output_open = false;  // closed by the program and by all it started
        continue;
      }
      if (exited || (p[1].revents & POLLIN)) {
        // What it wrote before it ended is in the pipe now; a child it left holding the pipe
        // open must not keep the switch waiting.
        ::fcntl(out_fd, F_SETFL, ::fcntl(out_fd, F_GETFL) | O_NONBLOCK);
        char buf[512];
        for (ssize_t got; output_open && (got = ::read(out_fd, buf, sizeof buf)) > 0;) keep(buf, got);
        return End::exited;
      }
      if (Clock::now() >= deadline) return End::deadline;
    }
  }

  static std::string tail(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (text.size() > output_kept) text = "..." + text.substr(text.size() - output_kept);
    return text.empty() ? "(none)" : escape_bytes(text);
  }

  std::string slot_;
  std::unique_ptr<Pins> lines_;
  std::vector<std::string> on_, off_;
  Level supply_ = Level::high;
};

}  // namespace

std::unique_ptr<Pins> open_real_pins(const std::string& slot, const RealSlot& wiring) {
  std::unique_ptr<Pins> lines;
  if (!wiring.gpio_chip.empty()) lines = open_gpio_pins(slot, wiring);
  if (wiring.supply_on.empty()) return lines;
  return std::make_unique<SupplyCommandPins>(slot, std::move(lines), wiring.supply_on, wiring.supply_off);
}

}  // namespace athil::rig
