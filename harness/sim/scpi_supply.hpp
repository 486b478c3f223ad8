#pragma once
// A bench DC source as its host sees it over SCPI, for the virtual rack: an HP/Agilent 66332A
// "Dynamic Measurement DC Source", the mobile-phone test supply libsigrok's scpi-pps driver
// knows. Program messages are lines of units joined by ';' (a unit without a leading ':'
// continues the previous unit's path, as SCPI has it); headers match in long or short form;
// an unknown header goes to the error queue and gets no answer. No I/O here (scpi_port.*
// serves it on a loopback TCP port).
#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/current.hpp"

namespace athil::sim {

class VirtualDcSource {
 public:
  using Time = Draw::Time;
  // A measurement's acquisition: 2048 points 15.6 us apart, the 66332A's default sweep.
  static constexpr int sweep_points = 2048;
  static constexpr std::chrono::nanoseconds sweep_interval{15'600};
  static constexpr std::chrono::nanoseconds sweep = sweep_points * sweep_interval;

  // What a program message unit asks for: nothing more, an answer now, or a measurement whose
  // answer comes once its sweep, starting now, is over.
  enum class Measure { none, current, voltage };
  struct Reply {
    std::string text;  // the answer ("" when none), without its newline
    Measure measure = Measure::none;
  };

  // One line from the host (without its newline). Replies in order, one per query.
  std::vector<Reply> line(std::string_view text);
  // The answer to a measurement that started at `from`, the module drawing what `log` says.
  std::string measured(Measure what, Time from, const DrawLog& log) const;

  bool output_on() const { return output_; }
  double volts() const { return volts_; }

 private:
  std::optional<Reply> unit(std::string_view header, std::string_view params);
  std::optional<Reply> status(std::string_view header, bool query, std::string_view params);
  void error(int code, std::string_view text);
  int status_byte() const;
  void set_output(bool on);

  std::string path_;  // the header path a unit without a leading ':' continues
  bool output_ = true;
  double volts_ = 3.8, amps_limit_ = 3.0, ovp_ = 22.0;
  bool ocp_ = false;
  // The operation status register (bit 8: constant voltage) and its transition filters.
  int oper_event_ = 0, oper_ptr_ = 0x7fff, oper_ntr_ = 0, oper_enable_ = 0;
  int ques_event_ = 0, ques_ptr_ = 0x7fff, ques_ntr_ = 0, ques_enable_ = 0;
  std::deque<std::string> errors_;
};

}  // namespace athil::sim
