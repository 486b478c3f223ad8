#include <doctest/doctest.h>

#include "at/dialect.hpp"
#include "at/framer.hpp"
#include "base/escape.hpp"
#include "module_bytes.hpp"

using namespace athil;
using namespace std::string_literals;
namespace bytes = athil::test::module_bytes;

namespace doctest {
template <>
struct StringMaker<std::vector<Frame>> {
  static String convert(const std::vector<Frame>& frames) {
    std::string s;
    for (const auto& f : frames) {
      const char* kind = f.kind == Frame::Kind::prompt ? "prompt:" : f.kind == Frame::Kind::data ? "data:" : "line:";
      s += kind + escape_bytes(f.text) + " | ";
    }
    return s.c_str();
  }
};
}  // namespace doctest

namespace {

Frame line(std::string s) { return Frame{Frame::Kind::line, std::move(s)}; }
Frame prompt(std::string s) { return Frame{Frame::Kind::prompt, std::move(s)}; }
Frame data(std::string s) { return Frame{Frame::Kind::data, std::move(s)}; }

std::vector<PayloadRule> rules(const char* model = "SIM7000G") { return Dialect::sim70x0(model).payloads; }

std::vector<Frame> frames_of(std::string_view stream, const char* model = "SIM7000G") {
  LineFramer f(rules(model));
  std::vector<Frame> out;
  f.feed(stream, out);
  return out;
}

// The stream in one piece, in two pieces split at every byte boundary, and byte by byte: the
// frames must be the expected ones every time.
void check_every_split(const std::string& stream, const std::vector<Frame>& expected, const char* model = "SIM7000G") {
  CAPTURE(escape_bytes(stream));
  CHECK(frames_of(stream, model) == expected);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    LineFramer f(rules(model));
    std::vector<Frame> out;
    f.feed(std::string_view(stream).substr(0, cut), out);
    f.feed(std::string_view(stream).substr(cut), out);
    if (out != expected) {
      CAPTURE(cut);
      CHECK(out == expected);
      return;
    }
  }
  LineFramer f(rules(model));
  std::vector<Frame> out;
  for (char c : stream) f.feed(std::string_view(&c, 1), out);
  CHECK(out == expected);
}

}  // namespace

TEST_CASE("framer: real modules' lines, blank and single-space lines, prompts, at every split") {
  check_every_split(bytes::sim7000e_gmr, {line("AT+GMR"), line("Revision:1351B05SIM7000E"), line("OK")});
  check_every_split(bytes::sim7000_caopen, {line("AT+CAOPEN=0,\"x.azure-devices.net\",8883"), line("+CAOPEN: 0,0"), line("OK")});
  check_every_split(bytes::sim7000_casend, {line("AT+CASEND=0,5"), prompt("> ")});
  check_every_split(bytes::sim7000_smpub, {line("AT+SMPUB=\"ryan\",\"8\",1,1"), prompt("> "), line("test626"), line("+SMSTATE: 0"), line("OK")});
  check_every_split(bytes::sim7000_boot_time, {line("DST: 0"), line("*PSUTTZ: 19/06/26,06:04:03\",\"+32\",0")});
  check_every_split(bytes::sim7000e_cfswfile, {line("AT+CFSWfile=3,\"sim.crt\",0,1322,5000"), line("DOWNLOAD")});
  check_every_split(bytes::sim7000e_cnact, {line("AT+CNACT=1,\"3GNET\""), line("OK"), line("+APP PDP: ACTIVE")});
  check_every_split(bytes::sim7070_echo_off, {line("AT"), line("OK"), line("ATE0"), line("OK"), line("SIMCOM_SIM7070"), line("OK")});
  // DOWNLOAD is a line (../shared/reference/sim70x0.md, corrected): one that goes on is one line.
  check_every_split("\r\nDOWNLOADING 40%\r\n", {line("DOWNLOADING 40%")});
  // Only "> " at a line's start is the prompt: not ">" alone, ">>", or "> " later in a line.
  check_every_split("\r\n>\r\n>> x\r\na> b\r\n> data\r\n", {line(">"), line(">> x"), line("a> b"), prompt("> "), line("data")});
}

TEST_CASE("framer: power-up garbage and bytes that are not UTF-8 are kept, byte for byte") {
  check_every_split(bytes::power_up_garbage, {line("NORMAL POWER DOWN"), line("~}#\xc0!}!}!} }8}\"}&\xde\xad\xbe\xef~\xff\xfe\0~"s), line("RDY")});
}

TEST_CASE("framer: a +SHREAD body is taken as raw bytes, CR, LF and OK inside it included") {
  // The body holds "\r\nOK\r\n", a would-be header and a would-be prompt: none of it is framed.
  check_every_split(bytes::sim7000e_shread, {line("AT+SHREAD=0,3762"), line("OK"), line("+SHREAD: 2048"), data(bytes::shread_body(2048)), line("+SHREAD: 1714"),
                                             data(bytes::shread_body(1714))});
}

