#include "instrument/sigrok.hpp"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <type_traits>

#include <fmt/format.h>
#include <libsigrokcxx/libsigrokcxx.hpp>

#include "base/error.hpp"
#include "instrument/sample_queue.hpp"

namespace athil::instrument {

namespace sr = sigrok;

namespace {

// libsigrok's last words, for an error's context: its log goes here, not to the terminal.
class LastWords {
 public:
  void said(std::string message) {
    std::lock_guard lock(mutex_);
    last_ = std::move(message);
  }
  std::string last() const {
    std::lock_guard lock(mutex_);
    return last_.empty() ? "" : fmt::format(" (libsigrok: {})", last_);
  }

 private:
  mutable std::mutex mutex_;
  std::string last_;
};

LastWords& last_words() {
  static LastWords words;
  return words;
}

// One libsigrok context for the process, made at first use and never torn down. Making one
// loads every driver; and libsigrok 0.5's teardown (sr_exit) closes the socket of an SCPI
// instrument that was closed already once more, when that number may be another thread's file
// by then: a report being written, a slot's port. The system closes what it holds at exit.
std::shared_ptr<sr::Context> shared_context() {
  static std::mutex mutex;
  static auto* held = new std::shared_ptr<sr::Context>();  // never deleted, for the reason above
  std::lock_guard lock(mutex);
  if (!*held) {
    *held = sr::Context::create();
    (*held)->set_log_level(sr::LogLevel::INFO);
    (*held)->set_log_callback([](const sr::LogLevel*, std::string message) { last_words().said(std::move(message)); });
  }
  return *held;
}

class SigrokMeter final : public CurrentMeter {
 public:
  explicit SigrokMeter(const InstrumentSpec& spec);
  ~SigrokMeter() override;

