// HTTP(S) (AT+SH*) and the certificates it uses (AT+CSSLCFG), as the SIM7000 and SIM7070/7080/7090
// manuals and real logs have them: AT+SHCONF sets the URL and sizes, AT+SHSSL names a CA that
// AT+CSSLCFG="convert" made from a file in /customer/, AT+SHCONN opens the connection and
// answers once it is open, headers with AT+SHAHEAD, a body with AT+SHBOD (inline on SIM7000,
// after a "> " prompt on SIM7070/7080/7090), AT+SHREQ answers OK and then +SHREQ: "<method>",
// <status>,<length>, and AT+SHREAD gives the body in chunks of 2048 bytes, each "+SHREAD: <n>"
// and the raw bytes. TLS is simulated: no handshake, but an https:// URL needs AT+SHSSL first.
#include "sim/module/common.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace athil::sim {

namespace {

constexpr std::string_view methods[] = {"GET", "PUT", "POST", "PATCH", "HEAD"};  // AT+SHREQ's types 1..5
constexpr HttpMethod method_of[] = {HttpMethod::get, HttpMethod::put, HttpMethod::post, HttpMethod::patch, HttpMethod::head};

}  // namespace

void VirtualModule::cmd_csslcfg(const Invocation& c) {
  auto a = split_args(c.args);
  if (a.empty()) return error();
  std::string name = upper(a[0]);
  if (name == "CONVERT") {
    // "convert",2,"<CA file>" or "convert",1,"<certificate>","<key>": the files must be in /customer/.
    auto type = int_arg(a, 1);
    if (!in_range(type, 1, 2) || a.size() != (*type == 2 ? 3u : 4u)) return error();
    for (std::size_t i = 2; i < a.size(); ++i)
      if (!files_.count(std::string(fs_dirs[3]) + a[i])) return error();
    converted_.insert(a[2]);
    return ok();
  }
  static const std::string_view settings[] = {"SSLVERSION", "CIPHERSUITE", "IGNORERTCTIME", "PROTOCOL", "SNI", "CTXINDEX", "MAXFRAGLEN"};
  if (std::find(std::begin(settings), std::end(settings), name) == std::end(settings) || a.size() < 2) return error();
  ok();  // TLS is simulated: its settings change nothing the host can see
}

void VirtualModule::cmd_shssl(const Invocation& c) {
  auto a = split_args(c.args);  // <ctx>,"<CA>"[,"<certificate>"]
  auto ctx = int_arg(a, 0);
  if (a.size() < 2 || a.size() > 3 || !in_range(ctx, 0, 5)) return error();
  sh_.ca = a[1];  // "": TLS without verifying the server (drivers do that)
  sh_.ssl = true;
  ok();
}

void VirtualModule::cmd_shconf(const Invocation& c) {
  auto a = split_args(c.args);
  if (a.size() != 2) return error();
  std::string name = upper(a[0]);
  auto number = to_int(a[1]);
  if (name == "URL") {
    if (a[1].rfind("http://", 0) != 0 && a[1].rfind("https://", 0) != 0) return error();
    sh_.url = a[1];
  } else if (name == "BODYLEN") {
    if (!in_range(number, 0, max_sh_body)) return error();
    sh_.body_limit = *number;
  } else if (name == "HEADERLEN") {
    if (!in_range(number, 0, max_sh_header)) return error();
    sh_.header_limit = *number;
  } else if (name == "TIMEOUT" || name == "POLLCNT" || name == "POLLINTMS" || name == "IPVER") {
    if (!number) return error();
  } else {
    return error();
  }
  ok();
}

void VirtualModule::cmd_shconn(const Invocation&) {
  bool bearer_up = std::any_of(bearers_.begin(), bearers_.end(), [](const auto& b) { return b.second.active; });
  // An https:// URL needs AT+SHSSL, and the CA it names converted (an assumption where the manuals are silent).
  bool tls_ready = sh_.url.rfind("https://", 0) != 0 || (sh_.ssl && (sh_.ca.empty() || converted_.count(sh_.ca)));
  if (sh_.connected || sh_.url.empty() || !bearer_up || !tls_ready) return error();
  sh_ask(HttpMethod::connect_only, sh_.url);
}

void VirtualModule::cmd_shstate(const Invocation&) { reply({fmt::format("+SHSTATE: {}", sh_.connected ? 1 : 0)}); }

void VirtualModule::cmd_shahead(const Invocation& c) {
  auto a = split_args(c.args);
  if (a.size() != 2 || a[0].empty()) return error();
  std::size_t used = 0;
  for (const auto& [k, v] : sh_.headers) used += k.size() + v.size() + 4;
  if (used + a[0].size() + a[1].size() + 4 > static_cast<std::size_t>(sh_.header_limit)) return error();
  sh_.headers.emplace_back(a[0], a[1]);
  ok();
}

