#pragma once
// JUnit XML as Jenkins (xunit junit-10.xsd), GitLab and junitparser read it; the pitfalls in
// ../shared/reference/junit/README.md are handled here and nowhere else.
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace athil::report {

enum class Verdict { passed, failed, error, skipped };

// Which JUnit a run writes (--junit-flavour).
// strict: valid against the Jenkins xunit plugin's schema, which has no place on a testcase for
//   its file or properties: they go into its output as [[PROPERTY|name=value]] lines, which
//   Jenkins' junit-attachments plugin reads.
// extended: adds a `file` attribute and <properties> to each testcase, as GitLab, junitparser
//   and Jenkins' junit plugin read them; the xunit plugin's schema check refuses it.
enum class JunitFlavour { strict, extended };

// An attempt that ended in an error and was run again (--retries).
struct Attempt {
  std::string message;
  std::string detail;
  std::string transcript;  // its own transcript file
};

// A value a scenario measured (<current>), its unit in the text: "average" "3.2 uA".
struct Measurement {
  std::string name;  // the scenario's name for it: "psm_floor"
  std::vector<std::pair<std::string, std::string>> values;
  std::string verdict;  // pass, marginal or fail, against its limits
  std::string limits;   // as written: "average max 15uA (marginal 10uA)"
};

// How long a block of the scenario took (setup, each step, teardown), in seconds of the
// module's time (real time divided by the rig's time scale).
struct StepTime {
  std::string name;
  double seconds = 0;
};

struct TestCase {
  std::string name;       // as people read it: the scenario, and "[round N]" when there are rounds
  std::string classname;  // athil.RIG.SLOT
  double seconds = 0;
  Verdict verdict = Verdict::passed;
  std::string message;  // one line: what went wrong
  std::string detail;   // the evidence: step, expected, received
  std::string system_out;
  std::vector<Attempt> earlier_attempts;      // oldest first
  std::string transcript, waveform;           // files of this run of the scenario, relative to the run folder
  std::string revision_at_start;              // the module's revision as last reported when its steps began ("" unknown)
  std::string left_other_firmware;            // set when the scenario left the module on another revision than the rig's
  std::vector<std::string> compressed_waits;  // waits that fitted only because the rig's time is compressed
  std::vector<std::string> unmodelled;        // commands the virtual module answered ERROR because it does not model them
  std::vector<Measurement> measurements;      // in the order the scenario made them
  std::vector<StepTime> steps;                // the blocks that ran, in order
  std::string scenario;                       // its name, the same in every round (name has the round when there are rounds)
  std::string file;                           // the scenario file, as the run was given it
  std::string content_hash;                   // of the scenario file's bytes
  int round = 0;                              // 1 and up with --repeat or --until-fail; 0 otherwise
  std::vector<std::string> tags;              // the scenario's
  // What CI tools file under the testcase: scenario, scenario_file, tags, round,
  // revision_at_start, and each measurement's NAME.STAT and NAME.verdict.
  std::vector<std::pair<std::string, std::string>> properties;

  // Passed, but only after an error: the report says so (<flakyError>) and so does the summary.
  bool flaky() const { return verdict == Verdict::passed && !earlier_attempts.empty(); }
};

// "passed", "failed", "error", "skipped": as the store, the page and the logs name verdicts.
const char* verdict_name(Verdict v);
// "PASS", "FAIL", "ERROR", "SKIP", or "FLAKY" for a pass after an error: as a person reads them.
const char* verdict_word(const TestCase& c);

// How many cases ended which way; a flaky case counts as passed and as flaky.
struct Counts {
  int tests = 0, passed = 0, failed = 0, errors = 0, skipped = 0, flaky = 0;
  void add(const TestCase& c) {
    ++tests;
    passed += c.verdict == Verdict::passed;
    failed += c.verdict == Verdict::failed;
    errors += c.verdict == Verdict::error;
    skipped += c.verdict == Verdict::skipped;
    flaky += c.flaky();
  }
};

struct TestSuite {
  std::string name;
  std::string timestamp;  // YYYY-MM-DDTHH:MM:SS, UTC
  std::string hostname;
  double seconds = 0;
  std::vector<std::pair<std::string, std::string>> properties;
  std::vector<TestCase> cases;

  // The value of the first property of that name, or "" when there is none.
  std::string property(std::string_view key) const {
    for (const auto& [k, v] : properties)
      if (k == key) return v;
    return "";
  }
  Counts counts() const {
    Counts n;
    for (const auto& c : cases) n.add(c);
    return n;
  }
};

inline Counts count_all(const std::vector<TestSuite>& suites) {
  Counts n;
  for (const auto& s : suites)
    for (const auto& c : s.cases) n.add(c);
  return n;
}

// Replaces what XML 1.0 forbids (control characters, invalid UTF-8, U+FFFE/U+FFFF) with
// \xHH text, so that a line of serial noise never makes a consumer reject the file.
std::string xml_safe_text(std::string_view text);
// Keeps head and tail of an over-long text, saying how much was cut.
std::string cap_text(std::string_view text, std::size_t max_bytes);

// A testcase is named by its scenario in every round, so CI tools follow one test across
// rounds and nights; the round goes into its classname (athil.RIG.SLOT.round-N), which keeps
// (classname, name) unique as GitLab needs, and into its properties.
std::string render_junit(const std::vector<TestSuite>& suites, JunitFlavour flavour = JunitFlavour::strict);
// One testcase's element, as render_junit writes it.
std::string render_testcase(const TestCase& c, JunitFlavour flavour);
// The same report with each testcase's element from `element(suite, index)`: a report written
// again after every scenario renders each finished testcase once, not once per scenario.
using TestcaseElement = std::function<const std::string&(std::size_t suite, std::size_t index)>;
std::string render_junit(const std::vector<TestSuite>& suites, const TestcaseElement& element);
// Writes to a temporary file beside `path` and renames it over `path`: a reader (or a run
// killed mid-write) only ever sees a complete file.
void write_file_atomically(const std::filesystem::path& path, std::string_view text);
void write_junit_atomically(const std::filesystem::path& path, const std::vector<TestSuite>& suites, JunitFlavour flavour = JunitFlavour::strict);

// Seconds as the schema's SUREFIRE_TIME wants them: %.3f in the C locale.
std::string format_seconds(double seconds);
std::string utc_timestamp_now();

}  // namespace athil::report
