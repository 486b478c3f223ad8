#include "at/framer.hpp"

namespace athil {

namespace {
bool is_blank(std::string_view s) { return s.find_first_not_of(" \t") == std::string_view::npos; }
}  // namespace

void LineFramer::feed(std::string_view bytes, std::vector<Frame>& out) {
  for (char c : bytes) {
    if (c == '\r' || c == '\n') {
      if (!is_blank(partial_)) out.push_back(Frame{Frame::Kind::line, partial_});
      partial_.clear();
      continue;
    }
    partial_ += c;
    if (partial_.size() >= max_line_bytes) {  // a module that never ends its line: cut it
      out.push_back(Frame{Frame::Kind::line, partial_});
      partial_.clear();
      continue;
    }
    if (partial_ == "> " || partial_ == "DOWNLOAD") {
      out.push_back(Frame{Frame::Kind::prompt, partial_});
      partial_.clear();
    }
  }
}

}  // namespace athil
