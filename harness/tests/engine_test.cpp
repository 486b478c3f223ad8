#include <doctest/doctest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <thread>

#include "at/engine.hpp"
#include "at/framer.hpp"
#include "base/error.hpp"
#include "base/escape.hpp"
#include "base/fd.hpp"
#include "transport/reattaching_port.hpp"
#include "transport/serial_port.hpp"

using namespace athil;
using namespace std::chrono_literals;

namespace doctest {
template <>
struct StringMaker<std::vector<Frame>> {
  static String convert(const std::vector<Frame>& frames) {
    std::string s;
    for (const auto& f : frames) s += (f.kind == Frame::Kind::prompt ? "prompt:" : "line:") + escape_bytes(f.text) + " | ";
    return s.c_str();
  }
};
}  // namespace doctest

namespace {

std::vector<Frame> frames_of(std::string_view bytes) {
  LineFramer f;
  std::vector<Frame> out;
  f.feed(bytes, out);
  return out;
}

Frame line(std::string s) { return Frame{Frame::Kind::line, std::move(s)}; }
Frame prompt(std::string s) { return Frame{Frame::Kind::prompt, std::move(s)}; }

// Byte sequences as real modules sent them (../shared/transcripts, copied so the tests run without it).
const std::string sim7000e_gmr = "AT+GMR\r\r\nRevision:1351B05SIM7000E\r\n\r\nOK\r\n";  // 07: echo with the host's CR
const std::string sim7000_caopen = "AT+CAOPEN=0,\"x.azure-devices.net\",8883\r\n\r\n+CAOPEN: 0,0\r\n\r\n \r\n\r\nOK\r\n";  // 08: stray " " line
const std::string sim7000_casend = "AT+CASEND=0,5\r\n\r\n> ";  // 08: prompt without line end
const std::string sim7000_smpub = "AT+SMPUB=\"ryan\",\"8\",1,1\r\r\n> test626\r\n\r\n+SMSTATE: 0\r\n\r\nOK\r\n";  // 06: prompt, payload echo, URC before the final OK

// The module's side of a pseudo-terminal; the harness opens the slave as a serial port.
struct PtyPair {
  UniqueFd master;
  std::string slave;
  PtyPair() {
    master.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    REQUIRE(master);
    REQUIRE(::grantpt(master.get()) == 0);
    REQUIRE(::unlockpt(master.get()) == 0);
    slave = ::ptsname(master.get());
  }
  void module_says(std::string_view bytes) const { REQUIRE(::write(master.get(), bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size())); }
  std::string host_sent() const {
    std::string out;
    char buf[512];
    for (int i = 0; i < 100; ++i) {
      ssize_t n = ::read(master.get(), buf, sizeof buf);
      if (n > 0) out.append(buf, static_cast<std::size_t>(n));
      if (!out.empty() && out.back() == '\r') break;
    }
    return out;
  }
};

struct Rig {
  PtyPair pty;
  SerialPort port{pty.slave, SerialPort::Settings{}};
  Timeline timeline;
  AtEngine engine{port, timeline, UrcTable::sim70x0()};
};

AtEngine::LineTest equals(std::string text) {
  return [text](const std::string& l) { return l == text; };
}

}  // namespace

