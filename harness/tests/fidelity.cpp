// Fidelity of the virtual module against logs of real modules (../shared/transcripts).
// For every command a log shows with its response, the virtual module of that model answers
// the same command, in the same state, and the answers must have the same shape: the same
// lines up to their values (`Revision:<value>`, `+CSQ: <n>,<n>`, quoted strings), and in a
// raw capture the same framing bytes. The state a log's module was already in is set first:
// the certificates its AT+CSSLCFG="convert" took, an active bearer it reads. Prints which exchanges match and which
// commands the virtual module answered ERROR where the log's did not (not modelled, or a
// state the log does not show), and, not compared, those the real module refused for a cause
// its log does not show. Exit 77 (skipped) without ../shared, 1 on a mismatch.
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/sim_bench.hpp"

namespace fs = std::filesystem;
using namespace athil::sim;
using namespace std::chrono_literals;

namespace {

struct Exchange {
  std::string command;
  std::vector<std::string> lines;  // the response lines, final result code last
  std::string typed;               // what the host sent after a "> " prompt (without its CR)
  std::string raw;                 // the bytes after the echo, where the log keeps them
};

// A line's shape: values become placeholders, names stay.
std::string shape(const std::string& line) {
  static const std::regex quoted("\"[^\"]*\""), number("[0-9]+(\\.[0-9]+)*"), revision("^Revision:.*");
  if (std::regex_match(line, revision)) return "Revision:<rev>";
  std::string s = std::regex_replace(line, quoted, "\"<s>\"");
  return std::regex_replace(s, number, "<n>");
}

// A state change that happened to arrive inside the response (the network's, the broker's):
// not part of the command's answer, unless the command asks for that state.
bool foreign_urc(const std::string& line, const std::string& command) {
  for (std::string_view urc : {"+SMSTATE:", "+SMSUB:", "+APP PDP:", "+CPSMSTATUS:", "DST:", "*PSUTTZ:", "+CEREG:", "+CGREG:"}) {
    if (line.rfind(urc, 0) != 0) continue;
    std::string name(urc.substr(0, urc.size() - 1));
    return name[0] != '+' || command.rfind("AT" + name, 0) != 0;
  }
  return false;
}

bool is_final(const std::string& l) { return l == "OK" || l == "ERROR" || l.rfind("+CME ERROR", 0) == 0; }

// A raw capture: the echo "AT...\r", then the response bytes up to the final result code.
std::vector<Exchange> parse_raw(const std::string& text) {
  std::vector<Exchange> out;
  std::size_t at = 0;
  while ((at = text.find("AT", at)) != std::string::npos) {
    auto cr = text.find('\r', at);
    if (cr == std::string::npos) break;
    if (at > 0 && text[at - 1] != '\n') {
      at = cr;
      continue;
    }
    Exchange e{text.substr(at, cr - at), {}, {}};
    std::size_t pos = cr + 1;
    if (pos < text.size() && text[pos] == '\n') ++pos;  // a capture that stored the echo's CR as a line end
    while (pos < text.size()) {
      auto nl = text.find("\r\n", pos);
      if (nl == std::string::npos) break;
      std::string line = text.substr(pos, nl - pos);
      pos = nl + 2;
      if (line.empty() || line == " ") continue;
      if (line.rfind("AT", 0) == 0) break;  // the next command without a final code: not an exchange
      e.lines.push_back(line);
      if (is_final(line)) {
        e.raw = text.substr(cr + 1, pos - cr - 1);
        out.push_back(e);
        break;
      }
    }
    at = pos;
  }
  return out;
}

// The line is the echo of the command, or of one of the lines it was typed over.
bool echoes(const std::string& command, const std::string& line) {
  std::istringstream parts(command);
  for (std::string part; std::getline(parts, part, '\n');)
    if (part == line) return true;
  return false;
}

// A host log with "[Send->]AT..." and "[Recv<-]" markers: line shapes only (the tool rewrote
// the line ends).
std::vector<Exchange> parse_markers(const std::string& text) {
  std::vector<Exchange> out;
  std::istringstream in(text);
  std::string line;
  Exchange* open = nullptr;
  bool sending = false;  // a command the host typed over several lines (LF, which does not end it)
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto send = line.find("[Send->]");
    if (send != std::string::npos && open && !open->lines.empty() && open->lines.back().rfind("> ", 0) == 0) {
      open->typed = line.substr(send + 8);  // what the host typed after the prompt: the same exchange goes on
      continue;
    }
    if (send != std::string::npos) {
      out.push_back(Exchange{line.substr(send + 8), {}, {}});
      open = &out.back();
      sending = true;
      continue;
    }
    if (sending && line.find_first_not_of(' ') != std::string::npos && line.find("[Recv<-]") == std::string::npos) {
      open->command += "\n" + line;
      continue;
    }
    sending = false;
    auto recv = line.find("[Recv<-]");
    if (recv != std::string::npos) line = line.substr(recv + 8);
    if (!open || line.empty() || line == " " || echoes(open->command, line) || (!open->typed.empty() && line == open->typed)) continue;
    open->lines.push_back(line);
    if (is_final(line)) open = nullptr;
  }
  std::vector<Exchange> complete;
  for (auto& e : out)
    if (!e.lines.empty() && is_final(e.lines.back())) complete.push_back(e);
  return complete;
}

