#include "sim/host.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "base/error.hpp"
#include "base/escape.hpp"
#include "base/fd.hpp"
#include "base/pty.hpp"
#include "sim/adapter.hpp"
#include "sim/control_request.hpp"
#include "sim/http_fetch.hpp"
#include "sim/module.hpp"
#include "sim/mqtt_client.hpp"
#include "sim/ppk2_port.hpp"
#include "sim/probes.hpp"
#include "sim/scpi_port.hpp"
#include "sim/socket_client.hpp"
#include "sim/uart.hpp"

namespace athil::sim {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;
using SteadyClock = std::chrono::steady_clock;

namespace {

class Host;

class ControlSession : public std::enable_shared_from_this<ControlSession> {
 public:
  ControlSession(local::socket socket, Host& host) : socket_(std::move(socket)), host_(host) {}
  void start() { read(); }
  void send(const std::string& line) { queue(line + "\n"); }
  // A pin event: dropped rather than queued without end while the client reads nothing (a
  // harness in a long wait): the module never waits for its harness.
  void send_event(const std::string& line) {
    if (pending_.size() + writing_.size() > max_queued) {
      if (dropped_++ == 0) std::fprintf(stderr, "control: the client reads no events; dropping them until it does\n");
      return;
    }
    if (dropped_) std::fprintf(stderr, "control: %zu events dropped\n", std::exchange(dropped_, 0));
    queue(line + "\n");
  }
  // The output pins whose changes this client is sent: STATUS unless it asks otherwise
  // (NETLIGHT blinks all the time; only a client that wants it gets it).
  std::set<Pin> watched{Pin::status};

 private:
  static constexpr std::size_t max_queued = 1024 * 1024;  // over an hour of NETLIGHT at its fastest
  void read();
  void queue(const std::string& bytes) {
    pending_ += bytes;
    if (writing_.empty()) flush();
  }
  void flush() {
    if (pending_.empty()) return;
    writing_ = std::exchange(pending_, {});
    asio::async_write(socket_, asio::buffer(writing_), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      self->writing_.clear();
      if (!ec) self->flush();
    });
  }
  local::socket socket_;
  Host& host_;
  std::string buffer_;
  std::string pending_, writing_;  // replies and events in order, one write at a time
  std::size_t dropped_ = 0;
};

class Host {
 public:
  Host(const HostOptions& options, const ModelInfo& model)
      : options_(options),
        master_(io_),
        timer_(io_),
        signals_(io_, SIGINT, SIGTERM),
        uart_(io_, options.time_scale, [this](std::string_view chunk, unsigned rate) { wire(chunk, rate); }),
        adapter_(options.latency),
        adapter_timer_(io_),
        module_(
            model, options.firmware, options.time_scale,
            VirtualModule::Outputs{
                .uart = [this](std::string_view bytes) { write_uart(bytes); },
                .pin = [this](Pin p, Level l, Time at) { broadcast_pin(p, l, at); },
                .http = [this](const HttpRequest& g) { fetch(g); },
                .mqtt = [this](const MqttRequest& r) { mqtt_.request(r); },
                .socket = [this](const SocketRequest& r) { sockets_.request(r); },
                .usb = options.usb ? std::function<void(bool)>([this](bool present) { usb_present(present); }) : nullptr,
                .unmodelled = [](std::string_view command) { std::fprintf(stderr, "not modelled: AT%s (answered ERROR)\n", escape_bytes(command).c_str()); },
                .unknown =
                    [model = std::string(model.name)](std::string_view command) {
                      std::fprintf(stderr, "unknown to the %s: AT%s (answered ERROR, as the module does)\n", model.c_str(), escape_bytes(command).c_str());
                    },
                .network_utc = [] { return std::chrono::system_clock::now(); }},
            options.faults) {
    if (options.ipr >= 0) module_.set_saved_rate(static_cast<unsigned>(options.ipr));
    if (!options.gnss_at.empty()) module_.set_gnss_track(GnssTrack::point(options.gnss_at));
    if (!options.gnss_track.empty()) module_.set_gnss_track(GnssTrack::load(options.gnss_track));
    if (!options.ppk2.empty()) ppk2_.emplace(io_, options.ppk2, draws_, [this](bool on) { supply_from(ppk2_supply_, on); });
    if (options.scpi_port >= 0) scpi_.emplace(io_, static_cast<unsigned short>(options.scpi_port), draws_, [this](bool on) { supply_from(scpi_supply_, on); });
  }

