// Nothing lost, nothing left behind, nothing unbounded: Ctrl-C to the terminal's process
// group, a module killed mid-run, a full disk, a report that must belong to its run, inputs
// built to exhaust the harness, supply programs that hang or leave children, names built to
// collide or to attack an output, and what a crash leaves in $TMPDIR.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include <cmath>

#include "tests/rack_support.hpp"

using namespace athil::test;
namespace fs = std::filesystem;

namespace {

const std::string rack4 = R"xml(<rig name="r4" time-scale="0.02">
  <slot name="a" model="SIM7080G" firmware="1951B02SIM7080G"><virtual/></slot>
  <slot name="b" model="SIM7000G" firmware="1529B08SIM7000G"><virtual ipr="115200"/></slot>
  <slot name="c" model="SIM7070G" firmware="1951B05SIM7070"><virtual/></slot>
  <slot name="d" model="SIM7090G" firmware="2110B01SIM7090"><virtual/></slot>
</rig>)xml";

const std::string one_slot = R"xml(<rig name="one" time-scale="0.02">
  <slot name="a" model="SIM7080G" firmware="1951B02SIM7080G"><virtual/></slot>
</rig>)xml";

std::size_t case_count(const Report& report) {
  std::size_t n = 0;
  for (const auto& [suite, cases] : report.suites) n += cases.size();
  return n;
}

// Waits for a process, killing it if it outlives the bound: a harness that ignores a stop or a
// timeout fails the test instead of hanging it.
int wait_bounded(int pid, std::chrono::seconds bound = std::chrono::seconds(90)) {
  int status = 0;
  bool ended = eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, bound);
  if (!ended) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    FAIL("the process did not end within ", bound.count(), " s");
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The transcript files a report's testcases name ("transcript file: PATH" in system-out).
std::vector<std::string> transcript_files(const Report& report) {
  std::vector<std::string> out;
  for (const auto& [suite, cases] : report.suites)
    for (const auto& [name, c] : cases) {
      auto at = c.out.find("transcript file: ");
      if (at == std::string::npos) continue;
      at += 17;
      out.push_back(c.out.substr(at, c.out.find('\n', at) - at));
    }
  return out;
}

}  // namespace

TEST_CASE("Ctrl-C in a terminal (SIGINT to the whole process group) at random points: every planned run is in the report, none vanishes, no module is left") {
  TempDir dir;
  auto rig = dir.write("rig.xml", rack4);
  dir.write("sc/1-answers.xml", scenario("answers", power + R"xml(<step name="at"><command send="AT"/></step>)xml"));
  dir.write("sc/2-long-session.xml", scenario("long-session", power + R"xml(<step name="idle"><sleep duration="60s"/><command send="AT"/></step>)xml"));
  const unsigned seed = std::random_device{}();
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> delay_ms(300, 3000);
  for (int i = 0; i < 4; ++i) {
    int delay = delay_ms(random);
    CAPTURE(seed);
    CAPTURE(delay);
    auto out = dir.path() / ("run" + std::to_string(i));
    auto log = dir.path() / ("run" + std::to_string(i) + ".log");
    int pid = spawn_process(
        {athil_exe().string(), "run", "--rig", rig.string(), (dir.path() / "sc").string(), "--repeat", "2", "--junit", (out / "junit.xml").string()},
        source_dir(), log, true);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    auto modules = children_of(pid);
    ::kill(-pid, SIGINT);  // what a terminal does on Ctrl-C: the runner and everything in its group
    int code = wait_bounded(pid);
    std::string text = read_file(log);
    INFO(text);
    for (int m : modules) CHECK_MESSAGE(eventually([&] { return process_gone(m); }), m);
    auto report = read_report(out / "junit.xml");
    REQUIRE(report.loaded);
    // Four slots, two scenarios, two rounds: all sixteen are there, whatever the signal cut.
    CHECK(case_count(report) == 16);
    int passed = 0;
    for (auto& [suite, cases] : report.suites)
      for (auto& [name, c] : cases) {
        CAPTURE(name);
        CAPTURE(c.message);
        if (c.verdict == "passed")
          ++passed;
        else if (c.verdict == "error")
          CHECK(contains(c.message, "interrupted by SIGINT"));
        else if (c.verdict == "skipped")
          CHECK(contains(c.message, "not started: the run was interrupted by SIGINT"));
        else
          FAIL("a scenario failed: the modules must not have died of the Ctrl-C");
      }
    CHECK((code == 3 || (code == 0 && passed == 16)));
  }
}