// An esp-idf log: "AT CMD: X" then "AT RESP: line" lines.
std::vector<Exchange> parse_espidf(const std::string& text) {
  std::vector<Exchange> out;
  std::istringstream in(text);
  std::string line;
  for (std::string l; std::getline(in, l);) {
    auto cmd = l.find("AT CMD: ");
    auto resp = l.find("AT RESP: ");
    if (cmd != std::string::npos)
      out.push_back(Exchange{l.substr(cmd + 8), {}, {}});
    else if (resp != std::string::npos && !out.empty()) {
      std::string r = l.substr(resp + 9);
      if (!r.empty() && r != out.back().command) out.back().lines.push_back(r);
    }
  }
  std::vector<Exchange> complete;
  for (auto& e : out)
    if (!e.lines.empty() && is_final(e.lines.back())) complete.push_back(e);
  return complete;
}

// A booted virtual module on a controlled clock.
struct Module : athil::test::SimBench {
  explicit Module(const char* model) : SimBench(model) { boot(); }
  // The bytes after the echo, and the response lines (URCs that follow the final code left out).
  // `typed`: what the log shows typed after a "> " prompt (AT+SMPUB's message), sent with its CR.
  Exchange ask(const std::string& command, const std::string& typed = "") {
    uart.clear();
    module.uart_in(command + "\r", now);
    run_for(50ms);
    if (uart.size() >= 2 && uart.substr(uart.size() - 2) == "> " && !typed.empty()) {
      module.uart_in(typed + "\r", now);
      run_for(50ms);
    }
    answer_network();
    Exchange e{command, {}, {}};
    std::string echo = command + "\r";
    std::string text = uart.rfind(echo, 0) == 0 ? uart.substr(echo.size()) : uart;  // echo may be off (ATE0)
    std::size_t pos = 0;
    while (pos < text.size()) {
      auto nl = text.find("\r\n", pos);
      if (nl == std::string::npos) break;
      std::string line = text.substr(pos, nl - pos);
      pos = nl + 2;
      if (line.empty()) continue;
      e.lines.push_back(line);
      if (is_final(line)) {
        e.raw = text.substr(0, pos);
        break;
      }
    }
    run_for(2s);  // let what the command set going happen (a bearer coming up, ...)
    return e;
  }
  // A broker and web servers that accept everything at once (the logs' did, where they
  // answered OK): values differ from the logs', shapes do not.
  void answer_network() {
    for (; answered < mqtt.size(); ++answered) {
      const auto& r = mqtt[answered];
      if (r.kind != MqttRequest::Kind::disconnect && r.kind != MqttRequest::Kind::drop)
        module.mqtt_in(MqttEvent{.kind = MqttEvent::Kind::done, .link = r.link, .id = r.id}, now);
    }
    for (; opened < sockets.size(); ++opened)
      if (sockets[opened].kind == SocketRequest::Kind::open)
        module.socket_in(SocketEvent{.kind = SocketEvent::Kind::opened, .link = sockets[opened].link}, now);
    for (; served < http.size(); ++served) module.http_done(HttpResult{.id = http[served].id, .status = 200, .body = "<html></html>"}, now);
    run_for(50ms);
  }
  std::size_t answered = 0, served = 0, opened = 0;

  // The state the log's module was in before the log begins, as the log shows it: the files
  // its AT+CSSLCFG="convert" commands name (they answered OK, so the files were in
  // /customer/), stored as a host stores them with AT+CFSWFILE; and the bearer, when the log
  // reads it active before it activates one.
  void seed_state(const std::vector<Exchange>& exchanges, const char* model) {
    bool bearer_set = false;
    for (const auto& e : exchanges) {
      std::string upper;
      for (char c : e.command) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (upper.rfind("AT+CNACT=", 0) == 0) bearer_set = true;
      if (upper == "AT+CNACT?" && !bearer_set && !e.lines.empty() && std::regex_match(e.lines.front(), std::regex(R"(\+CNACT: (0,)?1,.*)"))) {
        command(std::string(model).rfind("SIM7000", 0) == 0 ? "AT+CNACT=1,\"apn\"" : "AT+CNACT=0,1");
        run_for(2s);
        bearer_set = true;
      }
      if (upper.rfind("AT+CSSLCFG=", 0) != 0 || upper.find("CONVERT") == std::string::npos) continue;
      std::vector<std::string> args(1);
      for (char c : e.command.substr(11)) {
        if (c == ',')
          args.emplace_back();
        else if (c != '"')
          args.back() += c;
      }
      for (std::size_t i = 2; i < args.size(); ++i) store(args[i]);
    }
    uart.clear();
  }
  void store(const std::string& name) {
    const std::string content = "-----BEGIN CERTIFICATE-----";
    command("AT+CFSINIT");
    command("AT+CFSWFILE=3,\"" + name + "\",0," + std::to_string(content.size()) + ",1000");
    module.uart_in(content, now);
    run_for(50ms);
    command("AT+CFSTERM");
  }
};

