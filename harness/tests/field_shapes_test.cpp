// The log shapes the importer recognises, on excerpts: what each places each way, with which
// times; what it leaves as the host program's notes; the decorations taken off lines; what the
// import says it recognised; and the bounds (cut lines, fragments, binary files, scaffold size).
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "base/error.hpp"
#include "field/cmux.hpp"
#include "field/log_text.hpp"
#include "field/prefix.hpp"
#include "field/scaffold.hpp"
#include "field/session.hpp"
#include "scenario/loader.hpp"
#include "tests/support.hpp"

using namespace athil::field;
using athil::Direction;
using athil::test::contains;
using athil::test::source_dir;

namespace {

// The events each way as (direction, bytes, time), notes left out.
struct Placed {
  char dir;
  std::string bytes;
  std::optional<double> t;
  bool operator==(const Placed& o) const { return dir == o.dir && bytes == o.bytes && t.has_value() == o.t.has_value() && (!t || std::abs(*t - *o.t) < 1e-6); }
};
std::vector<Placed> placed(const Session& s) {
  std::vector<Placed> out;
  for (const auto& e : s.events)
    if (e.dir != Direction::note) out.push_back({static_cast<char>(e.dir), e.bytes, e.t});
  return out;
}
std::vector<std::pair<char, std::string>> bytes_of(const Session& s) {
  std::vector<std::pair<char, std::string>> out;
  for (const auto& e : s.events)
    if (e.dir != Direction::note) out.emplace_back(static_cast<char>(e.dir), e.bytes);
  return out;
}
using Bytes = std::vector<std::pair<char, std::string>>;

}  // namespace

TEST_CASE("log decorations: RTT channels, shell prompts, every common timestamp, syslog and journal headers, levels and tags come off, with their time") {
  struct Row {
    std::string line, text;
    std::optional<double> t;
  };
  const Row rows[] = {
      {"00> rtt:~$ [00:00:55.259,155] <dbg> modem_chat: sending: ATE0", "modem_chat: sending: ATE0", 55.259155},
      {"[00:00:13.222,442] <dbg> modem_gsm: gsm_cmd_ok: ok", "modem_gsm: gsm_cmd_ok: ok", 13.222442},
      {"18:00:30.324 -> +CPIN: READY", "+CPIN: READY", 18 * 3600 + 30.324},
      {"12:34:56.789 AT+CSQ", "AT+CSQ", 12 * 3600 + 34 * 60 + 56.789},
      {"2024-03-05T10:11:12.500Z >>> AT", ">>> AT", 19787 * 86400.0 + 10 * 3600 + 11 * 60 + 12.5},
      {"1680000000.123456 --> 'AT<CR>'", "--> 'AT<CR>'", 1680000000.123456},
      {"Nov 28 12:00:01 host ModemManager[812]: <debug> [ttyUSB2/at] --> 'AT+CSQ<CR>'", "--> 'AT+CSQ<CR>'", std::nullopt},
      {"ModemManager[33505]: <dbg> [1767016030.303975] [wwan0at1/at] --> 'AT<CR>'", "--> 'AT<CR>'", 1767016030.303975},
      {"[10:43:26 VRB] [ATLIB] Out: AT+CPIN?", "Out: AT+CPIN?", 10 * 3600 + 43 * 60 + 26},
      {"9306.467 [GSM]:  => AT", "=> AT", 9306.467},
      {"9306.350: [I] [Network] onMqttDisconnect", "onMqttDisconnect", 9306.350},
      {"10.40.77.11", "10.40.77.11", std::nullopt},  // an address AT+CIFSR answers, not a time
      {"2017-10-03 08:16:58,154 : DEBUG -> Attempt 1, (b'AT\\r')", "Attempt 1, (b'AT\\r')", 17442 * 86400.0 + 8 * 3600 + 16 * 60 + 58.154},
      {"I (721) AT CMD: AT", "AT CMD: AT", 0.721},
      {"\"5/9/2023 1:38:59 PM\",D (12507) esp-modem: Sending command:AT", "esp-modem: Sending command:AT", std::nullopt},
      {"0000058788 [ncp.at] TRACE: > ATD*99***1#", "> ATD*99***1#", 58.788},
      {"[Dec  1 11:57:24.308] mgos_pppos_uart_disp << ATH", "mgos_pppos_uart_disp << ATH", std::nullopt},
      {"[13:19:36][D][esp-idf:000]: V (4054) command_lib: Token: {OK}", "command_lib: Token: {OK}", std::nullopt},
      {"\x1b[0;32mI (23894) TX: 0x3ffbe690   41 54 0d   |AT.|\x1b[0m", "TX: 0x3ffbe690   41 54 0d   |AT.|", 23.894},
      {"\t[16488] ### AT: +CIPSHUT", "### AT: +CIPSHUT", 16.488},
      // Never taken for a decoration: the module's own lines.
      {"+CCLK: \"21/01/27,07:30:39+36\"", "+CCLK: \"21/01/27,07:30:39+36\"", std::nullopt},
      {"861513064189053", "861513064189053", std::nullopt},
      {"[Send->]AT+CPIN?", "[Send->]AT+CPIN?", std::nullopt},
      {"ERROR", "ERROR", std::nullopt},
      {"                    41 54 2b 43   |AT+C", "                    41 54 2b 43   |AT+C", std::nullopt},
  };
  for (const auto& r : rows) {
    CAPTURE(r.line);
    auto m = strip_decorations(r.line);
    CHECK(m.text == r.text);
    if (r.t) {
      REQUIRE(m.t);
      CHECK(*m.t == doctest::Approx(*r.t).epsilon(1e-9));
    }
  }
  CHECK(strip_decorations("                    41 54   |AT").indented);
}