  int run() {
    if (!options_.usb) attach_uart();  // on USB the port appears when the module has booted
    // Over USB the port appears only once the module has booted: nobody can open it before.
    PowerOn power = options_.usb && options_.power_on == PowerOn::at_first_open ? PowerOn::now : options_.power_on;
    if (power == PowerOn::at_first_open) power_on_at_first_open();
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
    if (ppk2_) std::printf("ppk2 %s (link %s)\n", ppk2_->path().c_str(), options_.ppk2.c_str());
    if (scpi_) std::printf("scpi-pps %s (output %s)\n", scpi_->conn().c_str(), scpi_->output_on() ? "on" : "off");
    std::printf("power %s\n", power_banner(power));
    std::printf("ready\n");
    std::fflush(stdout);

    signals_.async_wait([this](const boost::system::error_code&, int) { io_.stop(); });
    if (power == PowerOn::now) module_.power_on_now(SteadyClock::now());
    reschedule();
    io_.run();
    return 0;
  }

  void handle_control(ControlSession& session, const std::string& line) {
    auto parsed = parse_control(line);
    if (auto* error = std::get_if<std::string>(&parsed)) return session.send(*error);
    const auto& r = std::get<ControlRequest>(parsed);
    using Verb = ControlRequest::Verb;
    switch (r.verb) {
      case Verb::set: return set_pin(session, r);
      case Verb::pulse: return pulse_pin(session, r);
      case Verb::get: return session.send(fmt::format("level {} {}", pin_name(r.pin), level_name(module_.pin(r.pin))));
      case Verb::watch: session.watched = r.watched; return session.send("ok");
      case Verb::reset_state: return session.send(module_.reset_state() ? "ok" : "error the module is on: power it off or cut its supply first");
      case Verb::pins: return session.send(module_.has_reset_pin() ? "pins pwrkey reset supply status netlight dtr" : "pins pwrkey supply status netlight dtr");
      case Verb::turnaround: return session.send(probes_.turnaround_report());
      case Verb::pulses: return session.send(probes_.pulses_report(r.pin, pin_name(r.pin)));
      case Verb::state: return session.send(fmt::format("state {} firmware {}", module_.state_name(), module_.firmware()));
      case Verb::sms: return deliver_sms(session, r);
    }
  }

  void set_pin(ControlSession& session, const ControlRequest& r) {
    auto now = SteadyClock::now();
    ++drives_[r.pin];  // a pulse still running on the pin ends here, not later
    drive(r.pin, r.level, edge_of(r, now), now, now);
    session.send("ok");
    reschedule(now);
  }

  // The pin at the level, and back when the hold is over on the module's own clock: the rig
  // times the pulse, so a harness that a loaded machine stalls cannot stretch the press.
  void pulse_pin(ControlSession& session, const ControlRequest& r) {
    auto now = SteadyClock::now();
    const Time edge = edge_of(r, now), end = edge + std::chrono::microseconds(r.hold_us);
    const auto pulse = ++drives_[r.pin];
    drive(r.pin, r.level, edge, now, edge);
    module_.on_clock(end, [this, pin = r.pin, back = r.level == Level::low ? Level::high : Level::low, end, pulse] {
      if (drives_[pin] == pulse) drive(pin, back, end, end, end);
    });
    session.send("ok");
    reschedule(now);
  }

  // The edge happened when the harness stamped it, not when it was read here.
  static Time edge_of(const ControlRequest& r, Time now) {
    Time edge = r.edge_us ? Time(std::chrono::microseconds(*r.edge_us)) : now;
    return edge > now || now - edge > std::chrono::seconds(1) ? now : edge;
  }

