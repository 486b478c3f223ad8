#include "at/framer.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>

namespace athil {

namespace {
bool is_blank(std::string_view s) { return s.find_first_not_of(" \t") == std::string_view::npos; }

// The numbers that lead `fields` ("1,100,0,..."), each ended by a comma or the end, at most
// `most`; where the last one taken ends.
struct LeadingNumbers {
  std::size_t values[4] = {};
  std::size_t count = 0;
  const char* end = nullptr;
};
LeadingNumbers leading_numbers(std::string_view fields, std::size_t most) {
  LeadingNumbers n{.end = fields.data()};
  const char* p = fields.data();
  const char* stop = fields.data() + fields.size();
  while (n.count < std::min<std::size_t>(most, std::size(n.values))) {
    auto [end, ec] = std::from_chars(p, stop, n.values[n.count]);
    if (ec != std::errc() || end == p || (end != stop && *end != ',')) break;
    n.end = end;
    ++n.count;
    if (end == stop) break;
    p = end + 1;
  }
  return n;
}

}  // namespace

std::size_t LineFramer::announced(std::string_view line, bool inline_data) const {
  for (const auto& rule : rules_) {
    if (rule.inline_data != inline_data || line.substr(0, rule.prefix.size()) != rule.prefix) continue;
    std::string_view rest = line.substr(rule.prefix.size());
    auto numbers = leading_numbers(rest, rule.length_next_to_last ? 3 : 1);
    if (numbers.count < (rule.length_next_to_last ? 2u : 1u)) return 0;
    std::size_t length = rule.length_next_to_last ? numbers.values[numbers.count - 2] : numbers.values[0];
    const char* end = numbers.end;
    if (length > (inline_data ? max_line_bytes : max_payload_bytes)) return 0;
    std::string_view after(end, static_cast<std::size_t>(rest.data() + rest.size() - end));
    // Inline: the header is complete at the comma after the number. After a line end: the
    // number ends the line, or more fields follow it.
    if (inline_data ? after != "," : !(after.empty() || after[0] == ',')) return 0;
    return length;
  }
  return 0;
}

void LineFramer::end_line(std::vector<Frame>& out) {
  if (!is_blank(partial_)) {
    out.push_back(Frame{Frame::Kind::line, partial_});
    payload_left_ = announced(partial_, false);
    payload_inline_ = false;
  }
  partial_.clear();
}

std::size_t LineFramer::ordinary_run(std::string_view bytes) const {
  // Not while the line may still become the "> " prompt; the byte that fills the line to its
  // bound goes the slow way too, which cuts it.
  bool may_be_prompt = partial_.empty() || (partial_.size() == 1 && partial_[0] == '>');
  if (may_be_prompt || partial_.size() + 1 >= max_line_bytes) return 0;
  std::size_t most = std::min(bytes.size(), max_line_bytes - 1 - partial_.size());
  std::size_t n = 0;
  while (n < most && bytes[n] != '\r' && bytes[n] != '\n' && bytes[n] != ',') ++n;
  return n;
}

void LineFramer::feed(std::string_view bytes, std::vector<Frame>& out) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    char c = bytes[i];
    if (skip_lf_) {
      skip_lf_ = false;
      if (c == '\n') continue;
    }
    if (payload_left_ > 0) {
      // Raw bytes: taken in one piece as far as this chunk goes.
      std::size_t room = payload_inline_ ? payload_left_ : std::min(payload_left_, max_line_bytes - partial_.size());
      std::size_t take = std::min(room, bytes.size() - i);
      partial_.append(bytes.substr(i, take));
      payload_left_ -= take;
      i += take - 1;
      if (payload_inline_) {
        if (payload_left_ == 0) payload_inline_ = false;  // the line goes on to its CR LF
      } else if (payload_left_ == 0 || partial_.size() >= max_line_bytes) {
        out.push_back(Frame{Frame::Kind::data, std::move(partial_)});
        partial_.clear();
      }
      continue;
    }
    if (c == '\r' || c == '\n') {
      end_line(out);
      skip_lf_ = c == '\r' && payload_left_ > 0;
      continue;
    }
    if (std::size_t run = ordinary_run(bytes.substr(i)); run > 0) {
      partial_.append(bytes.substr(i, run));
      i += run - 1;
      continue;
    }
    partial_ += c;
    if (c == ',' && (payload_left_ = announced(partial_, true)) > 0) {
      payload_inline_ = true;
      continue;
    }
    if (partial_.size() >= max_line_bytes) {  // a module that never ends its line: cut it
      out.push_back(Frame{Frame::Kind::line, std::move(partial_)});
      partial_.clear();
      continue;
    }
    if (std::string_view(partial_) == "> ") {  // the length compared first: cheap per byte
      out.push_back(Frame{Frame::Kind::prompt, std::move(partial_)});
      partial_.clear();
    }
  }
}

}  // namespace athil
