#include "sim/gnss_track.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/file.hpp"

namespace athil::sim {

namespace {

constexpr double earth_radius_m = 6'371'000;
constexpr double pi = 3.14159265358979323846;

std::optional<double> number(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  for (std::size_t at = 0;;) {
    auto comma = line.find(',', at);
    out.push_back(line.substr(at, comma - at));
    if (comma == std::string_view::npos) return out;
    at = comma + 1;
  }
}

// Latitude and longitude in range, or why not.
std::string position_problem(double latitude, double longitude) {
  if (latitude < -90 || latitude > 90) return fmt::format("latitude {} is outside -90..90", latitude);
  if (longitude < -180 || longitude > 180) return fmt::format("longitude {} is outside -180..180", longitude);
  return "";
}

double radians(double degrees) { return degrees * pi / 180; }

// Great-circle distance (haversine) and initial bearing between two points.
std::pair<double, double> leg(double lat1, double lon1, double lat2, double lon2) {
  double p1 = radians(lat1), p2 = radians(lat2), dl = radians(lon2 - lon1);
  double a = std::pow(std::sin((p2 - p1) / 2), 2) + std::cos(p1) * std::cos(p2) * std::pow(std::sin(dl / 2), 2);
  double distance = 2 * earth_radius_m * std::asin(std::sqrt(std::min(1.0, a)));
  double bearing = std::atan2(std::sin(dl) * std::cos(p2), std::cos(p1) * std::sin(p2) - std::sin(p1) * std::cos(p2) * std::cos(dl)) * 180 / pi;
  return {distance, std::fmod(bearing + 360, 360)};
}

}  // namespace

GnssTrack::GnssTrack(double latitude, double longitude, double altitude_m) : rows_{{0, latitude, longitude, altitude_m}} {}

GnssTrack GnssTrack::point(std::string_view text) {
  auto f = fields(text);
  std::optional<double> lat = f.size() >= 2 ? number(f[0]) : std::nullopt, lon = f.size() >= 2 ? number(f[1]) : std::nullopt;
  std::optional<double> alt = f.size() == 3 ? number(f[2]) : std::optional<double>(0);
  if (f.size() < 2 || f.size() > 3 || !lat || !lon || !alt)
    throw InputError(fmt::format("a GNSS point is LAT,LON[,ALT] in degrees and metres, not '{}'", text));
  if (auto problem = position_problem(*lat, *lon); !problem.empty()) throw InputError(problem);
  return GnssTrack(*lat, *lon, *alt);
}

GnssTrack GnssTrack::load(const std::filesystem::path& file) {
  std::error_code ec;
  auto size = std::filesystem::file_size(file, ec);
  if (ec) throw InputError(fmt::format("{}: cannot read the GNSS track: {}", file.string(), ec.message()));
  if (size > max_bytes) throw InputError(fmt::format("{}: a GNSS track of {} bytes, over the {} allowed", file.string(), size, max_bytes));
  auto text = read_file(file);
  if (!text) throw InputError(fmt::format("{}: cannot read the GNSS track", file.string()));
  std::vector<Row> rows;
  std::size_t line_no = 0;
  for (std::size_t at = 0; at < text->size();) {
    auto nl = std::min(text->find('\n', at), text->size());
    std::string_view line(text->data() + at, nl - at);
    at = nl + 1;
    ++line_no;
    auto fail = [&](const std::string& why) { throw InputError(fmt::format("{}:{}: {}", file.string(), line_no, why)); };
    if (line.find_first_not_of(" \r\t") == std::string_view::npos || line.front() == '#') continue;
    auto f = fields(line);
    if (f.size() < 3 || f.size() > 4) fail("a row is SECONDS,LAT,LON[,ALT]");
    auto t = number(f[0]), lat = number(f[1]), lon = number(f[2]);
    auto alt = f.size() == 4 ? number(f[3]) : std::optional<double>(0);
    if (!t || !lat || !lon || !alt) fail("a row is SECONDS,LAT,LON[,ALT], numbers each");
    if (auto problem = position_problem(*lat, *lon); !problem.empty()) fail(problem);
    if (!rows.empty() && *t <= rows.back().t) fail(fmt::format("{} s does not come after the row before ({} s)", *t, rows.back().t));
    if (rows.size() == max_rows) fail(fmt::format("more than {} rows", max_rows));
    rows.push_back(Row{*t, *lat, *lon, *alt});
  }
  if (rows.empty()) throw InputError(fmt::format("{}: the GNSS track has no rows", file.string()));
  return GnssTrack(std::move(rows));
}

GnssTrack::Fix GnssTrack::at(double seconds) const {
  auto next = std::upper_bound(rows_.begin(), rows_.end(), seconds, [](double s, const Row& r) { return s < r.t; });
  if (next == rows_.begin()) return Fix{rows_.front().latitude, rows_.front().longitude, rows_.front().altitude_m};
  if (next == rows_.end()) return Fix{rows_.back().latitude, rows_.back().longitude, rows_.back().altitude_m};
  const Row& a = *(next - 1);
  const Row& b = *next;
  double f = (seconds - a.t) / (b.t - a.t);
  auto [distance, course] = leg(a.latitude, a.longitude, b.latitude, b.longitude);
  return Fix{.latitude = a.latitude + f * (b.latitude - a.latitude),
             .longitude = a.longitude + f * (b.longitude - a.longitude),
             .altitude_m = a.altitude_m + f * (b.altitude_m - a.altitude_m),
             .speed_kmh = distance / (b.t - a.t) * 3.6,
             .course_deg = course};
}

}  // namespace athil::sim
