#include "at/dialect.hpp"

#include <algorithm>
#include <charconv>

#include "models/models.hpp"

namespace athil {

bool UrcTable::matches(std::string_view line) const {
  if (std::find(lines_.begin(), lines_.end(), line) != lines_.end()) return true;
  if (std::any_of(prefixes_.begin(), prefixes_.end(), [&](const std::string& p) { return line.substr(0, p.size()) == p; })) return true;
  return std::any_of(regexes_.begin(), regexes_.end(), [&](const std::regex& re) { return std::regex_match(line.begin(), line.end(), re); });
}

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
  }
  return d;
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