TEST_CASE("framer: lines, blank lines and prompts, whatever the chunking") {
  const std::vector<std::pair<std::string, std::vector<Frame>>> cases = {
      {sim7000e_gmr, {line("AT+GMR"), line("Revision:1351B05SIM7000E"), line("OK")}},
      {sim7000_caopen, {line("AT+CAOPEN=0,\"x.azure-devices.net\",8883"), line("+CAOPEN: 0,0"), line("OK")}},
      {sim7000_casend, {line("AT+CASEND=0,5"), prompt("> ")}},
      {"AT+CFSWFILE=3,\"a\",0,10,5000\r\r\nDOWNLOAD", {line("AT+CFSWFILE=3,\"a\",0,10,5000"), prompt("DOWNLOAD")}},
      {"~}#\xc0!}!\xff\x01~\r\nNORMAL POWER DOWN\r\n", {line("~}#\xc0!}!\xff\x01~"), line("NORMAL POWER DOWN")}},  // power-up garbage
  };
  for (const auto& [bytes, expected] : cases) {
    CAPTURE(bytes);
    CHECK(frames_of(bytes) == expected);
    // Split at every byte boundary, and byte by byte: the same frames.
    for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
      LineFramer f;
      std::vector<Frame> out;
      f.feed(std::string_view(bytes).substr(0, cut), out);
      f.feed(std::string_view(bytes).substr(cut), out);
      CHECK(out == expected);
    }
    LineFramer f;
    std::vector<Frame> out;
    for (char c : bytes) f.feed(std::string_view(&c, 1), out);
    CHECK(out == expected);
  }
}

TEST_CASE("framer: a line that never ends is cut into bounded pieces, no byte lost") {
  std::string endless(3 * LineFramer::max_line_bytes + 10, 'x');
  auto frames = frames_of(endless + "\r\nOK\r\n");
  REQUIRE(frames.size() == 5);
  std::string joined;
  for (std::size_t i = 0; i < 4; ++i) joined += frames[i].text;
  CHECK(joined == endless);
  CHECK(frames[4] == line("OK"));
}

TEST_CASE("engine: echo is skipped, the response and final OK are taken in order") {
  Rig r;
  r.engine.send_command("AT+GMR", Clock::now() + 1s);
  CHECK(r.pty.host_sent() == "AT+GMR\r");
  r.pty.module_says(sim7000e_gmr);
  auto rev = r.engine.expect_response(equals("Revision:1351B05SIM7000E"), Clock::now() + 2s);
  CHECK(rev.kind == AtEngine::ExpectResult::Kind::matched);
  CHECK(rev.passed_over.empty());  // the echo was not a response line
  CHECK(r.engine.expect_response(equals("OK"), Clock::now() + 2s).kind == AtEngine::ExpectResult::Kind::matched);
  // Every byte is on the timeline.
  std::string received;
  for (const auto& e : r.timeline.events())
    if (e.dir == Direction::from_module) received += e.data;
  CHECK(received == sim7000e_gmr);
}

TEST_CASE("engine: a URC inside a response goes to the URC queue, never to the expectation") {
  Rig r;
  r.engine.send_command("AT+SMPUB=\"ryan\",\"8\",1,1", Clock::now() + 1s);
  r.pty.module_says(sim7000_smpub);
  auto ok = r.engine.expect_response(equals("OK"), Clock::now() + 2s);
  CHECK(ok.kind == AtEngine::ExpectResult::Kind::matched);
  REQUIRE(ok.passed_over.size() == 2);
  CHECK(ok.passed_over[0].text == "> ");
  CHECK(ok.passed_over[1].text == "test626");  // the payload's echo
  CHECK(r.engine.wait_urc(equals("+SMSTATE: 0"), Clock::now()).has_value());
}

TEST_CASE("engine: a different final result code ends the wait at once") {
  Rig r;
  r.engine.send_command("AT+SHCONN", Clock::now() + 1s);
  r.pty.module_says("AT+SHCONN\r\r\nERROR\r\n");
  auto started = Clock::now();
  auto res = r.engine.expect_response(equals("OK"), Clock::now() + 30s);
  CHECK(res.kind == AtEngine::ExpectResult::Kind::other_final);
  CHECK(res.line.text == "ERROR");
  CHECK(Clock::now() - started < 20s);  // not the 30 s timeout: bound wide for a loaded machine
}

