// HTTP download to the file system (AT+HTTPTOFS): the request goes out through the host, the result comes back as a URC.
#include "sim/module/common.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace athil::sim {

void VirtualModule::cmd_httptofsrl(const Invocation&) { reply({fmt::format("+HTTPTOFSRL: {},{},{}", download_.busy ? 1 : 0, download_.got, download_.total)}); }

void VirtualModule::cmd_httptofs(const Invocation& c) {
  if (c.form == Form::read) return reply({fmt::format("+HTTPTOFS: {},\"{}\",\"{}\"", download_.busy ? 1 : 0, download_.url, download_.path)});
  if (c.form == Form::test) return reply({"+HTTPTOFS: \"url\",\"path\",(10-1000),(5-100)"});
  auto a = split_args(c.args);
  if (a.size() < 2 || a.size() > 4 || a[0].empty()) return error();
  const std::string& path = a[1];
  bool dir_ok = std::any_of(std::begin(fs_dirs), std::end(fs_dirs), [&](std::string_view d) {
    return path.size() > d.size() && path.rfind(d, 0) == 0 && path.find('/', d.size()) == std::string::npos;
  });
  int timeout_s = 50;
  if (a.size() >= 3) {
    auto t = to_int(a[2]);
    if (!t || *t < 10 || *t > 1000) return error();
    timeout_s = *t;
  }
  if (a.size() == 4) {
    auto r = to_int(a[3]);
    if (!r || *r < 5 || *r > 100) return error();
  }
  if (!dir_ok || download_.busy) return error();
  ok();
  download_ = Download{.busy = true, .id = download_.id + 1, .url = a[0], .path = path};
  bool bearer_up = std::any_of(bearers_.begin(), bearers_.end(), [](const auto& b) { return b.second.active; });
  if (!bearer_up || faults_.http_601) {
    // No PDP context: the stack cannot reach the network.
    auto id = download_.id;
    return later(1000ms, [this, id] { http_done(HttpResult{.id = id, .failure = HttpResult::Failure::other}, now_); });
  }
  out_.http(HttpRequest{download_.id, a[0], network_timeout(Millis{timeout_s * 1000})});
}

void VirtualModule::http_done(const HttpResult& r, Time now) {
  now_ = std::max(now_, now);
  if (sh_.awaited && r.id == sh_.awaited) return sh_done(r);
  if (!download_.busy || r.id != download_.id) return;  // the module restarted meanwhile
  int status = r.status;
  switch (r.failure) {
    case HttpResult::Failure::none: break;
    case HttpResult::Failure::refused: status = 601; break;
    case HttpResult::Failure::other: status = 601; break;
    case HttpResult::Failure::dns: status = 603; break;
    case HttpResult::Failure::timeout: status = 408; break;
  }
  std::size_t length = r.failure == HttpResult::Failure::none ? r.body.size() : 0;
  download_.total = length;
  auto transfer = Millis(static_cast<long long>(static_cast<double>(length) * 1000.0 / download_bytes_per_s));
  later(transfer, [this, status, length, body = r.body] {
    if (status == 200 || status == 206) files_[download_.path] = body;
    download_.busy = false;
    download_.got = length;
    urc(fmt::format("+HTTPTOFS: {},{}", status, length));
  });
}

}  // namespace athil::sim