void VirtualModule::cmd_shchead(const Invocation&) {
  sh_.headers.clear();
  ok();
}

void VirtualModule::cmd_shbod(const Invocation& c) {
  auto a = split_args(c.args);
  if (model_.cnact == CnactSyntax::sim7000) {  // AT+SHBOD="<body>",<length>: the body inline
    auto length = int_arg(a, 1);
    if (a.size() != 2 || !length || static_cast<std::size_t>(*length) != a[0].size() || *length > sh_.body_limit) return error();
    sh_.body = a[0];
    return ok();
  }
  // AT+SHBOD=<length>,<input time ms>: the body raw after the prompt.
  auto length = int_arg(a, 0);
  auto input_ms = int_arg(a, 1);
  if (a.size() != 2 || !in_range(length, 1, sh_.body_limit) || !in_range(input_ms, 1, 10'000)) return error();
  auto id = sh_.body_input.id + 1;
  sh_.body_input = Sh::BodyInput{.active = true, .size = static_cast<std::size_t>(*length), .id = id};
  emit("\r\n> ");
  later(Millis(*input_ms), [this, id] {  // too few bytes within the input time: ERROR, no body
    if (!sh_.body_input.active || sh_.body_input.id != id) return;
    sh_.body_input.active = false;
    error();
  });
}

void VirtualModule::sh_body_bytes(std::string_view bytes) {
  auto& in = sh_.body_input;
  in.data += bytes;
  if (in.data.size() < in.size) return;
  in.active = false;
  sh_.body = std::move(in.data);
  ok();
}

void VirtualModule::cmd_shreq(const Invocation& c) {
  // "<path or URL>",<type 1..5>; a SIM7000 also takes <type> alone, for AT+SHCONF's URL (a log shows it).
  auto a = split_args(c.args);
  if (a.size() == 1 && model_.cnact == CnactSyntax::sim7000) a.insert(a.begin(), sh_.url);
  auto type = int_arg(a, 1);
  if (a.size() != 2 || !in_range(type, 1, 5) || a[0].empty() || !sh_.connected) return error();
  std::string url = a[0].rfind("http", 0) == 0 ? a[0] : sh_.url + (a[0].front() == '/' ? "" : "/") + a[0];
  sh_.method = *type - 1;
  sh_ask(method_of[sh_.method], url);
}

void VirtualModule::cmd_shread(const Invocation& c) {
  auto a = split_args(c.args);  // <start>,<length>
  auto start = int_arg(a, 0), length = int_arg(a, 1);
  if (a.size() != 2 || !start || !length || *start < 0 || *length < 1 ||
      static_cast<std::size_t>(*start) + static_cast<std::size_t>(*length) > sh_.response.size())
    return error();
  ok();
  std::string_view body(sh_.response);
  body = body.substr(static_cast<std::size_t>(*start), static_cast<std::size_t>(*length));
  for (std::size_t at = 0; at < body.size(); at += sh_read_chunk) {
    auto chunk = body.substr(at, sh_read_chunk);
    emit(fmt::format("\r\n+SHREAD: {}\r\n", chunk.size()));
    emit(chunk);
    emit("\r\n");
  }
}

void VirtualModule::cmd_shdisc(const Invocation&) {
  sh_.connected = false;
  ok();
}

void VirtualModule::sh_ask(HttpMethod method, const std::string& url) {
  auto timeout = network_timeout(sh_request_timeout);
  sh_.awaited = sh_request_ids | ++sh_.next_id;  // apart from AT+HTTPTOFS's ids
  sh_.awaiting_connect = method == HttpMethod::connect_only;
  if (!out_.http) return http_done(HttpResult{.id = sh_.awaited, .failure = HttpResult::Failure::other}, now_);
  out_.http(HttpRequest{.id = sh_.awaited, .url = url, .timeout = timeout, .method = method, .headers = sh_.headers, .body = sh_.body});
}

// AT+SHCONN's connection, or AT+SHREQ's answer.
void VirtualModule::sh_done(const HttpResult& r) {
  sh_.awaited = 0;
  bool ok_now = r.failure == HttpResult::Failure::none;
  if (std::exchange(sh_.awaiting_connect, false)) {
    sh_.connected = ok_now;
    ok_now ? ok() : error();
    return run_held_lines();
  }
  ok();  // the request went out: the result comes as a URC
  if (!ok_now) {
    sh_.connected = false;
    urc("+SHSTATE: 0");  // the connection broke under the request
    return run_held_lines();
  }
  sh_.response = r.body;
  later(sh_response_time, [this, status = r.status, length = r.body.size()] { urc(fmt::format("+SHREQ: \"{}\",{},{}", methods[sh_.method], status, length)); });
  run_held_lines();
}

}  // namespace athil::sim