TEST_CASE("Zephyr modem_chat: sends and received lines with their times, the chat module's argument split said once, application lines kept as notes") {
  auto s = import_log(
      "*** Booting Zephyr OS ***\n"
      "[00:00:12.633,000] <dbg> modem_chat: modem_chat_script_next: simcom_sim7080_init_chat_script: step: 10\n"
      "[00:00:12.633,000] <dbg> modem_chat: modem_chat_script_next: sending: AT+CREG?\n"
      "[00:00:12.661,000] <dbg> modem_chat: modem_chat_log_received_command: +CREG:  1 0\n"
      "[00:00:12.661,000] <dbg> modem_chat: modem_chat_log_received_command: OK\n");
  CHECK(s.format == LogFormat::zephyr_chat);
  CHECK(placed(s) == std::vector<Placed>{{'>', "AT+CREG?\r", 12.633}, {'<', "\r\n+CREG:  1 0\r\n\r\nOK\r\n", 12.661}});
  REQUIRE(s.problems.size() == 1);
  CHECK(s.problems[0].line == 4);
  CHECK(contains(s.problems[0].why, "commas become blanks"));
  CHECK(s.events.front().dir == Direction::note);
  CHECK(s.events.front().line == 1);
  CHECK(s.detection.placed == 3);
  CHECK(s.detection.lines == 5);
}

TEST_CASE("Zephyr modem_cmd_handler hex dumps: rows decoded into the bytes sent and the lines received, the handler's CR LF stripping said") {
  auto s = import_log(
      "[00:00:13.272,552] <dbg> modem_cmd_handler: modem_cmd_send_ext: SENT DATA\n"
      "                                            41 54 2b 43 47 4d 4d                             |AT+CGMM          \n"
      "[00:00:13.332,885] <dbg> modem_cmd_handler: cmd_handler_process_rx_buf: RECV\n"
      "                                            53 49 4d 43 4f 4d 5f 53  49 4d 37 30 38 30       |SIMCOM_S IM7080  \n"
      "                                            30 31                                            |01\n"
      "[00:00:13.332,946] <dbg> modem_cmd_handler: cmd_handler_process_rx_buf: match cmd [] (len:14)\n");
  CHECK(s.format == LogFormat::zephyr_hexdump);
  CHECK(placed(s) == std::vector<Placed>{{'>', "AT+CGMM\r", 13.272552}, {'<', "\r\nSIMCOM_SIM708001\r\n", 13.332885}});
  REQUIRE(!s.problems.empty());
  CHECK(contains(s.problems[0].why, "strips CR and LF"));
}

