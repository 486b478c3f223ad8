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

// The testcases not yet ended, swapped for what a report written now says of them while one
// report is written, then swapped back: the ended ones, most of a long run, are not copied.
class ShownAsIfEndedNow {
 public:
  template <class Ended, class Running>
  ShownAsIfEndedNow(std::vector<report::TestSuite>& suites, Ended ended, Running running) : suites_(suites) {
    for (std::size_t s = 0; s < suites.size(); ++s)
      for (std::size_t i = 0; i < suites[s].cases.size(); ++i) {
        if (ended(s, i)) continue;
        TestCase shown = as_if_ended_now(suites[s].cases[i], running(s, i));
        std::swap(suites[s].cases[i], shown);
        originals_.push_back({s, i, std::move(shown)});
      }
  }
  ~ShownAsIfEndedNow() {
    for (auto& o : originals_) std::swap(suites_[o.suite].cases[o.index], o.c);
  }
  ShownAsIfEndedNow(const ShownAsIfEndedNow&) = delete;
  ShownAsIfEndedNow& operator=(const ShownAsIfEndedNow&) = delete;

 private:
  struct Original {
    std::size_t suite, index;
    TestCase c;
  };
  std::vector<report::TestSuite>& suites_;
  std::vector<Original> originals_;
};

}  // namespace

ReportState::ReportState(fs::path junit, report::JunitFlavour flavour, fs::path summary, report::RunInfo info)
    : junit_(std::move(junit)), summary_(std::move(summary)), flavour_(flavour), info_(std::move(info)), started_(Clock::now()) {}

std::size_t ReportState::add_suite(report::TestSuite suite) {
  std::lock_guard lock(mutex_);
  states_.emplace_back(suite.cases.size(), State::pending);
  suites_.push_back(std::move(suite));
  junit_cases_.emplace_back(suites_.back().cases.size());
  summary_rows_.emplace_back(suites_.back().cases.size());
  return suites_.size() - 1;
}

std::size_t ReportState::add_planned(std::size_t suite, TestCase planned) {
  std::lock_guard lock(mutex_);
  suites_[suite].cases.push_back(std::move(planned));
  states_[suite].push_back(State::pending);
  junit_cases_[suite].emplace_back();
  summary_rows_[suite].emplace_back();
  return states_[suite].size() - 1;
}

void ReportState::start(std::size_t suite, std::size_t index) {
  std::lock_guard lock(mutex_);
  states_[suite][index] = State::running;
  forget_rendered(suite, index);
  publish_locked();
}

void ReportState::finish(std::size_t suite, std::size_t index, TestCase c, double suite_seconds) {
  std::lock_guard lock(mutex_);
  suites_[suite].cases[index] = std::move(c);
  suites_[suite].seconds = suite_seconds;
  states_[suite][index] = State::done;
  forget_rendered(suite, index);
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
    forget_rendered(suite, i);
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

void ReportState::forget_rendered(std::size_t suite, std::size_t index) {
  junit_cases_[suite][index].clear();
  summary_rows_[suite][index].clear();
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
  auto ended = [&](std::size_t s, std::size_t i) { return states_[s][i] == State::done; };
  ShownAsIfEndedNow as_if(suites_, ended, [&](std::size_t s, std::size_t i) { return states_[s][i] == State::running; });
  const auto& shown = suites_;
  // A testcase's text is rendered once for each state it is shown in, and kept.
  auto once = [&](std::vector<std::vector<std::string>>& kept, auto render) {
    return [&, render](std::size_t s, std::size_t i) -> const std::string& {
      if (kept[s][i].empty()) kept[s][i] = render(shown[s].cases[i]);
      return kept[s][i];
    };
  };
  auto now = Clock::now();
  info_.seconds = std::chrono::duration<double>(now - started_).count();
  // A page that cannot be written is tried again no sooner either; the one at the end says why.
  if (refresh_html && now - html_written_ >= html_refresh) {
    write_html_locked(shown);
    html_written_ = now;
  }
  try {
    report::write_file_atomically(junit_,
                                  report::render_junit(shown, once(junit_cases_, [this](const TestCase& c) { return report::render_testcase(c, flavour_); })));
    report::write_file_atomically(summary_, report::render_summary(info_, shown, once(summary_rows_, report::summary_row)));
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