TEST_CASE("a virtual module killed mid-scenario: that scenario is an error naming the signal, and the slot's next scenario runs on a fresh module") {
  TempDir dir;
  auto rig = dir.write("rig.xml", one_slot);
  dir.write("sc/1-long.xml", scenario("long", power + R"xml(<step name="idle"><sleep duration="120s"/><command send="AT"/></step>)xml"));
  dir.write("sc/2-next.xml", scenario("next", power + R"xml(<step name="at"><command send="AT"/></step>)xml"));
  auto junit = dir.path() / "out" / "junit.xml";
  int pid = spawn_process({athil_exe().string(), "run", "--rig", rig.string(), (dir.path() / "sc").string(), "--junit", junit.string()}, source_dir(),
                          dir.path() / "run.log");
  std::vector<int> modules;
  REQUIRE(eventually([&] { return !(modules = children_of(pid)).empty(); }));
  // Killed once the long scenario (the first) has started: mid-scenario, whatever step it reached.
  REQUIRE(eventually([&] { return contains(read_file(dir.path() / "run.log"), " start\n"); }));
  ::kill(modules.front(), SIGKILL);
  int code = wait_bounded(pid);
  INFO(read_file(dir.path() / "run.log"));
  CHECK(code == 3);
  auto report = read_report(junit);
  REQUIRE(report.loaded);
  auto& a = report.suites["one.a"];
  REQUIRE(a.size() == 2);
  CHECK(a["long"].verdict == "error");
  CHECK(contains(a["long"].message, "the virtual module died: killed by signal 9 (SIGKILL)"));
  CHECK(a["next"].verdict == "passed");
  CHECK(contains(a["next"].out, "a new virtual module started: the last one died"));
}

TEST_CASE("a full disk: the write that fails is an error naming the file, nothing more starts, no .tmp is left, and the last report written stays whole") {
  TempDir dir;
  auto disk = dir.path() / "disk";
  fs::create_directories(disk);
  if (::mount("tmpfs", disk.c_str(), "tmpfs", 0, "size=96k") != 0) {
    MESSAGE("skipped: cannot mount a small tmpfs here (", std::strerror(errno), "): run as root to test a full disk");
    return;
  }
  struct Unmount {
    fs::path at;
    ~Unmount() { ::umount2(at.c_str(), MNT_DETACH); }
  } unmount{disk};
  auto rig = dir.write("rig.xml", one_slot);
  // Each round of the chatty one writes tens of kilobytes of evidence: the disk fills within a few.
  dir.write("sc/1-chatty.xml", scenario("chatty", power + R"xml(<step name="talk"><repeat count="300"><command send="AT+GMR"/></repeat></step>)xml"));
  dir.write("sc/2-next.xml", scenario("next", power + R"xml(<step name="at"><command send="AT"/></step>)xml"));
  auto r =
      run_process({athil_exe().string(), "run", "--rig", rig.string(), (dir.path() / "sc").string(), "--repeat", "4", "--junit", (disk / "junit.xml").string()},
                  source_dir());
  INFO(r.out, r.err);
  CHECK(r.exit_code == 3);
  CHECK(contains(r.out + r.err, "No space left on device"));
  CHECK(files_named(disk, ".tmp").empty());
  auto report = read_report(disk / "junit.xml");
  REQUIRE(report.loaded);
  CHECK(case_count(report) == 8);  // every planned run, in the last report that could be written
  int not_passed = 0;
  for (auto& [name, c] : report.suites["one.a"]) not_passed += c.verdict != "passed";
  CHECK(not_passed > 0);
}

