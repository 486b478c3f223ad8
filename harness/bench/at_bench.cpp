// The AT engine against a virtual SIM7080G, with figures from both ends. Prints; asserts nothing.
//  1. Turnaround: AT+CSQ exchanges at the line's own rate; the module measures, from the last
//     byte of each final result code to the first byte of the next command, p50 and p99.
//  2. CPU per exchange of the harness, side by side with pexpect + pyserial doing the same
//     exchanges against the same module, and the ratio; beside them the floor: a bare loop of
//     the same system calls (write, wait, read until OK) with no framing, sorting or timeline,
//     the least any process that talks to the port can spend.
//     And what a user's run costs: `athil run` of a scenario with N exchanges written out (as a
//     scaffolded field log has them), its own CPU (as it reports it) over an empty run's, per
//     exchange: loading, executing, evidence and all. Twice: with the processes where the
//     scheduler puts them, then all on one CPU, where the kernel's share stays the same from run
//     to run and what each party adds to it shows. In rounds where every party takes its turn,
//     each figure the median round's: a VM's speed drifts within minutes, and a round it slows
//     moves a total, not a median. Beside them, what the machine charges for a system call and
//     for the first touch of a page, and the whole run's page faults an exchange: on a
//     hypervisor that makes either dear, it, not the instructions, sets the ratios.
//  3. Transfer: 100 KB written through AT+CFSWFILE in 10,000-byte chunks at 115200 baud, as a
//     share of the line rate.
// usage: at_bench ATHIL_EXE PEXPECT_SCRIPT PYTHON3 [EXCHANGES] [TIME_SCALE] [CPU_TIME_SCALE]
//   EXCHANGES (10,000) are the CPU rounds' for each placement; TIME_SCALE (1) is the turnaround's
//   and the transfer's, CPU_TIME_SCALE (0.1) the CPU rounds'.
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "at/engine.hpp"
#include "base/fd.hpp"
#include "base/temp_dir.hpp"
#include "rig/pins.hpp"
#include "rig/virtual_module.hpp"
#include "transport/serial_port.hpp"

extern char** environ;

using namespace athil;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

double cpu_seconds(const rusage& u) {
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double self_cpu() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return cpu_seconds(u);
}

double self_user_cpu() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec) + static_cast<double>(u.ru_utime.tv_usec) / 1e6;
}

struct Turnaround {
  long count = 0, p50 = 0, p99 = 0, max = 0;
};
Turnaround turnaround(const std::string& socket_path) {
  Turnaround t;
  std::sscanf(rig::ask_virtual_module("bench", socket_path, "turnaround").c_str(), "turnaround %ld %ld %ld %ld", &t.count, &t.p50, &t.p99, &t.max);
  return t;
}

void expect(AtEngine& engine, const std::string& line, Duration timeout = 10s) {
  auto r = engine.expect_response([&](const std::string& l) { return l == line; }, Clock::now() + timeout);
  if (r.kind != AtEngine::ExpectResult::Kind::matched) throw std::runtime_error(fmt::format("expected '{}', got '{}'", line, r.line.text));
}

// A program run to its end with its standard output in `out_file`: how it ended, what it printed.
struct Finished {
  int status = 0;
  std::string text;
};
Finished run_to_file(const std::vector<std::string>& argv, const fs::path& out_file) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) != 0) throw std::runtime_error("cannot start " + argv[0]);
  posix_spawn_file_actions_destroy(&actions);
  Finished f;
  ::waitpid(pid, &f.status, 0);
  std::ifstream in(out_file);
  f.text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return f;
}

// CPU seconds (all and user) of a loop of exchanges.
struct LoopCost {
  double cpu = 0, user = 0;
};

// Runs the pexpect peer: the CPU seconds of its loop, as it measures them (not its process's,
// which add Python's start).
LoopCost run_peer(const std::vector<std::string>& argv, const fs::path& out_file) {
  const Finished f = run_to_file(argv, out_file);
  LoopCost r;
  if (!WIFEXITED(f.status) || WEXITSTATUS(f.status) != 0 || std::sscanf(f.text.c_str(), "cpu %lf user %lf", &r.cpu, &r.user) != 2)
    throw std::runtime_error(fmt::format("the pexpect peer failed ({}): {}", f.status, f.text));
  return r;
}

