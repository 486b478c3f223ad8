#pragma once
// Cuts the byte stream from a module into frames: lines (ended by CR or LF, empty and
// blank lines dropped) and prompts that end without a line end ("> ", "DOWNLOAD").
// Any byte is kept; feeding the stream in pieces of any size gives the same frames.
#include <string>
#include <string_view>
#include <vector>

namespace athil {

struct Frame {
  enum class Kind { line, prompt } kind;
  std::string text;
  bool operator==(const Frame&) const = default;
};

class LineFramer {
 public:
  // Longer lines are cut into pieces of this size (binary data, a line that never ends).
  static constexpr std::size_t max_line_bytes = 8192;
  void feed(std::string_view bytes, std::vector<Frame>& out);

 private:
  std::string partial_;
};

}  // namespace athil
