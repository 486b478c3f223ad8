#include "report/junit.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/escape.hpp"
#include "base/fd.hpp"

namespace athil::report {

namespace {

constexpr std::size_t max_case_output = 256 * 1024;  // far below libxml2's 10 MB text limit
// A passing case's output is kept short: Jenkins shows only 500 + 500 characters of it anyway,
// the transcript file has it all, and a long --until-fail run rewrites the report after every
// scenario.
constexpr std::size_t max_passing_output = 16 * 1024;

// Printable ASCII, tab and line breaks: XML takes them as they are, without decoding, in runs.
bool plain_xml_byte(char c) { return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r'; }

// Length of the UTF-8 sequence at s[i] when XML 1.0 allows its character, or 0.
std::size_t xml_char_length(std::string_view s, std::size_t i) {
  auto c = decode_utf8(s, i);
  if (!c || c->value == 0xFFFE || c->value == 0xFFFF) return 0;
  if (c->value < 0x20 && c->value != '\t' && c->value != '\n' && c->value != '\r') return 0;
  if (c->value == 0x7F) return 0;  // allowed by XML, but it is serial noise and confuses viewers
  return c->length;
}

std::string escape(std::string_view text, bool attribute) {
  std::string safe = xml_safe_text(text);
  std::string out;
  out.reserve(safe.size());
  append_replacing(out, safe, [attribute](char c) -> std::string_view {
    switch (c) {
      case '&': return "&amp;";
      case '<': return "&lt;";
      case '>': return "&gt;";
      case '"': return attribute ? "&quot;" : "";
      case '\n': return attribute ? "&#10;" : "";
      case '\r': return attribute ? "&#13;" : "";
      case '\t': return attribute ? "&#9;" : "";
      default: return "";
    }
  });
  return out;
}

std::string attr(std::string_view name, std::string_view value) { return fmt::format(" {}=\"{}\"", name, escape(value, true)); }

}  // namespace

std::string xml_safe_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::size_t plain = i;
    while (plain < text.size() && plain_xml_byte(text[plain])) ++plain;
    out.append(text.data() + i, plain - i);
    if ((i = plain) == text.size()) break;
    std::size_t len = xml_char_length(text, i);
    if (len == 0) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[i]));
      ++i;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string cap_text(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t half = max_bytes / 2;
  return fmt::format("{}\n[... {} bytes cut; the whole transcript is in its own file ...]\n{}", text.substr(0, half), text.size() - 2 * half,
                     text.substr(text.size() - half));
}

std::string format_seconds(double seconds) {
  if (!(seconds >= 0)) seconds = 0;
  // fmt's formatting is locale-independent unless asked for: never a decimal comma.
  return fmt::format("{:.3f}", seconds);
}

std::string utc_timestamp_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::passed: return "passed";
    case Verdict::failed: return "failed";
    case Verdict::error: return "error";
    case Verdict::skipped: return "skipped";
  }
  return "error";
}

const char* verdict_word(const TestCase& c) {
  if (c.flaky()) return "FLAKY";
  switch (c.verdict) {
    case Verdict::passed: return "PASS";
    case Verdict::failed: return "FAIL";
    case Verdict::error: return "ERROR";
    case Verdict::skipped: return "SKIP";
  }
  return "ERROR";
}

namespace {

// "athil.lab.slot3.round-2" for round 2, the classname as it is otherwise.
std::string junit_classname(const TestCase& c) { return c.round > 0 ? fmt::format("{}.round-{}", c.classname, c.round) : c.classname; }

std::string testcase_open(const TestCase& c, JunitFlavour flavour) {
  std::string out = fmt::format("    <testcase{}{}{}", attr("name", c.scenario.empty() ? c.name : c.scenario), attr("classname", junit_classname(c)),
                                attr("time", format_seconds(c.seconds)));
  if (flavour == JunitFlavour::extended && !c.file.empty()) out += attr("file", c.file);
  out += ">\n";
  if (flavour == JunitFlavour::extended && !c.properties.empty()) {
    out += "      <properties>\n";
    for (const auto& [k, v] : c.properties) out += fmt::format("        <property{}{}/>\n", attr("name", k), attr("value", v));
    out += "      </properties>\n";
  }
  return out;
}

// A property's name or value on one [[PROPERTY|...]] line: no line break, no "]]" inside it.
std::string property_line_text(std::string_view text) {
  std::string out;
  for (char ch : text) {
    if (ch == ']' && !out.empty() && out.back() == ']') out += ' ';
    out += ch == '\n' || ch == '\r' ? ' ' : ch;
  }
  return out;
}

// The testcase's output; in the strict flavour its properties lead it, one line each.
std::string testcase_output(const TestCase& c, JunitFlavour flavour) {
  std::string text;
  if (flavour == JunitFlavour::strict)
    for (const auto& [k, v] : c.properties) text += fmt::format("[[PROPERTY|{}={}]]\n", property_line_text(k), property_line_text(v));
  text += c.system_out;
  if (text.empty()) return "";
  std::size_t cap = c.verdict == Verdict::failed || c.verdict == Verdict::error ? max_case_output : max_passing_output;
  return fmt::format("      <system-out>{}</system-out>\n", escape(cap_text(text, cap), false));
}

}  // namespace

