// The transports: serial ports (on pseudo-terminals), reattaching ports, TCP (on loopback).
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <termios.h>

#include <atomic>
#include <thread>
#include <vector>

#include "base/error.hpp"
#include "pty_pair.hpp"
#include "transport/open_port.hpp"
#include "transport/serial_port.hpp"
#include "transport/tcp_port.hpp"

using namespace athil;
using namespace std::chrono_literals;
using athil::test::PtyPair;

namespace {

// Reads the master side until `n` bytes came or `limit` passed; what came.
std::string module_reads(const PtyPair& pty, std::size_t n, Duration limit) {
  std::string got;
  auto until = Clock::now() + limit;
  ::fcntl(pty.master.get(), F_SETFL, O_NONBLOCK);
  char buf[4096];
  while (got.size() < n && Clock::now() < until) {
    ssize_t r = ::read(pty.master.get(), buf, sizeof buf);
    if (r > 0)
      got.append(buf, static_cast<std::size_t>(r));
    else
      std::this_thread::sleep_for(1ms);
  }
  return got;
}

// A loopback TCP listener standing in for ser2net.
struct Listener {
  UniqueFd fd;
  int port = 0;
  Listener() {
    fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd.get(), 4) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  std::string address() const { return "socket://127.0.0.1:" + std::to_string(port); }
  UniqueFd accept_one() const { return UniqueFd(::accept4(fd.get(), nullptr, nullptr, SOCK_CLOEXEC)); }
};

}  // namespace

TEST_CASE("serial port: a missing port, and a port that goes away, are infrastructure errors naming it") {
  CHECK_THROWS_WITH_AS(SerialPort("/dev/athil-no-such-port", SerialPort::Settings{}), doctest::Contains("/dev/athil-no-such-port: cannot open"), InfraError);
  CHECK_THROWS_WITH_AS(SerialPort("/dev/null", SerialPort::Settings{}), doctest::Contains("/dev/null"), InfraError);
  auto pty = std::make_unique<PtyPair>();
  SerialPort port(pty->slave, SerialPort::Settings{});
  pty.reset();  // the module side closes
  CHECK_THROWS_WITH_AS(port.read_some(Clock::now() + 2s), doctest::Contains("went away"), InfraError);
}

TEST_CASE("serial port: a second user is refused with the holder's pid and command line") {
  PtyPair pty;
  SerialPort first(pty.slave, SerialPort::Settings{});
  std::string holder = "pid " + std::to_string(::getpid()) + " (";
  CHECK_THROWS_WITH_AS(SerialPort(pty.slave, SerialPort::Settings{}), doctest::Contains(holder.c_str()), InfraError);
  CHECK_THROWS_WITH_AS(SerialPort(pty.slave, SerialPort::Settings{}), doctest::Contains("athil_tests"), InfraError);
}

TEST_CASE("serial port: standard rates up to 4000000, 3686400 included, and nothing else") {
  PtyPair pty;
  // A rate without a termios constant is read back after it is set: constructing is the proof.
  for (unsigned baud : {9600u, 115200u, 921600u, 3000000u, 3686400u}) {
    CAPTURE(baud);
    SerialPort port(pty.slave, SerialPort::Settings{baud, false});
    termios tio{};
    UniqueFd look(::open(pty.slave.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK));
    if (look) {  // TIOCEXCL keeps it out unless root: check the rate where we can look
      REQUIRE(::tcgetattr(look.get(), &tio) == 0);
      if (baud == 115200u) CHECK(::cfgetospeed(&tio) == B115200);
    }
  }
  CHECK_THROWS_WITH_AS(SerialPort(pty.slave, SerialPort::Settings{115201, false}), doctest::Contains("not a standard baud rate"), InfraError);
  CHECK(is_standard_baud(3686400));
  CHECK_FALSE(is_standard_baud(4000001));
}

