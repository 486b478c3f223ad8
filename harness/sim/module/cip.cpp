// SIM7000's TCP/IP toolkit, the SIM800-style stack beside AT+CA*: AT+CSTT, AT+CIICR and AT+CIFSR
// bring its context up (AT+CIPSTATUS says "IP START", "IP GPRSACT", "IP STATUS", as a SIM7000C
// session shows); AT+CIPSTART answers OK and then "CONNECT OK" or "CONNECT FAIL"; AT+CIPSEND
// takes exactly its length after "> " and ends with "SEND OK" (or "DATA ACCEPT:" with
// AT+CIPQSEND=1); data from the peer is pushed to the UART, or announced with "+CIPRXGET: 1"
// and read with AT+CIPRXGET=2 after AT+CIPRXGET=1; the peer closing says "CLOSED"; AT+CIPCLOSE
// ends with "CLOSE OK", AT+CIPSHUT with "SHUT OK". With AT+CIPMUX=1 every connection's lines
// start with "<n>, ". AT+SAPBR opens bearer profile 1, as TinyGSM's SIM7000 logs show.
#include "sim/module/common.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace athil::sim {

namespace {

constexpr int cip_links = 8;
constexpr int max_cip_hex_read = 730;  // AT+CIPRXGET=3's length at most, as the SIM800 family's manuals give it
constexpr std::string_view cip_ip = "10.110.17.5";

}  // namespace

std::string VirtualModule::cip_state() const {
  const auto& first = cip_.links[0];
  const char* proto = first.udp ? "UDP" : "TCP";
  if (cip_.mux && std::any_of(cip_.links.begin(), cip_.links.end(), [](const CipLink& l) { return l.open || l.opening; })) return "IP PROCESSING";
  if (!cip_.mux && first.opening) return fmt::format("{} CONNECTING", proto);
  if (!cip_.mux && first.open) return "CONNECT OK";
  if (!cip_.mux && first.closed) return fmt::format("{} CLOSED", proto);
  switch (cip_.context) {
    case CipContext::initial: return "IP INITIAL";
    case CipContext::start: return "IP START";
    case CipContext::gprsact: return "IP GPRSACT";
    case CipContext::status: return "IP STATUS";
    case CipContext::pdp_deact: return "PDP DEACT";
  }
  return "IP INITIAL";
}

std::string VirtualModule::cip_tag(int n) const { return cip_.mux ? fmt::format("{}, ", n) : ""; }

void VirtualModule::cmd_cstt(const Invocation& c) {
  if (c.form == Form::read) return reply({fmt::format("+CSTT: \"{}\",\"\",\"\"", cip_.apn)});
  auto a = split_args(c.args);
  if (a.empty() || a.size() > 3 || cip_.context != CipContext::initial) return error();
  cip_.apn = a[0];
  cip_.context = CipContext::start;
  ok();
}

void VirtualModule::cmd_ciicr(const Invocation&) {
  // Not attached, the activation fails: an assumption (the real module tries for up to 85 s).
  if (cip_.context != CipContext::start || reg_stat_ != 1) return error();
  cip_.context = CipContext::gprsact;
  ok();
}

void VirtualModule::cmd_cifsr(const Invocation&) {
  if (cip_.context != CipContext::gprsact && cip_.context != CipContext::status) return error();
  cip_.context = CipContext::status;
  emit(fmt::format("\r\n{}\r\n", cip_ip));  // the address is the whole answer: no OK
}

void VirtualModule::cmd_cipmux(const Invocation& c) {
  if (c.form == Form::read) return reply({fmt::format("+CIPMUX: {}", cip_.mux ? 1 : 0)});
  auto mode = to_int(c.args);
  if (!in_range(mode, 0, 1) || cip_.context != CipContext::initial) return error();  // set in IP INITIAL only
  cip_.mux = *mode == 1;
  ok();
}

void VirtualModule::cmd_cip_flag(const Invocation& c) {
  bool& flag = c.name == "+CIPQSEND" ? cip_.quick_send : cip_.head;
  if (c.form == Form::read) return reply({fmt::format("{}: {}", c.name, flag ? 1 : 0)});
  auto mode = to_int(c.args);
  if (!in_range(mode, 0, 1)) return error();
  flag = *mode == 1;
  ok();
}

void VirtualModule::cmd_cipstatus(const Invocation&) {
  ok();
  std::string lines = fmt::format("\r\nSTATE: {}\r\n", cip_state());
  for (int n = 0; cip_.mux && n < cip_links; ++n) {
    const auto& l = cip_.links[static_cast<std::size_t>(n)];
    if (l.open || l.opening)
      lines += fmt::format("\r\nC: {},0,\"{}\",\"{}\",\"{}\",\"{}\"\r\n", n, l.udp ? "UDP" : "TCP", l.host, l.port, l.open ? "CONNECTED" : "CONNECTING");
    else
      lines += fmt::format("\r\nC: {},,\"\",\"\",\"\",\"INITIAL\"\r\n", n);
  }
  emit(lines);
}

