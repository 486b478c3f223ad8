#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

#include "base/child_process.hpp"
#include "base/duration.hpp"
#include "base/error.hpp"
#include "base/escape.hpp"
#include "base/file.hpp"
#include "base/nearly_sorted.hpp"
#include "base/process_wait.hpp"
#include "base/text.hpp"
#include "base/timeline.hpp"
#include "base/xml_source.hpp"
#include "support.hpp"

using namespace athil;
using namespace std::chrono_literals;

TEST_CASE("durations read the units scenario authors write") {
  CHECK(parse_duration("500ms") == 500ms);
  CHECK(parse_duration("1.2s") == 1200ms);
  CHECK(parse_duration("10m") == 10min);
  CHECK(parse_duration("1h") == 1h);
  CHECK_THROWS_WITH_AS(parse_duration("5"), doctest::Contains("unit"), InputError);
  CHECK_THROWS_WITH_AS(parse_duration("5 s"), doctest::Contains("' s'"), InputError);
  CHECK_THROWS_AS(parse_duration("s"), InputError);
  CHECK_THROWS_AS(parse_duration("1.2.3s"), InputError);
  CHECK(format_duration(1500ms) == "1500ms");
  CHECK(format_duration(30min) == "30m");
}

TEST_CASE("a scaled timeout never drops below the floor, holds scale freely") {
  TimeScale fast(0.02);
  CHECK(fast.hold(1200ms) == 24ms);
  CHECK(fast.timeout(10s) == 2s);       // 0.2 s scaled, floored at 2 s
  CHECK(fast.timeout(15min) == 18s);    // well above the floor
  CHECK(fast.timeout(500ms) == 500ms);  // never longer than what was written
  CHECK(TimeScale(1.0).timeout(10s) == 10s);
}

TEST_CASE("escaped bytes survive the round trip, whatever they are") {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  std::string text = escape_bytes(all);
  for (char c : text) CHECK((c >= 0x20 && c < 0x7f));
  CHECK(unescape_bytes(text) == all);
  CHECK(escape_bytes("AT\r\r\nOK\r\n") == "AT\\r\\r\\nOK\\r\\n");
  CHECK(unescape_bytes("\\x1a") == "\x1a");
  CHECK_THROWS_AS(unescape_bytes("\\x1"), InputError);
  CHECK_THROWS_AS(unescape_bytes("\\q"), InputError);
}

TEST_CASE("a nearly sorted timeline sorts by time as a stable sort does, late events and equal times included") {
  // (time, order recorded): the order must survive among equal times.
  using Item = std::pair<int, int>;
  auto earlier = [](const Item& a, const Item& b) { return a.first < b.first; };
  std::vector<std::vector<int>> cases = {
      {},
      {5},
      {1, 2, 3, 4},
      {1, 3, 2, 3, 3, 1, 4},        // a late event whose time others share, before and after it
      {10, 20, 30, 5, 40, 5, 50},   // an edge stamped long before it was read, twice
      {9, 8, 7, 6, 5, 4, 3, 2, 1},  // all out of order: still sorted
      {2, 2, 1, 2, 1, 1, 3, 0, 3},
  };
  unsigned seed = 7;
  for (int n = 0; n < 50; ++n) {  // and mostly ordered runs with a few late ones, many equal
    std::vector<int> times;
    for (int i = 0; i < 200; ++i) times.push_back(i / 3 - static_cast<int>((seed = seed * 1103515245 + 12345) >> 28 == 0 ? (seed >> 8) % 40 : 0));
    cases.push_back(times);
  }
  for (const auto& times : cases) {
    std::vector<Item> items, expected;
    for (std::size_t i = 0; i < times.size(); ++i) items.emplace_back(times[i], static_cast<int>(i));
    expected = items;
    std::stable_sort(expected.begin(), expected.end(), earlier);
    stable_sort_nearly_sorted(items, earlier);
    CHECK(items == expected);
  }
}

