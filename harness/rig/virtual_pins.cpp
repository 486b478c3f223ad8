// Client side of the virtual module's control channel (protocol: harness/sim/README.md).
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "base/duration.hpp"
#include "base/fd.hpp"
#include "rig/pins.hpp"

namespace athil::rig {

namespace {

constexpr auto reply_timeout = std::chrono::seconds(10);

class VirtualPins final : public Pins {
 public:
  VirtualPins(std::string slot, std::string socket_path, bool netlight_events) : slot_(std::move(slot)), path_(std::move(socket_path)) {
    open_channel();
    // The module says which pins it has (RESET only on the SIM7000).
    std::string reply = request("pins");
    std::istringstream words(reply);
    std::string word;
    words >> word;
    while (words >> word)
      if (auto role = pin_role_from(word)) roles_.insert(*role);
    if (roles_.empty()) throw InfraError(fmt::format("slot {}: the virtual module answered '{}' to 'pins'", slot_, reply));
    if (netlight_events && (reply = request("watch status netlight")) != "ok")
      throw InfraError(fmt::format("slot {}: the virtual module answered '{}' to 'watch status netlight'", slot_, reply));
  }

  bool has(PinRole role) const override { return roles_.count(role) != 0; }

  void set(PinRole role, Level level) override {
    auto reply = request(fmt::format("set {} {} {}", to_string(role), to_string(level), to_us(Clock::now())));
    if (reply != "ok")
      throw InfraError(fmt::format("slot {}: setting {} {}: the virtual module answered '{}'", slot_, to_string(role), to_string(level), reply));
  }

  bool pulse(PinRole role, Level level, Duration hold) override {
    if (role != PinRole::pwrkey && role != PinRole::reset) return false;
    auto hold_us = std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::microseconds>(hold).count());
    auto reply = request(fmt::format("pulse {} {} {} {}", to_string(role), to_string(level), hold_us, to_us(Clock::now())));
    if (reply != "ok")
      throw InfraError(fmt::format("slot {}: pulsing {} {} for {}: the virtual module answered '{}'", slot_, to_string(role), to_string(level),
                                   format_duration(hold), reply));
    return true;
  }

  Level get(PinRole role) override {
    auto reply = request(fmt::format("get {}", to_string(role)));
    std::string expect = fmt::format("level {} ", to_string(role));
    if (reply.rfind(expect, 0) != 0) throw InfraError(fmt::format("slot {}: reading {}: the virtual module answered '{}'", slot_, to_string(role), reply));
    return reply.substr(expect.size()) == "high" ? Level::high : Level::low;
  }

  std::vector<PinEvent> take_events() override {
    // Events may sit unread in the socket while no request is made.
    while (auto line = read_line(Clock::now())) handle_event(*line);
    return std::exchange(events_, {});
  }

  std::string describe() const override { return fmt::format("virtual control channel {}", path_); }

  std::string request(const std::string& line) {
    std::string out = line + "\n";
    if (send_all(out) != static_cast<ssize_t>(out.size()))
      throw PortGone(fmt::format("slot {}: the virtual module's control channel is gone ({})", slot_, errno_text(errno)));
    auto deadline = Clock::now() + reply_timeout;
    while (true) {
      auto reply = read_line(deadline);
      if (!reply) throw InfraError(fmt::format("slot {}: no answer from the virtual module to '{}' within {}s", slot_, line, reply_timeout.count()));
      if (reply->rfind("event ", 0) == 0) {
        handle_event(*reply);
        continue;
      }
      return *reply;
    }
  }

 private:
  // The module's Unix socket, or a character device that carries it: a virtual machine's
  // virtio-serial port connected to the socket on the host (harness/kernel_lab).
  void open_channel() {
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0 && S_ISCHR(st.st_mode)) {
      fd_.reset(::open(path_.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
      if (!fd_) throw InfraError(fmt::format("slot {}: cannot open the virtual module's control channel {}: {}", slot_, path_, errno_text(errno)));
      return;
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path_.size() >= sizeof addr.sun_path) throw InfraError(fmt::format("slot {}: control socket path too long: {}", slot_, path_));
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd_) throw InfraError(fmt::format("slot {}: socket: {}", slot_, errno_text(errno)));
    if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw InfraError(fmt::format("slot {}: cannot reach the virtual module's control channel {}: {}", slot_, path_, errno_text(errno)));
    is_socket_ = true;
  }

  ssize_t send_all(const std::string& out) {
    // A socket that is gone must not raise SIGPIPE; a character device has no MSG_NOSIGNAL.
    return is_socket_ ? ::send(fd_.get(), out.data(), out.size(), MSG_NOSIGNAL) : ::write(fd_.get(), out.data(), out.size());
  }

  void handle_event(const std::string& line) {
    // event <pin> <level> <t_us>
    char pin[32] = {}, level[16] = {};
    long long t = 0;
    if (std::sscanf(line.c_str(), "event %31s %15s %lld", pin, level, &t) != 3) return;
    if (auto role = pin_role_from(pin)) events_.push_back(PinEvent{*role, std::string_view(level) == "high" ? Level::high : Level::low, t});
  }

  std::optional<std::string> read_line(Deadline deadline) {
    while (true) {
      auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      pollfd p{fd_.get(), POLLIN, 0};
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      int n = ::poll(&p, 1, left > 0 ? static_cast<int>(left) : 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::nullopt;
      char buf[512];
      ssize_t got = ::read(fd_.get(), buf, sizeof buf);
      if (got <= 0) throw PortGone(fmt::format("slot {}: the virtual module closed its control channel (did it exit?)", slot_));
      buffer_.append(buf, static_cast<std::size_t>(got));
    }
  }

  std::string slot_;
  std::string path_;
  UniqueFd fd_;
  bool is_socket_ = false;
  std::string buffer_;
  std::vector<PinEvent> events_;
  std::set<PinRole> roles_;
};

}  // namespace

std::string ask_virtual_module(const std::string& slot, const std::string& socket_path, const std::string& request) {
  return VirtualPins(slot, socket_path, false).request(request);
}

std::unique_ptr<Pins> connect_virtual_pins(const std::string& slot, const std::string& socket_path, bool netlight_events) {
  return std::make_unique<VirtualPins>(slot, socket_path, netlight_events);
}

namespace {

class HostTimedPins final : public Pins {
 public:
  explicit HostTimedPins(Pins& inner) : inner_(inner) {}
  bool has(PinRole role) const override { return inner_.has(role); }
  void set(PinRole role, Level level) override { inner_.set(role, level); }
  Level get(PinRole role) override { return inner_.get(role); }
  std::vector<PinEvent> take_events() override { return inner_.take_events(); }
  std::string describe() const override { return inner_.describe(); }

 private:
  Pins& inner_;
};

}  // namespace

std::unique_ptr<Pins> timed_by_host(Pins& pins) { return std::make_unique<HostTimedPins>(pins); }

}  // namespace athil::rig