void VirtualModule::cmd_cipstart(const Invocation& c) {
  auto a = split_args(c.args);  // [<n>,]"TCP"|"UDP","<host>",<port>
  std::size_t at = cip_.mux ? 1 : 0;
  auto n = cip_.mux ? int_arg(a, 0) : std::optional<int>(0);
  if (a.size() != at + 3 || !in_range(n, 0, cip_links - 1)) return error();
  std::string type = upper(a[at]);
  const std::string& host = a[at + 1];
  auto port = to_int(a[at + 2]);
  if ((type != "TCP" && type != "UDP") || host.empty() || !in_range(port, 1, 65535)) return error();
  if (cip_.context != CipContext::gprsact && cip_.context != CipContext::status) return error();
  auto& l = cip_.links[static_cast<std::size_t>(*n)];
  if (l.open || l.opening) {  // an assumption on the order: ERROR, then the reason
    error();
    return urc(cip_tag(*n) + "ALREADY CONNECT");
  }
  l = CipLink{.opening = true, .udp = type == "UDP", .link = ++socket_links_, .host = host, .port = *port};
  ok();
  auto timeout = network_timeout(ca_open_timeout);
  if (!out_.socket) return socket_in(SocketEvent{.kind = SocketEvent::Kind::failed, .link = l.link}, now_);
  out_.socket(SocketRequest{.kind = SocketRequest::Kind::open, .link = l.link, .udp = l.udp, .host = host, .port = *port, .timeout = timeout});
}

void VirtualModule::cmd_cipsend(const Invocation& c) {
  auto a = split_args(c.args);  // [<n>,]<length>, or without the length: typed until Ctrl-Z
  std::size_t with_n = cip_.mux ? 1 : 0;
  auto n = cip_.mux ? int_arg(a, 0) : std::optional<int>(0);
  bool until_ctrl_z = a.size() == with_n;
  auto size = until_ctrl_z ? std::optional<int>(max_ca_send) : int_arg(a, with_n);
  if (a.size() > with_n + 1 || !in_range(n, 0, cip_links - 1) || !in_range(size, 1, max_ca_send) || !cip_.links[static_cast<std::size_t>(*n)].open)
    return error();
  cip_.send = {.active = true, .until_ctrl_z = until_ctrl_z, .n = *n, .size = static_cast<std::size_t>(*size), .data = {}};
  emit("\r\n> ");
}

// AT+CIPSEND without a length: the data as typed (echoed), sent by Ctrl-Z, dropped by Esc
// (answered OK, as AT+CMGS's Esc is: an assumption); beyond 1460 bytes the rest is lost.
void VirtualModule::cip_key(char c) {
  auto& s = cip_.send;
  if (c == 0x1a) {
    s.size = s.data.size();
    return cip_send_bytes({});
  }
  if (c == 0x1b) {
    s = {};
    return ok();
  }
  if (s.data.size() < s.size) s.data += c;
}

void VirtualModule::cip_send_bytes(std::string_view bytes) {
  auto& s = cip_.send;
  s.data += bytes;
  if (s.data.size() < s.size) return;
  s.active = false;
  if (s.data.empty()) return error();  // Ctrl-Z with nothing typed
  auto& l = cip_.links[static_cast<std::size_t>(s.n)];
  if (out_.socket && l.open) out_.socket(SocketRequest{.kind = SocketRequest::Kind::send, .link = l.link, .data = s.data});
  if (cip_.quick_send) return emit_final(fmt::format("\r\nDATA ACCEPT:{}{}\r\n", cip_.mux ? fmt::format("{},", s.n) : "", s.size));
  emit_final(fmt::format("\r\n{}SEND OK\r\n", cip_tag(s.n)));
}

void VirtualModule::cmd_ciprxget(const Invocation& c) {
  auto a = split_args(c.args);  // 0|1; 2|3,[<n>,]<length>; 4[,<n>]
  auto mode = int_arg(a, 0);
  if (mode == 0 || mode == 1) {
    if (a.size() != 1) return error();
    cip_.manual_rx = *mode == 1;
    return ok();
  }
  // Reads need AT+CIPRXGET=1: 2 the bytes as they are, 3 in hex (at most 730 of them).
  if (!cip_.manual_rx || !in_range(mode, 2, 4)) return error();
  auto n = cip_.mux ? int_arg(a, 1) : std::optional<int>(0);
  if (!in_range(n, 0, cip_links - 1)) return error();
  auto& l = cip_.links[static_cast<std::size_t>(*n)];
  std::string id = cip_.mux ? fmt::format("{},", *n) : "";
  if (mode == 4) return reply({fmt::format("+CIPRXGET: 4,{}{}", id, l.received.size())});
  auto size = int_arg(a, cip_.mux ? 2 : 1);
  if (a.size() != (cip_.mux ? 3u : 2u) || !in_range(size, 1, mode == 3 ? max_cip_hex_read : max_ca_send)) return error();
  auto got = std::min(l.received.size(), static_cast<std::size_t>(*size));
  std::string data = l.received.substr(0, got);
  l.received.erase(0, got);
  emit(fmt::format("\r\n+CIPRXGET: {},{}{},{}\r\n", *mode, id, got, l.received.size()));
  if (mode == 3) {
    std::string hex;
    for (unsigned char ch : data) hex += fmt::format("{:02X}", ch);
    data = hex;
  }
  emit(data);
  if (got > 0) emit("\r\n");
  ok();
}

