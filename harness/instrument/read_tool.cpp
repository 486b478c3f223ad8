#include "instrument/read_tool.hpp"

#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/escape.hpp"
#include "base/quantity.hpp"
#include "instrument/spec.hpp"
#include "instrument/stats.hpp"

namespace athil::instrument {

namespace {

void write_csv(const std::string& path, const std::vector<Sample>& samples) {
  std::ofstream out(path);
  out << "seconds,amps,peak_amps\n";
  if (samples.empty()) return;
  auto t0 = samples.front().at;
  for (const auto& s : samples) out << fmt::format("{:.6f},{:.9g},{:.9g}\n", std::chrono::duration<double>(s.at - t0).count(), s.amps, s.peak);
  if (!out.flush()) throw InfraError(fmt::format("cannot write {}", path));
}

}  // namespace

int read_current(const ReadOptions& options) {
  auto meter = open_meter(parse_spec(options.spec));
  if (options.power) meter->power(true);
  std::vector<Sample> samples;
  std::size_t lost = 0;
  std::chrono::nanoseconds period{};
  {
    auto capture = meter->start(CaptureOptions{.decimate = options.decimate});
    std::this_thread::sleep_for(options.span);  // the reading itself: nothing to wait for but time
    samples = capture->take();
    lost = capture->lost();
    period = capture->sample_period();
  }
  if (options.power) meter->power(false);
  auto s = summarize(samples);
  fmt::print("{}\n", terminal_text(meter->describe()));
  fmt::print("samples {} over {} ({} each), {} lost\n", s.samples, format_duration(std::chrono::duration_cast<Duration>(s.span)),
             format_duration(std::chrono::duration_cast<Duration>(period)), lost);
  fmt::print("average {}\npeak {}\nlowest {}\ncharge {}\n", format_quantity(s.average, Unit::ampere), format_quantity(s.peak, Unit::ampere),
             format_quantity(s.lowest, Unit::ampere), format_quantity(s.charge, Unit::coulomb));
  if (!options.csv.empty()) write_csv(options.csv, samples);
  return 0;
}

}  // namespace athil::instrument