  std::unique_ptr<Capture> start(const CaptureOptions& options) override;
  std::string describe() const override;
  bool supplies() const override;
  void power(bool on) override;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace

// libsigrok's drivers keep their instances in lists of their own: one slot's thread at a time
// scans, opens or closes.
std::mutex& driver_lists() {
  static std::mutex mutex;
  return mutex;
}

// Closed when its last holder goes: a meter, or a capture still winding down.
struct SigrokMeter::Impl {
  ~Impl() {
    if (!device) return;
    std::lock_guard lock(driver_lists());
    try {
      device->close();
    } catch (const sr::Error&) {  // gone already
    }
  }
  std::shared_ptr<sr::Context> context;
  std::shared_ptr<sr::HardwareDevice> device;
  std::shared_ptr<sr::Channel> channel;  // the current it measures
  std::string conn;
};

namespace {

std::map<const sr::ConfigKey*, Glib::VariantBase> scan_options(const InstrumentSpec& spec) {
  std::map<const sr::ConfigKey*, Glib::VariantBase> options;
  for (const auto& [key, value] : spec.options) {
    if (key == "channel") continue;
    if (key != "conn" && key != "serialcomm") throw InputError(fmt::format("{}: no option '{}' (conn, serialcomm, channel)", spec.driver, key));
    options[sr::ConfigKey::get_by_identifier(key)] = Glib::Variant<Glib::ustring>::create(value);
  }
  if (!options.count(sr::ConfigKey::CONN))
    throw InputError(fmt::format("{}: conn= says how to reach it ({}:conn=tcp-raw/10.0.0.5/5025)", spec.driver, spec.driver));
  return options;
}

// The channel measuring current: the one named, or the first whose name says so (scpi-pps names
// them I1, I2, ...; a multimeter's only channel measures what it is set to).
std::shared_ptr<sr::Channel> current_channel(sr::HardwareDevice& device, const InstrumentSpec& spec) {
  auto channels = device.channels();
  auto wanted = spec.option("channel");
  for (const auto& c : channels)
    if (wanted ? c->name() == *wanted : c->name().starts_with("I")) return c;
  if (!wanted && channels.size() == 1) return channels.front();
  std::string names;
  for (const auto& c : channels) names += (names.empty() ? "" : ", ") + c->name();
  throw InfraError(wanted ? fmt::format("{} has no channel '{}' ({})", spec.driver, *wanted, names)
                          : fmt::format("{} has no current channel ({}): name one with channel=", spec.driver, names));
}

}  // namespace

SigrokMeter::SigrokMeter(const InstrumentSpec& spec) : impl_(std::make_shared<Impl>()) {
  auto options = scan_options(spec);
  impl_->conn = *spec.option("conn");
  std::lock_guard lock(driver_lists());
  impl_->context = shared_context();
  auto drivers = impl_->context->drivers();
  auto driver = drivers.find(spec.driver);
  if (driver == drivers.end()) throw InputError(fmt::format("instrument driver '{}' is neither athil's (ppk2) nor libsigrok's", spec.driver));
  std::vector<std::shared_ptr<sr::HardwareDevice>> found;
  try {
    found = driver->second->scan(options);
  } catch (const sr::Error& e) {
    throw InfraError(fmt::format("{} on {}: cannot scan: {}{}", spec.driver, impl_->conn, e.what(), last_words().last()));
  }
  if (found.empty())
    throw InfraError(
        fmt::format("{} on {}: nothing answered as one it drives (absent, busy or another instrument){}", spec.driver, impl_->conn, last_words().last()));
  impl_->device = found.front();
  try {
    impl_->device->open();
  } catch (const sr::Error& e) {
    throw InfraError(fmt::format("{} on {}: cannot open: {}{}", spec.driver, impl_->conn, e.what(), last_words().last()));
  }
  impl_->channel = current_channel(*impl_->device, spec);
  // A polled instrument answers one query at a time: ask only for the current.
  for (const auto& c : impl_->device->channels()) c->set_enabled(c == impl_->channel);
}

SigrokMeter::~SigrokMeter() = default;

std::string SigrokMeter::describe() const {
  return fmt::format("{} {} {} on {}, channel {}", impl_->device->vendor(), impl_->device->model(), impl_->device->version(), impl_->conn,
                     impl_->channel->name());
}

bool SigrokMeter::supplies() const { return impl_->device->driver()->name() == "scpi-pps"; }

void SigrokMeter::power(bool on) {
  for (const auto& [name, group] : impl_->device->channel_groups()) {
    auto channels = group->channels();
    if (std::find(channels.begin(), channels.end(), impl_->channel) == channels.end()) continue;
    try {
      return group->config_set(sr::ConfigKey::ENABLED, Glib::Variant<bool>::create(on));
    } catch (const sr::Error& e) {
      throw InfraError(
          fmt::format("{} on {}: cannot turn its output {}: {}{}", impl_->device->model(), impl_->conn, on ? "on" : "off", e.what(), last_words().last()));
    }
  }
  throw InfraError(fmt::format("{} on {}: its channel {} has no output to switch", impl_->device->model(), impl_->conn, impl_->channel->name()));
}

namespace {

// A libsigrok session running on a thread of its own; readings become samples as they come.
class SigrokCapture final : public Capture {
 public:
  SigrokCapture(std::shared_ptr<SigrokMeter::Impl> meter, const CaptureOptions& options)
      : meter_(std::move(meter)), decimate_(std::max(1, options.decimate)), bin_(options.bin) {
    session_ = meter_->context->create_session();
    session_->add_device(meter_->device);
    session_->add_datafeed_callback([this](std::shared_ptr<sr::Device>, std::shared_ptr<sr::Packet> packet) { arrived(*packet); });
    since_ = Clock::now();
    thread_ = std::thread([this] { run(); });
    std::unique_lock lock(mutex_);
    started_cv_.wait(lock, [&] { return started_ || ended_; });
    if (!started_) {
      lock.unlock();
      thread_.join();
      queue_.take();  // throws why it did not start
    }
  }
  ~SigrokCapture() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;  // from here a session that ends was asked to
    }
    try {
      session_->stop();
    } catch (const sr::Error&) {  // stopped already
    }
    thread_.join();
  }

  std::vector<Sample> take() override { return queue_.take(); }
  bool wait_covering(Clock::time_point t, Deadline by) override { return queue_.wait_covering(t, by); }
  std::size_t lost() const override { return 0; }  // polled: nothing streams past unread
  std::chrono::nanoseconds sample_period() const override {
    std::lock_guard lock(mutex_);
    return readings_ ? (since_ - first_) / static_cast<long>(readings_) * decimate_ : std::chrono::nanoseconds(0);
  }

