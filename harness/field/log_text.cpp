#include "field/log_text.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "base/error.hpp"
#include "base/escape.hpp"
#include "base/file.hpp"
#include "field/session.hpp"

namespace athil::field {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) return false;
  return true;
}

}  // namespace

std::optional<LogLine> LogLines::next() {
  if (at_ >= text_.size()) return std::nullopt;
  auto nl = text_.find('\n', at_);
  std::size_t end = nl == std::string_view::npos ? text_.size() : nl;
  std::string_view line = text_.substr(at_, end - at_);
  at_ = nl == std::string_view::npos ? text_.size() : nl + 1;
  while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  LogLine out{++number_, line, false};
  if (line.size() > max_line) {
    out.text = line.substr(0, max_line);
    out.cut = true;
  }
  return out;
}

std::optional<std::string> not_a_text_log(std::string_view text) {
  std::string_view sample = text.substr(0, 64 * 1024);
  if (sample.empty()) return std::nullopt;
  std::size_t nul = 0, odd = 0;
  for (std::size_t i = 0; i < sample.size();) {
    unsigned char c = static_cast<unsigned char>(sample[i]);
    if (c == 0) ++nul;
    auto cp = decode_utf8(sample, i);
    bool text_char = cp && (cp->value >= 0x20 || c == '\n' || c == '\r' || c == '\t');
    odd += !text_char;
    i += cp ? cp->length : 1;
  }
  // A log may hold some serial noise (a PPP frame, a garbled line); a file that is mostly not
  // text, or full of NUL bytes, is no log.
  if (nul * 100 > sample.size()) return fmt::format("it holds NUL bytes ({} in its first {} bytes): a binary file, not a log", nul, sample.size());
  if (odd * 4 > sample.size()) return fmt::format("{} of its first {} bytes are not text: a binary file, not a log", odd, sample.size());
  return std::nullopt;
}