// A command typed over several lines, on one line of output.
std::string one_line(std::string s) {
  for (auto at = s.find('\n'); at != std::string::npos; at = s.find('\n', at)) s.replace(at, 1, "\\n");
  return s;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  fs::path dir = argc > 1 ? argv[1] : "../shared/transcripts";
  if (!fs::is_directory(dir)) {
    std::cout << "SKIP: " << dir.string() << " is absent (../shared is not in a user's clone)\n";
    return 77;
  }
  struct Source {
    const char* file;
    const char* model;
    std::vector<Exchange> (*parse)(const std::string&);
    bool framing;
  };
  const Source sources[] = {
      {"07_sim7000e_https_shconn_errors_shstate_urc.txt", "SIM7000G", parse_raw, true},
      {"06_sim7000_cnact_apn_mqtt_aws_sscom_log.txt", "SIM7000G", parse_markers, false},
      {"05_sim7070g_espidf_ppp_attach_echo_on.txt", "SIM7070G", parse_espidf, false},
      // Raw, but with stray " \r\n" lines between responses: line shapes only.
      {"08_sim7000_nbiot_cnact_caopen_ssl_azure.txt", "SIM7000G", parse_raw, false},
  };
  int compared = 0, matched = 0, mismatched = 0;
  std::map<std::string, int> unmodelled, refused;
  for (const auto& src : sources) {
    fs::path file = dir / src.file;
    if (!fs::exists(file)) {
      std::cout << "note: " << src.file << " is absent\n";
      continue;
    }
    Module m(src.model);
    auto exchanges = src.parse(read(file));
    m.seed_state(exchanges, src.model);
    for (const auto& real : exchanges) {
      auto sim = m.ask(real.command, real.typed);
      // The sim's ERROR cannot be told from "not modelled": only answers it accepts are compared.
      if (sim.lines.empty() || sim.lines.back() != "OK") {
        ++unmodelled[real.command.substr(0, real.command.find_first_of("=?"))];
        continue;
      }
      // A real ERROR whose cause the log does not show (a server that failed, a state before
      // the log): listed, not compared.
      if (!real.lines.empty() && real.lines.back() != "OK") {
        ++refused[one_line(real.command)];
        continue;
      }
      ++compared;
      std::vector<std::string> a, b;
      for (const auto& l : real.lines)
        if (!foreign_urc(l, real.command)) a.push_back(shape(l));
      for (auto l : sim.lines) {
        if (!src.framing) l.erase(l.find_last_not_of('\r') + 1);  // the tool rewrote line ends: a stray CR is not in its log
        if (!foreign_urc(l, real.command)) b.push_back(shape(l));
      }
      bool same = a == b;
      std::string why;
      if (same && src.framing) {
        // Same bytes once values are masked: where each \r and \n stands.
        same = std::regex_replace(real.raw, std::regex("[^\r\n]+"), "x") == std::regex_replace(sim.raw, std::regex("[^\r\n]+"), "x");
        if (!same) why = " (framing differs)";
      }
      if (same) {
        ++matched;
        std::cout << "match     " << src.model << "  " << one_line(real.command) << "\n";
      } else {
        ++mismatched;
        std::cout << "MISMATCH  " << src.model << "  " << one_line(real.command) << why << "\n    real:";
        for (const auto& l : a) std::cout << " [" << l << "]";
        std::cout << "\n    sim: ";
        for (const auto& l : b) std::cout << " [" << l << "]";
        std::cout << "\n";
      }
    }
  }
  std::cout << "answered ERROR where the real module did not (not modelled, or a state the log does not show):";
  for (const auto& [cmd, n] : unmodelled) std::cout << " " << cmd << (n > 1 ? " x" + std::to_string(n) : "");
  std::cout << "\nthe real module answered ERROR, for a cause its log does not show (not compared):";
  for (const auto& [cmd, n] : refused) std::cout << " " << cmd << (n > 1 ? " x" + std::to_string(n) : "");
  std::cout << "\n" << matched << " of " << compared << " modelled exchanges match the real modules\n";
  if (compared < 5) {
    std::cout << "FAIL: too few exchanges compared; did the transcripts change?\n";
    return 1;
  }
  return mismatched == 0 ? 0 : 1;
}
