#include "sim/host.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "base/fd.hpp"
#include "base/pty.hpp"
#include "sim/adapter.hpp"
#include "sim/module.hpp"

namespace athil::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using local = asio::local::stream_protocol;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

const char* level_name(Level l) { return l == Level::high ? "high" : "low"; }
const char* pin_name(Pin p) {
  switch (p) {
    case Pin::pwrkey: return "pwrkey";
    case Pin::reset: return "reset";
    case Pin::status: return "status";
    case Pin::netlight: return "netlight";
    case Pin::supply: return "supply";
  }
  return "?";
}
std::optional<Pin> pin_from(std::string_view s) {
  for (Pin p : {Pin::pwrkey, Pin::reset, Pin::supply, Pin::status, Pin::netlight})
    if (s == pin_name(p)) return p;
  return std::nullopt;
}

// One HTTP GET with Beast, for AT+HTTPTOFS.
class Fetch : public std::enable_shared_from_this<Fetch> {
 public:
  Fetch(asio::io_context& io, HttpGet request, std::function<void(HttpResult)> done)
      : resolver_(io), stream_(io), request_(std::move(request)), done_(std::move(done)) {}

  void start() {
    std::string_view url = request_.url;
    constexpr std::string_view scheme = "http://";
    if (url.substr(0, scheme.size()) != scheme) return finish(HttpResult::Failure::other);
    url.remove_prefix(scheme.size());
    auto slash = url.find('/');
    std::string_view authority = url.substr(0, slash);
    target_ = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
    auto colon = authority.rfind(':');
    host_ = std::string(authority.substr(0, colon));
    port_ = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
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
    req_ = http::request<http::empty_body>(http::verb::get, target_, 11);
    req_.set(http::field::host, host_ + ":" + port_);
    req_.set(http::field::user_agent, "SIMCOM_MODULE");
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
  HttpGet request_;
  std::function<void(HttpResult)> done_;
  std::string host_, port_, target_;
  http::request<http::empty_body> req_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
};

class Host;

class ControlSession : public std::enable_shared_from_this<ControlSession> {
 public:
  ControlSession(local::socket socket, Host& host) : socket_(std::move(socket)), host_(host) {}
  void start() { read(); }
  void send(const std::string& line) {
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(line + "\n"), ec);
  }
  // The output pins whose changes this client is sent: STATUS unless it asks otherwise
  // (NETLIGHT blinks all the time; only a client that wants it gets it).
  std::set<Pin> watched{Pin::status};

 private:
  void read();
  local::socket socket_;
  Host& host_;
  std::string buffer_;
};

// The baud rate a host set on its end of the pty (the master reads the slave's termios).
unsigned host_line_rate(int master_fd) {
  termios t{};
  if (::tcgetattr(master_fd, &t) != 0) return 0;
  switch (::cfgetospeed(&t)) {
    case B300: return 300;
    case B600: return 600;
    case B1200: return 1200;
    case B2400: return 2400;
    case B4800: return 4800;
    case B9600: return 9600;
    case B19200: return 19200;
    case B38400: return 38400;
    case B57600: return 57600;
    case B115200: return 115200;
    case B230400: return 230400;
    case B460800: return 460800;
    case B921600: return 921600;
    case B2000000: return 2000000;
    case B3000000: return 3000000;
    case B4000000: return 4000000;
    default: return 0;
  }
}

// What a UART at one rate makes of bytes sent at another: framing errors, a different count
// of bytes, none of them the ones sent (never CR or LF, so no line ever forms).
std::string mangle(std::string_view bytes, unsigned from_rate, unsigned to_rate) {
  auto n = std::max<std::size_t>(1, static_cast<std::size_t>(static_cast<double>(bytes.size()) * to_rate / from_rate + 0.5));
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    auto b = static_cast<unsigned char>(bytes[i * bytes.size() / n]);
    out[i] = static_cast<char>(0x80 | ((b * 151u + 17u + i) & 0x7f));
  }
  return out;
}

