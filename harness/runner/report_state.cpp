#include "runner/report_state.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/interrupt.hpp"
#include "report/html.hpp"

namespace athil::runner {

namespace fs = std::filesystem;
using report::TestCase;
using report::Verdict;

namespace {

// The page reads every transcript: written as the run goes, it is written this seldom at most.
constexpr auto html_refresh = std::chrono::seconds(30);

// What a report written now says of a testcase that has not ended: if the run never writes
// again (it was killed), this is what stays.
TestCase as_if_ended_now(TestCase c, bool running) {
  c.verdict = running ? Verdict::error : Verdict::skipped;
  c.message = running ? "the run ended while this scenario was running (the report was not written again: was the runner killed?)"
                      : "not run: the run ended before this scenario started";
  c.detail = c.message;
  return c;
}

}  // namespace

ReportState::ReportState(fs::path junit, report::JunitFlavour flavour, fs::path summary, report::RunInfo info)
    : junit_(std::move(junit)), summary_(std::move(summary)), flavour_(flavour), info_(std::move(info)), started_(Clock::now()) {}

std::size_t ReportState::add_suite(report::TestSuite suite) {
  std::lock_guard lock(mutex_);
  states_.emplace_back(suite.cases.size(), State::pending);
  suites_.push_back(std::move(suite));
  return suites_.size() - 1;
}

std::size_t ReportState::add_planned(std::size_t suite, TestCase planned) {
  std::lock_guard lock(mutex_);
  suites_[suite].cases.push_back(std::move(planned));
  states_[suite].push_back(State::pending);
  return states_[suite].size() - 1;
}

void ReportState::start(std::size_t suite, std::size_t index) {
  std::lock_guard lock(mutex_);
  states_[suite][index] = State::running;
  publish_locked();
}

void ReportState::finish(std::size_t suite, std::size_t index, TestCase c, double suite_seconds) {
  std::lock_guard lock(mutex_);
  suites_[suite].cases[index] = std::move(c);
  suites_[suite].seconds = suite_seconds;
  states_[suite][index] = State::done;
  if (case_ended_) case_ended_(suites_[suite], suites_[suite].cases[index]);
  publish_locked();
}

void ReportState::on_case_ended(CaseEnded told) {
  std::lock_guard lock(mutex_);
  case_ended_ = std::move(told);
}

void ReportState::set_property(std::size_t suite, const std::string& name, std::string value) { set_properties(suite, {{name, std::move(value)}}); }

void ReportState::set_properties(std::size_t suite, std::vector<std::pair<std::string, std::string>> properties) {
  std::lock_guard lock(mutex_);
  auto& props = suites_[suite].properties;
  for (auto& [name, value] : properties) {
    auto it = std::find_if(props.begin(), props.end(), [&](const auto& p) { return p.first == name; });
    if (it != props.end())
      it->second = std::move(value);
    else
      props.emplace_back(std::move(name), std::move(value));
  }
  publish_locked();
}

void ReportState::stopped(std::string why) {
  std::lock_guard lock(mutex_);
  if (info_.stopped.empty()) info_.stopped = std::move(why);
  publish_locked();
}

void ReportState::set_rounds(int rounds) {
  std::lock_guard lock(mutex_);
  info_.rounds = rounds;
}

void ReportState::close_locked(std::size_t suite, const std::string& why, bool tell) {
  for (std::size_t i = 0; i < states_[suite].size(); ++i) {
    if (states_[suite][i] == State::done) continue;
    auto& c = suites_[suite].cases[i];
    bool running = states_[suite][i] == State::running;
    c.verdict = running ? Verdict::error : Verdict::skipped;
    c.message = running ? why : "not started: " + why;
    c.detail = c.message;
    states_[suite][i] = State::done;
    if (tell && case_ended_) case_ended_(suites_[suite], c);
  }
}

void ReportState::close_open(const std::string& why, std::optional<std::size_t> suite) {
  std::lock_guard lock(mutex_);
  if (suite)
    close_locked(*suite, why, true);
  else
    for (std::size_t s = 0; s < suites_.size(); ++s) close_locked(s, why, true);
  publish_locked();
}

void ReportState::close_open_now(const std::string& why) {
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock) return;
  if (info_.stopped.empty()) info_.stopped = why;
  for (std::size_t s = 0; s < suites_.size(); ++s) close_locked(s, why, false);
  publish_locked(/*refresh_html=*/false);  // about to exit: the files that say what ended first
}

bool ReportState::publish() {
  std::lock_guard lock(mutex_);
  return publish_locked();
}

std::string ReportState::write_error() const {
  std::lock_guard lock(mutex_);
  return write_error_;
}

std::optional<std::string> ReportState::publish_html() {
  std::lock_guard lock(mutex_);
  return write_html_locked(suites_);
}

std::optional<std::string> ReportState::write_html_locked(const std::vector<report::TestSuite>& suites) {
  auto run_dir = summary_.parent_path();
  try {
    report::write_file_atomically(run_dir / "index.html", report::render_html(info_, suites, run_dir));
    return std::nullopt;
  } catch (const InfraError& e) {
    return e.what();
  }
}

std::vector<report::TestSuite> ReportState::suites() const {
  std::lock_guard lock(mutex_);
  return suites_;
}

bool ReportState::publish_locked(bool refresh_html) {
  auto shown = suites_;
  for (std::size_t s = 0; s < shown.size(); ++s)
    for (std::size_t i = 0; i < shown[s].cases.size(); ++i)
      if (states_[s][i] != State::done) shown[s].cases[i] = as_if_ended_now(std::move(shown[s].cases[i]), states_[s][i] == State::running);
  auto now = Clock::now();
  info_.seconds = std::chrono::duration<double>(now - started_).count();
  // A page that cannot be written is tried again no sooner either; the one at the end says why.
  if (refresh_html && now - html_written_ >= html_refresh) {
    write_html_locked(shown);
    html_written_ = now;
  }
  try {
    report::write_junit_atomically(junit_, shown, flavour_);
    report::write_file_atomically(summary_, report::render_summary(info_, shown));
    return true;
  } catch (const InfraError& e) {
    // What runs from here on could not be reported: nothing more starts.
    if (write_error_.empty()) {
      write_error_ = e.what();
      interrupt::request(fmt::format("a write error ({})", write_error_));
    }
    return false;
  }
}

}  // namespace athil::runner
