#include "rig/virtual_module.hpp"

#include <poll.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "base/child_process.hpp"
#include "base/duration.hpp"
#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/process_wait.hpp"

namespace athil::rig {

namespace {
constexpr auto start_timeout = std::chrono::seconds(15);
constexpr auto stop_timeout = std::chrono::seconds(3);

std::string log_tail(const std::filesystem::path& log) {
  std::string text = read_file(log).value_or("");
  if (text.size() > 2000) text = "..." + text.substr(text.size() - 2000);
  return text.empty() ? "(nothing)" : text;
}

// A virtual slot's bench supply (spec="scpi-pps"), rather than its PPK2.
bool serves_supply(const Instrument& instrument) { return instrument.spec.starts_with("scpi-pps"); }

// What follows `key` on a line of the module's banner ("scpi-pps tcp-raw/127.0.0.1/41234 (output on)").
std::string banner_value(const std::string& banner, std::string_view key) {
  auto at = banner.find(fmt::format("\n{}", key));
  if (at == std::string::npos) return {};
  at += 1 + key.size();
  return banner.substr(at, banner.find_first_of(" \n", at) - at);
}
}  // namespace

VirtualModuleProcess::VirtualModuleProcess(const Slot& slot, double time_scale, const Paths& paths) {
  port_link_ = (paths.run_dir / (slot.name + ".tty")).string();
  std::vector<std::string> args;
  if (const auto* replay = std::get_if<ReplaySlot>(&slot.kind)) {
    // A field session: `athil replay`, no pins; its divergences go to the log file.
    args = {"replay",
            replay->log,
            "--format",
            replay->format,
            "--link",
            port_link_,
            "--time-scale",
            fmt::format("{}", time_scale),
            "--exit-with-parent",
            std::to_string(::getpid())};
    if (!replay->vary.empty()) args.insert(args.end(), {"--vary", replay->vary});
    // Appended to by each replay of the run (the log file itself is rewritten at each start).
    args.insert(args.end(), {"--report", (paths.log_file.parent_path() / replay_divergences_name).string()});
  } else {
    control_socket_ = port_link_ + ".ctl";  // as `athil sim` names it: `athil pin PORT` finds it
    args = {"sim",
            "--model",
            slot.model,
            "--firmware",
            slot.firmware,
            "--link",
            port_link_,
            "--control",
            control_socket_,
            "--time-scale",
            fmt::format("{}", time_scale),
            "--exit-with-parent",
            std::to_string(::getpid())};
    const auto& wanted = std::get<VirtualSlot>(slot.kind);
    if (wanted.usb) args.push_back("--usb");
    if (!wanted.faults.empty()) args.insert(args.end(), {"--fault", wanted.faults});
    if (wanted.ipr >= 0) args.insert(args.end(), {"--ipr", std::to_string(wanted.ipr)});
    if (wanted.latency.count() > 0) args.insert(args.end(), {"--latency", format_duration(wanted.latency)});
    if (!wanted.gnss_at.empty()) args.insert(args.end(), {"--gnss-at", wanted.gnss_at});
    if (!wanted.gnss_track.empty()) args.insert(args.end(), {"--gnss-track", wanted.gnss_track});
    if (slot.instrument && serves_supply(*slot.instrument)) {
      args.insert(args.end(), {"--scpi-supply", "0"});  // its port is in the banner
    } else if (slot.instrument) {
      instrument_conn_ = port_link_ + ".ppk2";
      args.insert(args.end(), {"--ppk2", instrument_conn_});
    }
  }
  try {
    child_ = std::make_unique<ChildProcess>(
        ChildSpec{.program = paths.executable.string(), .args = args, .output = ChildSpec::Output::pipe, .errors_to = paths.log_file.string()});
  } catch (const std::exception& e) {
    throw InfraError(fmt::format("slot {}: cannot start the module ({} {}): {}", slot.name, paths.executable.string(), args.front(), e.what()));
  }

  // The module prints its port and control socket, then "ready"; wait for that line.
  std::string seen;
  auto deadline = Clock::now() + start_timeout;
  int fd = child_->output();
  while (seen.find("ready\n") == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    int n = left > 0 ? ::poll(&p, 1, static_cast<int>(left)) : 0;
    if (n < 0 && errno == EINTR) continue;
    char buf[256];
    ssize_t got = n > 0 ? ::read(fd, buf, sizeof buf) : 0;
    if (got <= 0) {
      throw InfraError(fmt::format("slot {}: the virtual module {} (log {}): {}", slot.name,
                                   n == 0 ? "did not report ready in time" : "exited before it was ready", paths.log_file.string(), log_tail(paths.log_file)));
    }
    seen.append(buf, static_cast<std::size_t>(got));
  }
  if (slot.instrument && serves_supply(*slot.instrument)) instrument_conn_ = banner_value(seen, "scpi-pps ");
}

int VirtualModuleProcess::pid() const { return child_->pid(); }

std::optional<std::string> VirtualModuleProcess::ended(Deadline by) const {
  if (by > Clock::now()) wait_until_ended(pid(), by);
  return process_end(pid());
}

VirtualModuleProcess::~VirtualModuleProcess() {
  if (child_) child_->stop(stop_timeout);  // SIGTERM first: it removes its links and sockets
}

}  // namespace athil::rig