TEST_CASE("esp-modem dumps: a writing: or reading: line and the dump row after it, and TX: / RX: rows, become bytes each way") {
  auto old = import_log(
      "D (990) esp-modem: writing:\n"
      "D (990) esp-modem: 0x3f404a88   41 54 45 30 0d                                    |ATE0.|\n"
      "D (1040) esp-modem: reading:\n"
      "D (1040) esp-modem: 0x3ffb9be4   0d 0a                                             |..|\n"
      "D (1090) esp-modem: reading:\n"
      "D (1090) esp-modem: 0x3ffb9be4   4f 4b 0d 0a                                       |OK..|\n"
      "D (1090) dce_service: disable echo ok\n");
  CHECK(old.format == LogFormat::esp_modem);
  CHECK(bytes_of(old) == Bytes{{'>', "ATE0\r"}, {'<', "\r\nOK\r\n"}});
  auto console = import_log("I (23894) TX: 0x3ffbe690   41 54 0d   |AT.|\nI (23914) RX: 0x3ffbca28   0d 0a 4f 4b 0d 0a   |..OK..|\n");
  CHECK(console.format == LogFormat::esp_modem);
  CHECK(placed(console) == std::vector<Placed>{{'>', "AT\r", 23.894}, {'<', "\r\nOK\r\n", 23.914}});
}

TEST_CASE("ModemManager: --> and <-- with <CR><LF> notation, an answer of several lines split, the journal's header and port tag off") {
  auto s = import_log(
      "Nov 28 12:00:01 host ModemManager[812]: <debug> [1701172801.100000] [ttyUSB2/at] --> 'AT+CSQ<CR>'\n"
      "Nov 28 12:00:01 host ModemManager[812]: <debug> [1701172801.125000] [ttyUSB2/at] <-- '<CR><LF>+CSQ: 18,99<CR><LF><CR><LF>OK<CR><LF>'\n"
      "Nov 28 12:00:01 host ModemManager[812]: <info> [modem0] state changed (registered -> connecting)\n");
  CHECK(s.format == LogFormat::modemmanager);
  CHECK(bytes_of(s) == Bytes{{'>', "AT+CSQ\r"}, {'<', "\r\n+CSQ: 18,99\r\n\r\nOK\r\n"}});
  CHECK(contains(s.detection.prefix, "syslog header"));
}

TEST_CASE("pppd's chat: send (...) with chat's escapes, what it read in ^M notation with the echo, expect and got it as notes") {
  auto s = import_log(
      "<6>May 20 14:22:18 chat[537]: send (\\dAT+CMEE=2^M)\n"
      "<6>May 20 14:22:19 chat[537]: expect (OK)\n"
      "<6>May 20 14:22:19 chat[537]: ^M\n"
      "<6>May 20 14:22:19 chat[537]: AT+CMEE=2^M^M\n"
      "<6>May 20 14:22:19 chat[537]: OK\n"
      "<6>May 20 14:22:19 chat[537]:  -- got it\n");
  CHECK(s.format == LogFormat::pppd);
  CHECK(bytes_of(s) == Bytes{{'>', "AT+CMEE=2\r"}, {'<', "AT+CMEE=2\r\r\nOK\r\n"}});
  int notes = 0;
  for (const auto& e : s.events) notes += e.dir == Direction::note;
  CHECK(notes == 2);
}

TEST_CASE("Python: bytes reprs decoded, their direction from the words before them or from what they hold, and lists of lines") {
  auto reads = import_log("resp = ser.read(64)\nprint: b'AT+SHREQ=\"http://10.0.0.1/x\",1\\r\\r\\nOK\\r\\n\\r\\n+SHREQ: \"GET\",200,387\\r\\n'\n");
  CHECK(reads.format == LogFormat::python);
  // What was read begins with the echo: the command was sent, then echoed, answered, and a URC came.
  CHECK(bytes_of(reads) ==
        Bytes{{'>', "AT+SHREQ=\"http://10.0.0.1/x\",1\r"}, {'<', "AT+SHREQ=\"http://10.0.0.1/x\",1\r\r\nOK\r\n\r\n+SHREQ: \"GET\",200,387\r\n"}});
  auto lists = import_log("DEBUG: write: AT+CPIN?\nDEBUG: response: ['+CPIN: READY', 'OK']\nsent b'ATI\\r' then read b'SIM7000G R1529\\r\\n\\r\\nOK\\r\\n'\n");
  CHECK(bytes_of(lists) == Bytes{{'>', "AT+CPIN?\r"}, {'<', "\r\n+CPIN: READY\r\n\r\nOK\r\n"}, {'>', "ATI\r"}, {'<', "\r\nSIM7000G R1529\r\n\r\nOK\r\n"}});
}

