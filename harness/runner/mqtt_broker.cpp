#include "runner/mqtt_broker.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "base/child_process.hpp"
#include "base/duration.hpp"
#include "base/error.hpp"
#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/process_wait.hpp"

namespace athil::runner {

namespace fs = std::filesystem;

namespace {

constexpr auto start_timeout = std::chrono::seconds(10);
constexpr auto stop_timeout = std::chrono::seconds(3);
constexpr int attempts = 3;  // another program can take the free port before mosquitto binds it

sockaddr_in loopback(unsigned short port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

// A port nothing listens on now: the kernel's choice for port 0.
unsigned short free_port() {
  UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  auto a = loopback(0);
  socklen_t len = sizeof a;
  if (!s || ::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw InfraError("no free port on loopback for the MQTT broker");
  return ntohs(a.sin_port);
}

bool accepts(unsigned short port) {
  UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  auto a = loopback(port);
  return s && ::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

}  // namespace

MqttBroker::MqttBroker(const fs::path& dir) {
  fs::path exe = find_program("mosquitto", "/usr/sbin:/usr/local/sbin");  // Debian puts it in sbin, not on a user's PATH
  if (exe.empty()) throw InfraError("the run needs an MQTT broker and mosquitto is not installed (Debian: apt-get install mosquitto; harness/setup.sh does)");
  fs::path config = dir / "mosquitto.conf", log = dir / "mosquitto.log";
  for (int attempt = 1;; ++attempt) {
    port_ = free_port();
    // Anonymous clients on loopback only; nothing kept between runs.
    std::ofstream(config) << fmt::format("listener {} 127.0.0.1\nallow_anonymous true\npersistence false\n", port_);
    try {
      child_ = std::make_unique<ChildProcess>(
          ChildSpec{.program = exe.string(), .args = {"-c", config.string()}, .output = ChildSpec::Output::file, .output_file = log.string()});
    } catch (const std::exception& e) {
      throw InfraError(fmt::format("cannot start the MQTT broker ({}): {}", exe.string(), e.what()));
    }
    auto deadline = Clock::now() + start_timeout;
    while (!accepts(port_) && !process_end(child_->pid()) && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (accepts(port_)) return;
    auto ended = process_end(child_->pid());
    child_.reset();  // stops it if it still runs
    if (!ended || attempt == attempts) {
      std::string text = read_file(log).value_or("");
      throw InfraError(fmt::format("the MQTT broker ({} on 127.0.0.1:{}) {}: {}", exe.string(), port_, ended ? *ended : "did not accept connections in time",
                                   text.empty() ? "(its log is empty)" : text.substr(0, 2000)));
    }
  }
}

MqttBroker::~MqttBroker() {
  if (child_) child_->stop(stop_timeout);
}

}  // namespace athil::runner