TEST_CASE(
    "the report always belongs to this run: 'nothing to run' and a bad scenario replace the last one, and a --junit that names no file is exit 2 with nothing "
    "written") {
  TempDir dir;
  auto rig = dir.write("rig.xml", one_slot);
  dir.write("sc/at.xml", scenario("at", power + R"xml(<step name="at"><command send="AT"/></step>)xml"));
  auto junit = dir.path() / "out" / "junit.xml";
  auto first = run_process({athil_exe().string(), "run", "--rig", rig.string(), (dir.path() / "sc").string(), "--junit", junit.string()}, source_dir());
  REQUIRE(first.exit_code == 0);
  REQUIRE(read_report(junit).suites["one.a"]["at"].verdict == "passed");

  auto none = run_process({athil_exe().string(), "run", "--rig", rig.string(), (dir.path() / "sc").string(), "--tag", "no-such-tag", "--junit", junit.string()},
                          source_dir());
  CHECK(none.exit_code == 2);
  auto report = read_report(junit);
  REQUIRE(report.loaded);
  CHECK(report.suites.count("one.a") == 0);  // the last run's results are gone
  CHECK(report.suites["athil"]["input"].verdict == "error");
  CHECK(contains(report.suites["athil"]["input"].message, "nothing to run"));

  for (const std::string& bad : {std::string(), (dir.path() / "folder").string() + "/"}) {
    CAPTURE(bad);
    fs::create_directories(dir.path() / "folder");
    auto r = run_process({athil_exe().string(), "run", "--rig", rig.string(), (dir.path() / "sc").string(), "--junit", bad}, source_dir());
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "--junit"));
    CHECK(fs::is_empty(dir.path() / "folder"));  // no run folder, no .tmp
  }
}

TEST_CASE("bounded loading: fixtures that each use the next ten times are refused at the <use> that crosses the bound, exit 2") {
  TempDir dir;
  dir.write("fixtures/models.xml", read_file(source_dir() / "fixtures" / "models.xml"));
  for (int depth : {7, 40}) {
    CAPTURE(depth);
    for (int i = 1; i <= depth; ++i) {
      std::string body;
      for (int k = 0; k < 10; ++k) body += i < depth ? "  <use fixture=\"f" + std::to_string(i + 1) + "\"/>\n" : "  <log>x</log>\n";
      dir.write("fixtures/f" + std::to_string(i) + ".xml", "<fixture name=\"f" + std::to_string(i) + "\">\n" + body + "</fixture>\n");
    }
    auto sc = dir.write("sc/bomb.xml", scenario("bomb", R"xml(<step name="s"><use fixture="f1"/></step>)xml"));
    auto r = run_process({athil_exe().string(), "validate", sc.string(), "--fixtures", (dir.path() / "fixtures").string()}, source_dir());
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "more than 100000 actions long once every <use> is expanded"));
    if (depth > 16) CHECK(contains(r.err, "f16.xml:2:8: error: fixtures nested more than 16 deep"));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') <= 102);  // a bounded list of diagnostics, each once
  }
}

TEST_CASE("a loop that does no I/O ends by the scenario's timeout, and stops at the first SIGTERM") {
  TempDir dir;
  auto rig = dir.write("rig.xml", one_slot);
  std::string loop = "<log>round</log>";
  for (int i = 0; i < 10; ++i) loop = "<repeat count=\"1000000\">" + loop + "</repeat>";
  SUBCASE("the timeout") {
    auto sc = dir.write("sc/loop.xml", scenario("loop", "<step name=\"spin\">" + loop + "</step>", " timeout=\"5s\""));
    int pid =
        spawn_process({athil_exe().string(), "run", "--rig", rig.string(), sc.string(), "--junit", (dir.path() / "out" / "junit.xml").string()}, source_dir());
    CHECK(wait_bounded(pid) == 1);
    auto c = read_report(dir.path() / "out" / "junit.xml").suites["one.a"]["loop"];
    CHECK(c.verdict == "failure");
    CHECK(contains(c.message, "the scenario timeout (2s) ran out"));
  }
  SUBCASE("SIGTERM") {
    auto sc = dir.write("sc/loop.xml", scenario("loop", "<step name=\"spin\">" + loop + "</step>", " timeout=\"1h\""));
    int pid = spawn_process({athil_exe().string(), "run", "--rig", rig.string(), sc.string(), "--junit", (dir.path() / "out" / "junit.xml").string()},
                            source_dir(), dir.path() / "run.log");
    // Once the scenario has started (before it, a signal leaves it not started, skipped).
    REQUIRE(eventually([&] { return contains(read_file(dir.path() / "run.log"), " start\n"); }));
    ::kill(pid, SIGTERM);
    CHECK(wait_bounded(pid, std::chrono::seconds(30)) == 3);
    auto c = read_report(dir.path() / "out" / "junit.xml").suites["one.a"]["loop"];
    CHECK(c.verdict == "error");
    CHECK(contains(c.message, "interrupted by SIGTERM"));
  }
}