TEST_CASE("direction marks: FONA's ---> / <---, Particle's > / <, mbed's AT TX / AT RX, SEND: parts and RECEIVED: blocks, TinyGSM's ### AT:") {
  auto fona = import_log("\t---> ATI\n\t<--- SIM7000E R1351\n\nOK\n\nFONA is OK\n");
  CHECK(fona.format == LogFormat::markers);
  CHECK(bytes_of(fona) == Bytes{{'>', "ATI\r"}, {'<', "\r\nSIM7000E R1351\r\n\r\nOK\r\n"}});
  auto particle = import_log(
      "0000055897 [ncp.at] TRACE: > AT+CGATT?\n0000055897 [ncp.at] TRACE: < +CEREG: 2\n0000055905 [ncp.at] TRACE: < +CGATT: 0\n0000055905 [ncp.at] TRACE: < "
      "OK\n");
  CHECK(placed(particle) ==
        std::vector<Placed>{{'>', "AT+CGATT?\r", 55.897}, {'<', "\r\n+CEREG: 2\r\n", 55.897}, {'<', "\r\n+CGATT: 0\r\n\r\nOK\r\n", 55.905}});
  auto mbed =
      import_log("[INFO][CELL]: AT TX ( 7): AT+CGMR\n[INFO][CELL]: AT TX ( 1): <cr>\n[INFO][CELL]: AT RX (15): <cr><ln>02.06<cr><ln><cr><ln>OK<cr><ln>\n");
  CHECK(bytes_of(mbed) == Bytes{{'>', "AT+CGMR\r"}, {'<', "\r\n02.06\r\n\r\nOK\r\n"}});
  auto parts = import_log("SEND:AT\nSEND:+CSQ\nSEND:\n\nRECEIVED:\n+CSQ: 14,0\n\nOK\n\n->ok\n");
  CHECK(bytes_of(parts) == Bytes{{'>', "AT+CSQ\r"}, {'<', "\r\n+CSQ: 14,0\r\n\r\nOK\r\n"}});
  auto tinygsm = import_log("[16488] ### AT: +CIPSHUT\n[16504] ### ..: OK , ERROR ,  ,  ,\n[16588] ### AT: +CGATT=0\n");
  CHECK(bytes_of(tinygsm) == Bytes{{'>', "AT+CIPSHUT\r"}, {'>', "AT+CGATT=0\r"}});
}

TEST_CASE(
    "ESPHome's S: / R: with the component's state, and esp_modem's Token: {...}: placed each way, the state left off, and prose with S: or R: is not a mark") {
  auto esphome = import_log(
      "[15:24:26][V][sim7600:044]: S: AT+CSQ - 3\n[15:24:26][V][sim7600:051]: R: AT+CSQ - 3\n[15:24:26][V][sim7600:051]: R: +CSQ: 17,99 - "
      "3\n[15:24:26][V][sim7600:051]: R: OK - 3\n");
  CHECK(esphome.format == LogFormat::markers);
  CHECK(bytes_of(esphome) == Bytes{{'>', "AT+CSQ\r"}, {'<', "AT+CSQ\r\r\n+CSQ: 17,99\r\n\r\nOK\r\n"}});
  // A log of what was read only: the echo token says what was sent.
  auto tokens = import_log(
      "V (4054) command_lib: Token: {AT+CGMM}\nV (4054) command_lib: Token: {SIMCOM_SIM7080G}\nV (4055) command_lib: Token: {OK}\nV (4285) command_lib: "
      "sync\n");
  CHECK(tokens.format == LogFormat::markers);
  CHECK(bytes_of(tokens) == Bytes{{'>', "AT+CGMM\r"}, {'<', "AT+CGMM\r\r\nSIMCOM_SIM7080G\r\n"}, {'<', "\r\nOK\r\n"}});
  auto prose = import_log("S: 1 of 2 done\nR: see the manual\nToken: {unclosed\n");
  CHECK(bytes_of(prose).empty());
}

