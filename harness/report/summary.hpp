#pragma once
// summary.md: what a person reads first after a nightly run. Results per slot, each failure's
// reason, flaky scenarios, quarantined slots, and links to every transcript and waveform.
#include <string>
#include <vector>

#include "report/junit.hpp"

namespace athil::report {

struct RunInfo {
  std::string id;
  std::string rig, rig_file;
  std::string started;  // UTC, as in the report
  double seconds = 0;
  std::string junit;    // the JUnit file, relative to the run folder where it can be
  std::string stopped;  // why the run stopped early, if it did
  int rounds = 0;       // rounds run by --until-fail (0: not such a run)
};

std::string render_summary(const RunInfo& run, const std::vector<TestSuite>& suites);
// A testcase's row in its slot's table, as render_summary writes it.
std::string summary_row(const TestCase& c);
// The same with each testcase's row from `row(suite, index)`: rendered once per finished testcase.
std::string render_summary(const RunInfo& run, const std::vector<TestSuite>& suites, const TestcaseElement& row);
// Text from scenario files, rigs and modules as one table cell or line of Markdown, inert:
// no link, emphasis, code span or HTML gets through.
std::string markdown_cell(std::string_view text);

}  // namespace athil::report
