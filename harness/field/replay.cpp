#include "field/replay.hpp"

#include "base/error.hpp"
#include "field/divergences.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "base/escape.hpp"
#include "base/fd.hpp"
#include "base/pty.hpp"
#include "field/divergences.hpp"
#include "field/log_text.hpp"

namespace athil::field {

Replayer::Replayer(Dialogue dialogue, double time_scale, std::vector<std::regex> vary, std::function<void(const std::string&)> report)
    : dialogue_(std::move(dialogue)), scale_(time_scale), vary_(std::move(vary)), report_(std::move(report)), done_(dialogue_.exchanges.size(), false) {}

void Replayer::start(ReplayClock::time_point now) {
  for (const auto& o : dialogue_.before_first) out_.push_back(Scheduled{now, o.bytes});
}

bool Replayer::same(const std::string& sent, const std::string& recorded) const {
  if (sent == recorded) return true;
  std::string a = sent, b = recorded;
  for (const auto& re : vary_) {
    a = std::regex_replace(a, re, "\x01");
    b = std::regex_replace(b, re, "\x01");
  }
  return a == b;
}

void Replayer::diverge(const std::string& what) {
  ++divergences_;
  report_(what);
}

void Replayer::host_bytes(std::string_view bytes, ReplayClock::time_point now) {
  pending_.append(bytes);
  while (!pending_.empty()) {
    // A payload the log has next (after a prompt) needs no line end.
    if (next_ < dialogue_.exchanges.size() && !is_command(dialogue_.exchanges[next_].command)) {
      const auto& data = dialogue_.exchanges[next_].command;
      if (!data.empty() && pending_.rfind(data, 0) == 0) {
        // One line end after it (a scaffold writes one): more would be the next payload's.
        auto skip = data.size();
        if (skip < pending_.size() && pending_[skip] == '\r') ++skip;
        if (skip < pending_.size() && pending_[skip] == '\n') ++skip;
        pending_.erase(0, skip);
        serve(next_, now);
        continue;
      }
      // Its first bytes, written at the line's pace: a CR inside it is no line end yet.
      if (data.size() > pending_.size() && data.rfind(pending_, 0) == 0) return;
    }
    auto end = pending_.find_first_of("\r\n");
    if (end == std::string::npos) return;
    std::string line = pending_.substr(0, end);
    pending_.erase(0, end + 1);
    if (!line.empty()) line_from_host(line, now);
  }
}

void Replayer::line_from_host(const std::string& line, ReplayClock::time_point now) {
  if (next_ < done_.size() && same(line, dialogue_.exchanges[next_].command)) return serve(next_, now);
  // Out of the recorded order: the first later exchange with this command.
  for (std::size_t i = next_; i < done_.size(); ++i)
    if (!done_[i] && same(line, dialogue_.exchanges[i].command)) {
      diverge(fmt::format("'{}' sent out of order: the log has it at line {}, after '{}' (line {}) that was not sent", escape_bytes(line),
                          dialogue_.exchanges[i].line, escape_bytes(dialogue_.exchanges[next_].command), dialogue_.exchanges[next_].line));
      return serve(i, now);
    }
  std::string expected = next_ < done_.size()
                             ? fmt::format("the log has '{}' next (line {})", escape_bytes(dialogue_.exchanges[next_].command), dialogue_.exchanges[next_].line)
                             : "the log has no more commands";
  if (!is_command(line)) {
    diverge(fmt::format("'{}' is not in the log ({}); not a command, so nothing is answered", escape_bytes(line), expected));
    return;
  }
  diverge(fmt::format("'{}' is not in the log ({}); answered ERROR", escape_bytes(line), expected));
  out_.push_back(Scheduled{now, line + "\r\r\nERROR\r\n"});
  std::stable_sort(out_.begin(), out_.end(), [](const Scheduled& a, const Scheduled& b) { return a.at < b.at; });
}

void Replayer::serve(std::size_t index, ReplayClock::time_point now) {
  done_[index] = true;
  ++served_;
  next_ = std::max(next_, index + 1);
  while (next_ < done_.size() && done_[next_]) ++next_;
  for (const auto& o : dialogue_.exchanges[index].output) {
    auto delay = std::chrono::duration_cast<ReplayClock::duration>(std::chrono::duration<double>(o.after * scale_));
    out_.push_back(Scheduled{now + delay, o.bytes});
  }
  std::stable_sort(out_.begin(), out_.end(), [](const Scheduled& a, const Scheduled& b) { return a.at < b.at; });
}

std::string Replayer::due(ReplayClock::time_point now) {
  std::string bytes;
  auto end = std::find_if(out_.begin(), out_.end(), [&](const Scheduled& s) { return s.at > now; });
  for (auto it = out_.begin(); it != end; ++it) bytes += it->bytes;
  out_.erase(out_.begin(), end);
  return bytes;
}

std::optional<ReplayClock::time_point> Replayer::next_due() const {
  if (out_.empty()) return std::nullopt;
  return out_.front().at;
}

int run_replay(const ReplayOptions& o) {
  Session session = import_log(read_log_file(o.log, o.lines), o.format, {.keep_notes = false});
  for (const auto& p : session.problems)
    fmt::print(stderr, "{}:{}: note: {}{}\n", o.log, p.line, p.why, p.text.empty() ? "" : fmt::format(": '{}'", escape_bytes(p.text)));
  std::vector<std::regex> vary;
  for (const auto& v : o.vary) {
    try {
      vary.emplace_back(v);
    } catch (const std::regex_error& e) {
      throw InputError(fmt::format("--vary '{}': {}", v, e.what()));
    }
  }
  std::optional<DivergenceLog> report_file;
  if (!o.report.empty()) {
    report_file.emplace(o.report);
    report_file->create();  // fails at set-up, not at the first divergence
  }
  auto report = [&](const std::string& what) {
    fmt::print(stderr, "replay: divergence: {}\n", what);
    if (report_file) report_file->append(what);
  };
  Replayer replayer(take_dialogue(session), o.time_scale, std::move(vary), report);

  UniqueFd signals = stop_signal_fd();

  Pty pty = open_pty();
  OwnedPath link;
  if (!o.link.empty()) link = publish_link(o.link, pty.slave_path);
  if (o.parent_pid > 0) {
    // The runner that started this replay may be killed outright: the replay goes with it.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != o.parent_pid) return 0;
  }
  fmt::print("replay: {} ({} format, {} exchanges) on {}{}\nready\n", o.log, to_string(session.format), replayer.exchanges(), pty.slave_path,
             o.link.empty() ? "" : fmt::format(" (link {})", o.link));
  std::fflush(stdout);
  replayer.start(ReplayClock::now());
  while (true) {
    auto now = ReplayClock::now();
    write_to_host(pty, replayer.due(now));
    int timeout = -1;
    if (auto next = replayer.next_due())
      timeout = static_cast<int>(std::max<long long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(*next - now).count() + 1));
    auto bytes = read_from_host(pty, signals.get(), timeout);
    if (!bytes) break;
    if (!bytes->empty()) replayer.host_bytes(*bytes, ReplayClock::now());
  }
  std::string summary = fmt::format("served {} of {} exchanges, {} divergence(s)", replayer.served(), replayer.exchanges(), replayer.divergences());
  fmt::print(stderr, "replay: {}\n", summary);
  if (report_file) report_file->note(summary);
  return replayer.divergences() == 0 ? 0 : 1;
}

}  // namespace athil::field
