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
#include "module_bytes.hpp"
#include "pty_pair.hpp"
#include "transport/reattaching_port.hpp"
#include "transport/serial_port.hpp"

using namespace athil;
using namespace std::chrono_literals;
using namespace athil::test::module_bytes;
using athil::test::PtyPair;

namespace {

struct Rig {
  PtyPair pty;
  SerialPort port{pty.slave, SerialPort::Settings{}};
  Timeline timeline;
  AtEngine engine{port, timeline, Dialect::sim70x0("SIM7080G")};
};

AtEngine::LineTest equals(std::string text) {
  return [text](const std::string& l) { return l == text; };
}

}  // namespace

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

TEST_CASE("engine: echo on, off after ATE0, and on again after the module restarts") {
  Rig r;
  r.engine.send_command("ATE0", Clock::now() + 1s);
  r.pty.module_says("ATE0\r\r\nOK\r\n");  // 05: ATE0 is itself echoed
  CHECK(r.engine.expect_response(equals("OK"), Clock::now() + 5s).passed_over.empty());
  r.engine.send_command("AT+CGMM", Clock::now() + 1s);
  r.pty.module_says("\r\nSIMCOM_SIM7070\r\n\r\nOK\r\n");  // no echo now
  CHECK(r.engine.expect_response(equals("SIMCOM_SIM7070"), Clock::now() + 5s).kind == AtEngine::ExpectResult::Kind::matched);
  CHECK(r.engine.expect_response(equals("OK"), Clock::now() + 5s).kind == AtEngine::ExpectResult::Kind::matched);
  r.pty.module_says("\r\nRDY\r\n");  // ATE is not saved: after a restart the module echoes again
  r.engine.send_command("AT+CGMM", Clock::now() + 1s);
  r.pty.module_says("AT+CGMM\r\r\nSIMCOM_SIM7070\r\n\r\nOK\r\n");
  auto model = r.engine.expect_response(equals("SIMCOM_SIM7070"), Clock::now() + 5s);
  CHECK(model.kind == AtEngine::ExpectResult::Kind::matched);
  CHECK(model.passed_over.empty());  // the echo was not taken for a response line
  CHECK(r.engine.late_replies().empty());
}

TEST_CASE("engine: a URC at every line boundary of a response goes to the queue, the response is whole") {
  const std::string response = "AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n";
  const std::string urc = "\r\n+CEREG: 0,5\r\n";
  for (std::size_t at = 0; at <= response.size(); ++at) {
    if (at != 0 && response[at - 1] != '\n') continue;  // a module puts a URC between lines, not inside one
    CAPTURE(at);
    Rig r;
    r.engine.send_command("AT+CSQ", Clock::now() + 1s);
    r.pty.module_says(response.substr(0, at) + urc + response.substr(at));
    auto csq = r.engine.expect_response(equals("+CSQ: 20,99"), Clock::now() + 5s);
    CHECK(csq.kind == AtEngine::ExpectResult::Kind::matched);
    CHECK(csq.passed_over.empty());
    CHECK(r.engine.expect_response(equals("OK"), Clock::now() + 5s).kind == AtEngine::ExpectResult::Kind::matched);
    CHECK(r.engine.wait_urc(equals("+CEREG: 0,5"), Clock::now() + 1s).has_value());
    CHECK(r.engine.late_replies().empty());
  }
}

TEST_CASE("engine: a reply still owed when the next command goes out is reported late, the next gets its own") {
  Rig r;
  r.engine.send_command("AT+COPS=?", Clock::now() + 1s);
  CHECK(r.engine.expect_response(equals("OK"), Clock::now() + 50ms).kind == AtEngine::ExpectResult::Kind::timeout);
  r.engine.send_command("AT", Clock::now() + 1s);
  // The module finishes the slow command first, then answers the new one.
  r.pty.module_says("AT+COPS=?\r\r\n+COPS: (1,\"TDC\",\"TDC\",\"23801\",7),,(0-4),(0-2)\r\n\r\nOK\r\nAT\r\r\nOK\r\n");
  auto ok = r.engine.expect_response(equals("OK"), Clock::now() + 5s);
  CHECK(ok.kind == AtEngine::ExpectResult::Kind::matched);
  CHECK(ok.passed_over.empty());
  // The old OK was not taken as the new command's: the new one is still answered exactly once.
  CHECK(r.engine.expect_response(equals("OK"), Clock::now() + 50ms).kind == AtEngine::ExpectResult::Kind::timeout);
  REQUIRE(r.engine.late_replies().size() == 2);
  CHECK(r.engine.late_replies()[0].text.rfind("+COPS: (1,", 0) == 0);
  CHECK(r.engine.late_replies()[1].text == "OK");
  std::string notes;
  for (const auto& e : r.timeline.events())
    if (e.dir == Direction::note) notes += e.data + "\n";
  CHECK(notes.find("late reply (the final result code of 'AT+COPS=?'): OK") != std::string::npos);
}

