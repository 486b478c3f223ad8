#include <doctest/doctest.h>

#include <random>
#include <regex>

#include "base/line_regex.hpp"

using athil::LineRegex;

namespace {

// A random pattern of the kinds scenarios hold, and a line it should match (often mutated,
// so that half the lines do not).
struct Sample {
  std::string pattern, line;
};

class Generator {
 public:
  explicit Generator(unsigned seed) : rng_(seed) {}

  Sample next() {
    Sample s;
    int pieces = pick(1, 6);
    bool in_group = false;
    for (int i = 0; i < pieces; ++i) {
      if (!in_group && pick(0, 5) == 0) s.pattern += '(', in_group = true;
      piece(s);
      if (in_group && pick(0, 2) == 0) s.pattern += ')', in_group = false;
    }
    if (in_group) s.pattern += ')';
    if (pick(0, 9) == 0) s.pattern += odd();  // outside the small matcher's reach
    if (pick(0, 19) == 0) s.pattern = odd() + s.pattern;
    if (pick(0, 1) == 0) mutate(s.line);
    return s;
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  char from(std::string_view chars) { return chars[static_cast<std::size_t>(pick(0, static_cast<int>(chars.size()) - 1))]; }

  // One atom with a quantifier, and text it matches.
  void piece(Sample& s) {
    struct Atom {
      const char* pattern;
      const char* draws;  // characters a line may take for it
    };
    static const Atom atoms[] = {{"a", "a"},         {"1", "1"},         {",", ","},      {" ", " "},       {"\\+", "+"},
                                 {"\\.", "."},       {"\\d", "0129"},    {"\\w", "aZ_9"}, {"\\s", " \t"},   {"\\D", "a ,+"},
                                 {"\\W", " ,+\""},   {"\\S", "a1,"},     {".", "a1 ,+"},  {"[ab]", "ab"},   {"[^a]", "b1 ,"},
                                 {"[a-c1]", "abc1"}, {"[0-9,]", "09,"},  {"[-a]", "-a"},  {"[a-]", "a-"},   {"[\\d,]", "12,"},
                                 {"[\\w ]", "a_ "},  {"[^\\d]", "a ,"},  {"\"", "\""},    {"[\\-.]", "-."}, {"[\\s\\S]", "a \n,"},
                                 {"[^\\D]", "19"},   {"[\\W\\d]", " 1,"}};
    const Atom& a = atoms[pick(0, static_cast<int>(std::size(atoms)) - 1)];
    s.pattern += a.pattern;
    int lo = 1, hi = 1;
    switch (pick(0, 7)) {
      case 0: s.pattern += '*', lo = 0, hi = 3; break;
      case 1: s.pattern += '+', lo = 1, hi = 3; break;
      case 2: s.pattern += '?', lo = 0, hi = 1; break;
      case 3: lo = hi = pick(0, 3), s.pattern += "{" + std::to_string(lo) + "}"; break;
      case 4: lo = pick(0, 2), hi = lo + 2, s.pattern += "{" + std::to_string(lo) + ",}"; break;
      case 5: lo = pick(0, 2), hi = lo + pick(0, 2), s.pattern += "{" + std::to_string(lo) + "," + std::to_string(hi) + "}"; break;
      default: break;
    }
    for (int n = pick(lo, hi); n > 0; --n) s.line += from(a.draws);
  }

  std::string odd() {
    static const char* odds[] = {"|a", "$", "(?:a)?", "(b)*", "a*?", "\\b", "((1))", "[[:digit:]]", "\\x41", "(a|1)", "a|", "1,|a", "^"};
    return odds[pick(0, static_cast<int>(std::size(odds)) - 1)];
  }

  void mutate(std::string& line) {
    static const std::string alphabet = "ab12 ,+:-.\n";
    int what = pick(0, 2);
    auto at = static_cast<std::size_t>(pick(0, static_cast<int>(line.size())));
    if (what == 0) line.insert(at, 1, from(alphabet));
    if (what == 1 && !line.empty()) line.erase(std::min(at, line.size() - 1), 1);
    if (what == 2 && !line.empty()) line[std::min(at, line.size() - 1)] = from(alphabet);
  }

  std::mt19937 rng_;
};

}  // namespace

TEST_CASE("a line regex matches, and fills groups, exactly as std::regex_match does, on 40,000 random patterns and lines") {
  Generator gen(20261130);
  int compared = 0, matched = 0, fast = 0;
  for (int i = 0; i < 40'000; ++i) {
    auto s = gen.next();
    std::regex theirs;
    try {
      theirs = std::regex(s.pattern);
    } catch (const std::regex_error&) {
      CHECK_THROWS_AS(LineRegex{s.pattern}, std::regex_error);
      continue;
    }
    LineRegex ours(s.pattern);
    std::smatch m;
    bool expected = std::regex_match(s.line, m, theirs);
    std::vector<std::string> groups;
    INFO("pattern /", s.pattern, "/ line '", s.line, "'");
    REQUIRE(ours.match(s.line, &groups) == expected);
    CHECK(ours.group_count() == theirs.mark_count());
    if (expected) {
      REQUIRE(groups.size() + 1 == m.size());
      for (std::size_t g = 0; g < groups.size(); ++g) CHECK(groups[g] == m[g + 1].str());
    }
    ++compared, matched += expected, fast += ours.fast();
  }
  // The comparison means something only if many lines match and most patterns are the fast kind.
  CHECK(compared > 39'000);
  CHECK(matched > compared / 5);
  CHECK(fast > compared * 3 / 4);
}

TEST_CASE("a line regex the small matcher cannot read runs on the linear-time matcher, and means the same") {
  struct Case {
    const char* pattern;
    const char* line;
    bool matches;
  };
  const Case cases[] = {{R"(OK|ERROR)", "ERROR", true},
                        {R"(^\+CSQ: \d+,\d+$|x)", "+CSQ: 20,0", true},
                        {R"((\d+,)*\d+)", "1,2,3", true},
                        {R"(\+CPIN: (READY|SIM PIN))", "+CPIN: SIM PIN", true},
                        {R"(a*?b)", "aab", true},
                        {R"((?:ab)+)", "abab", true},
                        {R"(\bword\b)", "word", true},
                        {R"(a\bb)", "ab", false},
                        {R"(\Bb)", "b", false},
                        {R"(a|[[:digit:]]+)", "123", true},
                        {R"(OK|ERROR)", "OKERROR", false},
                        {R"((a|ab)(c|bcd))", "abcd", true},
                        // The first byte may come from past an optional group, an empty
                        // branch or an assertion; a line no match starts as is turned away.
                        {R"((\d, )?SEND OK|DATA ACCEPT:\d+)", "SEND OK", true},
                        {R"((\d, )?SEND OK|DATA ACCEPT:\d+)", "DATA ACCEPT:10", true},
                        {R"((\d, )?SEND OK|DATA ACCEPT:\d+)", "+CSQ: 20,99", false},
                        {R"((|x)y|z)", "y", true},
                        {R"(\b(a|b)*c)", "c", true},
                        {R"((a|b)*)", "", true},
                        {R"((a|b)*)", "c", false}};
  for (const auto& c : cases) {
    LineRegex re(c.pattern);
    INFO(std::string(c.pattern));
    CHECK_FALSE(re.fast());
    CHECK(re.match(c.line) == c.matches);
  }
  // ECMAScript's order picks the first alternative that lets the whole line match.
  std::vector<std::string> groups;
  REQUIRE(LineRegex("(a|ab)(c|bcd)(d*)").match("abcd", &groups));
  CHECK(groups == std::vector<std::string>{"a", "bcd", ""});
  REQUIRE(LineRegex("(a)|b").match("b", &groups));
  CHECK(groups == std::vector<std::string>{""});
  // Lazy: as few as will do.
  REQUIRE(LineRegex("(\\d+?)(\\d*)").match("123", &groups));
  CHECK(groups == std::vector<std::string>{"1", "23"});
}

TEST_CASE("the patterns scenarios hold most run on the small matcher, with their groups") {
  LineRegex csq(R"(\+CSQ: (\d+),(\d+))");
  CHECK(csq.fast());
  std::vector<std::string> groups;
  REQUIRE(csq.match("+CSQ: 20,99", &groups));
  CHECK(groups == std::vector<std::string>{"20", "99"});
  CHECK_FALSE(csq.match("+CSQ: 20,99 ", &groups));
  for (const char* p : {R"(\+CFSGFIS: \d+)", R"(\+CREG: \d,[15])", R"(\+HTTPACTION: 0,200,\d+)", R"re(\+SMSUB: "([^"]*)","(.*)")re", R"(SIM70[0-9]{2}[A-Z]?)",
                        R"(\+CCID: [[:xdigit:]]+)", R"(^\+CSQ: (\d+),(\d+)$)", R"(^a\d$)"})
    CHECK_MESSAGE(LineRegex(p).fast(), p);
}

TEST_CASE("a pattern that backtracks past its budget on a line is matched by the linear-time matcher, with the same answer") {
  // Four \d* before an x, on forty digits and a y: the small matcher would try every split of
  // the digits (about 136,000), past its budget of a few thousand steps.
  std::string pattern;
  for (int i = 0; i < 4; ++i) pattern += "\\d*";
  pattern += "x";
  LineRegex re(pattern);
  REQUIRE(re.fast());
  CHECK_FALSE(re.match(std::string(40, '1') + "y"));
  CHECK(re.match(std::string(40, '1') + "x"));
}

TEST_CASE("patterns std::regex takes minutes or more on are matched on a line of 8 KiB, with the right answer") {
  // std::regex backtracks: (a*)*b against 24 a's ran past 100 s, and each a doubles it. A
  // scenario file is untrusted, and a match cannot be interrupted by a step's timeout.
  const std::string as(8192, 'a'), digits(8192, '1');
  struct Case {
    const char* pattern;
    const std::string& line;
  };
  for (const Case& c : {Case{"(a*)*b", as}, Case{"(a+)+b", as}, Case{"(a|a)*b", as}, Case{"(a|aa)+b", as}, Case{"(.*a){20}b", as},
                        Case{"\\d*\\d*\\d*\\d*x", digits}, Case{"(\\d+)*x", digits}, Case{"(,?\\d+)*x", digits}}) {
    INFO(std::string(c.pattern));
    LineRegex re(c.pattern);
    CHECK_FALSE(re.match(c.line));
    CHECK(re.match(c.line.substr(1) + c.pattern[std::string_view(c.pattern).size() - 1]));
  }
  std::vector<std::string> groups;
  REQUIRE(LineRegex("(\\d+)*").match("123", &groups));
  CHECK(groups == std::vector<std::string>{"123"});
  REQUIRE(LineRegex("(a|b)+").match("abba", &groups));
  CHECK(groups == std::vector<std::string>{"a"});
  // A repeat's pass that matches nothing ends it, as ECMAScript says (libstdc++ would give "").
  REQUIRE(LineRegex("(a*)*").match("aa", &groups));
  CHECK(groups == std::vector<std::string>{"aa"});
}

TEST_CASE(
    "a pattern that is not ECMAScript, or that no linear-time matcher can run, or that is too large once written out, is refused with the reason and where") {
  const std::string deep = std::string(51, '(') + "a" + std::string(51, ')');
  std::string many_groups;
  for (int i = 0; i < 101; ++i) many_groups += "(a)";
  for (const std::string& pattern : {std::string("a**"),
                                     std::string("a+{2}"),
                                     std::string("a*?+"),
                                     std::string("*a"),
                                     std::string("^*"),
                                     std::string("a{10001}"),
                                     std::string("a{\xc9\xbc}"),
                                     std::string("a{x}"),
                                     std::string("a{,3}"),
                                     std::string("a{3,1}"),
                                     std::string("a{4444444444448888888}"),
                                     std::string("(a)\\1"),
                                     std::string("(a)\\1234567890123456789012"),
                                     std::string("(?=a)a"),
                                     std::string("(?!a)a"),
                                     std::string("(?<n>a)"),
                                     std::string("\\cJ"),
                                     std::string("[\\d-z]"),
                                     std::string("[\xc8-c]"),
                                     std::string("[z-a]"),
                                     std::string("[[:nope:]]"),
                                     std::string("[[.a.]]"),
                                     std::string("(a"),
                                     std::string("a)"),
                                     std::string("[a"),
                                     std::string("a\\"),
                                     std::string("\\x4"),
                                     std::string("\\u0100"),
                                     std::string("(?:a{100}){300}"),
                                     deep,
                                     many_groups,
                                     std::string(20'001, 'a')}) {
    INFO(pattern);
    CHECK_THROWS_AS(LineRegex{pattern}, std::regex_error);
  }
  auto why = [](const std::string& pattern) {
    try {
      LineRegex{pattern};
    } catch (const std::regex_error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(
      why("AT(a)\\1") ==
      "a back-reference or an octal escape, which this matcher does not run (a line is matched in linear time, which back-references rule out) at character 6");
  CHECK(why("a+{2}") == "nothing to repeat: a quantifier on a quantifier at character 3");
  CHECK(why("x(?:a{100}){300}").starts_with("a pattern whose repeats, written out, take over 5000 steps"));
  CHECK(why("+CSQ") == "nothing to repeat at character 1");
  // Braces and brackets std::regex takes as characters stay characters.
  CHECK(LineRegex("a}").match("a}"));
  CHECK(LineRegex("]").match("]"));
  CHECK(LineRegex("[\\]]").match("]"));
  CHECK(LineRegex("a{4000}").match(std::string(4000, 'a')));
}