TEST_CASE("a transcript lists its events in time order, seconds from the first, every byte escaped") {
  Timeline t;
  t.record_at(5'000'000, Direction::to_module, "AT+CGMR\r");
  t.record_at(17'000'042, Direction::from_module, std::string("\r\nOK\r\n\x00\xff\\", 9));
  t.record_at(4'999'999, Direction::pin, "status high");  // read late, stamped when it happened
  t.record_at(6'000'000, Direction::pin, "netlight high", Shown::waveform_only);
  CHECK(t.render(0, t.size()) ==
        "# athil-transcript 1\n"
        "0.000000 = status high\n"
        "0.000001 > AT+CGMR\\r\n"
        "12.000043 < \\r\\nOK\\r\\n\\x00\\xff\\\\\n");
  CHECK(t.render(1, 2) == "# athil-transcript 1\n0.000000 < \\r\\nOK\\r\\n\\x00\\xff\\\\\n");
}

TEST_CASE("the timeline finds the first bytes read after an edge among its recent events, and none when the edge came after them") {
  Timeline t;
  t.record_at(1'000'000, Direction::from_module, "\r\nRDY\r\n");
  t.record_at(1'000'700, Direction::from_module, "\r\n+CFUN: 1\r\n");
  t.record_at(1'002'000, Direction::note, "urc: +CFUN: 1");
  t.record_at(3'000'000, Direction::from_module, "\r\nSMS Ready\r\n");
  CHECK(t.first_after(Direction::from_module, 999'000) == 1'000'000);  // an edge taken late: the bytes next after it, not the last
  CHECK(t.first_after(Direction::from_module, 1'000'100) == 1'000'700);
  CHECK(t.first_after(Direction::from_module, 2'000'000) == 3'000'000);
  CHECK_FALSE(t.first_after(Direction::from_module, 3'000'000).has_value());
  CHECK_FALSE(t.first_after(Direction::to_module, 0).has_value());
  CHECK(t.first_after(Direction::from_module, 0, 2) == 3'000'000);  // looked back only so far
}

TEST_CASE("XML input refuses DOCTYPE and entity declarations") {
  std::string billion_laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">]>\n<scenario name=\"&lol;\"/>";
  CHECK_THROWS_WITH_AS(XmlSource::parse(billion_laughs, "evil.xml"), doctest::Contains("evil.xml:2:"), InputError);
  CHECK_THROWS_WITH_AS(XmlSource::parse(billion_laughs, "evil.xml"), doctest::Contains("DOCTYPE"), InputError);
}

TEST_CASE("XML syntax errors and attributes are located by line and column") {
  CHECK_THROWS_WITH_AS(XmlSource::parse("<a>\n  <b>\n</a>", "bad.xml"), doctest::Contains("bad.xml:3:"), InputError);
  auto src = XmlSource::parse("<root>\n  <item  kind=\"x\" other=\"y\"/>\n</root>", "f.xml");
  auto item = src->doc().document_element().child("item");
  CHECK(src->pos(item).str() == "f.xml:2:3");
  CHECK(src->pos(item, "other").str() == "f.xml:2:19");
  CHECK_THROWS_WITH_AS(src->only_attributes(item, {"kind"}), doctest::Contains("f.xml:2:19: <item> has no attribute 'other'"), InputError);
}

TEST_CASE("text loose in an element is found where it starts, and the hash is of the file as written") {
  std::string text = "<root>\n  first\n  <item>kept &amp; in</item> second <![CDATA[third]]>\n  <other/>\n</root>";
  auto src = XmlSource::parse(text, "f.xml");
  auto root = src->doc().document_element();
  auto loose = src->loose_text(root);
  REQUIRE(loose.size() == 3);
  CHECK(loose[0].pos.str() == "f.xml:2:3");
  CHECK(loose[0].text == "first");
  CHECK(loose[1].pos.str() == "f.xml:3:30");
  CHECK(loose[1].text == "second");
  CHECK(loose[2].pos.str() == "f.xml:3:46");
  CHECK(loose[2].text == "third");
  CHECK(std::string(root.child("item").child_value()) == "kept & in");
  CHECK(src->loose_text(root.child("other")).empty());
  CHECK(src->pos(root.child("other")).str() == "f.xml:4:3");
  // Parsing writes in the text it parses; the hash is the file's.
  CHECK(src->content_hash() == content_hash(text));
}

TEST_CASE("oversized and non-UTF-8 input is refused with its position") {
  CHECK_THROWS_WITH_AS(XmlSource::parse(std::string(XmlSource::max_file_bytes + 1, ' '), "big.xml"), doctest::Contains("big.xml: more than"), InputError);
  CHECK_THROWS_WITH_AS(XmlSource::parse("<a>\n  caf\xe9\n</a>", "latin1.xml"), doctest::Contains("latin1.xml:2:6: not UTF-8: byte 0xe9"), InputError);
  CHECK_NOTHROW(XmlSource::parse("<a>caf\xc3\xa9 \xe2\x82\xac</a>", "utf8.xml"));
}

TEST_CASE("a file is read whole: every byte of one longer than a read, an empty one, one whose size the system does not know") {
  test::TempDir dir;
  std::string bytes;
  for (std::size_t i = 0; i < 200'000; ++i) bytes += static_cast<char>((i * 131) & 0xff);
  CHECK(read_file(dir.write("big.bin", bytes)) == bytes);
  CHECK(read_file(dir.write("empty", "")) == std::string());
  CHECK_FALSE(read_file(dir.path() / "missing").has_value());
  // /proc files say they are empty and are not.
  auto status = read_file("/proc/self/status");
  REQUIRE(status.has_value());
  CHECK(status->find("Name:") == 0);
}

namespace {
long page_faults() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt + u.ru_majflt;
}
// Page faults taken by writing once to every page of `memory`.
long faults_to_write(char* memory, std::size_t size) {
  long before = page_faults();
  for (std::size_t at = 0; at < size; at += 4096) memory[at] = static_cast<char>(memory[at] + 1);
  return page_faults() - before;
}
// A signal set of a /proc/PID/status text ("SigIgn:\t"): bit N-1 for signal N.
unsigned long long signal_set(const std::string& status, const char* field) {
  auto at = status.find(field);
  return at == std::string::npos ? ~0ull : std::stoull(status.substr(at + std::strlen(field)), nullptr, 16);
}
// Everything the child printed, until it closes its output.
std::string output_of(ChildProcess& child) {
  std::string text;
  char buf[4096];
  for (ssize_t got; (got = ::read(child.output(), buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(got));
  return text;
}
}  // namespace

TEST_CASE("a child process leaves the harness's memory its own: writing to pages it had costs no page fault after a start, as a fork's copy-on-write would") {
  constexpr std::size_t size = 32 << 20, pages = size / 4096;
  void* mapped = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(mapped != MAP_FAILED);
  auto* memory = static_cast<char*>(mapped);
  ::madvise(memory, size, MADV_NOHUGEPAGE);  // a fault a page, whatever the system's huge page policy
  std::memset(memory, 1, size);
  REQUIRE(faults_to_write(memory, size) < static_cast<long>(pages / 8));  // touched: writing again is free

  ChildProcess child(ChildSpec{.program = "/bin/true"});
  CHECK(describe_wait_status(child.wait()) == "exited with status 0");
  CHECK(faults_to_write(memory, size) < static_cast<long>(pages / 8));

  // What the measure would show after a fork: a fault for every page written.
  pid_t forked = ::fork();
  if (forked == 0) ::_exit(0);
  REQUIRE(forked > 0);
  ::waitpid(forked, nullptr, 0);
  CHECK(faults_to_write(memory, size) >= static_cast<long>(pages - pages / 8));
  ::munmap(memory, size);
}

TEST_CASE("a child process leads its own process group, inherits no descriptor, signal mask or ignored signal, and its output goes where asked") {
  test::TempDir dir;
  // A descriptor without close-on-exec (as a library might leave one), SIGUSR1 blocked in this
  // thread, SIGUSR2 ignored: none of it may reach the child.
  UniqueFd stray(::fcntl(::open("/dev/null", O_RDONLY | O_CLOEXEC), F_DUPFD, 60));
  REQUIRE(stray.get() >= 60);
  sigset_t usr1, old_mask;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  ::pthread_sigmask(SIG_BLOCK, &usr1, &old_mask);
  auto old_usr2 = ::signal(SIGUSR2, SIG_IGN);
  struct Restore {
    sigset_t mask;
    sighandler_t usr2;
    ~Restore() {
      ::pthread_sigmask(SIG_SETMASK, &mask, nullptr);
      ::signal(SIGUSR2, usr2);
    }
  } restore{old_mask, old_usr2};

  ChildProcess listing(ChildSpec{.program = "/bin/ls", .args = {"/proc/self/fd"}, .output = ChildSpec::Output::pipe});
  std::string fds = output_of(listing);
  CHECK(describe_wait_status(listing.wait()) == "exited with status 0");
  CHECK(fds.find("0\n1\n2\n") == 0);
  CHECK(fds.find(fmt::format("{}\n", stray.get())) == std::string::npos);

  ChildProcess status(ChildSpec{.program = "/bin/cat", .args = {"/proc/self/status"}, .output = ChildSpec::Output::pipe});
  std::string text = output_of(status);
  CHECK(signal_set(text, "SigBlk:\t") == 0);
  CHECK((signal_set(text, "SigIgn:\t") & (1ull << (SIGUSR2 - 1))) == 0);  // glibc's own two real-time signals stay ignored
  status.end();

  ChildProcess sleeper(ChildSpec{.program = "/bin/sleep", .args = {"30"}});
  CHECK(::getpgid(sleeper.pid()) == sleeper.pid());
  CHECK(describe_wait_status(sleeper.end()) == "killed by signal 9 (SIGKILL)");
  CHECK(describe_wait_status(sleeper.end()) == "killed by signal 9 (SIGKILL)");  // the same again: reaped once

  ChildProcess polite(ChildSpec{.program = "/bin/sleep", .args = {"30"}});
  CHECK(describe_wait_status(polite.stop(std::chrono::seconds(30))) == "killed by signal 15 (SIGTERM)");  // asked first
  ChildProcess deaf(ChildSpec{.program = "/bin/sh", .args = {"-c", "trap '' TERM; while :; do sleep 1; done"}});
  CHECK(athil::test::eventually(
      [&] { return (signal_set(read_file(fmt::format("/proc/{}/status", deaf.pid())).value_or(""), "SigIgn:\t") >> (SIGTERM - 1)) & 1; },
      std::chrono::seconds(10)));
  CHECK(describe_wait_status(deaf.stop(std::chrono::milliseconds(200))) == "killed by signal 9 (SIGKILL)");  // then told

  auto out = dir.path() / "out", err = dir.path() / "err";
  ChildProcess failing(ChildSpec{.program = "/bin/ls", .args = {"/no-such-folder"}, .output = ChildSpec::Output::file, .output_file = out, .errors_to = err});
  CHECK(describe_wait_status(failing.wait()) == "exited with status 2");
  CHECK(read_file(out) == std::string());
  CHECK(read_file(err).value_or("").find("/no-such-folder") != std::string::npos);

  CHECK_THROWS_WITH(ChildProcess(ChildSpec{.program = (dir.path() / "missing").string()}), doctest::Contains("missing: No such file or directory"));
}

TEST_CASE("a program is found as a path, on PATH, then in the folders given, and only as an executable file") {
  test::TempDir dir;
  auto tool = dir.write("athil-test-tool", "#!/bin/sh\n"), plain = dir.write("athil-test-plain", "text\n");
  ::chmod(tool.c_str(), 0755);
  CHECK(find_program("sh").ends_with("/sh"));
  CHECK(find_program("athil-test-tool") == "");
  CHECK(find_program("athil-test-tool", "/nonexistent:" + dir.path().string()) == tool.string());
  CHECK(find_program("athil-test-plain", dir.path().string()) == "");
  CHECK(find_program(tool.string()) == tool.string());
  CHECK(find_program(dir.path().string()) == "");  // a folder is searchable, not runnable
  CHECK(find_program("") == "");
}