  // `counted`: when the probes take the edge to be (its arrival, or a pulse's own times).
  void drive(Pin pin, Level level, Time edge, Time now, Time counted) {
    if (pin == Pin::supply)
      supply_from(control_supply_, level == Level::high, edge);
    else
      module_.pin_in(pin, level, edge, now);
    probes_.pin_edge(pin, level == Level::low, counted);
    std::fprintf(stderr, "pin %s %s\n", pin_name(pin), level_name(level));
  }

  // The service centre stamps a message with its own time: the host's, in UTC.
  void deliver_sms(ControlSession& session, const ControlRequest& r) {
    auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    module_.sms_in(r.from, r.text, fmt::format("{:%y/%m/%d,%H:%M:%S}+00", now));
    session.send("ok");
    reschedule();
  }

  void forget(const ControlSession* s) {
    sessions_.remove_if([s](const std::weak_ptr<ControlSession>& w) { return w.expired() || w.lock().get() == s; });
  }

 private:
  // A socket left by an earlier run goes; anything else there is refused, never replaced.
  static void remove_stale_socket(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return;
    if (!S_ISSOCK(st.st_mode)) throw InfraError(fmt::format("--control {} exists and is not a socket; refusing to replace it", path));
    ::unlink(path.c_str());
  }

  void open_control(const std::string& path) {
    remove_stale_socket(path);
    // Bound under another name and renamed once it listens: a client that sees the path can
    // connect (bind makes the file before listen would accept). A path too long for the
    // other name is bound as it is.
    std::string bound = path.size() + 1 < sizeof(sockaddr_un::sun_path) ? path + "~" : path;
    if (bound != path) remove_stale_socket(bound);
    acceptor_.emplace(io_, local::endpoint(bound));
    if (bound != path && ::rename(bound.c_str(), path.c_str()) != 0) {
      int error = errno;
      ::unlink(bound.c_str());
      throw InfraError(fmt::format("--control {}: cannot put the socket in place: {}", path, errno_text(error)));
    }
    control_path_ = OwnedPath(path);
    accept();
  }

  static const char* power_banner(PowerOn power) {
    switch (power) {
      case PowerOn::at_first_open: return "on when a program first opens the port";
      case PowerOn::now: return "on";
      case PowerOn::no: break;
    }
    return "off (hold PWRKEY low for 1 s through the control channel)";
  }