void VirtualModule::cmd_cipclose(const Invocation& c) {
  std::optional<int> n = 0;
  if (cip_.mux) {
    auto a = split_args(c.args);  // <n>[,<quick>]
    n = int_arg(a, 0);
    if (c.form != Form::set || a.empty() || a.size() > 2) return error();
  } else if (c.form == Form::set && !in_range(to_int(c.args), 0, 1)) {  // AT+CIPCLOSE=1: quick close
    return error();
  }
  if (!in_range(n, 0, cip_links - 1) || !cip_.links[static_cast<std::size_t>(*n)].open) return error();
  auto& l = cip_.links[static_cast<std::size_t>(*n)];
  if (out_.socket) out_.socket(SocketRequest{.kind = SocketRequest::Kind::close, .link = l.link});
  l = CipLink{.closed = true, .udp = l.udp};
  emit_final(fmt::format("\r\n{}CLOSE OK\r\n", cip_tag(*n)));
}

void VirtualModule::cmd_cipshut(const Invocation&) {
  cip_reset();
  cip_.context = CipContext::initial;
  emit_final("\r\nSHUT OK\r\n");
}

void VirtualModule::cmd_sapbr(const Invocation& c) {
  auto a = split_args(c.args);  // <cmd>,<cid>[,"<tag>","<value>"]
  auto cmd = int_arg(a, 0);
  if (a.size() < 2 || int_arg(a, 1) != 1) return error();  // profile 1 only: an assumption
  switch (cmd.value_or(-1)) {
    case 0:  // close
      if (a.size() != 2 || !std::exchange(sapbr_.open, false)) return error();
      return ok();
    case 1:  // open: fails unless attached, or when open already
      if (a.size() != 2 || sapbr_.open || reg_stat_ != 1) return error();
      sapbr_.open = true;
      return ok();
    case 2:  // query
      if (a.size() != 2) return error();
      return reply({fmt::format("+SAPBR: 1,{},\"{}\"", sapbr_.open ? 1 : 3, sapbr_.open ? cip_ip : "0.0.0.0")});
    case 3:  // a parameter: "Contype", "APN", "USER", "PWD"
      if (a.size() != 4) return error();
      if (upper(a[2]) == "APN") sapbr_.apn = a[3];
      return ok();
    default: return error();  // 4 (read the parameters) is not modelled
  }
}

bool VirtualModule::cip_socket_in(const SocketEvent& e) {
  auto it = std::find_if(cip_.links.begin(), cip_.links.end(), [&](const CipLink& l) { return l.link == e.link && (l.open || l.opening); });
  if (it == cip_.links.end()) return false;
  auto n = static_cast<int>(it - cip_.links.begin());
  auto& l = *it;
  switch (e.kind) {
    case SocketEvent::Kind::opened:
      if (!std::exchange(l.opening, false)) return true;
      l.open = true;
      urc(cip_tag(n) + "CONNECT OK");
      return true;
    case SocketEvent::Kind::refused:
    case SocketEvent::Kind::unresolved:
    case SocketEvent::Kind::failed:
      if (!l.opening) return true;
      l = CipLink{.closed = true, .udp = l.udp};
      urc(cip_tag(n) + "CONNECT FAIL");
      return true;
    case SocketEvent::Kind::data: cip_received(n, e.data); return true;
    case SocketEvent::Kind::closed:  // what came before the close can still be read
      l.open = false;
      l.closed = true;
      urc(cip_tag(n) + "CLOSED");
      return true;
  }
  return true;
}

// Pushed to the UART as it comes (with "+IPD,<len>:" after AT+CIPHEAD=1, "+RECEIVE,<n>,<len>:"
// with AT+CIPMUX=1), or kept for AT+CIPRXGET=2 after AT+CIPRXGET=1.
void VirtualModule::cip_received(int n, const std::string& data) {
  auto& l = cip_.links[static_cast<std::size_t>(n)];
  if (cip_.manual_rx) {
    if (l.received.size() + data.size() > max_ca_buffer) return;  // the buffer is full: lost
    if (l.received.empty()) urc(cip_.mux ? fmt::format("+CIPRXGET: 1,{}", n) : "+CIPRXGET: 1");
    l.received += data;
    return;
  }
  if (cip_.mux) return emit(fmt::format("\r\n+RECEIVE,{},{}:\r\n{}", n, data.size(), data));
  emit(cip_.head ? fmt::format("\r\n+IPD,{}:{}", data.size(), data) : data);
}

void VirtualModule::cip_reset() {
  for (auto& l : cip_.links) {
    if ((l.open || l.opening) && out_.socket) out_.socket(SocketRequest{.kind = SocketRequest::Kind::close, .link = l.link});
    l = CipLink{};
  }
  cip_.send = {};
}

}  // namespace athil::sim
