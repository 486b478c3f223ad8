#pragma once
// Byte sequences as real modules sent them, rebuilt with their CR LF framing from the logs in
// ../shared/transcripts (copied here so that the tests run without ../shared). The number
// names the transcript.
#include <string>

namespace athil::test::module_bytes {

// 07: echo is the command and the host's CR, then CR LF.
inline const std::string sim7000e_gmr = "AT+GMR\r\r\nRevision:1351B05SIM7000E\r\n\r\nOK\r\n";
// 08: a stray single-space line inside the response.
inline const std::string sim7000_caopen = "AT+CAOPEN=0,\"x.azure-devices.net\",8883\r\r\n\r\n+CAOPEN: 0,0\r\n\r\n \r\n\r\nOK\r\n";
// 08: the "> " prompt ends without a line end.
inline const std::string sim7000_casend = "AT+CASEND=0,5\r\r\n> ";
// 06: prompt, the payload's echo, a URC before the final OK.
inline const std::string sim7000_smpub = "AT+SMPUB=\"ryan\",\"8\",1,1\r\r\n> test626\r\n\r\n+SMSTATE: 0\r\n\r\nOK\r\n";
// 06: URCs after boot, the SIM7000's *PSUTTZ with its stray quote, blank-ish lines between.
inline const std::string sim7000_boot_time = "\r\nDST: 0\r\n \r\n*PSUTTZ: 19/06/26,06:04:03\",\"+32\",0\r\n \r\n";
// 09: the DOWNLOAD line, then OK after the host's 1322 bytes.
inline const std::string sim7000e_cfswfile = "AT+CFSWfile=3,\"sim.crt\",0,1322,5000\r\r\nDOWNLOAD\r\n";
// 09: the bearer's URC after the command's OK.
inline const std::string sim7000e_cnact = "AT+CNACT=1,\"3GNET\"\r\r\nOK\r\n\r\n+APP PDP: ACTIVE\r\n";
// 05: echo on after boot, then ATE0 (echoed), then no echo.
inline const std::string sim7070_echo_off = "AT\r\r\nOK\r\nATE0\r\r\nOK\r\n\r\nSIMCOM_SIM7070\r\n\r\nOK\r\n";
// The reference's power-up garbage: a stale URC, PPP frame fragments, bytes that are not UTF-8.
inline const std::string power_up_garbage = [] {
  static const char bytes[] = "\r\nNORMAL POWER DOWN\r\n~}#\xc0!}!}!} }8}\"}&\xde\xad\xbe\xef~\xff\xfe\x00~\r\nRDY\r\n";
  return std::string(bytes, sizeof bytes - 1);  // the NUL inside is part of it
}();

// 09: AT+SHREAD answers OK, then the body in chunks, each "+SHREAD: <n>" and n raw bytes; stray
// " " lines between. The body here holds CR, LF, "OK" and a would-be header, as HTML can.
inline std::string shread_body(std::size_t n) {
  std::string body = "<html>\r\nOK\r\n+SHREAD: 9999\r\n> \r\nDOWNLOAD ";
  while (body.size() < n) body += static_cast<char>('a' + body.size() % 26);
  body.resize(n);
  return body;
}
inline const std::string sim7000e_shread =
    "AT+SHREAD=0,3762\r\r\nOK\r\n\r\n \r\n\r\n+SHREAD: 2048\r\n" + shread_body(2048) + "\r\n \r\n\r\n+SHREAD: 1714\r\n" + shread_body(1714) + "\r\n";

}  // namespace athil::test::module_bytes
