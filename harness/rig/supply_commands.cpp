// A slot whose supply is switched by external programs (a USB hub's port power through
// uhubctl, a networked PDU's command line) instead of a GPIO line. The programs run as
// argument vectors, never through a shell. Boost.Process stays in this file.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/io.hpp>
#include <boost/process/pipe.hpp>
#include <boost/process/search_path.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/duration.hpp"
#include "base/escape.hpp"
#include "base/process_wait.hpp"
#include "rig/pins.hpp"

namespace athil::rig {

namespace bp = boost::process;

namespace {

// A hub or a PDU answers in seconds; one that takes a minute is not coming back.
constexpr auto command_timeout = std::chrono::seconds(60);
constexpr std::size_t output_kept = 2000;

class SupplyCommandPins final : public Pins {
 public:
  SupplyCommandPins(std::string slot, std::unique_ptr<Pins> lines, std::vector<std::string> on, std::vector<std::string> off)
      : slot_(std::move(slot)), lines_(std::move(lines)), on_(std::move(on)), off_(std::move(off)) {}

  bool has(PinRole role) const override { return role == PinRole::supply || (lines_ && lines_->has(role)); }

  void set(PinRole role, Level level) override {
    if (role != PinRole::supply) return other(role).set(role, level);
    run(level == Level::high ? on_ : off_, level == Level::high ? "on" : "off");
    supply_ = level;
  }

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

  void run(const std::vector<std::string>& argv, const char* which) {
    std::string shown = fmt::format("{}", fmt::join(argv, " "));
    std::string program = find_program(argv[0]);
    if (program.empty())
      throw InfraError(fmt::format("slot {}: supply {}: cannot run '{}': {}", slot_, which, argv[0],
                                   argv[0].find('/') == std::string::npos ? "not found on PATH" : "not an executable file"));
    bp::pipe output;
    bp::child child;
    try {
      child = bp::child(bp::exe = program, bp::args = std::vector<std::string>(argv.begin() + 1, argv.end()),
                        (bp::std_out & bp::std_err) > output, bp::std_in < bp::null);
    } catch (const std::exception& e) {
      throw InfraError(fmt::format("slot {}: supply {}: cannot start '{}': {}", slot_, which, shown, e.what()));
    }
    // Read as it comes (a chatty program must not block on a full pipe), until it ends.
    std::string text;
    auto deadline = Clock::now() + command_timeout;
    int fd = output.native_source();
    while (true) {
      pollfd p{fd, POLLIN, 0};
      int n = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count())));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // the deadline
      char buf[512];
      ssize_t got = ::read(fd, buf, sizeof buf);
      if (got <= 0) break;  // end of output: it has ended, or closed its output
      text.append(buf, static_cast<std::size_t>(got));
      if (text.size() > 2 * output_kept) text.erase(0, text.size() - output_kept);
    }
    bool ended = wait_until_ended(child.id(), deadline);
    std::error_code ec;
    if (!ended) {
      child.terminate(ec);  // SIGKILL, and reaped
      throw InfraError(fmt::format("slot {}: supply {}: '{}' did not end within {} s (killed); output: {}", slot_, which, shown,
                                   command_timeout.count(), tail(text)));
    }
    child.wait(ec);
    int status = child.exit_code();
    if (status != 0)
      throw InfraError(fmt::format("slot {}: supply {}: '{}' exited with status {}; output: {}", slot_, which, shown, status, tail(text)));
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

std::string find_program(const std::string& program) {
  std::string path = program.find('/') == std::string::npos ? bp::search_path(program).string() : program;
  return !path.empty() && ::access(path.c_str(), X_OK) == 0 ? path : "";
}

std::unique_ptr<Pins> open_real_pins(const std::string& slot, const RealSlot& wiring) {
  std::unique_ptr<Pins> lines;
  if (!wiring.gpio_chip.empty()) lines = open_gpio_pins(slot, wiring);
  if (wiring.supply_on.empty()) return lines;
  return std::make_unique<SupplyCommandPins>(slot, std::move(lines), wiring.supply_on, wiring.supply_off);
}

}  // namespace athil::rig
