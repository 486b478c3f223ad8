// TCP and UDP with the application stack (AT+CA*), to real peers through the host's sockets
// (sim/socket_client.cpp). SIM7000 opens with AT+CAOPEN=<cid>,"<host>",<port> (TCP), as its log
// shows; SIM7070/7080/7090 with AT+CAOPEN=<cid>,<pdp>,"TCP"|"UDP","<host>",<port>[,<mode>].
// Both answer +CAOPEN: <cid>,<result> and OK once the socket is open or has failed; AT+CASEND
// takes exactly its length after "> ", answers OK and +CASEND: <cid>,0,<length>; data from the
// peer is announced with +CADATAIND: <cid> and read with AT+CARECV (+CARECV: <n>,<bytes>); the
// peer closing says +CASTATE: <cid>,0.
#include "sim/module/common.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace athil::sim {

namespace {

// AT+CAOPEN's <result> codes, from the SIM7080 AT manual's list.
constexpr int ca_ok = 0, ca_unresolved = 20, ca_network_down = 21, ca_refused = 23, ca_connect_failed = 27;

}  // namespace

bool VirtualModule::bearer_up() const {
  return std::any_of(bearers_.begin(), bearers_.end(), [](const auto& b) { return b.second.active; });
}

void VirtualModule::cmd_caopen(const Invocation& c) {
  auto a = split_args(c.args);
  bool sim7000 = model_.cnact == CnactSyntax::sim7000;
  if (a.size() != (sim7000 ? 3u : 5u) && !(!sim7000 && a.size() == 6)) return error();
  auto cid = to_int(a[0]);
  std::string type = sim7000 ? "TCP" : upper(a[2]);
  const std::string& host = a[sim7000 ? 1 : 3];
  auto port = to_int(a[sim7000 ? 2 : 4]);
  if (!in_range(cid, 0, max_ca_sockets - 1) || (type != "TCP" && type != "UDP") || host.empty() || !in_range(port, 1, 65535)) return error();
  auto& s = sockets_[static_cast<std::size_t>(*cid)];
  if (s.open || s.opening) return error();
  if (!bearer_up()) return reply({fmt::format("+CAOPEN: {},{}", *cid, ca_network_down)});
  s = Socket{.opening = true, .link = ++socket_links_, .udp = type == "UDP"};
  socket_cid_waiting_ = *cid;
  auto timeout = network_timeout(ca_open_timeout);
  if (!out_.socket) return socket_in(SocketEvent{.kind = SocketEvent::Kind::failed, .link = s.link}, now_);
  out_.socket(SocketRequest{.kind = SocketRequest::Kind::open, .link = s.link, .udp = s.udp, .host = host, .port = *port, .timeout = timeout});
}

void VirtualModule::cmd_casend(const Invocation& c) {
  auto a = split_args(c.args);  // <cid>,<length>[,<input ms>]
  auto cid = int_arg(a, 0);
  auto size = int_arg(a, 1);
  if (a.size() > 3 || !in_range(cid, 0, max_ca_sockets - 1) || !in_range(size, 1, max_ca_send) || !sockets_[static_cast<std::size_t>(*cid)].open)
    return error();
  if (std::exchange(prompt_lost_, false)) return error();  // the no-prompt-after-wake fault
  ca_send_ = CaSend{.active = true, .cid = *cid, .size = static_cast<std::size_t>(*size)};
  emit("\r\n> ");
}

void VirtualModule::ca_send_bytes(std::string_view bytes) {
  ca_send_.data += bytes;
  if (ca_send_.data.size() < ca_send_.size) return;
  ca_send_.active = false;
  auto& s = sockets_[static_cast<std::size_t>(ca_send_.cid)];
  if (out_.socket && s.open) out_.socket(SocketRequest{.kind = SocketRequest::Kind::send, .link = s.link, .data = ca_send_.data});
  ok();
  urc(fmt::format("+CASEND: {},0,{}", ca_send_.cid, ca_send_.size));  // after OK, as a SIM7000's log shows
}

