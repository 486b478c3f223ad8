#pragma once
// The report as it stands during a run: the JUnit file and summary.md, rewritten whole
// (atomically) after a testcase starts or ends. Every planned run is listed from the first
// write on, so a run that ends at any point (a signal, a crash, a kill, a full disk) leaves a
// report that accounts for all of them: the one running then as an error, the rest skipped.
//
// A writer thread of its own writes them, so that no slot waits for a disk. The files grow with
// the run: written at every change, a night of thousands of scenarios would cost the square of
// their number. After a write that took w, the next comes no sooner than 99 w later (writing
// takes 1 % of the run at most; 2 MB of JUnit, a thousand scenarios, is written in a few ms).
// A run killed outright loses at most that window of changes; publish() writes at once.
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "base/duration.hpp"
#include "report/junit.hpp"
#include "report/summary.hpp"

namespace athil::runner {

class ReportState {
 public:
  // A write that fails leaves the last complete files in place; later writes try again.
  ReportState(std::filesystem::path junit, report::JunitFlavour flavour, std::filesystem::path summary, report::RunInfo info);

  // A slot's suite with its planned testcases (name and classname), listed as not run until
  // they start. Returns its index.
  std::size_t add_suite(report::TestSuite suite);
  // A testcase beyond the plan (--until-fail going round and round); returns its index.
  std::size_t add_planned(std::size_t suite, report::TestCase planned);
  // The testcase is running now: a report written before it ends lists it as an error.
  void start(std::size_t suite, std::size_t index);
  void finish(std::size_t suite, std::size_t index, report::TestCase c, double suite_seconds);
  // Replaces a property of that name, or adds it.
  void set_property(std::size_t suite, const std::string& name, std::string value);
  // Several at once, with one write of the report.
  void set_properties(std::size_t suite, std::vector<std::pair<std::string, std::string>> properties);
  void stopped(std::string why);
  // Rounds a run went through, for summary.md (--until-fail).
  void set_rounds(int rounds);
  // Told each testcase as it ends, or is closed unended, under the report's lock (the results
  // store records it). Not told by close_open_now: a process about to exit writes no more.
  using CaseEnded = std::function<void(const report::TestSuite& suite, const report::TestCase& c)>;
  void on_case_ended(CaseEnded told);

  // Whatever has not ended: a running testcase becomes an error saying `why`, the ones not
  // started are skipped with it. Only those of `suite` when given, else of every suite.
  void close_open(const std::string& why, std::optional<std::size_t> suite = std::nullopt);
  // The same at once from a process about to exit (a second signal): nothing if a write is
  // under way then (that write's files stay, listing every planned run).
  void close_open_now(const std::string& why);

  // Writes both files now, whatever the writer thread's pace; false when a write failed
  // (write_error() says which and why).
  bool publish();
  // How many times the files were written: changes come faster than that on a long run.
  std::size_t writes() const;
  // The run's page (index.html beside summary.md), at its end: it reads every testcase's
  // transcript. Returns why it could not be written, if it could not. While the run goes, the
  // page is also written as the report is, at most every html_refresh: a run killed outright
  // then leaves a page as stale as that at worst, listing every planned run.
  std::optional<std::string> publish_html();
  std::string write_error() const;
  std::vector<report::TestSuite> suites() const;

 private:
  enum class State { pending, running, done };
  struct Rendered {
    std::string junit, summary;
  };
  void changed_locked();  // the writer thread writes the files soon
  void write_when_changed(std::stop_token stop);
  // A write (this, close_open_now) holds write_mutex_, and mutex_ while it renders: one write
  // at a time, the files renamed in the order they were rendered.
  bool write(bool refresh_html);
  Rendered render_locked(bool refresh_html);
  bool store(const Rendered& rendered, Deadline began);
  std::optional<std::string> write_html_locked(const std::vector<report::TestSuite>& suites);
  void close_locked(std::size_t suite, const std::string& why, bool tell);
  void forget_rendered(std::size_t suite, std::size_t index);  // its state or content changed

  std::mutex write_mutex_;
  mutable std::mutex mutex_;
  std::filesystem::path junit_, summary_;
  report::JunitFlavour flavour_;
  report::RunInfo info_;
  Deadline started_;
  Deadline html_written_{};  // when the page was last written while the run went
  std::vector<report::TestSuite> suites_;
  std::vector<std::vector<State>> states_;  // per suite, per testcase
  // Each testcase's JUnit element, summary row and page section as last shown, rendered once
  // per state: the report is written again after every scenario, and a night's run has
  // thousands (a page section reads the testcase's transcript).
  std::vector<std::vector<std::string>> junit_cases_, summary_rows_, page_sections_;
  std::string write_error_;  // the first write that failed
  CaseEnded case_ended_;
  bool changed_ = false;  // since the last rendering
  std::condition_variable_any wake_writer_;
  Deadline last_write_ended_{};
  Clock::duration last_write_took_{};
  std::size_t writes_ = 0;
  std::jthread writer_;  // last: stopped (after a last write of what changed) before the rest goes
};

}  // namespace athil::runner