TEST_CASE("CMUX frames: taken apart across the pieces a logger wrote, with their DLCI and kind, a two-byte length, and a wrong check sequence flagged") {
  using Kind = CmuxFrame::Kind;
  CmuxStream to_module;
  // A SIM7070's frame as esp_modem logged it: header, payload and check sequence in three writes.
  CHECK(to_module.feed("\xf9\x09\xef\x1f").empty());
  CHECK(to_module.in_frame());
  CHECK(to_module.feed("AT+SGNSCMD=1,0\r").empty());
  auto frames = to_module.feed("\x27\xf9");
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].dlci == 2);
  CHECK(frames[0].kind == Kind::data);
  CHECK(frames[0].payload == "AT+SGNSCMD=1,0\r");
  CHECK(frames[0].fcs_ok);
  CHECK_FALSE(to_module.in_frame());
  // Back to back, sharing a flag: the multiplexer's SABM on DLCI 0, then PPP on DLCI 1.
  frames = to_module.feed(std::string("\xf9\x03\x3f\x01\x1c\xf9\x05\xef\x09~\xff}#\x58\xf9", 15));
  REQUIRE(frames.size() == 2);
  CHECK((frames[0].dlci == 0 && frames[0].kind == Kind::open && frames[0].payload.empty()));
  CHECK((frames[1].dlci == 1 && frames[1].kind == Kind::data && frames[1].payload == "~\xff}#"));
  // 128 bytes need the length's second byte.
  CmuxStream from_module;
  frames = from_module.feed("noise" + std::string("\xf9\x09\xef\x00\x01", 5) + std::string(128, 'x') + "\xd1\xf9");
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].payload.size() == 128);
  CHECK(frames[0].fcs_ok);
  CHECK(from_module.dropped() == 5);
  frames = from_module.feed("\xf9\x09\xff\x0d\r\nOK\r\n\xce\xf9");  // the check sequence is 0xcd
  REQUIRE(frames.size() == 1);
  CHECK_FALSE(frames[0].fcs_ok);
}

TEST_CASE(
    "esp_modem's Send: / CMUX Received: dumps: the AT channel's bytes placed each way, PPP and the multiplexer's frames noted, and an answer logged before the "
    "end of its frame placed after it") {
  auto s = import_log(
      "V (100) Send: 0x3fcf5160   f9 03 3f 01 1c f9                                 |..?...|\n"
      "V (110) CMUX Received: 0x3fce596c   f9 03 73 01 d7 f9                         |..s...|\n"
      "V (11026) Send: 0x3fcf5180   f9 09 ef 07                                       |....|\n"
      "V (11026) CMUX Received: 0x3fce596c   f9 09 ff 0d 0d 0a 4f 4b  0d 0a cd f9     |......OK....|\n"
      "V (11036) Send: 0x3fcf5458   41 54 0d                                          |AT.|\n"
      "V (11056) Send: 0x3fcf5184   35 f9                                             |5.|\n"
      "V (12706) CMUX Received: 0x3fce596c   f9 05 ef 09 7e ff 7d 23  58 f9              |....~.}#X.|\n");
  CHECK(s.format == LogFormat::esp_modem);
  CHECK(bytes_of(s) == Bytes{{'>', "AT\r"}, {'<', "\r\nOK\r\n"}});
  std::vector<std::string> notes;
  for (const auto& e : s.events)
    if (e.dir == Direction::note) notes.push_back(e.bytes);
  CHECK(std::find(notes.begin(), notes.end(), "CMUX SABM on DLCI 0 to the module") != notes.end());
  CHECK(std::find(notes.begin(), notes.end(), "CMUX UA on DLCI 0 from the module") != notes.end());
  CHECK(std::find(notes.begin(), notes.end(), "CMUX: 4 byte(s) of PPP on DLCI 1 from the module") != notes.end());
  CHECK(s.problems.empty());
  // Outside CMUX, a dump that is one PPP frame (esp_modem trying PPP to sync) is noted, not sent.
  auto ppp = import_log(
      "D (38620) uart-tx: 0x3f419c28   7e ff 03 c0 21 09 01 00  08 99 d1 35 c1 8e 2c 7e  |~...!......5..,~|\n"
      "D (38820) uart-tx: 0x3f419c18   41 54 0d                                          |AT.|\n");
  CHECK(bytes_of(ppp) == Bytes{{'>', "AT\r"}});
  CHECK(ppp.events.front().bytes == "PPP: a frame of 16 bytes to the module");
}