TEST_CASE("framer: payloads of AT+CFSRFILE, AT+FTPGET, AT+HTTPREAD (SIM7000) and inline AT+CARECV") {
  check_every_split("\r\n+CFSRFILE: 7\r\nab\r\nOK\r\n\r\nOK\r\n", {line("+CFSRFILE: 7"), data("ab\r\nOK\r"), line("OK")});
  check_every_split("\r\n+FTPGET: 2,4\r\n\r\n\r\n\r\nOK\r\n", {line("+FTPGET: 2,4"), data("\r\n\r\n"), line("OK")});
  check_every_split("\r\n+HTTPREAD: 3\r\n\x00\x01\x02\r\nOK\r\n"s, {line("+HTTPREAD: 3"), data("\x00\x01\x02"s), line("OK")});
  // On a SIM7080 +HTTPREAD is not a payload header (no such command): an ordinary line.
  check_every_split("\r\n+HTTPREAD: 3\r\nabc\r\n", {line("+HTTPREAD: 3"), line("abc")}, "SIM7080G");
  // Inline: the bytes follow the comma and stay in the line, whatever they hold.
  check_every_split("\r\n+CARECV: 7,ab\r\ncd,\r\n\r\nOK\r\n", {line("+CARECV: 7,ab\r\ncd,"), line("OK")});
  check_every_split("\r\n+CARECV: 0,\r\nOK\r\n", {line("+CARECV: 0,"), line("OK")});
}

TEST_CASE("framer: AT+CIPRXGET=2 on a SIM7000 announces its bytes in both forms, with AT+CIPMUX=1 after the connection's number") {
  // The length is the one before what is left: 2,<read>,<left>, or 2,<id>,<read>,<left>.
  check_every_split("\r\n+CIPRXGET: 2,4,0\r\n\r\nOK\r\n\r\nOK\r\n", {line("+CIPRXGET: 2,4,0"), data("\r\nOK"), line("OK")});
  check_every_split("\r\n+CIPRXGET: 2,1,5,3\r\nab\r\nc\r\nOK\r\n", {line("+CIPRXGET: 2,1,5,3"), data("ab\r\nc"), line("OK")});
  // The peer's address after them (AT+CIPSRIP=1) changes nothing.
  check_every_split("\r\n+CIPRXGET: 2,1,2,0,\"10.0.0.1:80\"\r\n\r\n\r\nOK\r\n", {line("+CIPRXGET: 2,1,2,0,\"10.0.0.1:80\""), data("\r\n"), line("OK")});
  check_every_split("\r\n+CIPRXGET: 2,3,1,10.0.0.1:80\r\nxyz\r\nOK\r\n", {line("+CIPRXGET: 2,3,1,10.0.0.1:80"), data("xyz"), line("OK")});
  // The data-waiting URC and a hex read announce nothing.
  check_every_split("\r\n+CIPRXGET: 1,0\r\n+CIPRXGET: 3,2,0\r\n6162\r\n", {line("+CIPRXGET: 1,0"), line("+CIPRXGET: 3,2,0"), line("6162")});
}

TEST_CASE("framer: headers that announce nothing, or too much, stay ordinary lines") {
  check_every_split("\r\n+SHREAD: 0\r\nOK\r\n", {line("+SHREAD: 0"), line("OK")});
  check_every_split("\r\n+SHREAD: x\r\nOK\r\n", {line("+SHREAD: x"), line("OK")});
  check_every_split("\r\n+SHREAD: 99999999999999999999\r\nOK\r\n", {line("+SHREAD: 99999999999999999999"), line("OK")});
  check_every_split("\r\n+CARECV: 99999,x\r\nOK\r\n", {line("+CARECV: 99999,x"), line("OK")});
  check_every_split("\r\n+FTPGET: 1,1\r\n", {line("+FTPGET: 1,1")});  // the data-ready URC, not a read
}

TEST_CASE("framer: a line that never ends, and a long payload, are cut into bounded pieces, no byte lost") {
  std::string endless(3 * LineFramer::max_line_bytes + 10, 'x');
  auto frames = frames_of(endless + "\r\nOK\r\n");
  REQUIRE(frames.size() == 5);
  std::string joined;
  for (std::size_t i = 0; i < 4; ++i) joined += frames[i].text;
  CHECK(joined == endless);
  CHECK(frames[4] == line("OK"));

  std::string body(2 * LineFramer::max_line_bytes + 5, '\n');
  frames = frames_of("+CFSRFILE: " + std::to_string(body.size()) + "\r\n" + body + "\r\nOK\r\n");
  REQUIRE(frames.size() == 5);
  CHECK(frames[1].text.size() == LineFramer::max_line_bytes);
  CHECK(frames[1].text + frames[2].text + frames[3].text == body);
  CHECK(frames[4] == line("OK"));
}
