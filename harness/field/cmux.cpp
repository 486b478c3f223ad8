#include "field/cmux.hpp"

namespace athil::field {

namespace {

// TS 27.010 5.2.1.6: CRC-8, reflected polynomial 0xE0, initial 0xFF, sent as its complement.
std::uint8_t fcs_of(std::string_view bytes) {
  std::uint8_t crc = 0xff;
  for (char c : bytes) {
    crc ^= static_cast<std::uint8_t>(c);
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? static_cast<std::uint8_t>((crc >> 1) ^ 0xe0) : static_cast<std::uint8_t>(crc >> 1);
  }
  return static_cast<std::uint8_t>(0xff - crc);
}

CmuxFrame::Kind kind_of(std::uint8_t control) {
  switch (control & ~0x10) {  // the poll/final bit aside
    case 0xef:
    case 0x03: return CmuxFrame::Kind::data;
    case 0x2f: return CmuxFrame::Kind::open;
    case 0x63: return CmuxFrame::Kind::accepted;
    case 0x43: return CmuxFrame::Kind::close;
    case 0x0f: return CmuxFrame::Kind::refused;
    default: return CmuxFrame::Kind::other;
  }
}

}  // namespace

std::vector<CmuxFrame> CmuxStream::feed(std::string_view bytes) {
  std::vector<CmuxFrame> frames;
  for (char c : bytes) {
    if (pending_.empty()) {
      if (c == flag)
        pending_ += c;
      else
        ++dropped_;
      continue;
    }
    if (c == flag && pending_.size() == 1) continue;  // a closing flag doubles as the next opening one
    pending_ += c;
    if (auto frame = take_frame()) frames.push_back(std::move(*frame));
  }
  return frames;
}

// A frame once pending_ holds it whole: flag, address, control, length (one byte, or two where
// the first's EA bit is 0), payload, FCS, flag.
std::optional<CmuxFrame> CmuxStream::take_frame() {
  if (pending_.size() < 4) return std::nullopt;
  auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(pending_[i]); };
  const bool long_length = (byte(3) & 1) == 0;
  const std::size_t header = long_length ? 5 : 4;
  if (pending_.size() < header) return std::nullopt;
  const std::size_t length = long_length ? (byte(3) >> 1) | (static_cast<std::size_t>(byte(4)) << 7) : byte(3) >> 1;
  if (pending_.size() < header + length + 2) return std::nullopt;
  CmuxFrame frame{.dlci = byte(1) >> 2, .kind = kind_of(byte(2)), .payload = pending_.substr(header, length)};
  frame.fcs_ok = fcs_of(std::string_view(pending_).substr(1, header - 1)) == byte(header + length);
  const bool closed = pending_[header + length + 1] == flag;
  pending_.clear();
  if (!closed) frame.fcs_ok = false;  // the length did not lead to a flag: not a frame as sent
  pending_ += flag;                   // the closing flag opens the next frame
  return frame;
}

std::string_view cmux_kind_name(CmuxFrame::Kind kind) {
  switch (kind) {
    case CmuxFrame::Kind::data: return "data";
    case CmuxFrame::Kind::open: return "SABM";
    case CmuxFrame::Kind::accepted: return "UA";
    case CmuxFrame::Kind::close: return "DISC";
    case CmuxFrame::Kind::refused: return "DM";
    case CmuxFrame::Kind::other: break;
  }
  return "control";
}

}  // namespace athil::field