TEST_CASE(
    "Linux dialers' SEND>> / RECV<< and AT> / AT< are direction marks, and PlatformIO's time filter's '> ' before every line is the monitor's, not a "
    "direction") {
  auto dialer = import_log("polling is ready\nSEND>> AT+CPIN?\nRECV<< AT+CPIN?\nRECV<< +CPIN: READY\nRECV<< OK\n");
  CHECK(dialer.format == LogFormat::markers);
  CHECK(bytes_of(dialer) == Bytes{{'>', "AT+CPIN?\r"}, {'<', "AT+CPIN?\r\r\n+CPIN: READY\r\n\r\nOK\r\n"}});
  // "AT> " is no command: the raw shape took each such line for one before.
  auto short_marks = import_log("Opening tty device /dev/ttyUSB2\nAT> ATE0Q0V1\nAT< OK\nAT> AT+CPIN?\nAT< +CPIN: READY\nAT< OK\n");
  CHECK(short_marks.format == LogFormat::markers);
  CHECK(bytes_of(short_marks) == Bytes{{'>', "ATE0Q0V1\r"}, {'<', "\r\nOK\r\n"}, {'>', "AT+CPIN?\r"}, {'<', "\r\n+CPIN: READY\r\n\r\nOK\r\n"}});
  // PlatformIO's monitor with its time filter ("%H:%M:%S.mmm > " before each line it shows): a
  // terminal capture, not a log of what was sent.
  auto pio = import_log("12:34:56.789 > AT+CSQ\n12:34:56.801 > +CSQ: 17,99\n12:34:56.801 > \n12:34:56.802 > OK\n12:34:57.001 > Signal quality: 17\n");
  CHECK(pio.format == LogFormat::raw);
  CHECK(
      placed(pio) ==
      std::vector<Placed>{{'>', "AT+CSQ\r", 45296.789}, {'<', "AT+CSQ\r", 45296.789}, {'<', "\r\n+CSQ: 17,99\r\n", 45296.801}, {'<', "\r\nOK\r\n", 45296.802}});
  // A few lines that begin "> " after a time (a prompt the module sent) are not the monitor's mark.
  auto prompt = import_log("12:00:00.000 AT+CMGS=\"+15551234567\"\n12:00:00.100 > \n12:00:00.200 hello\n12:00:01.000 +CMGS: 12\n12:00:01.000 OK\n");
  auto received = bytes_of(prompt);
  CHECK(std::any_of(received.begin(), received.end(), [](const auto& e) { return e.first == '<' && contains(e.second, "\r\n> "); }));
}

TEST_CASE(
    "RT-Thread's AT raw print: rows of up to 32 bytes with their offsets, a buffer over two rows, a command without its CR, and the ASCII column never read as "
    "bytes") {
  // A full row: 32 bytes, then the ASCII column after the padding; its second row goes on.
  std::string command = "AT+CGDCONT=1,\"IP\",\"internet.example\"";
  auto row = [](std::string_view name, std::size_t from, std::string_view bytes) {
    std::string hex, ascii;
    for (std::size_t j = 0; j < 32; ++j) {
      hex += j < bytes.size() ? fmt::format("{:02X} ", static_cast<unsigned char>(bytes[j])) : "   ";
      if ((j + 1) % 8 == 0) hex += ' ';
      if (j < bytes.size()) ascii += (bytes[j] >= 0x20 && bytes[j] < 0x7f) ? bytes[j] : '.';
    }
    return fmt::format("[D/AT] {}: {:04X}-{:04X}: {}  {}\n", name, from, from + 32, hex, ascii);
  };
  auto s = import_log(row("sendline", 0, std::string_view(command).substr(0, 32)) + row("sendline", 32, std::string_view(command).substr(32)) +
                      row("recvline", 0, "\r\n") + row("recvline", 0, "OK\r\n") + row("recvline", 0, "\r\n") + row("recvline", 0, "+CGEV: ME PDN ACT 1\r\n"));
  CHECK(s.format == LogFormat::rtthread_at);
  CHECK(bytes_of(s) == Bytes{{'>', command + "\r"}, {'<', "\r\nOK\r\n\r\n+CGEV: ME PDN ACT 1\r\n"}});
  // "AB C" in the ASCII column looks like a pair: the padding before it says where the bytes end.
  auto ab = offset_hex_row("0000-0020: 41 42 20 43" + std::string(88, ' ') + "AB C");
  REQUIRE(ab);
  CHECK(ab->bytes == "AB C");
  CHECK_FALSE(offset_hex_row("0020-0000: 41"));  // a range that goes backwards is no row
}

