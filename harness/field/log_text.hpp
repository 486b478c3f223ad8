#pragma once
// The text of a log as the importers read it: bounded lines, and the ways loggers write bytes
// (^M and <CR><LF> notations, hex dumps, Python bytes reprs). Logs are untrusted input: every
// reader here is bounded and none recurses over the text.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace athil::field {

struct LogLine {
  int number = 0;         // 1-based
  std::string_view text;  // without CR and LF; at most max_line bytes
  bool cut = false;       // the line went on beyond max_line: the rest was dropped
};

// The lines of a log, one at a time: the log is never copied.
class LogLines {
 public:
  // As the AT framer bounds a module's line: longer is no line a module or a logger writes.
  static constexpr std::size_t max_line = 8192;
  explicit LogLines(std::string_view text) : text_(text) {}
  std::optional<LogLine> next();
  // Whether the log's last line ended with a line end (a pasted fragment often does not).
  bool ends_with_newline() const { return !text_.empty() && text_.back() == '\n'; }

 private:
  std::string_view text_;
  std::size_t at_ = 0;
  int number_ = 0;
};

// Why the text is not a log a person or a logger wrote (NUL bytes, mostly not text), or nothing.
std::optional<std::string> not_a_text_log(std::string_view text);

// Bytes written in a logger's notation: ^M (CR) and ^J, <CR> <LF> <cr> <lf> <ln>, and the
// backslash escapes r, n, t, xHH and a doubled backslash. Anything else stays as it is.
std::string decode_notation(std::string_view text);

// The bytes of a hex dump line ("0x3f404a04   41 54 0d   |AT.|", "41 54 2b 43  |AT+C"): an
// optional address, then pairs of hex digits (up to 32), then an optional ASCII column. Nothing
// when the line is no such dump.
std::optional<std::string> hex_dump_bytes(std::string_view line);

// A row of RT-Thread's AT raw print: "0020-0040: 30 22 0D 0A    0\"..": the row's offset range,
// pairs of hex digits (a space between, two after every eighth), then three or more spaces and
// the ASCII column. Nothing when `line` is no such row.
struct OffsetHexRow {
  std::size_t offset = 0;
  std::string bytes;
};
std::optional<OffsetHexRow> offset_hex_row(std::string_view line);

// A Python bytes literal at the start of `text` (b'...' or b"..."), decoded, and how many
// characters it took; nothing when there is none or it is not closed.
struct PythonBytes {
  std::string bytes;
  std::size_t length = 0;
};
std::optional<PythonBytes> python_bytes(std::string_view text);

// A log file's text, whole or lines FIRST-LAST of it ("120-480", "" for all). Logs are bounded
// (256 MiB: a month of a rack's traffic); throws InputError naming what is wrong.
std::string read_log_file(const std::string& path, const std::string& lines = "");
constexpr std::size_t max_log_bytes = 256u * 1024 * 1024;

// Trims blanks (and CR) from both ends.
std::string_view trim_view(std::string_view text);

}  // namespace athil::field