TEST_CASE("engine: a reply after a timeout is reported late, never handed to the next command") {
  Rig r;
  r.engine.send_command("AT+CSQ", Clock::now() + 1s);
  auto res = r.engine.expect_response(equals("+CSQ: 20,99"), Clock::now() + 50ms);
  CHECK(res.kind == AtEngine::ExpectResult::Kind::timeout);
  r.pty.module_says("AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n");
  r.engine.drain_until(Clock::now() + 100ms);
  r.engine.send_command("AT+CPIN?", Clock::now() + 1s);
  REQUIRE(r.engine.late_replies().size() == 2);
  CHECK(r.engine.late_replies()[0].text == "+CSQ: 20,99");
  CHECK(r.engine.late_replies()[1].text == "OK");
  auto next = r.engine.expect_response(equals("OK"), Clock::now() + 50ms);
  CHECK(next.kind == AtEngine::ExpectResult::Kind::timeout);  // the old OK is not this command's
}

TEST_CASE("engine: unsolicited lines between commands are URCs, a URC wait finds earlier ones") {
  Rig r;
  r.pty.module_says("\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nSMS Ready\r\n");
  CHECK(r.engine.wait_urc(equals("SMS Ready"), Clock::now() + 2s).has_value());
  CHECK(r.engine.wait_urc(equals("RDY"), Clock::now()).has_value());  // arrived earlier, still counts
  CHECK(r.engine.urcs().size() == 2);
  CHECK_FALSE(r.engine.wait_urc(equals("RDY"), Clock::now() + 20ms).has_value());  // taken once only
}

TEST_CASE("engine: +CFUN: 1 is the answer to AT+CFUN? but a URC otherwise") {
  Rig r;
  r.engine.send_command("AT+CFUN?", Clock::now() + 1s);
  r.pty.module_says("AT+CFUN?\r\r\n+CPIN: READY\r\n\r\n+CFUN: 1\r\n\r\nOK\r\n");
  CHECK(r.engine.expect_response(equals("+CFUN: 1"), Clock::now() + 2s).kind == AtEngine::ExpectResult::Kind::matched);
  CHECK(r.engine.wait_urc(equals("+CPIN: READY"), Clock::now() + 1s).has_value());
}

TEST_CASE("serial port: a missing port, and a port that goes away, are infrastructure errors naming it") {
  CHECK_THROWS_WITH_AS(SerialPort("/dev/athil-no-such-port", SerialPort::Settings{}), doctest::Contains("/dev/athil-no-such-port: cannot open"), InfraError);
  CHECK_THROWS_WITH_AS(SerialPort("/dev/null", SerialPort::Settings{}), doctest::Contains("/dev/null"), InfraError);
  auto pty = std::make_unique<PtyPair>();
  SerialPort port(pty->slave, SerialPort::Settings{});
  CHECK_THROWS_WITH_AS(SerialPort(pty->slave, SerialPort::Settings{}), doctest::Contains("in use"), InfraError);
  pty.reset();  // the module side closes
  CHECK_THROWS_WITH_AS(port.read_some(Clock::now() + 2s), doctest::Contains("went away"), InfraError);
}

TEST_CASE("reattaching port: waits for a path that is not there yet, and gives up at the reattach limit") {
  auto dir = std::filesystem::temp_directory_path() / ("athil-reattach-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto link = dir / "port";
  std::vector<std::string> notes;
  ReattachingPort port(link, SerialPort::Settings{}, 300ms, [&](const std::string& n) { notes.push_back(n); });
  CHECK(port.read_some(Clock::now() + 50ms).empty());  // not there yet: nothing, no error
  PtyPair pty;
  std::filesystem::create_symlink(pty.slave, link);
  CHECK(port.read_some(Clock::now()).empty());  // opens it (raw) as soon as it is there
  pty.module_says("\r\nRDY\r\n");
  CHECK(port.read_some(Clock::now() + 2s) == "\r\nRDY\r\n");
  CHECK(port.reattachments() == 0);  // the first open is no reattachment
  std::filesystem::remove(link);
  pty.master.reset();  // the device goes away
  CHECK_THROWS_WITH_AS(port.read_some(Clock::now() + 10s), doctest::Contains("gone for more than 300ms"), InfraError);
  REQUIRE(!notes.empty());
  CHECK(notes[0].find("port gone") == 0);
  std::filesystem::remove_all(dir);
}