TEST_CASE(
    "supply programs run in their own process group: one that leaves a child behind costs nothing and leaves none, one that hangs is killed with its children "
    "at the step's bound") {
  TempDir dir;
  ::setenv("ATHIL_LOCK_DIR", (dir.path() / "locks").c_str(), 1);
  StandaloneModule module(dir, "tty-hub");
  // The hub's scripts lie beside the rig file, named by a path relative to it.
  auto pids = dir.path() / "pids";
  dir.write("hub/leaves-child.sh", "#!/bin/sh\nsleep 3000 &\necho $! >> " + pids.string() + "\nexit 0\n");
  dir.write("hub/hangs.sh", "#!/bin/sh\nsleep 3000 &\necho $! >> " + pids.string() + "\necho $$ >> " + pids.string() + "\nsleep 3000\n");
  for (const char* f : {"hub/leaves-child.sh", "hub/hangs.sh"}) fs::permissions(dir.path() / f, fs::perms::owner_all);
  auto rig = dir.write("rig.xml",
                       "<rig name=\"hub\" time-scale=\"0.02\">\n"
                       "  <slot name=\"h1\" model=\"SIM7080G\"><serial port=\"" +
                           module.link() +
                           "\"/>\n"
                           "    <supply on=\"hub/leaves-child.sh\" off=\"hub/hangs.sh\"/></slot>\n</rig>\n");
  dir.write("sc/1-on.xml", scenario("on", R"xml(<step name="switch"><supply state="on"/><command send="AT"/></step>)xml", " requires=\"supply\""));
  dir.write("sc/2-off.xml", scenario("off", R"xml(<step name="switch" timeout="100s"><supply state="off"/></step>)xml", " requires=\"supply\""));
  auto junit = dir.path() / "out" / "junit.xml";
  // Run from another folder: the scripts are found beside the rig all the same.
  auto r = run_process({athil_exe().string(), "run", "--rig", rig.string(), (dir.path() / "sc").string(), "--junit", junit.string()}, source_dir());
  INFO(r.out, r.err);
  auto report = read_report(junit);
  CHECK(report.suites["hub.h1"]["on"].verdict == "passed");
  auto off = report.suites["hub.h1"]["off"];
  CHECK(off.verdict == "error");
  CHECK(contains(off.message, "did not end by the end of the step's or the scenario's time (killed, with its process group)"));
  // Every process the scripts started is gone, checked by pid.
  std::istringstream in(read_file(pids));
  int count = 0;
  for (int p; in >> p; ++count) CHECK_MESSAGE(eventually([&] { return process_gone(p); }), p);
  CHECK(count == 3);
  ::unsetenv("ATHIL_LOCK_DIR");
}

TEST_CASE("evidence is never overwritten: names that make the same file name, and a 5,000-character name, each get a transcript of their own") {
  TempDir dir;
  auto rig = dir.write("rig.xml", one_slot);
  std::string body = R"xml(<step name="at"><log>hello</log></step>)xml";
  dir.write("sc/1.xml", scenario("a/b", body));
  dir.write("sc/2.xml", scenario("a_b", body));
  dir.write("sc/3.xml", scenario(std::string(5000, 'x'), body));
  auto junit = dir.path() / "out" / "junit.xml";
  auto r = run_process({athil_exe().string(), "run", "--rig", rig.string(), (dir.path() / "sc").string(), "--junit", junit.string()}, source_dir());
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  auto report = read_report(junit);
  CHECK(case_count(report) == 3);
  auto files = transcript_files(report);
  REQUIRE(files.size() == 3);
  std::set<std::string> distinct(files.begin(), files.end());
  CHECK(distinct.size() == 3);
  for (const auto& f : files) {
    CAPTURE(f);
    CHECK(fs::exists(f));
    CHECK(fs::path(f).filename().string().size() <= 100);
    CHECK(contains(read_file(f), "log: hello"));
  }
}

