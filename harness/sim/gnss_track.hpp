#pragma once
// Where the virtual module's GNSS receiver is: a fixed point, or a track played from a small
// CSV file (seconds since the receiver was first powered, latitude, longitude, altitude in
// metres), with the position interpolated between rows and speed and course from the leg.
// No I/O besides reading the file; the rig loader checks a track with it.
#include <filesystem>
#include <string_view>
#include <vector>

namespace athil::sim {

class GnssTrack {
 public:
  struct Fix {
    double latitude = 0, longitude = 0, altitude_m = 0;
    double speed_kmh = 0, course_deg = 0;
  };
  // SIMCom's Shanghai office, where the manuals' own examples place a fix.
  GnssTrack() : GnssTrack(31.221345, 121.354753, 31.9) {}
  GnssTrack(double latitude, double longitude, double altitude_m);

  // "LAT,LON[,ALT]". Throws InputError saying what is wrong.
  static GnssTrack point(std::string_view text);
  // Rows "SECONDS,LAT,LON[,ALT]", '#' comments and blank lines skipped, seconds rising.
  // At most max_rows rows and max_bytes bytes. Throws InputError with file:line.
  static GnssTrack load(const std::filesystem::path& file);
  static constexpr std::size_t max_rows = 100'000;
  static constexpr std::size_t max_bytes = 8 * 1024 * 1024;

  // Where the receiver is `seconds` after it was first powered (past the last row: there).
  Fix at(double seconds) const;

 private:
  struct Row {
    double t, latitude, longitude, altitude_m;
  };
  explicit GnssTrack(std::vector<Row> rows) : rows_(std::move(rows)) {}
  std::vector<Row> rows_;
};

}  // namespace athil::sim
