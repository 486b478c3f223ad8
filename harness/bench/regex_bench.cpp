// How fast scenario regexes match a line: athil's LineRegex (base/line_regex) beside
// std::regex_match, the peer it replaced, on the patterns scenarios and URC tables hold; then a
// backtracking shape on growing lines, where std::regex's time grows about threefold with each
// byte (measured) and athil's with the line. Prints figures; asserts nothing.
#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/line_regex.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// Nanoseconds a call of `f`, over enough calls to take about 0.2 s.
template <class F>
double ns_per_call(F&& f) {
  long calls = 0;
  const auto start = Clock::now();
  for (auto until = start + std::chrono::milliseconds(200); Clock::now() < until;) {
    for (int i = 0; i < 100; ++i) f();
    calls += 100;
  }
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / static_cast<double>(calls);
}

struct Case {
  const char* pattern;
  const char* line;
};

void usual_patterns() {
  const Case cases[] = {
      {R"(\+CSQ: (\d+),(\d+))", "+CSQ: 20,99"},
      {R"(^\+CSQ: (\d+),(\d+)$)", "+CSQ: 20,99"},
      {R"x(\+SMSUB: "([^"]*)","(.*)")x", R"x(+SMSUB: "topic/a","hello world payload here")x"},
      {R"(\+HTTPACTION: \d+,(\d+),(\d+))", "+HTTPACTION: 0,200,1024"},
      {R"(OK|ERROR)", "ERROR"},
      {R"(OK|ERROR|\+CME ERROR: \d+)", "+CSQ: 20,99"},
      {R"((\d, )?SEND (OK|FAIL)|DATA ACCEPT:[\d,]+)", "0, SEND OK"},
      {R"((\d, )?SEND (OK|FAIL)|DATA ACCEPT:[\d,]+)", "+CSQ: 20,99"},
      {R"(\+CGACT: \d+(,\d+)*)", "+CGACT: 1,1,2,0"},
      {R"(\+CFOTA: (\d+))", "+APP PDP: 0,ACTIVE"},
  };
  fmt::print("1. one line matched, nanoseconds a match (groups taken)\n");
  fmt::print("   {:<44} {:<28} {:>9} {:>11} {:>9}\n", "pattern", "line", "athil", "std::regex", "std/athil");
  for (const auto& c : cases) {
    const athil::LineRegex ours(c.pattern);
    const std::regex theirs(c.pattern);
    const std::string line = c.line;
    std::vector<std::string> groups;
    std::smatch m;
    bool agree = ours.match(line, &groups) == std::regex_match(line, m, theirs);
    double a = ns_per_call([&] { ours.match(line, &groups); });
    double s = ns_per_call([&] { std::regex_match(line, m, theirs); });
    fmt::print("   {:<44} {:<28} {:>6.0f} ns {:>8.0f} ns {:>8.2f} x{}{}\n", c.pattern, std::string(line).substr(0, 28), a, s, s / a,
               ours.fast() ? "" : "  (linear-time matcher)", agree ? "" : "  DISAGREE");
  }
}

// (a*)*b against a's and no b: every way of splitting the a's is tried before std::regex says no.
void backtracking_shape() {
  const char* pattern = "(a*)*b";
  const athil::LineRegex ours(pattern);
  const std::regex theirs(pattern);
  fmt::print("\n2. {} on a line of n a's (no match), microseconds\n", pattern);
  fmt::print("   {:>6} {:>12} {:>14}\n", "n", "athil", "std::regex");
  for (int n : {8, 10, 12, 14, 16}) {
    const std::string line(static_cast<std::size_t>(n), 'a');
    std::smatch m;
    double a = ns_per_call([&] { ours.match(line); }) / 1e3;
    const auto start = Clock::now();
    std::regex_match(line, m, theirs);
    double s = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    fmt::print("   {:>6} {:>9.2f} us {:>11.0f} us\n", n, a, s);
  }
  for (int n : {1024, 8192}) {
    const std::string line(static_cast<std::size_t>(n), 'a');
    fmt::print("   {:>6} {:>9.0f} us {:>14}\n", n, ns_per_call([&] { ours.match(line); }) / 1e3, "(not run)");
  }
}

}  // namespace

int main() {
  usual_patterns();
  backtracking_shape();
}