  // --power-on for a person at a terminal: the module boots when picocom (or any program) first
  // opens the port, so its boot URCs are there to read instead of gone before it connected.
  void power_on_at_first_open() {
    UniqueFd watch(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!watch || ::inotify_add_watch(watch.get(), pty_.slave_path.c_str(), IN_OPEN) < 0)
      throw InfraError(fmt::format("watching {} for its first open: {}", pty_.slave_path, std::strerror(errno)));
    first_open_.emplace(io_, watch.release());
    first_open_->async_wait(asio::posix::descriptor_base::wait_read, [this](const boost::system::error_code& ec) {
      if (ec) return;
      first_open_.reset();
      std::fprintf(stderr, "port opened: power on\n");
      auto now = SteadyClock::now();
      module_.power_on_now(now);
      reschedule(now);
    });
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
    uart_.clear();
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
      probes_.received(SteadyClock::now());
      unsigned host_rate = options_.usb ? 0 : host_line_rate(pty_.master.get());
      unsigned module_rate = module_.line_rate();
      std::string mangled;
      if (host_rate && module_rate && host_rate != module_rate) bytes = mangled = mangle(bytes, host_rate, module_rate);
      auto now = SteadyClock::now();
      module_.uart_in(bytes, now, host_rate);
      reschedule(now);
      read_uart();
    });
  }

  // Bytes leave at the module's line rate (scaled by the time scale), as on a real UART.
  void write_uart(std::string_view bytes) {
    if (!pty_.master) return;  // no port: a USB module that is off or resetting
    unsigned rate = module_.line_rate();
    if (rate == 0) return write_now(bytes);
    uart_.send(bytes, rate);
  }

  // A paced chunk onto the wire, as a host at its own rate reads it.
  void wire(std::string_view chunk, unsigned rate) {
    if (!pty_.master) return;
    unsigned host_rate = host_line_rate(pty_.master.get());
    write_now(host_rate && host_rate != rate ? mangle(chunk, rate, host_rate) : std::string(chunk));
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
    probes_.sent(bytes, SteadyClock::now());
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

  void broadcast_pin(Pin p, Level l, Time at) {
    auto t = std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
    std::string line = fmt::format("event {} {} {}", pin_name(p), level_name(l), t);
    for (auto& w : sessions_)
      if (auto s = w.lock(); s && s->watched.count(p)) s->send_event(line);
  }

  void fetch(const HttpRequest& request) {
    start_fetch(io_, request, [this](HttpResult r) {
      std::fprintf(stderr, "http result: status %d failure %d, %zu bytes\n", r.status, static_cast<int>(r.failure), r.body.size());
      auto now = SteadyClock::now();
      module_.http_done(r, now);
      reschedule(now);
    });
  }

  void mqtt_event(const MqttEvent& e) {
    if (!e.why.empty()) std::fprintf(stderr, "mqtt: %s\n", escape_bytes(e.why).c_str());
    auto now = SteadyClock::now();
    module_.mqtt_in(e, now);
    reschedule(now);
  }

  // The module is supplied while the rig's supply pin is on, the PPK2's switch in source mode
  // and the bench source's output.
  void supply_from(bool& source, bool on, Time edge = SteadyClock::now()) {
    source = on;
    bool supplied = control_supply_ && ppk2_supply_ && scpi_supply_;
    auto now = SteadyClock::now();
    module_.pin_in(Pin::supply, supplied ? Level::high : Level::low, edge, now);
    reschedule(now);
  }

  // Every change of what the module draws, for the virtual instruments to sample, stamped when
  // the module took the event that changed it: before the bytes it sent about it went out (a
  // harness that measures from "ENTER PSM" on must find the PSM floor there, however late this
  // host got round to noting it).
  void note_draw(Time changed_at) {
    if (!ppk2_ && !scpi_) return;
    auto now = SteadyClock::now();
    draws_.record(changed_at, module_.draw());
    auto needed = now;
    if (ppk2_) needed = std::min(needed, ppk2_->needs_since());
    if (scpi_) needed = std::min(needed, scpi_->needs_since());
    draws_.forget_before(needed);
  }

  // `changed_at`: when the module took what it just took (its input, a timer).
  void reschedule(Time changed_at = SteadyClock::now()) {
    note_draw(changed_at);
    auto next = module_.next_deadline();
    if (!next) return;
    if (scheduled_ && *scheduled_ == *next) return;
    scheduled_ = next;
    timer_.expires_at(*next);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;  // replaced by a sooner deadline
      scheduled_.reset();
      auto now = SteadyClock::now();
      module_.advance(now);
      reschedule(now);
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
  std::optional<asio::posix::stream_descriptor> first_open_;  // inotify on the pty, until it fires
  std::array<char, 4096> uart_buffer_{};
  Probes probes_;                        // what the benchmarks read through the control channel
  std::map<Pin, std::uint64_t> drives_;  // changes of each input pin: a pulse ends only if none came after it
  PacedUart uart_;
  UsbSerialAdapter adapter_;
  asio::steady_timer adapter_timer_;
  std::optional<SteadyClock::time_point> adapter_armed_;  // when its timer is set to fire
  MqttClient mqtt_{io_, [this](const MqttEvent& e) { mqtt_event(e); }};
  SocketClient sockets_{io_, [this](const SocketEvent& e) {
                          auto now = SteadyClock::now();
                          module_.socket_in(e, now);
                          reschedule(now);
                        }};
  VirtualModule module_;
  DrawLog draws_;
  bool control_supply_ = true, ppk2_supply_ = true, scpi_supply_ = true;
  std::optional<Ppk2Port> ppk2_;
  std::optional<ScpiPort> scpi_;
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
  if (!model) throw InputError(fmt::format("unknown model '{}'", options.model));
  if (!(options.time_scale > 0)) throw InputError("--time-scale must be above 0");
  const auto& rates = ipr_rates();
  if (options.ipr >= 0 && std::find(rates.begin(), rates.end(), static_cast<unsigned>(options.ipr)) == rates.end())
    throw InputError(fmt::format("--ipr {} is not a rate AT+IPR takes ({})", options.ipr, fmt::join(rates, ", ")));
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
