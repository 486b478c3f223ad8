#include "sim/http_fetch.hpp"

#include <memory>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace athil::sim {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

http::verb verb(HttpMethod m) {
  switch (m) {
    case HttpMethod::put: return http::verb::put;
    case HttpMethod::post: return http::verb::post;
    case HttpMethod::patch: return http::verb::patch;
    case HttpMethod::head: return http::verb::head;
    case HttpMethod::get:
    case HttpMethod::connect_only: break;
  }
  return http::verb::get;
}

// One HTTP request with Beast, for AT+HTTPTOFS and AT+SHREQ (or only its connection, for AT+SHCONN).
class Fetch : public std::enable_shared_from_this<Fetch> {
 public:
  Fetch(asio::io_context& io, HttpRequest request, std::function<void(HttpResult)> done)
      : resolver_(io), stream_(io), request_(std::move(request)), done_(std::move(done)) {}

  void start() {
    std::string_view url = request_.url;
    // TLS is simulated: an https:// URL goes to the same host and port in plain HTTP (the
    // module's own rules, a CA converted and named first, are checked before it gets here).
    std::string_view scheme = url.substr(0, 8) == "https://" ? "https://" : "http://";
    if (url.substr(0, scheme.size()) != scheme) return finish(HttpResult::Failure::other);
    url.remove_prefix(scheme.size());
    auto slash = url.find('/');
    std::string_view authority = url.substr(0, slash);
    target_ = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
    auto colon = authority.rfind(':');
    host_ = std::string(authority.substr(0, colon));
    port_ = colon == std::string_view::npos ? (scheme == "https://" ? "443" : "80") : std::string(authority.substr(colon + 1));
    if (host_.empty()) return finish(HttpResult::Failure::dns);
    resolver_.async_resolve(host_, port_, [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
      if (ec) return self->finish(HttpResult::Failure::dns);
      self->stream_.expires_after(self->request_.timeout);
      self->stream_.async_connect(results, [self](beast::error_code ec2, const tcp::endpoint&) { self->on_connect(ec2); });
    });
  }

 private:
  void on_connect(beast::error_code ec) {
    if (ec) return finish(ec == beast::error::timeout ? HttpResult::Failure::timeout : HttpResult::Failure::refused);
    if (request_.method == HttpMethod::connect_only) return finish(HttpResult::Failure::none);
    req_ = http::request<http::string_body>(verb(request_.method), target_, 11);
    req_.set(http::field::host, host_ + ":" + port_);
    req_.set(http::field::user_agent, "SIMCOM_MODULE");
    for (const auto& [name, value] : request_.headers) req_.set(name, value);
    if (request_.method != HttpMethod::get && request_.method != HttpMethod::head) {
      req_.body() = request_.body;
      req_.prepare_payload();
    }
    if (request_.method == HttpMethod::head) parser_.skip(true);
    http::async_write(stream_, req_, [self = shared_from_this()](beast::error_code ec2, std::size_t) {
      if (ec2) return self->finish(ec2 == beast::error::timeout ? HttpResult::Failure::timeout : HttpResult::Failure::other);
      self->parser_.body_limit(64 * 1024 * 1024);
      http::async_read(self->stream_, self->buffer_, self->parser_, [self](beast::error_code ec3, std::size_t) {
        if (ec3) return self->finish(ec3 == beast::error::timeout ? HttpResult::Failure::timeout : HttpResult::Failure::other);
        auto& res = self->parser_.get();
        self->finish(HttpResult::Failure::none, static_cast<int>(res.result_int()), std::move(res.body()));
      });
    });
  }

  void finish(HttpResult::Failure failure, int status = 0, std::string body = {}) {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    done_(HttpResult{request_.id, failure, status, std::move(body)});
  }

  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  HttpRequest request_;
  std::function<void(HttpResult)> done_;
  std::string host_, port_, target_;
  http::request<http::string_body> req_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
};

}  // namespace

void start_fetch(asio::io_context& io, HttpRequest request, std::function<void(HttpResult)> done) {
  std::make_shared<Fetch>(io, std::move(request), std::move(done))->start();
}

}  // namespace athil::sim