TEST_CASE("engine: a module that restarted owes nothing: after RDY the next OK is the next command's") {
  Rig r;
  r.engine.send_command("AT+CFUN=1,1", Clock::now() + 1s);
  CHECK(r.engine.expect_response(equals("OK"), Clock::now() + 20ms).kind == AtEngine::ExpectResult::Kind::timeout);
  r.pty.module_says("AT+CFUN=1,1\r\r\n\r\nRDY\r\n");  // it reset before its OK
  CHECK(r.engine.wait_urc(equals("RDY"), Clock::now() + 5s).has_value());
  r.engine.send_command("AT", Clock::now() + 1s);
  r.pty.module_says("AT\r\r\nOK\r\n");
  CHECK(r.engine.expect_response(equals("OK"), Clock::now() + 5s).kind == AtEngine::ExpectResult::Kind::matched);
  CHECK(r.engine.late_replies().empty());
}

TEST_CASE("engine: +NAME: lines answer a read command, but are URCs after a set command whose answer is OK") {
  Rig r;
  // 09/the reference: AT+HTTPTOFS="..." answers OK, later +HTTPTOFS: <status>,<length>. Here
  // the OK is slow, and the URC overtakes it.
  r.engine.send_command("AT+HTTPTOFS=\"http://10.0.0.1/u.zip\",\"/fota/update.zip\"", Clock::now() + 1s);
  r.pty.module_says("\r\n+HTTPTOFS: 200,109285\r\n\r\nOK\r\n");
  auto ok = r.engine.expect_response(equals("OK"), Clock::now() + 5s);
  CHECK(ok.kind == AtEngine::ExpectResult::Kind::matched);
  CHECK(ok.passed_over.empty());
  CHECK(r.engine.wait_urc(equals("+HTTPTOFS: 200,109285"), Clock::now()).has_value());
  r.engine.send_command("AT+HTTPTOFS?", Clock::now() + 1s);
  r.pty.module_says("AT+HTTPTOFS?\r\r\n+HTTPTOFS: 0,\"\",\"\"\r\n\r\nOK\r\n");
  CHECK(r.engine.expect_response(equals("+HTTPTOFS: 0,\"\",\"\""), Clock::now() + 5s).kind == AtEngine::ExpectResult::Kind::matched);
}

TEST_CASE("engine: a URC the scenario declares is a URC even inside a response") {
  Rig r;
  r.engine.send_command("AT+GMR", Clock::now() + 1s);
  r.pty.module_says("AT+GMR\r\r\n+MYAPP: 7\r\nRevision:1951B02SIM7080G\r\n\r\nOK\r\n");
  auto rev = r.engine.expect_response(equals("Revision:1951B02SIM7080G"), Clock::now() + 5s);
  REQUIRE(rev.passed_over.size() == 1);  // unknown: taken as part of the response
  CHECK(rev.passed_over[0].text == "+MYAPP: 7");

  UrcTable declared;
  declared.add_regex("\\+MYAPP: \\d+");
  r.engine.declare_urcs(std::move(declared));
  r.engine.send_command("AT+GMR", Clock::now() + 1s);
  r.pty.module_says("AT+GMR\r\r\n+MYAPP: 8\r\nRevision:1951B02SIM7080G\r\n\r\nOK\r\n");
  rev = r.engine.expect_response(equals("Revision:1951B02SIM7080G"), Clock::now() + 5s);
  CHECK(rev.passed_over.empty());
  CHECK(r.engine.wait_urc(equals("+MYAPP: 8"), Clock::now()).has_value());
}

