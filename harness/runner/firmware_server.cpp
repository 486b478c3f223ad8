#include "runner/firmware_server.hpp"

#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "base/error.hpp"
#include "base/file.hpp"

namespace athil::runner {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
namespace fs = std::filesystem;

namespace {

constexpr auto request_timeout = std::chrono::seconds(30);
constexpr std::size_t max_echo = 64 * 1024;  // the largest body /echo takes

// The file a request target names, or nothing when it is not a regular file inside root.
std::optional<fs::path> resolve(const fs::path& root, std::string_view target) {
  auto query = target.find('?');
  target = target.substr(0, query);
  if (target.empty() || target[0] != '/' || target.find("..") != std::string_view::npos || target.find('%') != std::string_view::npos ||
      target.find('\\') != std::string_view::npos)
    return std::nullopt;
  std::error_code ec;
  fs::path file = fs::weakly_canonical(root / fs::path(std::string(target.substr(1))), ec);
  if (ec) return std::nullopt;
  auto rel = file.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") return std::nullopt;  // a symlink led out of the folder
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  return file;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const fs::path& root) : stream_(std::move(socket)), root_(root) {}
  void start() {
    stream_.expires_after(request_timeout);
    parser_.body_limit(max_echo);
    http::async_read(stream_, buffer_, parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (!ec) self->respond(self->parser_.get());
    });
  }

 private:
  void respond(const http::request<http::string_body>& request) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(request.version());
    res->keep_alive(false);
    res->set(http::field::server, "athil-firmware-server");
    auto method = request.method();
    bool sends = method == http::verb::post || method == http::verb::put || method == http::verb::patch;
    if (sends && request.target() == "/echo") {
      res->result(http::status::ok);  // what the module sent comes back: the HTTP scenarios' round trip
      res->set(http::field::content_type, request[http::field::content_type].empty() ? "text/plain" : request[http::field::content_type]);
      res->body() = request.body();
    } else if (method != http::verb::get && method != http::verb::head) {
      res->result(http::status::method_not_allowed);
      res->body() = "only GET and HEAD, and POST, PUT or PATCH to /echo\n";
    } else if (auto file = resolve(root_, std::string_view(request.target().data(), request.target().size()))) {
      res->result(http::status::ok);
      res->set(http::field::content_type, "application/octet-stream");
      res->body() = read_file(*file).value_or("");
    } else {
      res->result(http::status::not_found);
      res->set(http::field::content_type, "text/plain");
      res->body() = "not found\n";
    }
    res->prepare_payload();
    if (method == http::verb::head) res->body().clear();
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code, std::size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  beast::tcp_stream stream_;
  const fs::path& root_;
  beast::flat_buffer buffer_;
  http::request_parser<http::string_body> parser_;
};

}  // namespace

struct FirmwareServer::Impl {
  fs::path root;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      std::make_shared<Session>(std::move(socket), root)->start();
      accept();
    });
  }
};

FirmwareServer::FirmwareServer(fs::path root) : impl_(std::make_unique<Impl>()) {
  std::error_code ec;
  impl_->root = fs::canonical(root, ec);
  if (ec) throw InfraError(fmt::format("firmware folder {}: {}", root.string(), ec.message()));
  try {
    tcp::endpoint loopback(asio::ip::make_address("127.0.0.1"), 0);
    impl_->acceptor.open(loopback.protocol());
    impl_->acceptor.bind(loopback);
    impl_->acceptor.listen();
  } catch (const std::exception& e) {
    throw InfraError(fmt::format("cannot listen on 127.0.0.1 for the firmware server: {}", e.what()));
  }
  impl_->accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

FirmwareServer::~FirmwareServer() {
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

unsigned short FirmwareServer::port() const { return impl_->acceptor.local_endpoint().port(); }
std::string FirmwareServer::url() const { return fmt::format("http://127.0.0.1:{}", port()); }

}  // namespace athil::runner