TEST_CASE(
    "text from files reaches every output escaped: no raw escape in the terminal, no HTML or link in summary.md, whole in JUnit, and control characters in "
    "names are refused") {
  TempDir dir;
  auto rig = dir.write("rig.xml", one_slot);
  auto escape = dir.write("bad/escape.xml", scenario("clear&#27;[2J", R"xml(<step name="s"><log>x</log></step>)xml"));
  auto refused = run_process({athil_exe().string(), "validate", escape.string()}, source_dir());
  CHECK(refused.exit_code == 2);
  CHECK(contains(refused.err, "holds a control character"));
  CHECK(refused.err.find('\x1b') == std::string::npos);

  std::string name = "&lt;img src=x onerror=alert(1)&gt; [click](http://example.invalid) &lt;script&gt;";
  dir.write(
      "sc/hostile.xml",
      scenario(
          name,
          R"xml(<step name="s"><check expr="${slot} == 'nowhere'" message="&#27;[31m&lt;script&gt;alert(2)&lt;/script&gt; ![i](http://example.invalid/i.png)"/></step>)xml"));
  auto junit = dir.path() / "out" / "junit.xml";
  auto r = run_process({athil_exe().string(), "run", "--rig", rig.string(), (dir.path() / "sc").string(), "--junit", junit.string()}, source_dir());
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);
  CHECK((r.out + r.err).find('\x1b') == std::string::npos);
  CHECK(contains(r.out, "\\x1b[31m"));
  std::string summary = read_file(dir.path() / "out" / "latest" / "summary.md");
  INFO(summary);
  for (const char* raw : {"<img", "<script", "](http", "![i]", "http://", "\x1b"}) CHECK_MESSAGE(!contains(summary, raw), raw);
  CHECK(contains(summary, "&lt;img src=x onerror=alert\\(1\\)&gt; \\[click\\]\\(http:\\/\\/example.invalid\\)"));
  auto report = read_report(junit);
  REQUIRE(report.loaded);
  CHECK(report.suites["one.a"].count("<img src=x onerror=alert(1)> [click](http://example.invalid) <script>") == 1);
}

TEST_CASE("mistakes are found before anything runs, and one found at run time is never retried") {
  TempDir dir;
  auto rig = dir.write("rig.xml", one_slot);
  auto until = dir.write("bad/until.xml", scenario("until", power + R"xml(
  <step name="wait"><repeat until="${stat} == 1" max="5"><command send="AT+CEREG?" expect="\+CEREG: \d,(\d)" capture="stat"/></repeat></step>)xml"));
  auto v = run_process({athil_exe().string(), "validate", until.string()}, source_dir());
  CHECK(v.exit_code == 2);
  CHECK(contains(v.err, "until.xml:4:21: error: ${stat} is not defined before it is used here: it is set later, at"));

  // A duration read from a variable is only known when it runs: an error, but not one a retry cures.
  auto late = dir.write("sc/late.xml", scenario("late", R"xml(<var name="pause" value="soon"/>
  <step name="s"><sleep duration="${pause}"/></step>)xml"));
  auto junit = dir.path() / "out" / "junit.xml";
  auto r = run_process({athil_exe().string(), "run", "--rig", rig.string(), late.string(), "--retries", "2", "--junit", junit.string()}, source_dir());
  INFO(r.out, r.err);
  CHECK(r.exit_code == 3);
  auto c = read_report(junit).suites["one.a"]["late"];
  CHECK(c.verdict == "error");
  CHECK(contains(c.message, "scenario mistake"));
  CHECK(c.rerun_errors == 0);
  CHECK_FALSE(contains(r.out, "retrying"));
}

TEST_CASE("a hunt that finds no failure before --run-timeout is the good outcome: exit 0, the rounds counted") {
  TempDir dir;
  auto rig = dir.write("rig.xml", one_slot);
  dir.write("sc/at.xml", scenario("at", power + R"xml(<step name="at"><command send="AT"/></step>)xml"));
  auto junit = dir.path() / "out" / "junit.xml";
  auto r = run_process(
      {athil_exe().string(), "run", "--rig", rig.string(), (dir.path() / "sc").string(), "--until-fail", "--run-timeout", "3s", "--junit", junit.string()},
      source_dir());
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "--until-fail: no failure in "));
  auto report = read_report(junit);
  for (auto& [name, c] : report.suites["one.a"]) CHECK_MESSAGE((c.verdict == "passed" || c.verdict == "skipped"), name);
  CHECK(report.suites["one.a"].size() >= 2);
  CHECK(contains(read_file(dir.path() / "out" / "latest" / "summary.md"), "Rounds run (--until-fail): "));
}

TEST_CASE("temporary folders: gone after a second signal, and one a crashed run left is removed by the next run, but never one still in use") {
  TempDir dir;
  auto tmp = dir.path() / "tmp";
  fs::create_directories(tmp);
  ::setenv("TMPDIR", tmp.c_str(), 1);
  auto rig = dir.write("rig.xml", one_slot);
  dir.write("fixtures/power-on.xml", read_file(source_dir() / "fixtures" / "power-on.xml"));
  auto stuck = dir.write("sc/stuck.xml", scenario("stuck", R"xml(<step name="wait"><sleep duration="1h"/></step>
  <teardown timeout="1h"><sleep duration="1h"/></teardown>)xml",
                                                  " timeout=\"1h\""));
  auto run_dirs = [&] { return files_named(tmp, ".owner").size(); };

  // Twice signalled: the run stops at once, and its folder goes with it.
  int pid = spawn_process({athil_exe().string(), "run", "--rig", rig.string(), stuck.string(), "--junit", (dir.path() / "o1" / "junit.xml").string()},
                          source_dir(), dir.path() / "o1.log");
  // Signalled once the scenario has started: its teardown then holds the run for an hour. A
  // signal before it (the module spawned, the scenario not yet begun) leaves nothing to wait for,
  // and the run may end before the second signal comes.
  REQUIRE(eventually([&] { return contains(read_file(dir.path() / "o1.log"), " start\n") && run_dirs() == 1; }));
  ::kill(pid, SIGINT);
  REQUIRE(eventually([&] { return contains(read_file(dir.path() / "o1.log"), "SIGINT: stopping"); }));
  ::kill(pid, SIGINT);
  CHECK(wait_bounded(pid) == 3);
  CHECK(run_dirs() == 0);

  // Killed outright: its folder stays, until the next run proves its owner gone.
  pid =
      spawn_process({athil_exe().string(), "run", "--rig", rig.string(), stuck.string(), "--junit", (dir.path() / "o2" / "junit.xml").string()}, source_dir());
  REQUIRE(eventually([&] { return !children_of(pid).empty() && run_dirs() == 1; }));
  ::kill(pid, SIGKILL);
  wait_bounded(pid);
  REQUIRE(run_dirs() == 1);
  // A folder in use (its .owner locked by a live process, here this test) is never touched.
  fs::create_directories(tmp / "athil-Inuse1");
  int held = ::open((tmp / "athil-Inuse1" / ".owner").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  REQUIRE(::flock(held, LOCK_EX) == 0);
  auto quick = dir.write("sc2/quick.xml", scenario("quick", R"xml(<step name="s"><log>x</log></step>)xml"));
  auto r =
      run_process({athil_exe().string(), "run", "--rig", rig.string(), quick.string(), "--junit", (dir.path() / "o3" / "junit.xml").string()}, source_dir());
  CHECK(r.exit_code == 0);
  CHECK(run_dirs() == 1);  // only the one in use
  CHECK(fs::exists(tmp / "athil-Inuse1"));
  ::close(held);
  ::unsetenv("TMPDIR");
}

namespace {

// An athil command run to its end: its exit code, peak memory in KiB and page faults (its own:
// the commands measured start no child).
struct Measured {
  int exit_code = 0;
  long peak_kib = 0, faults = 0;
};
Measured run_measured(const std::vector<std::string>& args, const fs::path& log) {
  int pid = spawn_process(args, source_dir(), log);
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  return {
      .exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), .peak_kib = usage.ru_maxrss, .faults = usage.ru_minflt + usage.ru_majflt};
}

// How often the kernel, asked for a huge page on a fault, gave 4 KiB pages instead (no free
// 2 MiB of memory): /proc/vmstat's thp_fault_fallback, 0 where it has none.
long huge_page_fallbacks() {
  std::istringstream in(read_file("/proc/vmstat"));
  std::string name;
  long value = 0;
  while (in >> name >> value)
    if (name == "thp_fault_fallback") return value;
  return 0;
}

// The kernel's transparent huge page mode ("always", "madvise", "never"), "" where it has none.
std::string huge_page_mode() {
  std::string modes = read_file("/sys/kernel/mm/transparent_hugepage/enabled");
  auto open = modes.find('['), close = modes.find(']');
  return open == std::string::npos || close == std::string::npos ? "" : modes.substr(open + 1, close - open - 1);
}

}  // namespace

