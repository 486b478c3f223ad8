#pragma once
// Cuts the byte stream from a module into frames: lines (ended by CR or LF; empty and blank
// lines dropped), the prompt that ends without a line end ("> "; DOWNLOAD is a line), and binary payloads
// whose length a header announced ("+SHREAD: 15" then 15 raw bytes; "+CARECV: 5,hello").
// Any byte is kept; feeding the stream in pieces of any size gives the same frames.
#include <string>
#include <string_view>
#include <vector>

namespace athil {

struct Frame {
  // data: raw payload bytes announced by the line before it (CR and LF are data there)
  enum class Kind { line, prompt, data } kind;
  std::string text;
  bool operator==(const Frame&) const = default;
};

// A response header that announces raw bytes. The length is the first number after `prefix`,
// or, `length_next_to_last`, the next to last of the numbers that lead its fields (the length,
// then what is left: "+CIPRXGET: 2,<read>,<left>", or with AT+CIPMUX=1 "2,<id>,<read>,<left>").
// The bytes follow the header's line end, or, `inline_data`, the comma after the number and
// stay part of the line ("+CARECV: 5,hello").
struct PayloadRule {
  std::string prefix;
  bool inline_data = false;
  bool length_next_to_last = false;
};

class LineFramer {
 public:
  // Longer lines and payloads are cut into pieces of this size (a line that never ends).
  static constexpr std::size_t max_line_bytes = 8192;
  // An announced length above this (above max_line_bytes inline) is not believed: the header
  // stays an ordinary line.
  static constexpr std::size_t max_payload_bytes = 16 * 1024 * 1024;

  explicit LineFramer(std::vector<PayloadRule> rules = {}) : rules_(std::move(rules)) {}
  void feed(std::string_view bytes, std::vector<Frame>& out);

 private:
  void end_line(std::vector<Frame>& out);
  // The announced length when `line` is a payload header of this kind (inline or not), else 0.
  std::size_t announced(std::string_view line, bool inline_data) const;
  // How many of `bytes` are ordinary (no line end, no ',' that may end a header): a run
  // appended in one piece.
  std::size_t ordinary_run(std::string_view bytes) const;

  std::vector<PayloadRule> rules_;
  std::string partial_;
  std::size_t payload_left_ = 0;  // raw bytes still to come
  bool payload_inline_ = false;   // they belong to partial_ instead of a data frame
  bool skip_lf_ = false;          // the header ended on CR: its LF is not payload
};

}  // namespace athil
