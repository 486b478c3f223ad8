#include "instrument/ppk2.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <exception>
#include <stop_token>
#include <thread>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/escape.hpp"
#include "instrument/sample_queue.hpp"
#include "transport/serial_port.hpp"

namespace athil::instrument {

namespace {

using namespace std::chrono_literals;

enum Op : char { average_start = 0x06, average_stop = 0x07, device_running_set = 0x0c, regulator_set = 0x0d, set_power_mode = 0x11, get_meta_data = 0x19 };

constexpr auto raw_period = std::chrono::nanoseconds(10'000);  // 100 kHz
constexpr double adc_volts = 1.8 / 163840 * 4;                 // one count of the 14-bit reading
constexpr std::size_t max_metadata = 4096;

// What a stopped stream still had in flight, dropped: read until the port has been quiet for
// `quiet`, for `most` at the longest (a device that does not stop).
void drop_in_flight(SerialPort& port, Duration quiet, Duration most) {
  for (auto until = Clock::now() + most; Clock::now() < until && !port.read_some(std::min(until, Clock::now() + quiet)).empty();) {}
}

std::string command(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

bool set_value(std::array<double, 5>& into, std::string_view index, std::string_view value) {
  unsigned r = 0;
  double v = 0;
  auto [ie, iec] = std::from_chars(index.data(), index.data() + index.size(), r);
  auto [ve, vec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (iec != std::errc() || ie != index.data() + index.size() || r >= into.size() || vec != std::errc()) return false;
  into[r] = v;
  return true;
}

}  // namespace

double Ppk2Calibration::amps(unsigned adc, unsigned range, double vdd) const {
  auto k = std::min<unsigned>(range, 4);
  double x = (adc * 4.0 - o[k]) * (adc_volts / 4 / r[k]);
  return ug[k] * (x * (gs[k] * x + gi[k]) + (s[k] * vdd + i[k]));
}

std::optional<Ppk2Calibration> parse_ppk2_metadata(std::string_view text) {
  if (text.find("END") == std::string_view::npos) return std::nullopt;
  Ppk2Calibration c;
  bool resistor = false;
  std::size_t at = 0;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    auto line = text.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    at = end == std::string_view::npos ? text.size() : end + 1;
    auto colon = line.find(": ");
    if (colon == std::string_view::npos || colon < 2) continue;
    auto key = line.substr(0, colon), value = line.substr(colon + 2);
    if (!value.empty() && value.back() == '\r') value.remove_suffix(1);
    auto index = key.substr(key.size() - 1);
    auto name = key.substr(0, key.size() - 1);
    if (name == "R") resistor |= set_value(c.r, index, value);
    if (name == "O") set_value(c.o, index, value);
    if (name == "S") set_value(c.s, index, value);
    if (name == "I") set_value(c.i, index, value);
    if (name == "GS") set_value(c.gs, index, value);
    if (name == "GI") set_value(c.gi, index, value);
    if (name == "UG") set_value(c.ug, index, value);
  }
  if (!resistor || std::any_of(c.r.begin(), c.r.end(), [](double r) { return !(r > 0); })) return std::nullopt;
  return c;
}

namespace {

// The stream, decoded on its own thread: words into amperes, stamped on the host's clock.
class Ppk2Capture final : public Capture {
 public:
  Ppk2Capture(SerialPort& port, const Ppk2Calibration& calibration, double vdd, int decimate)
      : port_(port), calibration_(calibration), vdd_(vdd), decimate_(std::max(1, decimate)) {
    port_.write_all(command({average_start}), Clock::now() + 1s);
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
  }
  ~Ppk2Capture() override {
    thread_.request_stop();
    thread_.join();
    try {
      port_.write_all(command({average_stop}), Clock::now() + 1s);
      drop_in_flight(port_, 10ms, 100ms);  // not the next capture's first samples
    } catch (const std::exception&) {      // the device went: nothing to stop
    }
  }

  std::vector<Sample> take() override { return queue_.take(); }
  bool wait_covering(Clock::time_point t, Deadline by) override { return queue_.wait_covering(t, by); }
  std::size_t lost() const override { return lost_; }
  std::chrono::nanoseconds sample_period() const override { return raw_period * decimate_; }

 private:
  void run(std::stop_token stop) {
    try {
      while (!stop.stop_requested()) {
        std::string bytes = port_.read_some(Clock::now() + 50ms);
        if (!bytes.empty()) decode(bytes, Clock::now());
      }
    } catch (...) {
      queue_.fail(std::current_exception());
    }
  }

  void decode(std::string_view bytes, Clock::time_point arrived) {
    partial_.append(bytes);
    if (!aligned()) return;
    std::size_t words = partial_.size() / 4;
    // No sample can be stamped after it arrived: the start is at most this read's arrival less
    // the samples so far. The estimate only moves earlier, to the tightest bound seen.
    auto bound = arrived - raw_period * static_cast<long>(index_ + words);
    if (!started_ || bound < start_) start_ = bound, started_ = true;
    std::vector<Sample> out;
    for (std::size_t w = 0; w < words; ++w) {
      std::uint32_t word = word_at(4 * w);
      unsigned counter = counter_of(word);
      if (expected_counter_ && counter != *expected_counter_) skip((counter - *expected_counter_) & 0x3f);
      expected_counter_ = (counter + 1) & 0x3f;
      add(calibration_.amps(word & 0x3fff, (word >> 14) & 0x7, vdd_), out);
    }
    partial_.erase(0, words * 4);
    lost_ += queue_.push(out) * static_cast<std::size_t>(decimate_);
  }

  // The little-endian word that starts at byte `at` of what is not decoded yet.
  std::uint32_t word_at(std::size_t at) const {
    std::uint32_t word = 0;
    for (int b = 0; b < 4; ++b) word |= static_cast<std::uint32_t>(static_cast<unsigned char>(partial_[at + b])) << (8 * b);
    return word;
  }
  static unsigned counter_of(std::uint32_t word) { return (word >> 18) & 0x3f; }

  // The stream is read from where a whole word starts: a byte of an earlier stream still in
  // flight, or a first read that began inside a word, would shift every word after it into
  // nonsense. Words are told apart by their counters, which count up by one.
  bool aligned() {
    constexpr std::size_t run = 8;  // words whose counters must follow each other
    auto counter_at = [&](std::size_t at) { return counter_of(word_at(at)); };
    auto counts_up = [&](std::size_t offset) {
      for (std::size_t w = 1; w < run; ++w)
        if (counter_at(offset + 4 * w) != ((counter_at(offset + 4 * (w - 1)) + 1) & 0x3f)) return false;
      return true;
    };
    while (!aligned_ && partial_.size() >= 4 * run + 3) {
      for (std::size_t offset = 0; offset < 4 && !aligned_; ++offset)
        if (counts_up(offset)) partial_.erase(0, offset), aligned_ = true;
      if (!aligned_) partial_.erase(0, 4);  // no run of words here: stale bytes, or samples lost at once
    }
    return aligned_;
  }

  void skip(unsigned missing) {
    lost_ += missing;
    index_ += missing;
  }

  void add(double amps, std::vector<Sample>& out) {
    if (bin_count_ == 0) bin_first_ = index_, bin_sum_ = 0, bin_peak_ = amps;
    bin_sum_ += amps;
    bin_peak_ = std::max(bin_peak_, amps);
    ++index_;
    if (++bin_count_ < decimate_) return;
    out.push_back(
        Sample{.at = start_ + raw_period * static_cast<long>(bin_first_), .amps = bin_sum_ / bin_count_, .peak = bin_peak_, .span = raw_period * bin_count_});
    bin_count_ = 0;
  }

  SerialPort& port_;
  Ppk2Calibration calibration_;
  double vdd_;
  int decimate_;
  std::string partial_;
  bool aligned_ = false;
  std::uint64_t index_ = 0;  // raw samples since the start, lost ones included
  bool started_ = false;
  Clock::time_point start_{};
  std::optional<unsigned> expected_counter_;
  int bin_count_ = 0;
  std::uint64_t bin_first_ = 0;
  double bin_sum_ = 0, bin_peak_ = 0;
  SampleQueue queue_;
  std::atomic<std::size_t> lost_ = 0;
  std::jthread thread_;  // last: it stops before the rest goes
};

}  // namespace

Ppk2::Ppk2(Settings settings) : settings_(std::move(settings)) {
  port_ = std::make_unique<SerialPort>(settings_.port, SerialPort::Settings{});
  auto name = fmt::format("PPK2 on {}", settings_.port.string());
  // A run that died while measuring left the stream going: stop it, and drop what is in flight
  // (for 100 ms at most: a device that goes on streaming then answers nonsense for its metadata).
  port_->write_all(command({average_stop}), Clock::now() + 1s);
  drop_in_flight(*port_, 20ms, 100ms);
  port_->write_all(command({get_meta_data}), Clock::now() + 1s);
  std::string text;
  for (auto until = Clock::now() + 2s; text.find("END") == std::string::npos && text.size() < max_metadata && Clock::now() < until;)
    text += port_->read_some(until);
  auto calibration = parse_ppk2_metadata(text);
  if (!calibration)
    throw InfraError(fmt::format("{}: answers nonsense for its metadata{}: is it a PPK2?", name,
                                 text.empty() ? " (nothing in 2 s)" : fmt::format(" ('{}')", escape_bytes(text.substr(0, 60)))));
  calibration_ = *calibration;
  int mv = settings_.millivolts;
  port_->write_all(command({set_power_mode, settings_.mode == Mode::source ? 2 : 1, regulator_set, mv >> 8, mv & 0xff}), Clock::now() + 1s);
}

Ppk2::~Ppk2() = default;

void Ppk2::dut_power(bool on) { port_->write_all(command({device_running_set, on ? 1 : 0}), Clock::now() + 1s); }

void Ppk2::power(bool on) {
  if (!supplies())
    throw InfraError(
        fmt::format("the PPK2 on {} measures in ampere-meter mode: it supplies nothing (mode=source makes it the supply)", settings_.port.string()));
  dut_power(on);
}

std::unique_ptr<Capture> Ppk2::start(const CaptureOptions& options) {
  int decimate = options.bin.count() > 0 ? static_cast<int>(options.bin / raw_period) : options.decimate;
  return std::make_unique<Ppk2Capture>(*port_, calibration_, settings_.millivolts / 1000.0, decimate);
}

std::string Ppk2::describe() const {
  return fmt::format("PPK2 on {}, {} {} mV", settings_.port.string(), settings_.mode == Mode::source ? "sourcing" : "ampere meter at", settings_.millivolts);
}

}  // namespace athil::instrument