TEST_CASE("ATLib's Out: / In (lineN): marks, an In line going on on the next log line, and prose beginning 'In' or 'Out:' is no mark") {
  auto s = import_log(
      "[10:43:26 VRB] [ATLIB] Out: AT+CPIN?\n[10:43:27 VRB] [ATLIB] In (line1):\nAT+CPIN?\n[10:43:27 VRB] [ATLIB] In (line1): +CPIN: READY\n[10:43:27 VRB] "
      "[ATLIB] In (line2):\nOK\n");
  CHECK(s.format == LogFormat::markers);
  CHECK(bytes_of(s) == Bytes{{'>', "AT+CPIN?\r"}, {'<', "AT+CPIN?\r\r\n+CPIN: READY\r\n\r\nOK\r\n"}});
  auto prose = import_log("In (short): nothing\nOut: of range\nIn the meantime\n");
  CHECK(bytes_of(prose).empty());
}

TEST_CASE("SimcomGsmLib's => / <= marks behind its seconds counter: the echo, the answer and its OK placed, the library's own verdicts left as notes") {
  auto s = import_log(
      "9306.467 [GSM]:  => AT+CREG?\n9306.468 [GSM]:     <= AT+CREG?\n9306.469 [GSM]:     <= +CREG: 0,5\n9306.469 [GSM]:     <= OK\n9306.469 [GSM]:   SUCCESS  "
      "-- 2 ms --\n");
  CHECK(s.format == LogFormat::markers);
  CHECK(placed(s) == std::vector<Placed>{{'>', "AT+CREG?\r", 9306.467}, {'<', "AT+CREG?\r", 9306.468}, {'<', "\r\n+CREG: 0,5\r\n\r\nOK\r\n", 9306.469}});
  CHECK(s.events.back().dir == Direction::note);
}

TEST_CASE("Waveshare's demo scripts: a command that failed them is their verdict and then what came back, and the verdict is not the module's ERROR") {
  // A success printed as it came (echo, answer), then a failure: the verdict, then "back:" and the
  // bytes that came, the echo first.
  auto s = import_log(
      "AT+CPIN?\n+CPIN: READY\n\nOK\n\nAT+CNACT=0,1 ERROR\nAT+CNACT=0,1 back:\tAT+CNACT=0,1\n\nERROR\n\nAT+CMGF=1 ERROR\nAT+CMGF=1 back:\t\nerror0\n");
  CHECK(s.format == LogFormat::raw);
  CHECK(bytes_of(s) == Bytes{{'>', "AT+CPIN?\r"},
                             {'<', "AT+CPIN?\r\r\n+CPIN: READY\r\n\r\nOK\r\n"},
                             {'>', "AT+CNACT=0,1\r"},
                             {'<', "AT+CNACT=0,1\r\r\nERROR\r\n"},
                             {'>', "AT+CMGF=1\r"}});
}

TEST_CASE("raw streams: a terminal capture's echoed commands, and a host library's dump that shows its writes and the echo, are told apart") {
  // StreamDebugger: the host's write, then the module's echo, until ATE0 turns the echo off.
  auto dump = import_log("AT\nAT\n\nOK\nATE0\nATE0\n\nOK\nAT+CPIN?\n\n+CPIN: READY\n\nOK\n[7186] ### Modem: SIMCOM SIM7000G\n");
  CHECK(dump.format == LogFormat::raw);
  CHECK(
      bytes_of(dump) ==
      Bytes{{'>', "AT\r"}, {'<', "AT\r\r\nOK\r\n"}, {'>', "ATE0\r"}, {'<', "ATE0\r\r\nOK\r\n"}, {'>', "AT+CPIN?\r"}, {'<', "\r\n+CPIN: READY\r\n\r\nOK\r\n"}});
  // A terminal: each command shown once, as the module echoed it.
  auto terminal = import_log("at+csq\n+CSQ: 31,99\n\nOK\nModem Info: SIM7600\n");
  CHECK(bytes_of(terminal) == Bytes{{'>', "at+csq\r"}, {'<', "at+csq\r\r\n+CSQ: 31,99\r\n\r\nOK\r\n"}});
  CHECK(terminal.events.back().dir == Direction::note);  // the sketch's own line
}

