#include "sim/command_list.hpp"

#include <algorithm>
#include <array>
#include <span>

namespace athil::sim {

namespace {

// V.25TER, 3GPP TS 27.007 and 27.005, as both families implement them.
constexpr auto standard = std::to_array<std::string_view>(
    {"A/",      "A",      "D",       "H",         "S0",    "S3",     "S4",       "S5",     "S6",      "S7",       "S8",     "S10",    "E",
     "I",       "O",      "Q",       "V",         "X",     "Z",      "&C",       "&D",     "&F",      "&V",       "&W",     "+GCAP",  "+GMI",
     "+GMM",    "+GMR",   "+GOI",    "+GSN",      "+ICF",  "+IFC",   "+IPR",     "+CGMI",  "+CGMM",   "+CGMR",    "+CGSN",  "+CSCS",  "+CIMI",
     "+CLCK",   "+CMEE",  "+COPS",   "+CPAS",     "+CPIN", "+CPWD",  "+CR",      "+CRC",   "+CREG",   "+CSQ",     "+CPOL",  "+COPN",  "+CFUN",
     "+CCLK",   "+CSIM",  "+CRSM",   "+CEER",     "+CLAC", "+CGATT", "+CGDCONT", "+CGACT", "+CGDATA", "+CGPADDR", "+CGREG", "+CEREG", "+CGCONTRDP",
     "+CGEREP", "+CPSMS", "+CEDRXS", "+CEDRXRDP", "+CTZR", "+CTZU",  "+CMGD",    "+CMGF",  "+CMGL",   "+CMGR",    "+CMGS",  "+CMGW",  "+CMSS",
     "+CNMI",   "+CPMS",  "+CRES",   "+CSAS",     "+CSCA", "+CSDH",  "+CSMP",    "+CSMS"});

// SIMCom's own, common to both families: status and control, the network, power saving, the
// file system, FOTA, the CA* sockets, HTTP(S) (SH*), MQTT (SM*), SSL, DNS, NTP, ping, GNSS.
constexpr auto simcom = std::to_array<std::string_view>(
    {"+SIMCOMATI", "+GSV",      "+CPOWD",    "+CADC",    "+CLTS",       "+CBANDCFG", "+CNETLIGHT", "+SLEDS",    "+CSGS",       "+CSCLK",   "+CPSI",
     "+CNMP",      "+CMNB",     "+CPSMRDP",  "+CPSMCFG", "+CPSMSTATUS", "+CENG",     "+CNSMOD",    "+CCID",     "+CBC",        "+CGNAPN",  "+CNCFG",
     "+CNACT",     "+CREBOOT",  "+CURCCFG",  "+CFSINIT", "+CFSWFILE",   "+CFSRFILE", "+CFSDFILE",  "+CFSGFIS",  "+CFSREN",     "+CFSGFRS", "+CFSTERM",
     "+CFOTA",     "+CACID",    "+CASSLCFG", "+CAOPEN",  "+CASEND",     "+CARECV",   "+CACLOSE",   "+CACFG",    "+CASTATE",    "+CAACK",   "+CASERVER",
     "+CDNSCFG",   "+CDNSGIP",  "+CNTP",     "+CNTPCID", "+SNPDPID",    "+SNPING4",  "+SHSSL",     "+SHCONF",   "+SHCONN",     "+SHBOD",   "+SHAHEAD",
     "+SHPARA",    "+SHCPARA",  "+SHCHEAD",  "+SHREQ",   "+SHREAD",     "+SHDISC",   "+SHSTATE",   "+HTTPTOFS", "+HTTPTOFSRL", "+SMCONF",  "+SMSSL",
     "+SMCONN",    "+SMPUB",    "+SMSUB",    "+SMUNSUB", "+SMSTATE",    "+SMDISC",   "+SMPUBHEX",  "+CSSLCFG",  "+CGNSPWR",    "+CGNSINF", "+CGNSURC",
     "+CGNSCOLD",  "+CGNSWARM", "+CGNSHOT",  "+CGNSMOD", "+CGNSCPY",    "+CGNSXTRA", "+CGNSHOR"});

// The SIM7000's older stack beside the new one: bearer profiles, the CIP* sockets, HTTP and FTP
// actions, e-mail.
constexpr auto sim7000_only = std::to_array<std::string_view>(
    {"+SAPBR",      "+CIPMUX",     "+CIPSTART",   "+CIPSEND",    "+CIPQSEND",   "+CIPACK",     "+CIPCLOSE", "+CIPSHUT",   "+CLPORT",   "+CSTT",
     "+CIICR",      "+CIFSR",      "+CIFSREX",    "+CIPSTATUS",  "+CIPHEAD",    "+CIPATS",     "+CIPSPRT",  "+CIPSERVER", "+CIPCSGP",  "+CIPSRIP",
     "+CIPDPDP",    "+CIPMODE",    "+CIPCCFG",    "+CIPRXGET",   "+CIPSSL",     "+CIPSENDHEX", "+HTTPINIT", "+HTTPTERM",  "+HTTPPARA", "+HTTPDATA",
     "+HTTPACTION", "+HTTPREAD",   "+HTTPPOST",   "+HTTPHEAD",   "+HTTPSSL",    "+HTTPSTATUS", "+FTPCID",   "+FTPSERV",   "+FTPPORT",  "+FTPUN",
     "+FTPPW",      "+FTPGETNAME", "+FTPGETPATH", "+FTPPUTNAME", "+FTPPUTPATH", "+FTPGET",     "+FTPPUT",   "+FTPSIZE",   "+FTPDELE",  "+FTPQUIT",
     "+FTPMODE",    "+FTPTYPE",    "+FTPEXTGET",  "+FTPEXTPUT",  "+FTPSTATE",   "+EMAILCID",   "+EMAILTO",  "+SMTPSRV",   "+SMTPSEND", "+CGNSTST"});

// SIM7070/7080/7090: one manual, one command set; FTP and CoAP on the new stack, SGNS* GNSS control.
constexpr auto sim70x0_only = std::to_array<std::string_view>(
    {"+FTPCID",   "+FTPSERV",   "+FTPPORT",     "+FTPUN",     "+FTPPW",     "+FTPGETNAME", "+FTPGETPATH", "+FTPPUTNAME", "+FTPPUTPATH", "+FTPGET",
     "+FTPPUT",   "+FTPSIZE",   "+FTPDELE",     "+FTPQUIT",   "+FTPMODE",   "+FTPTYPE",    "+FTPEXTGET",  "+FTPEXTPUT",  "+FTPSTATE",   "+CCOAPINIT",
     "+CCOAPURL", "+CCOAPPARA", "+CCOAPACTION", "+CCOAPHEAD", "+CCOAPREAD", "+CCOAPTERM",  "+SGNSCFG",    "+SGNSCMD"});

}  // namespace

namespace {
std::span<const std::string_view> family_only(const ModelInfo& model) {
  if (model.cnact == CnactSyntax::sim7000) return sim7000_only;
  return sim70x0_only;
}
}  // namespace

std::vector<std::string_view> command_list(const ModelInfo& model) {
  std::vector<std::string_view> out(standard.begin(), standard.end());
  out.insert(out.end(), simcom.begin(), simcom.end());
  auto own = family_only(model);
  out.insert(out.end(), own.begin(), own.end());
  return out;
}

bool lists(const ModelInfo& model, std::string_view name) {
  auto listed = [&](std::string_view n) {
    for (auto part : {std::span<const std::string_view>(standard), std::span<const std::string_view>(simcom), family_only(model)})
      if (std::find(part.begin(), part.end(), n) != part.end()) return true;
    return false;
  };
  if (listed(name)) return true;
  // A basic command with its value (ATE0, ATV1) is the command (ATE); S-registers are listed by number.
  bool basic_with_value = name.size() > 1 && name[0] != '+' && name[0] != '&' && name.find_first_not_of("0123456789", 1) == std::string_view::npos;
  return basic_with_value && name[0] != 'S' && listed(name.substr(0, 1));
}

}  // namespace athil::sim