// The harness's exchanges: the engine on the port, as a scenario's <command> drives it.
LoopCost athil_exchanges(const fs::path& port_link, const std::string& model, unsigned baud, double scale, int exchanges) {
  Timeline timeline;
  SerialPort port(port_link, SerialPort::Settings{baud, false, baud / scale});
  AtEngine engine(port, timeline, Dialect::sim70x0(model));
  double cpu0 = self_cpu(), user0 = self_user_cpu();
  for (int i = 0; i < exchanges; ++i) {
    engine.send_command("AT+CSQ", Clock::now() + 1s);
    auto r = engine.expect_response([](const std::string& l) { return l.rfind("+CSQ: ", 0) == 0; }, Clock::now() + 10s);
    if (r.kind != AtEngine::ExpectResult::Kind::matched) throw std::runtime_error("no +CSQ");
    expect(engine, "OK");
  }
  return {self_cpu() - cpu0, self_user_cpu() - user0};
}

// The floor: AT+CSQ written, the port waited for (epoll, as the engine does) and read until
// "OK\r\n" arrives, nothing else. A read that did not fill the buffer took all the terminal
// held, so the next look is the wait, as the engine's: reading on until EAGAIN would be a system
// call more a wake-up than the least a process needs. CPU seconds and user seconds of the loop.
LoopCost bare_exchanges(const fs::path& port, int exchanges) {
  UniqueFd fd(::open(port.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  termios tio{};
  if (!fd || ::tcgetattr(fd.get(), &tio) != 0) throw std::runtime_error("floor: cannot open " + port.string());
  ::cfmakeraw(&tio);
  ::tcsetattr(fd.get(), TCSANOW, &tio);
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  epoll_event event{};
  event.events = EPOLLIN | EPOLLET;
  ::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd.get(), &event);
  char buf[4096];
  double cpu0 = self_cpu(), user0 = self_user_cpu();
  for (int i = 0; i < exchanges; ++i) {
    // What came before the command, as the engine looks: a read takes in what the terminal's
    // driver holds, where an epoll look would not.
    if (::read(fd.get(), buf, sizeof buf) > 0) throw std::runtime_error("floor: the module spoke unasked");
    if (::write(fd.get(), "AT+CSQ\r", 7) != 7) throw std::runtime_error("floor: write failed");
    std::string got;
    while (got.find("OK\r\n") == std::string::npos) {
      if (::epoll_wait(epoll.get(), &event, 1, 10'000) != 1) throw std::runtime_error("floor: no answer");
      for (ssize_t n = sizeof buf; n == static_cast<ssize_t>(sizeof buf);)
        if ((n = ::read(fd.get(), buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
    }
  }
  return {self_cpu() - cpu0, self_user_cpu() - user0};
}

// `athil run` of one scenario on a one-slot virtual rig: power on, sync, then `exchanges` times
// AT+CSQ and its answer, each written out. The run's own CPU seconds, as it reports them, and the
// page faults of the run and its module (the module's do not grow with the exchanges).
struct RunCost {
  double cpu = 0;
  long faults = 0;
};
RunCost whole_run_cost(const fs::path& athil, const fs::path& dir, double scale, int exchanges) {
  auto rig = dir / "run-rig.xml";
  std::ofstream(rig) << fmt::format(
      "<rig name=\"bench\" time-scale=\"{}\">\n  <slot name=\"b\" model=\"SIM7080G\" firmware=\"1951B02SIM7080G\"><virtual/></slot>\n</rig>\n", scale);
  std::string body;
  for (int i = 0; i < exchanges; ++i) body += "    <send>AT+CSQ</send>\n    <expect regex=\"\\+CSQ: \\d+,\\d+\"/>\n    <expect>OK</expect>\n";
  auto scenario = dir / fmt::format("run-{}.xml", exchanges);
  std::ofstream(scenario) << "<scenario name=\"csq\" models=\"SIM7080G\" timeout=\"1h\">\n  <setup><use fixture=\"power-on\"/></setup>\n  <step name=\"csq\">\n"
                          << body << "    <log>done</log>\n  </step>\n</scenario>\n";
  auto out = dir / "run.out";
  // A report folder of its own each run: runs kept beside it would make each history page longer
  // than the last, a cost of the order of the runs, not of the exchanges.
  fs::remove_all(dir / "run-report");
  std::vector<std::string> argv = {athil.string(), "run", "--rig", rig.string(), scenario.string(), "--junit", (dir / "run-report" / "junit.xml").string()};
  auto [status, text] = run_to_file(argv, out);
  // athil's own figures, from its last line: wait4's would add the virtual module's (a child it reaps).
  auto cpu = text.find("its CPU: "), faults = text.find(" page faults)");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || cpu == std::string::npos || faults == std::string::npos)
    throw std::runtime_error(fmt::format("athil run failed ({}): {}", status, text));
  return {std::stod(text.substr(cpu + 9)), std::stol(text.substr(text.rfind('(', faults) + 1))};
}

// What this machine charges for the two things a run cannot avoid: a system call, and the first
// touch of a page of memory (a fault, and on some hypervisors a shadow page table's miss). Both
// move with the machine, not with athil, and set how far any harness can be from the floor.
struct MachinePrices {
  double syscall_us = 0, fresh_page_us = 0;
};
MachinePrices machine_prices() {
  constexpr int calls = 20'000;
  constexpr std::size_t pages = 2'000, page = 4096;
  MachinePrices m;
  double t0 = self_cpu();
  for (int i = 0; i < calls; ++i) ::syscall(SYS_getppid);
  m.syscall_us = (self_cpu() - t0) / calls * 1e6;
  void* mem = ::mmap(nullptr, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw std::runtime_error("mmap failed");
  auto* bytes = static_cast<volatile char*>(mem);
  t0 = self_cpu();
  for (std::size_t i = 0; i < pages; ++i) bytes[i * page] = 1;
  m.fresh_page_us = (self_cpu() - t0) / pages * 1e6;
  ::munmap(mem, pages * page);
  return m;
}

// Where the processes run. An exchange's cost to the kernel depends on it, and by more than
// athil's own work: waking a process on the other CPU costs an interrupt between them and often
// an idle CPU's wake-up, and a free placement changes as the scheduler moves them. Every party on
// one CPU is the same for each, run after run, and shows what each adds to the system calls.
enum class Placement { one_cpu, free };

const char* name_of(Placement p) { return p == Placement::one_cpu ? "every process on one CPU" : "where the scheduler puts them"; }

// This thread, and every thread of the module, on `p`'s CPUs; processes started later inherit it.
void place(Placement p, const cpu_set_t& all, int module_pid) {
  cpu_set_t set = all;
  if (p == Placement::one_cpu) {
    int first = 0;
    while (!CPU_ISSET(first, &all)) ++first;
    CPU_ZERO(&set);
    CPU_SET(first, &set);
  }
  if (::sched_setaffinity(0, sizeof set, &set) != 0) throw std::runtime_error("sched_setaffinity failed");
  for (const auto& task : fs::directory_iterator(fmt::format("/proc/{}/task", module_pid)))
    ::sched_setaffinity(std::stoi(task.path().filename().string()), sizeof set, &set);  // a thread that ended meanwhile: nothing to place
}

struct Parties {
  const rig::VirtualModuleProcess& module;
  std::string model;
  unsigned baud;
  double scale;
  fs::path athil, dir;
  std::string python, peer_script;
};

// One round's figures: each party's loop of `exchanges`, and a whole run's CPU and page faults an exchange.
struct Round {
  int exchanges = 0;
  LoopCost ours, bare, theirs;  // whole loops, in seconds
  double whole_us = 0, faults = 0;
  double us(const LoopCost& loop) const { return loop.cpu / exchanges * 1e6; }
};

// A round: athil's engine, the floor, the peer and a pair of whole runs (empty and with the
// exchanges) take turns, so that all see the same state of the machine.
Round round_of(const Parties& p, int exchanges) {
  Round r{.exchanges = exchanges};
  r.ours = athil_exchanges(p.module.port_link(), p.model, p.baud, p.scale, exchanges);
  r.bare = bare_exchanges(p.module.port_link(), exchanges);
  r.theirs = run_peer({p.python, p.peer_script, p.module.port_link(), std::to_string(p.baud), std::to_string(exchanges)}, p.dir / "peer.out");
  const RunCost empty = whole_run_cost(p.athil, p.dir, p.scale, 0), full = whole_run_cost(p.athil, p.dir, p.scale, exchanges);
  r.whole_us = (full.cpu - empty.cpu) / exchanges * 1e6;
  r.faults = static_cast<double>(full.faults - empty.faults) / exchanges;
  return r;
}

// The median of what `of` gives for each round, and the middle half of the rounds around it.
// The machine's drift reaches one round, not all: the median is what a second run would repeat.
struct Spread {
  double median = 0, low = 0, high = 0;
};
template <class F>
Spread spread_of(const std::vector<Round>& rounds, F of) {
  std::vector<double> v;
  for (const auto& r : rounds) v.push_back(of(r));
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return {.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, .low = v[n / 4], .high = v[(3 * n - 1) / 4]};
}

// The user-space share is sampled at the scheduler's tick: only the totals of all rounds say it.
double user_us(const std::vector<Round>& rounds, LoopCost Round::*party) {
  double user = 0, exchanges = 0;
  for (const auto& r : rounds) user += (r.*party).user, exchanges += r.exchanges;
  return user / exchanges * 1e6;
}

void print_cpu(const std::vector<Round>& rounds) {
  auto cost = [&](const char* who, auto of, const std::string& after) {
    Spread s = spread_of(rounds, of);
    fmt::print("   {:18} {:6.1f} us  ({:5.1f} to {:5.1f})  {}\n", who, s.median, s.low, s.high, after);
  };
  cost(
      "athil's engine", [](const Round& r) { return r.us(r.ours); }, fmt::format("{:5.1f} us in user space", user_us(rounds, &Round::ours)));
  cost(
      "athil run", [](const Round& r) { return r.whole_us; },
      fmt::format("the whole process, the exchanges written out in its scenario, over an empty run; {:.2f} page faults",
                  spread_of(rounds, [](const Round& r) { return r.faults; }).median));
  cost(
      "floor", [](const Round& r) { return r.us(r.bare); },
      fmt::format("{:5.1f} us in user space: the same system calls and nothing else", user_us(rounds, &Round::bare)));
  cost(
      "pexpect+pyserial", [](const Round& r) { return r.us(r.theirs); }, fmt::format("{:5.1f} us in user space", user_us(rounds, &Round::theirs)));
  auto ratio = [&](const char* what, auto of, const std::string& after) {
    Spread s = spread_of(rounds, of);
    fmt::print("   {:22} {:5.2f} x  ({:4.2f} to {:4.2f})  {}\n", what, s.median, s.low, s.high, after);
  };
  ratio(
      "whole run / floor", [](const Round& r) { return r.whole_us / r.us(r.bare); }, "goal: within 1.3 x");
  ratio(
      "pexpect / whole run", [](const Round& r) { return r.us(r.theirs) / r.whole_us; }, "goal: at least 3.5 x");
  // Both goals are ratios to system calls whose cost is the machine's: where they are dear,
  // pexpect's own ratio to the floor is the ceiling of the second.
  ratio(
      "pexpect / floor", [](const Round& r) { return r.us(r.theirs) / r.us(r.bare); }, "the most any harness could reach against pexpect here");
  ratio(
      "pexpect / engine", [](const Round& r) { return r.us(r.theirs) / r.us(r.ours); }, "");
}

// The module's turnarounds (its last byte of a final result code to the host's first of the
// next command) for athil's engine and for the peer, taking turns; at the line's own rate.
void print_turnarounds(const Parties& p, int rounds, int exchanges) {
  std::vector<Turnaround> ours, theirs;
  for (int round = 0; round < rounds; ++round) {
    turnaround(p.module.control_socket());  // forget what came before
    athil_exchanges(p.module.port_link(), p.model, p.baud, p.scale, exchanges);
    ours.push_back(turnaround(p.module.control_socket()));
    run_peer({p.python, p.peer_script, p.module.port_link(), std::to_string(p.baud), std::to_string(exchanges)}, p.dir / "peer.out");
    theirs.push_back(turnaround(p.module.control_socket()));
  }
  // Percentiles do not add up over rounds: the median round's p50, the worst round's p99 and max.
  auto print = [](const char* who, std::vector<Turnaround> t) {
    long count = 0, p99 = 0, max = 0;
    for (const auto& r : t) count += r.count, p99 = std::max(p99, r.p99), max = std::max(max, r.max);
    std::sort(t.begin(), t.end(), [](const Turnaround& a, const Turnaround& b) { return a.p50 < b.p50; });
    fmt::print("   {:16} p50 {:7.3f} ms   p99 {:7.3f} ms   max {:7.3f} ms   ({} samples)\n", who, t[t.size() / 2].p50 / 1e3, p99 / 1e3, max / 1e3, count);
  };
  print("athil", ours);
  print("pexpect+pyserial", theirs);
}

// A module started and powered on (PWRKEY held 1.2 s, module seconds), answering AT, its boot
// URCs read.
void power_on(const rig::Slot& slot, const rig::VirtualModuleProcess& module, double scale, unsigned baud) {
  auto pins = rig::connect_virtual_pins(slot.name, module.control_socket());
  pins->set(rig::PinRole::pwrkey, rig::Level::low);
  std::this_thread::sleep_for(std::chrono::duration<double>(1.2 * scale));
  pins->set(rig::PinRole::pwrkey, rig::Level::high);
  Timeline timeline;
  SerialPort port(module.port_link(), SerialPort::Settings{baud, false, baud / scale});
  AtEngine engine(port, timeline, Dialect::sim70x0(slot.model));
  for (auto until = Clock::now() + 60s;;) {
    engine.send_command("AT", Clock::now() + 1s);
    if (engine.expect_response([](const std::string& l) { return l == "OK"; }, Clock::now() + 500ms).kind == AtEngine::ExpectResult::Kind::matched) break;
    if (Clock::now() > until) throw std::runtime_error("the module never answered AT");
  }
  engine.drain_until(Clock::now() + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(3.0 * scale)));  // boot URCs
}

// Seconds to write `size` bytes through AT+CFSWFILE in 10,000-byte chunks, checked by AT+CFSGFIS.
double transfer_seconds(const rig::Slot& slot, const rig::VirtualModuleProcess& module, double scale, unsigned baud, std::size_t size) {
  Timeline timeline;
  SerialPort port(module.port_link(), SerialPort::Settings{baud, false, baud / scale});
  AtEngine engine(port, timeline, Dialect::sim70x0(slot.model));
  std::string payload(size, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>((i * 7919) & 0xff);
  engine.send_command("AT+CFSINIT", Clock::now() + 1s);
  expect(engine, "OK");
  auto t0 = Clock::now();
  for (std::size_t offset = 0; offset < payload.size(); offset += 10'000) {
    std::size_t n = std::min<std::size_t>(10'000, payload.size() - offset);
    engine.send_command(fmt::format("AT+CFSWFILE=3,\"bench.bin\",{},{},10000", offset ? 1 : 0, n), Clock::now() + 1s);
    expect(engine, "DOWNLOAD");
    engine.send_raw(std::string_view(payload).substr(offset, n), Clock::now() + 60s);
    expect(engine, "OK", 60s);
  }
  double took = std::chrono::duration<double>(Clock::now() - t0).count();
  engine.send_command("AT+CFSGFIS=3,\"bench.bin\"", Clock::now() + 1s);
  expect(engine, fmt::format("+CFSGFIS: {}", payload.size()));
  return took;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    fmt::print(stderr, "usage: at_bench ATHIL_EXE PEXPECT_SCRIPT PYTHON3 [EXCHANGES] [TIME_SCALE] [CPU_TIME_SCALE]\n");
    return 2;
  }
  const fs::path athil = argv[1];
  const std::string peer_script = argv[2], python = argv[3];
  const int exchanges = argc > 4 ? std::stoi(argv[4]) : 10'000;
  const double scale = argc > 5 ? std::stod(argv[5]) : 1.0;
  const double cpu_scale = argc > 6 ? std::stod(argv[6]) : 0.1;
  const unsigned baud = 115200;

  RunTempDir temp;  // removed after the modules have stopped, however the bench ends
  const fs::path& dir = temp.path();
  const rig::Slot slot{.name = "bench", .model = "SIM7080G", .firmware = "1951B02SIM7080G", .kind = rig::VirtualSlot{}};
  const std::size_t payload_size = 100 * 1024;
  constexpr int turnaround_rounds = 3;
  const int turnaround_exchanges = std::max(1, std::min(exchanges, 3'000) / turnaround_rounds);
  fmt::print("AT engine against a virtual SIM7080G at {} baud, time scale {} (the line runs at {:.0f} baud)\n", baud, scale, baud / scale);
  double took = 0;
  {
    rig::VirtualModuleProcess module(slot, scale, {athil, dir, dir / "sim.log"});
    power_on(slot, module, scale, baud);
    took = transfer_seconds(slot, module, scale, baud, payload_size);
    fmt::print("\n1. turnaround, measured by the module over {} exchanges of AT+CSQ by each, taking turns in {} rounds (goal: athil p99 under 1 ms)\n",
               turnaround_exchanges * turnaround_rounds, turnaround_rounds);
    print_turnarounds(
        {.module = module, .model = slot.model, .baud = baud, .scale = scale, .athil = athil, .dir = dir, .python = python, .peer_script = peer_script},
        turnaround_rounds, turnaround_exchanges);
  }

  // The CPU rounds run the line faster than it runs on a rack: the same system calls an exchange
  // (the echo and the answer wake the host twice either way), but at 115200 baud the CPU idles
  // between them, and on a VM waking it costs every party alike and moves by half from one round
  // to the next. What each party adds shows in the gaps the machine leaves steady.
  constexpr int rounds = 9;
  const int per_round = std::max(1, exchanges / rounds);
  rig::VirtualModuleProcess module(slot, cpu_scale, {athil, dir, dir / "sim-cpu.log"});
  power_on(slot, module, cpu_scale, baud);
  cpu_set_t all;
  if (::sched_getaffinity(0, sizeof all, &all) != 0) throw std::runtime_error("sched_getaffinity failed");
  const Parties parties{
      .module = module, .model = slot.model, .baud = baud, .scale = cpu_scale, .athil = athil, .dir = dir, .python = python, .peer_script = peer_script};
  fmt::print("\n2. CPU per exchange of the host process (the goals are ratios, in the rows that name them), time scale {} (the line at {:.0f} baud),\n",
             cpu_scale, baud / cpu_scale);
  fmt::print("   {} rounds of {} exchanges each placement: the median round, and in brackets the middle half of the rounds\n", rounds, per_round);
  const MachinePrices prices = machine_prices();
  fmt::print("  this machine's prices: a system call {:.2f} us, the first touch of a page {:.2f} us\n", prices.syscall_us, prices.fresh_page_us);
  for (Placement p : {Placement::free, Placement::one_cpu}) {
    place(p, all, module.pid());
    std::vector<Round> figures;
    for (int round = 0; round < rounds; ++round) figures.push_back(round_of(parties, per_round));
    fmt::print("  {}:\n", name_of(p));
    print_cpu(figures);
  }
  place(Placement::free, all, module.pid());
  fmt::print("   (CPU totals are the scheduler's exact run time; the user-space share is sampled at its tick and only approximate)\n");

  double wire = static_cast<double>(payload_size) * 10 / baud * scale;
  fmt::print("\n3. transfer of {} bytes through AT+CFSWFILE in 10,000-byte chunks (goal: at least 95 % of the line rate)\n", payload_size);
  fmt::print("   {:.3f} s against {:.3f} s of wire time: {:.1f} % of the line rate\n", took, wire, wire / took * 100);
  return 0;
}
