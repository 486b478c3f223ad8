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
// After a write that took w, the writer waits this many w: it writes 1 % of the time at most.
constexpr int idle_per_write = 99;

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
    : junit_(std::move(junit)),
      summary_(std::move(summary)),
      flavour_(flavour),
      info_(std::move(info)),
      started_(Clock::now()),
      writer_([this](std::stop_token stop) { write_when_changed(stop); }) {}

std::size_t ReportState::add_suite(report::TestSuite suite) {
  std::lock_guard lock(mutex_);
  states_.emplace_back(suite.cases.size(), State::pending);
  suites_.push_back(std::move(suite));
  junit_cases_.emplace_back(suites_.back().cases.size());
  summary_rows_.emplace_back(suites_.back().cases.size());
  page_sections_.emplace_back(suites_.back().cases.size());
  return suites_.size() - 1;
}

std::size_t ReportState::add_planned(std::size_t suite, TestCase planned) {
  std::lock_guard lock(mutex_);
  suites_[suite].cases.push_back(std::move(planned));
  states_[suite].push_back(State::pending);
  junit_cases_[suite].emplace_back();
  summary_rows_[suite].emplace_back();
  page_sections_[suite].emplace_back();
  return states_[suite].size() - 1;
}

void ReportState::start(std::size_t suite, std::size_t index) {
  std::lock_guard lock(mutex_);
  states_[suite][index] = State::running;
  forget_rendered(suite, index);
  changed_locked();
}

void ReportState::finish(std::size_t suite, std::size_t index, TestCase c, double suite_seconds) {
  std::lock_guard lock(mutex_);
  suites_[suite].cases[index] = std::move(c);
  suites_[suite].seconds = suite_seconds;
  states_[suite][index] = State::done;
  forget_rendered(suite, index);
  if (case_ended_) case_ended_(suites_[suite], suites_[suite].cases[index]);
  changed_locked();
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
  changed_locked();
}

void ReportState::stopped(std::string why) {
  std::lock_guard lock(mutex_);
  if (info_.stopped.empty()) info_.stopped = std::move(why);
  changed_locked();
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
  changed_locked();
}

void ReportState::close_open_now(const std::string& why) {
  std::unique_lock writing(write_mutex_, std::try_to_lock);
  std::unique_lock lock(mutex_, std::defer_lock);
  if (!writing || !lock.try_lock()) return;
  if (info_.stopped.empty()) info_.stopped = why;
  for (std::size_t s = 0; s < suites_.size(); ++s) close_locked(s, why, false);
  auto began = Clock::now();
  auto rendered = render_locked(/*refresh_html=*/false);  // about to exit: the files that say what ended first
  lock.unlock();
  store(rendered, began);
}

void ReportState::forget_rendered(std::size_t suite, std::size_t index) {
  junit_cases_[suite][index].clear();
  summary_rows_[suite][index].clear();
  page_sections_[suite][index].clear();
}

bool ReportState::publish() { return write(/*refresh_html=*/true); }

std::size_t ReportState::writes() const {
  std::lock_guard lock(mutex_);
  return writes_;
}

void ReportState::changed_locked() {
  changed_ = true;
  wake_writer_.notify_one();
}

void ReportState::write_when_changed(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  while (wake_writer_.wait(lock, stop, [this] { return changed_; })) {
    // A stop request ends the pause, not the write: what changed is written before the end.
    wake_writer_.wait_until(lock, stop, last_write_ended_ + idle_per_write * last_write_took_, [] { return false; });
    lock.unlock();
    write(/*refresh_html=*/true);
    lock.lock();
  }  // stopped, with nothing changed since the last write
}

bool ReportState::write(bool refresh_html) {
  std::lock_guard writing(write_mutex_);
  auto began = Clock::now();
  Rendered rendered;
  {
    std::lock_guard lock(mutex_);
    rendered = render_locked(refresh_html);
  }
  return store(rendered, began);
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
    auto section = [&](std::size_t s, std::size_t i) -> const std::string& {
      auto& kept = page_sections_[s][i];
      if (kept.empty()) kept = report::render_testcase_html(suites[s].cases[i], s, i, run_dir);
      return kept;
    };
    report::write_file_atomically(run_dir / "index.html", report::render_html(info_, suites, section));
    return std::nullopt;
  } catch (const InfraError& e) {
    return e.what();
  }
}

std::vector<report::TestSuite> ReportState::suites() const {
  std::lock_guard lock(mutex_);
  return suites_;
}

ReportState::Rendered ReportState::render_locked(bool refresh_html) {
  changed_ = false;
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
  return Rendered{.junit = report::render_junit(shown, once(junit_cases_, [this](const TestCase& c) { return report::render_testcase(c, flavour_); })),
                  .summary = report::render_summary(info_, shown, once(summary_rows_, report::summary_row))};
}

bool ReportState::store(const Rendered& rendered, Deadline began) {
  std::string error;
  try {
    report::write_file_atomically(junit_, rendered.junit);
    report::write_file_atomically(summary_, rendered.summary);
  } catch (const InfraError& e) {
    error = e.what();
  }
  std::lock_guard lock(mutex_);
  last_write_ended_ = Clock::now();
  last_write_took_ = last_write_ended_ - began;
  ++writes_;
  if (error.empty()) return true;
  // What runs from here on could not be reported: nothing more starts.
  if (write_error_.empty()) {
    write_error_ = error;
    interrupt::request(fmt::format("a write error ({})", write_error_));
  }
  return false;
}

}  // namespace athil::runner