std::string render_testcase(const TestCase& c, JunitFlavour flavour) {
  std::string out = testcase_open(c, flavour);
  // GitLab shows the element text, Jenkins the message: both carry the failure.
  const char* element = c.verdict == Verdict::failed ? "failure" : c.verdict == Verdict::error ? "error" : c.verdict == Verdict::skipped ? "skipped" : nullptr;
  if (element) {
    out += fmt::format("      <{}{}{}>{}</{}>\n", element, attr("message", c.message),
                       attr("type", c.verdict == Verdict::failed  ? "ScenarioFailure"
                                    : c.verdict == Verdict::error ? "HarnessError"
                                                                  : "Skipped"),
                       escape(cap_text(c.detail.empty() ? c.message : c.detail, max_case_output), false), element);
  }
  // Surefire's rerun elements: Jenkins shows a passed-on-retry case as flaky.
  for (const auto& a : c.earlier_attempts)
    out += fmt::format("      <{}{}{}>{}</{}>\n", c.verdict == Verdict::passed ? "flakyError" : "rerunError", attr("message", a.message),
                       attr("type", "HarnessError"), escape(cap_text(a.detail.empty() ? a.message : a.detail, max_case_output / 4), false),
                       c.verdict == Verdict::passed ? "flakyError" : "rerunError");
  out += testcase_output(c, flavour);
  out += "    </testcase>\n";
  return out;
}

std::string render_junit(const std::vector<TestSuite>& suites, const TestcaseElement& element) {
  double seconds = 0;
  for (const auto& s : suites) seconds += s.seconds;
  auto all = count_all(suites);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites{}{}{}{}{}>\n", attr("name", "athil"), attr("time", format_seconds(seconds)), attr("tests", std::to_string(all.tests)),
                     attr("failures", std::to_string(all.failed)), attr("errors", std::to_string(all.errors)));
  for (const auto& s : suites) {
    auto n = s.counts();
    out += fmt::format("  <testsuite{}{}{}{}{}{}{}{}>\n", attr("name", s.name), attr("tests", std::to_string(n.tests)),
                       attr("failures", std::to_string(n.failed)), attr("errors", std::to_string(n.errors)), attr("skipped", std::to_string(n.skipped)),
                       attr("time", format_seconds(s.seconds)), attr("timestamp", s.timestamp), attr("hostname", s.hostname));
    if (!s.properties.empty()) {
      out += "    <properties>\n";
      for (const auto& [k, v] : s.properties) out += fmt::format("      <property{}{}/>\n", attr("name", k), attr("value", v));
      out += "    </properties>\n";
    }
    for (std::size_t i = 0; i < s.cases.size(); ++i) out += element(static_cast<std::size_t>(&s - suites.data()), i);
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

std::string render_junit(const std::vector<TestSuite>& suites, JunitFlavour flavour) {
  std::string scratch;
  return render_junit(
      suites, [&](std::size_t suite, std::size_t index) -> const std::string& { return scratch = render_testcase(suites[suite].cases[index], flavour); });
}

void write_junit_atomically(const std::filesystem::path& path, const std::vector<TestSuite>& suites, JunitFlavour flavour) {
  write_file_atomically(path, render_junit(suites, flavour));
}

void write_file_atomically(const std::filesystem::path& path, std::string_view text) {
  auto tmp = path;
  tmp += fmt::format(".{}.tmp", ::getpid());
  // A write that fails leaves no temporary file behind and the last complete file in place.
  auto fail = [&](const std::string& what, int err) {
    ::unlink(tmp.c_str());
    throw InfraError(fmt::format("cannot {} {}: {}", what, path.string(), errno_text(err)));
  };
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd) throw InfraError(fmt::format("cannot write {}: {}", path.string(), errno_text(errno)));
  std::string_view rest = text;
  while (!rest.empty()) {
    ssize_t n = ::write(fd.get(), rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("write", n == 0 ? ENOSPC : errno);
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd.get()) != 0) fail("write", errno);
  if (::close(fd.release()) != 0) fail("write", errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("move into place", errno);
}

}  // namespace athil::report
