#include "at/dialect.hpp"

#include <algorithm>
#include <charconv>

#include "models/models.hpp"

namespace athil {

namespace {
// The first four bytes (fewer for a shorter text, zeros after them) as one number.
std::uint32_t head_of(std::string_view text) {
  std::uint32_t head = 0;
  for (std::size_t i = 0; i < std::min<std::size_t>(text.size(), 4); ++i) head |= std::uint32_t{static_cast<unsigned char>(text[i])} << (8 * i);
  return head;
}
}  // namespace

void UrcTable::add_prefix(std::string prefix) {
  std::size_t n = std::min<std::size_t>(prefix.size(), 4);
  std::uint32_t mask = n == 4 ? ~0u : (1u << (8 * n)) - 1;
  prefixes_.push_back(Prefix{.head = head_of(prefix), .mask = mask, .text = std::move(prefix)});
}

bool UrcTable::matches(std::string_view line) const {
  if (std::find(lines_.begin(), lines_.end(), line) != lines_.end()) return true;
  const std::uint32_t head = head_of(line);
  for (const auto& p : prefixes_)
    if ((head & p.mask) == p.head && line.starts_with(p.text)) return true;
  return std::any_of(regexes_.begin(), regexes_.end(), [&](const LineRegex& re) { return re.match(line); });
}

namespace {
void add_tcpip_toolkit(Dialect& d);
}  // namespace

Dialect Dialect::sim70x0(std::string_view model) {
  Dialect d;
  // Boot, SIM, power and voltage URCs, spelt as the modules print them (WARNNING included).
  for (const char* line :
       {"RDY", "SMS Ready", "NORMAL POWER DOWN", "UNDER-VOLTAGE WARNNING", "UNDER-VOLTAGE POWER DOWN", "OVER-VOLTAGE WARNNING", "OVER-VOLTAGE POWER DOWN"})
    d.urcs.add_line(line);
  // Asynchronous results and state changes: registration, bearer, HTTP(S), MQTT, TCP/UDP,
  // FOTA, time, DNS, ping, SMS, GNSS reports.
  for (const char* prefix :
       {"+CFUN:",    "+CPIN:",    "+CEREG:", "+CGREG:",     "+CREG:",    "+APP PDP:", "+HTTPTOFS:", "+CFOTA:", "DST:",   "*PSUTTZ:",  "+CTZV:",  "+SHREQ:",
        "+SHSTATE:", "+SMSTATE:", "+SMSUB:", "+CADATAIND:", "+CASTATE:", "+CDNSGIP:", "+CPING:",    "+CNTP:",  "+CMTI:", "+SGNSCMD:", "+CASEND:"})
    d.urcs.add_prefix(prefix);
  d.payloads = {{"+SHREAD: ", false}, {"+CFSRFILE: ", false}, {"+FTPGET: 2,", false}, {"+CARECV: ", true}};
  if (model_or_default(model).legacy_app_stack) {
    // The SIM7000's older application stack (bearer profiles, HTTP and FTP actions).
    for (const char* prefix : {"+HTTPACTION:", "+FTPGET: 1,", "+FTPPUT: 1,", "+SAPBR "}) d.urcs.add_prefix(prefix);
    d.payloads.push_back({"+HTTPREAD: ", false});
    add_tcpip_toolkit(d);
  }
  return d;
}

namespace {

// The SIM7000's TCP/IP toolkit (AT+CIP*), SIM800-style: connections announce themselves
// ("CONNECT OK", "0, CLOSED" with AT+CIPMUX=1), and four commands end without OK.
void add_tcpip_toolkit(Dialect& d) {
  for (const char* line : {"CONNECT OK", "CONNECT FAIL", "ALREADY CONNECT", "CLOSED", "+PDP: DEACT"}) d.urcs.add_line(line);
  d.urcs.add_regex(R"(\d, (CONNECT OK|CONNECT FAIL|ALREADY CONNECT|CLOSED))");
  d.urcs.add_regex(R"(\+CIPRXGET: 1(,\d)?)");                                      // data waiting; "+CIPRXGET: 2,..." answers a read
  d.payloads.push_back({.prefix = "+CIPRXGET: 2,", .length_next_to_last = true});  // 2,[<id>,]<read>,<left>
  d.command_ends.push_back({"+CIPSHUT", LineRegex("SHUT OK")});
  d.command_ends.push_back({"+CIPCLOSE", LineRegex(R"((\d, )?CLOSE OK)")});
  d.command_ends.push_back({"+CIPSEND", LineRegex(R"((\d, )?SEND (OK|FAIL)|DATA ACCEPT:[\d,]+)")});
  d.command_ends.push_back({"+CIFSR", LineRegex(R"(\d{1,3}(\.\d{1,3}){3})")});  // the address alone
}

}  // namespace

bool Dialect::ends_command(std::string_view command, std::string_view line) const {
  for (const auto& e : command_ends)
    if (e.command == command && e.line.match(line)) return true;
  return false;
}

std::optional<int> update_percent(std::string_view line) {
  constexpr std::string_view prefix = "+CFOTA: \"Updating\",";
  if (line.substr(0, prefix.size()) != prefix) return std::nullopt;
  int percent = 0;
  auto digits = line.substr(prefix.size());
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), percent);
  if (ec != std::errc() || end != digits.data() + digits.size() || percent < 0 || percent > 100) return std::nullopt;
  return percent;
}

}  // namespace athil
