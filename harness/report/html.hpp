#pragma once
// The run as one self-contained HTML page (index.html in its run folder): no network, no CDN,
// readable from a file:// URL and as a CI artifact. Results per slot with revision and IMEI;
// each testcase with its steps and their times, its failure with the transcript around it
// (collapsible, the whole transcript one click away) and a timeline drawn in SVG: AT commands
// and answers, URCs, STATUS, and the current where it was measured.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "report/junit.hpp"
#include "report/summary.hpp"

namespace athil::report {

// One testcase's section, as render_html writes it: the `index`th of suite `suite`. `run_dir`:
// where the testcases' transcript and current files are (read, bounded in size).
std::string render_testcase_html(const TestCase& c, std::size_t suite, std::size_t index, const std::filesystem::path& run_dir);
// The page with each testcase's section from `section` (a writer that keeps the sections of
// ended testcases need not read their transcripts again).
using TestcaseSection = std::function<const std::string&(std::size_t suite, std::size_t index)>;
std::string render_html(const RunInfo& run, const std::vector<TestSuite>& suites, const TestcaseSection& section);

// Text as HTML text or an attribute value: the five specials as entities, XML-hostile bytes as
// \xHH text.
std::string html_text(std::string_view text);

}  // namespace athil::report