void VirtualModule::cmd_carecv(const Invocation& c) {
  auto a = split_args(c.args);  // <cid>,<length>
  auto cid = int_arg(a, 0);
  auto size = int_arg(a, 1);
  if (a.size() != 2 || !in_range(cid, 0, max_ca_sockets - 1) || !in_range(size, 1, max_ca_send)) return error();
  auto& s = sockets_[static_cast<std::size_t>(*cid)];
  if (s.received.empty()) return error();  // nothing to read: an assumption, the manuals do not say
  auto n = std::min(s.received.size(), static_cast<std::size_t>(*size));
  std::string data = s.received.substr(0, n);
  s.received.erase(0, n);
  emit(fmt::format("\r\n+CARECV: {},", n));
  emit(data);
  emit("\r\n");
  ok();
}

void VirtualModule::cmd_caclose(const Invocation& c) {
  auto cid = to_int(c.args);
  if (!in_range(cid, 0, max_ca_sockets - 1) || !sockets_[static_cast<std::size_t>(*cid)].open) return error();
  auto& s = sockets_[static_cast<std::size_t>(*cid)];
  if (out_.socket) out_.socket(SocketRequest{.kind = SocketRequest::Kind::close, .link = s.link});
  s = Socket{};
  ok();
}

void VirtualModule::cmd_castate(const Invocation&) {
  std::string lines;
  for (std::size_t cid = 0; cid < sockets_.size(); ++cid)
    if (sockets_[cid].open) lines += fmt::format("\r\n+CASTATE: {},1\r\n", cid);
  emit(lines);
  ok();
}

// AT+CACID and AT+CASSLCFG: which socket the next commands mean, and its TLS (simulated).
void VirtualModule::cmd_ca_setting(const Invocation& c) {
  auto a = split_args(c.args);
  auto cid = int_arg(a, 0);
  if (!in_range(cid, 0, max_ca_sockets - 1) || (c.name == "+CASSLCFG" && a.size() < 3)) return error();
  ok();
}

void VirtualModule::socket_in(const SocketEvent& e, Time now) {
  now_ = std::max(now_, now);
  auto it = std::find_if(sockets_.begin(), sockets_.end(), [&](const Socket& s) { return s.link == e.link && (s.open || s.opening); });
  if (it == sockets_.end()) {
    cip_socket_in(e);  // one of the older stack's, or closed meanwhile, or the module lost power
    return;
  }
  auto cid = static_cast<int>(it - sockets_.begin());
  auto& s = *it;
  switch (e.kind) {
    case SocketEvent::Kind::opened:
    case SocketEvent::Kind::refused:
    case SocketEvent::Kind::unresolved:
    case SocketEvent::Kind::failed: {
      bool opened = e.kind == SocketEvent::Kind::opened;
      int result = opened                                    ? ca_ok
                   : e.kind == SocketEvent::Kind::refused    ? ca_refused
                   : e.kind == SocketEvent::Kind::unresolved ? ca_unresolved
                                                             : ca_connect_failed;
      if (!s.opening) return;
      s.opening = false;
      s.open = opened;
      socket_cid_waiting_.reset();
      reply({fmt::format("+CAOPEN: {},{}", cid, result)});
      return run_held_lines();
    }
    case SocketEvent::Kind::data:
      if (s.received.size() + e.data.size() > max_ca_buffer) return;  // the module's buffer is full: lost
      if (s.received.empty()) urc(fmt::format("+CADATAIND: {}", cid));
      s.received += e.data;
      return;
    case SocketEvent::Kind::closed:
      s.open = false;
      urc(fmt::format("+CASTATE: {},0", cid));
      return;
  }
}

void VirtualModule::sockets_reset() {
  for (auto& s : sockets_) {
    if ((s.open || s.opening) && out_.socket) out_.socket(SocketRequest{.kind = SocketRequest::Kind::close, .link = s.link});
    s = Socket{};
  }
  socket_cid_waiting_.reset();
  ca_send_ = CaSend{};
  cip_reset();
  cip_ = Cip{};
  sapbr_ = {};
}

}  // namespace athil::sim