class Host {
 public:
  Host(const HostOptions& options, const ModelInfo& model)
      : options_(options),
        master_(io_),
        timer_(io_),
        signals_(io_, SIGINT, SIGTERM),
        tx_timer_(io_),
        adapter_(options.latency),
        adapter_timer_(io_),
        module_(model, options.firmware, options.time_scale,
                VirtualModule::Outputs{[this](std::string_view bytes) { write_uart(bytes); }, [this](Pin p, Level l, Time at) { broadcast_pin(p, l, at); },
                                       [this](const HttpGet& g) { fetch(g); },
                                       options.usb ? std::function<void(bool)>([this](bool present) { usb_present(present); }) : nullptr},
                options.faults) {
    if (options.ipr >= 0) module_.set_saved_rate(static_cast<unsigned>(options.ipr));
  }

  int run() {
    if (!options_.usb) attach_uart();  // on USB the port appears when the module has booted
    std::string control = options_.control;
    if (control.empty() && !options_.link.empty()) control = options_.link + ".ctl";
    if (!control.empty()) open_control(control);
    std::printf("athil sim: %s firmware %s, time scale %g\n", options_.model.c_str(), options_.firmware.c_str(), options_.time_scale);
    if (!options_.usb) {
      auto rate = module_.line_rate();
      std::printf("uart %s\n", rate ? fmt::format("{} baud", rate).c_str() : "autobaud (the first AT sets the rate and is lost)");
    }
    if (options_.faults.any()) std::printf("faults on\n");
    std::printf("pty %s\n", options_.usb ? "(USB: appears when the module is on)" : pty_.slave_path.c_str());
    if (!options_.link.empty()) std::printf("link %s\n", options_.link.c_str());
    if (!control.empty()) std::printf("control %s\n", control.c_str());
    std::printf("power %s\n", options_.power_on ? "on" : "off (hold PWRKEY low for 1 s through the control channel)");
    std::printf("ready\n");
    std::fflush(stdout);

    signals_.async_wait([this](const boost::system::error_code&, int) { io_.stop(); });
    if (options_.power_on) module_.power_on_now(SteadyClock::now());
    reschedule();
    io_.run();
    return 0;
  }

  void handle_control(ControlSession& session, const std::string& line) {
    char verb[16] = {}, pin[16] = {}, level[16] = {};
    long long t_us = 0;
    int n = std::sscanf(line.c_str(), "%15s %15s %15s %lld", verb, pin, level, &t_us);
    auto now = SteadyClock::now();
    std::string_view v = verb;
    if (v == "set" && n >= 3) {
      auto p = pin_from(pin);
      std::string_view lv = level;
      if (!p || (*p != Pin::pwrkey && *p != Pin::reset && *p != Pin::supply) || (lv != "low" && lv != "high"))
        return session.send(fmt::format("error cannot set '{} {}': inputs are pwrkey, reset and supply, levels low and high", pin, level));
      // The edge happened when the harness stamped it, not when it was read here.
      Time edge = n == 4 ? Time(std::chrono::microseconds(t_us)) : now;
      if (edge > now || now - edge > std::chrono::seconds(1)) edge = now;
      module_.pin_in(*p, lv == "low" ? Level::low : Level::high, edge, now);
      note_pulse(*p, lv == "low", now);
      std::fprintf(stderr, "pin %s %s\n", pin, level);
      session.send("ok");
      reschedule();
    } else if (v == "get" && n == 2) {
      auto p = pin_from(pin);
      if (!p) return session.send(fmt::format("error no pin '{}'", pin));
      session.send(fmt::format("level {} {}", pin, level_name(module_.pin(*p))));
    } else if (v == "watch" && n >= 1) {
      std::set<Pin> pins;
      std::istringstream words(line);
      std::string word;
      words >> word;  // "watch"
      while (words >> word) {
        if (word == "none") continue;
        auto p = pin_from(word);
        if (!p || (*p != Pin::status && *p != Pin::netlight))
          return session.send(fmt::format("error cannot watch '{}': outputs are status and netlight", word));
        pins.insert(*p);
      }
      session.watched = pins;
      session.send("ok");
    } else if (v == "reset-state" && n == 1) {
      session.send(module_.reset_state() ? "ok" : "error the module is on: power it off or cut its supply first");
    } else if (v == "pins" && n == 1) {
      session.send(module_.has_reset_pin() ? "pins pwrkey reset supply status netlight" : "pins pwrkey supply status netlight");
    } else if (v == "turnaround" && n == 1) {
      session.send(turnaround_report());
    } else if (v == "pulses" && n == 2 && pin_from(pin) && (*pin_from(pin) == Pin::pwrkey || *pin_from(pin) == Pin::reset)) {
      session.send(pulses_report(*pin_from(pin)));
    } else if (v == "state" && n == 1) {
      session.send(fmt::format("state {} firmware {}", module_.state_name(), module_.firmware()));
    } else {
      session.send(fmt::format(
          "error unknown request '{}' (set PIN LEVEL [T_US], get PIN, pins, state, watch PIN..., reset-state, turnaround, pulses pwrkey|reset)", line));
    }
  }