TEST_CASE("serial port: a paced write keeps the line rate and a timeout stops it between chunks") {
  PtyPair pty;
  // 1152000 baud: 115200 bytes a second.
  SerialPort port(pty.slave, SerialPort::Settings{115200, false, 1'152'000});
  const std::string payload(23'040, 'x');  // 0.2 s of line
  std::string got;
  std::thread module([&] { got = module_reads(pty, payload.size(), 30s); });
  auto started = Clock::now();
  port.write_all(payload, Clock::now() + 30s);
  auto took = Clock::now() - started;
  module.join();
  CHECK(got == payload);
  // Bytes cannot leave faster than the line (the last chunk's own time is still on the wire).
  CHECK(took >= 190ms);
}

TEST_CASE("serial port: a write the deadline overtakes stops between chunks, and what is left is never sent") {
  PtyPair pty;
  // 102400 bytes at 115200 baud are 8.9 s of line: a 100 ms deadline stops the write early.
  SerialPort port(pty.slave, SerialPort::Settings{115200, false, 115200});
  const std::string payload(102'400, 'x');
  std::string got;
  std::thread module([&] { got = module_reads(pty, payload.size(), 3s); });
  auto started = Clock::now();
  CHECK_THROWS_WITH_AS(port.write_all(payload, Clock::now() + 100ms), doctest::Contains("write timed out with"), InfraError);
  CHECK(Clock::now() - started < 3s);  // not the 8.9 s the whole payload needs; wide for a loaded machine
  module.join();
  CHECK(got.size() < payload.size() / 4);
}

TEST_CASE("reattaching port: waits for a path that is not there yet, and gives up at the reattach limit") {
  auto dir = std::filesystem::temp_directory_path() / ("athil-reattach-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto link = dir / "port";
  std::vector<std::string> notes;
  auto port = open_port(PortSettings{link.string(), 115200, false, 0, 300ms}, [&](const std::string& n) { notes.push_back(n); });
  CHECK(port->read_some(Clock::now() + 50ms).empty());  // not there yet: nothing, no error
  PtyPair pty;
  std::filesystem::create_symlink(pty.slave, link);
  CHECK(port->read_some(Clock::now()).empty());  // opens it (raw) as soon as it is there
  pty.module_says("\r\nRDY\r\n");
  CHECK(port->read_some(Clock::now() + 2s) == "\r\nRDY\r\n");
  CHECK(port->reattachments() == 0);  // the first open is no reattachment
  std::filesystem::remove(link);
  pty.master.reset();  // the device goes away
  CHECK_THROWS_WITH_AS(port->read_some(Clock::now() + 10s), doctest::Contains("gone for more than 300ms"), InfraError);
  REQUIRE(!notes.empty());
  CHECK(notes[0].find("port gone") == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("reattaching port: a module (re)started while its port is away gets the whole reattach limit from then") {
  auto dir = std::filesystem::temp_directory_path() / ("athil-restart-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto link = dir / "port";
  auto port = open_port(PortSettings{link.string(), 115200, false, 0, 300ms}, {});
  // A USB module left off for longer than the limit: nobody waited on it, so nothing is wrong yet.
  std::this_thread::sleep_for(400ms);
  port->restart_expected();  // PWRKEY pressed now
  CHECK(port->read_some(Clock::now() + 100ms).empty());
  PtyPair pty;
  std::filesystem::create_symlink(pty.slave, link);
  CHECK(port->read_some(Clock::now()).empty());  // opened (raw) before the module speaks
  pty.module_says("\r\nRDY\r\n");
  CHECK(port->read_some(Clock::now() + 2s) == "\r\nRDY\r\n");
  // Without a restart, the same wait past the limit is an error.
  std::filesystem::remove(link);
  pty.master.reset();
  CHECK_THROWS_WITH_AS(port->read_some(Clock::now() + 2s), doctest::Contains("gone for more than 300ms"), InfraError);
  std::filesystem::remove_all(dir);
}

TEST_CASE("tcp port: bytes both ways through a raw TCP port, a closed connection is a gone port") {
  Listener server;
  TcpPort port(server.address(), 0, 2s);
  UniqueFd conn = server.accept_one();
  REQUIRE(conn);
  port.write_all("AT\r", Clock::now() + 1s);
  char buf[16];
  CHECK(::read(conn.get(), buf, sizeof buf) == 3);
  CHECK(::write(conn.get(), "\r\nOK\r\n", 6) == 6);
  CHECK(port.read_some(Clock::now() + 2s) == "\r\nOK\r\n");
  conn.reset();
  CHECK_THROWS_AS(port.read_some(Clock::now() + 2s), PortGone);
}

TEST_CASE("serial port: what the module sent before a look is there at that look, every time") {
  // The engine looks just before it writes a command: a line already sent (RDY) must be sorted
  // before the command's response window opens, never after.
  PtyPair pty;
  SerialPort port(pty.slave, SerialPort::Settings{});
  // Busy CPUs delay the kernel's hand-over of received bytes to the terminal (a worker thread),
  // as a loaded rack host does.
  std::atomic<bool> done = false;
  std::vector<std::jthread> busy;
  for (unsigned i = 0; i < std::max(2u, std::thread::hardware_concurrency()); ++i)
    busy.emplace_back([&] {
      while (!done) {}
    });
  for (int round = 0; round < 300; ++round) {
    CAPTURE(round);
    pty.module_says("\r\nRDY\r\n");
    REQUIRE(port.read_some(Clock::now()) == "\r\nRDY\r\n");
  }
  done = true;
  CHECK(port.read_some(Clock::now()).empty());
}

TEST_CASE(
    "tcp port: more than one read's worth comes whole, a read that filled its buffer says it left bytes, and a close right after the last bytes is a gone "
    "port") {
  Listener server;
  TcpPort port(server.address(), 0, 2s);
  UniqueFd conn = server.accept_one();
  REQUIRE(conn);
  std::string burst(20'000, 'x');
  for (std::size_t i = 0; i < burst.size(); i += 101) burst[i] = '\n';
  REQUIRE(::write(conn.get(), burst.data(), burst.size()) == static_cast<ssize_t>(burst.size()));
  // Nothing more arrives after the burst: every byte of it must come all the same.
  std::string got;
  int full_reads = 0;  // the engine dates a line by the last read that took all there was
  for (auto until = Clock::now() + 10s; got.size() < burst.size() && Clock::now() < until;) {
    std::string chunk = port.read_some(until);
    got += chunk;
    if (chunk.size() < 4096) continue;  // the reader's buffer
    ++full_reads;
    CHECK_FALSE(port.took_all());
  }
  CHECK(got == burst);
  CHECK(full_reads > 0);
  REQUIRE(::write(conn.get(), "\r\nRDY\r\n", 7) == 7);
  CHECK(port.read_some(Clock::now() + 10s) == "\r\nRDY\r\n");
  CHECK(port.took_all());
  REQUIRE(::write(conn.get(), "\r\nOK\r\n", 6) == 6);
  conn.reset();
  CHECK(port.read_some(Clock::now() + 10s) == "\r\nOK\r\n");
  auto t0 = Clock::now();
  CHECK_THROWS_AS(port.read_some(t0 + 10s), PortGone);
  CHECK(Clock::now() - t0 < 5s);  // at the close, not at the deadline
}

TEST_CASE("tcp port: a refused connection and a malformed address are errors naming the address") {
  int free_port = 0;
  {
    Listener gone;
    free_port = gone.port;
  }
  std::string address = "socket://127.0.0.1:" + std::to_string(free_port);
  CHECK_THROWS_WITH_AS(TcpPort(address, 0, 2s), doctest::Contains((address + ": cannot connect: Connection refused").c_str()), InfraError);
  CHECK(tcp_address_problem("socket://127.0.0.1") == "the address needs :PORT after the host");
  CHECK(tcp_address_problem("socket://host:99999") == "'99999' is not a TCP port number (1-65535)");
  CHECK(tcp_address_problem("socket://[::1]:3001").empty());
}

TEST_CASE("tcp port: reconnects when ser2net drops the connection and takes it again") {
  Listener server;
  std::vector<std::string> notes;
  auto port = open_port(PortSettings{server.address(), 115200, false, 0, 5s}, [&](const std::string& n) { notes.push_back(n); });
  UniqueFd conn = server.accept_one();
  conn.reset();  // the device behind ser2net went away
  std::thread again([&] {
    conn = server.accept_one();
    ::write(conn.get(), "\r\nRDY\r\n", 7);
  });
  std::string got;
  auto until = Clock::now() + 10s;
  while (got.find("RDY") == std::string::npos && Clock::now() < until) got += port->read_some(Clock::now() + 100ms);
  again.join();
  CHECK(got == "\r\nRDY\r\n");
  CHECK(port->reattachments() == 1);
  REQUIRE(notes.size() == 2);
  CHECK(notes[0].find("port gone") == 0);
  CHECK(notes[1].find("port back") == 0);
}