 private:
  // The session's sources run in a main context of this thread's own: libsigrok would share
  // GLib's default one between the slots' sessions, and only one thread can run it at a time.
  void run() {
    GMainContext* context = g_main_context_new();
    g_main_context_push_thread_default(context);
    bool started = false;
    try {
      session_->start();
      started = true;
      told_started(true);
      session_->run();
    } catch (const sr::Error& e) {
      fail(fmt::format("{} on {}: {}: {}{}", meter_->device->model(), meter_->conn, started ? "measuring failed" : "cannot start measuring", e.what(),
                       last_words().last()));
    }
    g_main_context_pop_thread_default(context);
    g_main_context_unref(context);
    std::unique_lock lock(mutex_);
    bool asked = stopping_;
    lock.unlock();
    if (!asked) fail(fmt::format("{} on {}: stopped answering{}", meter_->device->model(), meter_->conn, last_words().last()));
    if (!started) told_started(false);
  }

  void told_started(bool started) {
    std::lock_guard lock(mutex_);
    started_ = started;
    ended_ = !started;
    started_cv_.notify_all();
  }

  void arrived(sr::Packet& packet) {
    if (packet.type() != sr::PacketType::ANALOG) return;
    auto analog = std::dynamic_pointer_cast<sr::Analog>(packet.payload());
    auto channels = analog->channels();
    if (analog->mq() != sr::Quantity::CURRENT || std::find(channels.begin(), channels.end(), meter_->channel) == channels.end()) return;
    std::vector<float> values(analog->num_samples());
    analog->get_data_as_float(values.data());
    auto now = Clock::now();
    std::vector<Sample> out;
    {
      std::lock_guard lock(mutex_);
      for (float v : values) add(v, now, out);
    }
    queue_.push(out);
  }

  // One reading stands for the span since the one before, `decimate` of them for one sample.
  void add(double amps, Clock::time_point now, std::vector<Sample>& out) {
    if (readings_++ == 0) first_ = since_;
    bin_sum_ += amps * std::chrono::duration<double>(now - since_).count();
    bin_peak_ = bin_count_ == 0 ? amps : std::max(bin_peak_, amps);
    if (bin_count_++ == 0) bin_start_ = since_;
    since_ = now;
    auto span = now - bin_start_;
    if (bin_count_ < decimate_ || span < bin_) return;
    double seconds = std::chrono::duration<double>(span).count();
    out.push_back(Sample{.at = bin_start_, .amps = seconds > 0 ? bin_sum_ / seconds : amps, .peak = bin_peak_, .span = span});
    bin_sum_ = 0;
    bin_count_ = 0;
  }

  void fail(std::string why) { queue_.fail(std::make_exception_ptr(InfraError(std::move(why)))); }

  std::shared_ptr<SigrokMeter::Impl> meter_;
  int decimate_;
  std::chrono::nanoseconds bin_;
  std::shared_ptr<sr::Session> session_;
  std::thread thread_;
  SampleQueue queue_;
  mutable std::mutex mutex_;  // the bins, and how the session started and ends
  std::condition_variable started_cv_;
  bool started_ = false, ended_ = false, stopping_ = false;
  Clock::time_point since_, first_, bin_start_;
  std::size_t readings_ = 0;
  double bin_sum_ = 0, bin_peak_ = 0;
  int bin_count_ = 0;
};

}  // namespace

std::unique_ptr<Capture> SigrokMeter::start(const CaptureOptions& options) { return std::make_unique<SigrokCapture>(impl_, options); }

// The module's entry points (sigrok.hpp's sigrok_module): the only names it exports.
extern "C" __attribute__((visibility("default"))) bool athil_sigrok_drives(const std::string& driver) { return shared_context()->drivers().count(driver) > 0; }
extern "C" __attribute__((visibility("default"))) CurrentMeter* athil_sigrok_open(const InstrumentSpec& spec) { return new SigrokMeter(spec); }
static_assert(std::is_same_v<decltype(athil_sigrok_drives), sigrok_module::Drives> && std::is_same_v<decltype(athil_sigrok_open), sigrok_module::Open>);

}  // namespace athil::instrument