TEST_CASE("field logs are bounded input: a 50 KB line is read cut, not a crash, and a 50 MB log imports and scaffolds within three times its size") {
  TempDir dir;
  auto line_log = dir.write("line.log", "-> AT" + std::string(50000, 'B') + "\nOK\n");
  for (const char* tool : {"import", "scaffold"}) {
    CAPTURE(tool);
    std::vector<std::string> args = {athil_exe().string(), tool, line_log.string(), "-o", (dir.path() / (std::string(tool) + "-line.out")).string()};
    auto r = run_process(args, source_dir());
    CHECK(r.exit_code == 0);
    CHECK(contains(r.err, "a line over 8192 bytes"));
  }
  CHECK(run_process({athil_exe().string(), "validate", (dir.path() / "scaffold-line.out").string()}, source_dir()).exit_code == 0);

  // A day of a tracker's serial monitor: times, commands, answers and the sketch's own lines.
  std::string big;
  big.reserve(51u << 20);
  for (long i = 0; big.size() < (50u << 20); ++i) {
    double t = static_cast<double>(i) * 0.05;
    auto ts = fmt::format("{:02}:{:02}:{:06.3f} -> ", static_cast<int>(t / 3600) % 24, static_cast<int>(t / 60) % 60, std::fmod(t, 60.0));
    big += fmt::format("{0}AT+CSQ\n{0}+CSQ: {1},99\n{0}\n{0}OK\n{0}[{2}] ### heartbeat\n", ts, i % 31, i * 50);
  }
  auto big_log = dir.write("big.log", big);
  [[maybe_unused]] const long log_kib = static_cast<long>(big.size() / 1024);
  big.clear();
  big.shrink_to_fit();
  auto [import_code, import_kib, import_faults] =
      run_measured({athil_exe().string(), "import", big_log.string(), "-o", (dir.path() / "big.transcript").string()}, dir.path() / "import.out");
  CHECK(import_code == 0);
  auto [scaffold_code, scaffold_kib, scaffold_faults] =
      run_measured({athil_exe().string(), "scaffold", big_log.string(), "-o", (dir.path() / "big.xml").string()}, dir.path() / "scaffold.out");
  // Too long for one scenario: refused with where to cut, and no file written.
  CHECK(scaffold_code == 2);
  CHECK(contains(read_file(dir.path() / "scaffold.out"), "scaffold a part of the log with --lines FIRST-LAST"));
  CHECK_FALSE(fs::exists(dir.path() / "big.xml"));
  MESSAGE("50 MB log: import peaked at ", import_kib / 1024, " MB, scaffold at ", scaffold_kib / 1024, " MB");
#ifndef ATHIL_SANITIZED
  CHECK(import_kib < 3 * log_kib);
  CHECK(scaffold_kib < 3 * log_kib);
#endif
}