TEST_CASE(
    "import report: the shape, the decorations taken off and the lines placed, and a log with nothing placed names the likeliest shapes and what each lacked") {
  auto s = import_log(
      "00> [00:00:01.000,000] <dbg> modem_chat: modem_chat_script_next: sending: AT\n00> [00:00:01.020,000] <dbg> modem_chat: modem_chat_log_received_command: "
      "OK\n00> hello\n");
  auto text = describe_detection(s);
  CHECK(contains(text, "shape zephyr-chat"));
  CHECK(contains(text, "RTT channel, time, level on 2 line(s), such as '00> [00:00:01.000,000] <dbg> '"));
  CHECK(contains(text, "placed 2 of 3 line(s)"));
  auto nothing = import_log("boot\nwaiting for network\nno modem found\n");
  REQUIRE(nothing.detection.candidates.size() == 3);
  CHECK(contains(nothing.detection.candidates[0], "no line of its kind"));
  CHECK(contains(describe_detection(nothing), "not placed as zephyr-chat: no line of its kind (it looks for modem_chat_script_next"));
  CHECK(contains(nothing.problems.back().why, "no command sent to the module"));
  // --format still forces a shape.
  CHECK(import_log(">> AT\n<< OK\n", LogFormat::raw).format == LogFormat::raw);
}

TEST_CASE("log bounds: a line cut mid-way, a fragment without its last line end, a line over 8 KiB and a binary file, each said, none a crash") {
  auto fragment = import_log("AT+CGMR\r\nRevision:1951B0");
  CHECK(bytes_of(fragment) == Bytes{{'>', "AT+CGMR\r"}, {'<', "AT+CGMR\r\r\nRevision:1951B0\r\n"}});
  REQUIRE(!fragment.problems.empty());
  CHECK(contains(fragment.problems.back().why, "ends without a line end: its last line may be cut"));

  std::string long_line = "-> AT" + std::string(50000, 'B') + "\nOK\n";
  auto cut = import_log(long_line);
  REQUIRE(!cut.problems.empty());
  CHECK(contains(cut.problems[0].why, "a line over 8192 bytes: only its first 8192 were read"));
  CHECK(cut.events.front().bytes.size() == 8192 - 3 + 1);  // the command as read, and its CR

  std::string binary(4096, '\0');
  for (std::size_t i = 0; i < binary.size(); i += 7) binary[i] = static_cast<char>(i);
  CHECK_THROWS_WITH_AS(import_log(binary), doctest::Contains("not a log"), athil::InputError);

  CHECK(log_lines("a\nb\nc\nd\n", 2, 3) == "b\nc\n");
  CHECK(log_lines("a\nb\n", 2, 9) == "b\n");  // to the end, where the log ends first
  CHECK_THROWS_WITH_AS(log_lines("a\nb\n", 5, 9), doctest::Contains("fewer lines"), athil::InputError);
}

TEST_CASE(
    "scaffold: bytes a scenario file cannot hold become escapes that validate and match, and a log too long for one scenario is refused with where to cut") {
  auto s = import_log(std::string("AT+CGMR\r\nRevision:1951B02SIM7080G\x1b[0m\x01\r\nOK\r\nAT\x07\r\nOK\r\n", 52));
  std::string xml = scaffold(s, {"field-noise", "noise.log", "SIM7080"});
  CHECK(xml.find('\x1b') == std::string::npos);
  CHECK(xml.find('\x01') == std::string::npos);
  athil::scenario::Loader loader(source_dir() / "fixtures");
  CHECK_NOTHROW(loader.load_text(xml, "noise.xml"));
  // A line whose escapes outgrow a regex's bound (the fuzzer's find): its start, then anything.
  std::string line = "\x01";
  for (int i = 0; i < 400; ++i) line += "(x)";
  xml = scaffold(import_log("AT+CGMI\r\n" + line + "\r\nOK\r\n"), {"field-long", "long.log", "SIM7080"});
  CHECK_NOTHROW(loader.load_text(xml, "long.xml"));
  CHECK(contains(xml, "regex=\"\\x01\\(x\\)\\(x\\)"));
  CHECK(contains(xml, ".*\""));

  std::string big;
  for (int i = 0; i < 40000; ++i) big += "AT+CSQ\r\n+CSQ: " + std::to_string(i % 31) + ",99\r\n\r\nOK\r\n";
  CHECK_THROWS_WITH_AS(scaffold(import_log(big), {"field-big", "big.log", ""}), doctest::Contains("scaffold a part of the log with --lines FIRST-LAST"),
                       athil::InputError);
}