std::string decode_notation(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c == '^' && i + 1 < text.size() && (text[i + 1] == 'M' || text[i + 1] == 'J')) {
      out += text[i + 1] == 'M' ? '\r' : '\n';
      i += 2;
      continue;
    }
    if (c == '<') {
      bool matched = false;
      for (auto [name, byte] : {std::pair<std::string_view, char>{"<cr>", '\r'}, {"<lf>", '\n'}, {"<ln>", '\n'}, {"<nl>", '\n'}})
        if (starts_with_ci(text.substr(i), name)) {
          out += byte;
          i += name.size();
          matched = true;
          break;
        }
      if (matched) continue;
    }
    if (c == '\\' && i + 1 < text.size()) {
      char e = text[i + 1];
      if (e == 'r' || e == 'n' || e == 't' || e == '\\') {
        out += e == 'r' ? '\r' : e == 'n' ? '\n' : e == 't' ? '\t' : '\\';
        i += 2;
        continue;
      }
      if (e == 'x' && i + 3 < text.size() && hex_value(text[i + 2]) >= 0 && hex_value(text[i + 3]) >= 0) {
        out += static_cast<char>(hex_value(text[i + 2]) * 16 + hex_value(text[i + 3]));
        i += 4;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

std::optional<std::string> hex_dump_bytes(std::string_view line) {
  std::string_view rest = trim_view(line);
  // An address first, when the dump has one.
  if (rest.size() > 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X')) {
    std::size_t k = 2;
    while (k < rest.size() && hex_value(rest[k]) >= 0) ++k;
    if (k < rest.size() && rest[k] != ' ') return std::nullopt;
    rest = rest.substr(k);
  }
  std::string bytes;
  std::size_t i = 0;
  while (i < rest.size() && bytes.size() < 32) {
    while (i < rest.size() && rest[i] == ' ') ++i;
    if (i + 1 >= rest.size() || hex_value(rest[i]) < 0 || hex_value(rest[i + 1]) < 0) break;
    // A pair stands alone: "4f 4b", never part of a word such as "4bytes".
    if (i + 2 < rest.size() && rest[i + 2] != ' ' && rest[i + 2] != '|') break;
    bytes += static_cast<char>(hex_value(rest[i]) * 16 + hex_value(rest[i + 1]));
    i += 2;
  }
  while (i < rest.size() && rest[i] == ' ') ++i;
  bool rest_is_ascii_column = i == rest.size() || rest[i] == '|';
  if (bytes.empty() || !rest_is_ascii_column) return std::nullopt;
  return bytes;
}

std::optional<OffsetHexRow> offset_hex_row(std::string_view line) {
  auto hex4 = [&](std::size_t at) -> std::optional<std::size_t> {
    std::size_t v = 0;
    for (std::size_t k = at; k < at + 4; ++k) {
      if (k >= line.size() || hex_value(line[k]) < 0) return std::nullopt;
      v = v * 16 + static_cast<std::size_t>(hex_value(line[k]));
    }
    return v;
  };
  auto from = hex4(0), to = hex4(5);
  if (!from || !to || line[4] != '-' || line.substr(9, 2) != ": " || *to <= *from) return std::nullopt;
  OffsetHexRow row{.offset = *from, .bytes = {}};
  std::size_t i = 11;
  while (row.bytes.size() < *to - *from && i + 1 < line.size() && hex_value(line[i]) >= 0 && hex_value(line[i + 1]) >= 0 &&
         (i + 2 == line.size() || line[i + 2] == ' ')) {
    row.bytes += static_cast<char>(hex_value(line[i]) * 16 + hex_value(line[i + 1]));
    std::size_t gap = 0;
    for (i += 2; i < line.size() && line[i] == ' '; ++i) ++gap;
    if (gap > 2) break;  // the padding before the ASCII column
  }
  if (row.bytes.empty()) return std::nullopt;
  return row;
}

std::optional<PythonBytes> python_bytes(std::string_view text) {
  if (text.size() < 3 || (text[0] != 'b' && text[0] != 'B') || (text[1] != '\'' && text[1] != '"')) return std::nullopt;
  const char quote = text[1];
  PythonBytes out;
  for (std::size_t i = 2; i < text.size(); ++i) {
    char c = text[i];
    if (c == quote) {
      out.length = i + 1;
      return out;
    }
    if (c != '\\' || i + 1 >= text.size()) {
      out.bytes += c;
      continue;
    }
    char e = text[++i];
    switch (e) {
      case 'r': out.bytes += '\r'; break;
      case 'n': out.bytes += '\n'; break;
      case 't': out.bytes += '\t'; break;
      case '0': out.bytes += '\0'; break;
      case '\\':
      case '\'':
      case '"': out.bytes += e; break;
      case 'x':
        if (i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
          out.bytes += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
          i += 2;
          break;
        }
        [[fallthrough]];
      default: out.bytes += '\\'; out.bytes += e;
    }
  }
  return std::nullopt;  // not closed: a repr cut mid-way
}

std::string read_log_file(const std::string& path, const std::string& lines) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) throw InputError(fmt::format("cannot read {}: {}", path, ec.message()));
  if (size > max_log_bytes)
    throw InputError(fmt::format("{} is {} MiB; athil reads logs up to {} MiB: give the part around the failure", path, size >> 20, max_log_bytes >> 20));
  auto text = read_file(path);
  if (!text) throw InputError(fmt::format("cannot read {}", path));
  if (lines.empty()) return std::move(*text);
  int first = 0, last = 0;
  auto dash = lines.find('-');
  auto number = [&](std::string_view part, int& out) {
    auto [end, err] = std::from_chars(part.data(), part.data() + part.size(), out);
    return err == std::errc() && end == part.data() + part.size();
  };
  if (dash == std::string::npos || !number(std::string_view(lines).substr(0, dash), first) || !number(std::string_view(lines).substr(dash + 1), last))
    throw InputError(fmt::format("--lines '{}': give FIRST-LAST, such as 120-480", lines));
  std::string all = std::move(*text);
  return std::string(log_lines(all, first, last));
}

std::string_view trim_view(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

}  // namespace athil::field