TEST_CASE("a long scenario loads into huge pages where the kernel has them: 2,000 exchanges cost a few page faults, not one for every 4 KiB") {
#ifdef ATHIL_SANITIZED
  MESSAGE("skipped: the sanitizers' allocator keeps a heap of its own");
  return;
#endif
  if (std::string mode = huge_page_mode(); mode != "always" && mode != "madvise") {
    MESSAGE("skipped: this kernel has no transparent huge pages for athil's heap (mode '", mode, "')");
    return;
  }
  TempDir dir;
  auto scenario = [&](int exchanges) {
    std::string body;
    for (int i = 0; i < exchanges; ++i) body += "    <send>AT+CSQ</send>\n    <expect regex=\"\\+CSQ: \\d+,\\d+\"/>\n    <expect>OK</expect>\n";
    return dir.write(fmt::format("csq-{}.xml", exchanges),
                     "<scenario name=\"csq\" models=\"SIM7080G\">\n  <step name=\"csq\">\n" + body + "    <log>done</log>\n  </step>\n</scenario>\n");
  };
  auto validate = [&](int exchanges) {
    Measured m = run_measured({athil_exe().string(), "validate", scenario(exchanges).string()}, dir.path() / "validate.out");
    CHECK_MESSAGE(m.exit_code == 0, read_file(dir.path() / "validate.out"));
    return m.faults;
  };
  const long fallbacks = huge_page_fallbacks(), empty = validate(0), full = validate(2000);
  if (huge_page_fallbacks() != fallbacks) {
    MESSAGE("skipped: the kernel had no free huge page for a fault meanwhile, and gave 4 KiB pages");
    return;
  }
  MESSAGE("athil validate: ", empty, " page faults for an empty scenario, ", full, " for 2,000 exchanges");
  // In 4 KiB pages the exchanges' actions, XML tree and text take about 330 faults; a 2 MiB
  // page takes one.
  CHECK(full - empty < 60);
}
