#pragma once
// 3GPP TS 27.010 basic-option frames (the CMUX the SIM70x0 speaks after AT+CMUX=0), taken apart
// as a log shows them: one direction's bytes fed in the pieces the logger wrote, each frame handed
// out whole once its closing flag came.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace athil::field {

struct CmuxFrame {
  enum class Kind { data, open, accepted, close, refused, other };  // UIH or UI, SABM, UA, DISC, DM
  int dlci = 0;
  Kind kind = Kind::other;
  std::string payload;
  bool fcs_ok = true;  // the frame check sequence over address, control and length matched
};

class CmuxStream {
 public:
  static constexpr char flag = '\xf9';
  // The bytes after the last complete frame, with the frames they completed. Bytes between frames
  // that are not a flag are dropped and counted.
  std::vector<CmuxFrame> feed(std::string_view bytes);
  // Whether a frame has begun and not yet ended.
  bool in_frame() const { return pending_.size() > 1; }
  std::size_t dropped() const { return dropped_; }

 private:
  std::optional<CmuxFrame> take_frame();

  std::string pending_;  // from a frame's opening flag on
  std::size_t dropped_ = 0;
};

std::string_view cmux_kind_name(CmuxFrame::Kind kind);

}  // namespace athil::field