TEST_CASE("a URC table matches a line by its whole text, by a prefix of any length, or by a regex") {
  UrcTable t;
  t.add_line("RDY");
  for (const char* p : {"+", "DS", "+CE", "+CFUN:", "\xff\xfe", "*PS"}) t.add_prefix(p);
  t.add_regex("\\d{3}");
  for (const char* yes : {"RDY", "+", "+X", "DST: 1", "+CE", "+CEREG: 1", "+CFUN: 1", "\xff\xfe\x80", "*PSUTTZ", "123"}) CHECK_MESSAGE(t.matches(yes), yes);
  for (const char* no : {"", "RDY ", "RD", "D", "OK", "CFUN:", "\xff", "\xfe\xff", "*P", "1234", "DT"}) CHECK_MESSAGE(!t.matches(no), no);
  UrcTable words;  // no one-byte prefix: a line must share the prefix's first bytes
  for (const char* p : {"+CEREG:", "+CFUN:"}) words.add_prefix(p);
  CHECK(words.matches("+CEREG: 0,1"));
  CHECK_FALSE(words.matches("+CEREG"));
  CHECK_FALSE(words.matches("+CSQ: 20,99"));
  CHECK_FALSE(words.matches("+CFUN"));
}

TEST_CASE("engine: a payload is one response frame, and the final OK after it ends the command") {
  Rig r;
  r.engine.send_command("AT+CFSRFILE=3,\"a.txt\",0,11,0", Clock::now() + 1s);
  r.pty.module_says("AT+CFSRFILE=3,\"a.txt\",0,11,0\r\r\n+CFSRFILE: 11\r\nOK\r\n\x01\x02\r\nERR\r\nOK\r\n");
  CHECK(r.engine.expect_response(equals("+CFSRFILE: 11"), Clock::now() + 5s).kind == AtEngine::ExpectResult::Kind::matched);
  CHECK(r.engine.expect_response(equals("OK\r\n\x01\x02\r\nERR"), Clock::now() + 5s).kind == AtEngine::ExpectResult::Kind::matched);
  auto ok = r.engine.expect_response(equals("OK"), Clock::now() + 5s);
  CHECK(ok.kind == AtEngine::ExpectResult::Kind::matched);
  CHECK(ok.passed_over.empty());
}

TEST_CASE("engine: URCs nothing waited for are named on the timeline when a step moves on") {
  Rig r;
  r.pty.module_says("\r\n+CEREG: 0,2\r\n\r\n+CEREG: 0,1\r\n");
  CHECK(r.engine.wait_urc(equals("+CEREG: 0,1"), Clock::now() + 5s).has_value());
  r.engine.clear_urcs();
  CHECK(r.engine.urcs().empty());
  CHECK(r.timeline.events().back().data == "URCs nothing waited for: '+CEREG: 0,2'");
}

TEST_CASE("engine: on a SIM7000, AT+CIPSHUT ends with SHUT OK and AT+CIFSR with its address, and CONNECT OK after OK is a URC") {
  PtyPair pty;
  SerialPort port{pty.slave, SerialPort::Settings{}};
  Timeline timeline;
  AtEngine engine{port, timeline, Dialect::sim70x0("SIM7000G")};
  engine.send_command("AT+CIPSHUT", Clock::now() + 1s);
  pty.module_says("AT+CIPSHUT\r\r\nSHUT OK\r\n");
  auto shut = engine.expect_response(equals("OK"), Clock::now() + 2s);
  CHECK(shut.kind == AtEngine::ExpectResult::Kind::other_final);  // ended, without an OK
  CHECK(shut.line.text == "SHUT OK");
  engine.send_command("AT+CIFSR", Clock::now() + 1s);
  pty.module_says("AT+CIFSR\r\r\n10.110.17.5\r\n");
  CHECK(engine.expect_response(equals("10.110.17.5"), Clock::now() + 2s).line.final);
  engine.send_command("AT+CIPSTART=\"TCP\",\"lab.example\",7", Clock::now() + 1s);
  pty.module_says("AT+CIPSTART=\"TCP\",\"lab.example\",7\r\r\nOK\r\n\r\nCONNECT OK\r\n");
  CHECK(engine.expect_response(equals("OK"), Clock::now() + 2s).kind == AtEngine::ExpectResult::Kind::matched);
  CHECK(engine.wait_urc(equals("CONNECT OK"), Clock::now() + 2s).has_value());
  // "SHUT OK" ends only its own command; on the other family it is nothing special.
  CHECK_FALSE(Dialect::sim70x0("SIM7000G").ends_command("+CIPCLOSE", "SHUT OK"));
  CHECK(Dialect::sim70x0("SIM7000G").ends_command("+CIPCLOSE", "3, CLOSE OK"));
  CHECK(Dialect::sim70x0("SIM7000G").ends_command("+CIPSEND", "DATA ACCEPT:2,5"));
  CHECK_FALSE(Dialect::sim70x0("SIM7080G").ends_command("+CIPSHUT", "SHUT OK"));
}