  void forget(const ControlSession* s) {
    sessions_.remove_if([s](const std::weak_ptr<ControlSession>& w) { return w.expired() || w.lock().get() == s; });
  }

 private:
  void open_control(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) throw std::runtime_error(fmt::format("--control {} exists and is not a socket; refusing to replace it", path));
      ::unlink(path.c_str());
    }
    acceptor_.emplace(io_, local::endpoint(path));
    control_path_ = OwnedPath(path);
    accept();
  }

  void accept() {
    acceptor_->async_accept([this](boost::system::error_code ec, local::socket socket) {
      if (ec) return;
      auto session = std::make_shared<ControlSession>(std::move(socket), *this);
      sessions_.push_back(session);
      session->start();
      accept();
    });
  }

  // A new pseudo-terminal behind the link: at start, or when a USB module enumerates again.
  void attach_uart() {
    pty_ = open_pty();
    master_.assign(::dup(pty_.master.get()));
    if (!options_.link.empty()) link_ = publish_link(options_.link, pty_.slave_path);
    read_uart();
  }

  // The USB device goes away: the host's open port fails, the link disappears.
  void detach_uart() {
    tx_queue_.clear();
    adapter_.clear();
    boost::system::error_code ignored;
    master_.cancel(ignored);
    master_.close(ignored);
    link_ = OwnedPath();
    pty_ = Pty();
  }

  void usb_present(bool present) {
    if (!options_.usb || present == static_cast<bool>(pty_.master)) return;
    std::fprintf(stderr, "usb: %s\n", present ? "enumerated" : "gone");
    if (present)
      attach_uart();
    else
      detach_uart();
  }

  void read_uart() {
    master_.async_read_some(asio::buffer(uart_buffer_), [this](boost::system::error_code ec, std::size_t n) {
      if (ec) {
        if (ec != asio::error::operation_aborted) std::fprintf(stderr, "uart read: %s\n", ec.message().c_str());
        return;
      }
      std::string_view bytes(uart_buffer_.data(), n);
      if (final_sent_at_) {
        turnarounds_us_.push_back(std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - *final_sent_at_).count());
        final_sent_at_.reset();
      }
      unsigned host_rate = options_.usb ? 0 : host_line_rate(pty_.master.get());
      unsigned module_rate = module_.line_rate();
      std::string mangled;
      if (host_rate && module_rate && host_rate != module_rate) bytes = mangled = mangle(bytes, host_rate, module_rate);
      module_.uart_in(bytes, SteadyClock::now(), host_rate);
      reschedule();
      read_uart();
    });
  }

  // Bytes leave at the module's line rate (scaled by the time scale), as on a real UART.
  void write_uart(std::string_view bytes) {
    if (!pty_.master) return;  // no port: a USB module that is off or resetting
    unsigned rate = module_.line_rate();
    if (rate == 0) return write_now(bytes);
    // Each byte keeps the rate it was sent at (an OK to AT+IPR still goes out at the old one).
    if (tx_queue_.empty() || tx_queue_.back().first != rate) tx_queue_.emplace_back(rate, std::string());
    tx_queue_.back().second.append(bytes);
    if (!tx_busy_) send_paced();
  }

  void send_paced() {
    while (!tx_queue_.empty() && tx_queue_.front().second.empty()) tx_queue_.pop_front();
    if (tx_queue_.empty() || !pty_.master) {
      tx_queue_.clear();
      tx_busy_ = false;
      return;
    }
    tx_busy_ = true;
    auto& [rate, pending] = tx_queue_.front();
    double bytes_per_s = rate / 10.0 / options_.time_scale;  // 8N1: ten bits a byte
    // What the wire carries in about 2 ms at a time: fine-grained enough for any reader.
    auto n = std::min(pending.size(), std::max<std::size_t>(1, static_cast<std::size_t>(bytes_per_s * 0.002)));
    std::string chunk = pending.substr(0, n);
    pending.erase(0, n);
    unsigned host_rate = host_line_rate(pty_.master.get());
    write_now(host_rate && host_rate != rate ? mangle(chunk, rate, host_rate) : chunk);
    // Absolute times: timer latency does not add up over a long transfer.
    auto now = SteadyClock::now();
    tx_next_ = std::max(tx_next_, now - std::chrono::milliseconds(5)) +
               std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(static_cast<double>(n) / bytes_per_s));
    tx_timer_.expires_at(tx_next_);
    tx_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) send_paced();
    });
  }

  // Through the USB-serial adapter when the slot has one: held until its latency timer fires
  // or a packet fills.
  void write_now(std::string_view bytes) {
    if (options_.latency.count() == 0) return write_to_host(bytes);
    auto packets = adapter_.receive(bytes, SteadyClock::now());
    if (!packets.empty()) write_to_host(packets);
    auto due = adapter_.due();
    if (!due || (adapter_armed_ && *adapter_armed_ == *due)) return;
    adapter_armed_ = due;
    adapter_timer_.expires_at(*due);
    adapter_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;  // replaced by another due time
      adapter_armed_.reset();
      if (pty_.master) write_to_host(adapter_.release());
    });
  }

  void write_to_host(std::string_view bytes) {
    note_final_sent(bytes);
    while (!bytes.empty()) {
      ssize_t n = ::write(pty_.master.get(), bytes.data(), bytes.size());
      if (n <= 0) {
        // Nobody reads the port and its buffer is full: a UART would lose these bytes too.
        std::fprintf(stderr, "uart: %zu bytes lost (%s)\n", bytes.size(), n < 0 ? std::strerror(errno) : "short write");
        return;
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // The host's turnaround as the module sees it: from the last byte of a final result code
  // leaving to the first byte of the next command arriving (`turnaround` on the control
  // channel; benchmarks read it).
  void note_final_sent(std::string_view bytes) {
    tx_tail_.append(bytes);
    if (tx_tail_.size() > 64) tx_tail_.erase(0, tx_tail_.size() - 64);
    if (tx_tail_.size() < 2 || tx_tail_.compare(tx_tail_.size() - 2, 2, "\r\n") != 0) return;
    auto start = tx_tail_.rfind("\r\n", tx_tail_.size() - 3);
    std::string_view last = std::string_view(tx_tail_).substr(start == std::string::npos ? 0 : start + 2);
    last.remove_suffix(2);
    if (last == "OK" || last == "ERROR" || last.substr(0, 11) == "+CME ERROR:" || last.substr(0, 11) == "+CMS ERROR:") final_sent_at_ = SteadyClock::now();
  }

  // How long each low pulse on PWRKEY and RESET lasted as the module saw it: from the low
  // edge's arrival to the high edge's (`pulses PIN` on the control channel; benchmarks read it).
  void note_pulse(Pin p, bool low, SteadyClock::time_point arrived) {
    if (p != Pin::pwrkey && p != Pin::reset) return;
    auto& pressed = pressed_at_[p];
    if (low)
      pressed = arrived;
    else if (pressed)
      pulse_widths_us_[p].push_back(std::chrono::duration_cast<std::chrono::microseconds>(arrived - *std::exchange(pressed, std::nullopt)).count());
  }

  // "pulses <pin> <count> <width us>..."; the samples are then forgotten.
  std::string pulses_report(Pin p) {
    auto widths = std::exchange(pulse_widths_us_[p], {});
    return fmt::format("pulses {} {}{}{}", pin_name(p), widths.size(), widths.empty() ? "" : " ", fmt::join(widths, " "));
  }

  // "turnaround <count> <p50 us> <p99 us> <max us>"; the samples are then forgotten.
  std::string turnaround_report() {
    final_sent_at_.reset();  // a fresh measurement starts with the next final result code
    auto samples = std::exchange(turnarounds_us_, {});
    if (samples.empty()) return "turnaround 0 0 0 0";
    std::sort(samples.begin(), samples.end());
    auto at = [&](double q) { return samples[std::min(samples.size() - 1, static_cast<std::size_t>(q * static_cast<double>(samples.size())))]; };
    return fmt::format("turnaround {} {} {} {}", samples.size(), at(0.50), at(0.99), samples.back());
  }

  void broadcast_pin(Pin p, Level l, Time at) {
    auto t = std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
    std::string line = fmt::format("event {} {} {}", pin_name(p), level_name(l), t);
    for (auto& w : sessions_)
      if (auto s = w.lock(); s && s->watched.count(p)) s->send(line);
  }

  void fetch(const HttpGet& request) {
    std::make_shared<Fetch>(io_, request, [this](HttpResult r) {
      std::fprintf(stderr, "http result: status %d failure %d, %zu bytes\n", r.status, static_cast<int>(r.failure), r.body.size());
      module_.http_done(r, SteadyClock::now());
      reschedule();
    })->start();
  }

  void reschedule() {
    auto next = module_.next_deadline();
    if (!next) return;
    if (scheduled_ && *scheduled_ == *next) return;
    scheduled_ = next;
    timer_.expires_at(*next);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;  // replaced by a sooner deadline
      scheduled_.reset();
      module_.advance(SteadyClock::now());
      reschedule();
    });
  }

  HostOptions options_;
  asio::io_context io_;
  Pty pty_;
  asio::posix::stream_descriptor master_;
  asio::steady_timer timer_;
  asio::signal_set signals_;
  std::optional<local::acceptor> acceptor_;
  OwnedPath link_, control_path_;
  std::list<std::weak_ptr<ControlSession>> sessions_;
  std::optional<Time> scheduled_;
  std::array<char, 4096> uart_buffer_{};
  std::string tx_tail_;                                   // the last bytes sent, to spot a final result code
  std::optional<SteadyClock::time_point> final_sent_at_;  // its last byte left then; no command since
  std::vector<std::int64_t> turnarounds_us_;
  std::map<Pin, std::optional<SteadyClock::time_point>> pressed_at_;
  std::map<Pin, std::vector<std::int64_t>> pulse_widths_us_;
  std::deque<std::pair<unsigned, std::string>> tx_queue_;  // bytes to send, by line rate
  bool tx_busy_ = false;
  SteadyClock::time_point tx_next_{};
  asio::steady_timer tx_timer_;
  UsbSerialAdapter adapter_;
  asio::steady_timer adapter_timer_;
  std::optional<SteadyClock::time_point> adapter_armed_;  // when its timer is set to fire
  VirtualModule module_;
};

void ControlSession::read() {
  asio::async_read_until(socket_, asio::dynamic_buffer(buffer_), '\n', [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
    if (ec) return self->host_.forget(self.get());
    std::string line = self->buffer_.substr(0, n - 1);
    self->buffer_.erase(0, n);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    self->host_.handle_control(*self, line);
    self->read();
  });
}

}  // namespace

int run_host(const HostOptions& options) {
  const ModelInfo* model = find_model(options.model);
  if (!model) throw std::invalid_argument(fmt::format("unknown model '{}'", options.model));
  if (!(options.time_scale > 0)) throw std::invalid_argument("--time-scale must be above 0");
  const auto& rates = ipr_rates();
  if (options.ipr >= 0 && std::find(rates.begin(), rates.end(), static_cast<unsigned>(options.ipr)) == rates.end())
    throw std::invalid_argument(fmt::format("--ipr {} is not a rate AT+IPR takes ({})", options.ipr, fmt::join(rates, ", ")));
  ::signal(SIGPIPE, SIG_IGN);
  if (options.parent_pid > 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    // The runner may have died before prctl took effect: then this process has another parent.
    if (::getppid() != options.parent_pid) return 0;
  }
  Host host(options, *model);
  return host.run();
}

}  // namespace athil::sim
