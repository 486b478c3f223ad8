#include "field/shapes.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "at/engine.hpp"
#include "field/cmux.hpp"
#include "field/log_text.hpp"
#include "models/models.hpp"

namespace athil::field {

namespace {

std::string_view strip_line_ends(std::string_view text) {
  while (!text.empty() && (text.back() == '\r' || text.back() == '\n')) text.remove_suffix(1);
  return text;
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// The text after `marker` where the message holds it; nothing where it does not.
std::optional<std::string_view> after(std::string_view text, std::string_view marker) {
  auto at = text.find(marker);
  if (at == std::string_view::npos) return std::nullopt;
  return text.substr(at + marker.size());
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Builder

// A log seldom says its model: the SIM7000's table is the widest (its older application stack's
// URCs besides the common ones), so no URC of any model is taken for a response.
Builder::Builder(Session& s) : s_(s), dialect_(Dialect::sim70x0(family_name(Family::sim7000))) {}

Builder::~Builder() {
  flush_partial();
  end_payload();
}

bool Builder::unechoed(std::string_view text) const { return std::find(unechoed_.begin(), unechoed_.end(), text) != unechoed_.end(); }

void Builder::send(std::string_view text, std::optional<double> t, int line) {
  flush_partial();
  end_payload();
  if (trim_view(text).empty()) return;  // an empty send marker: nothing went to the module
  s_.add(SessionEvent{t, Direction::to_module, std::string(text) + "\r", line});
  unechoed_.emplace_back(text);
  if (unechoed_.size() > 4) unechoed_.pop_front();
  command_open_ = is_command(text);
}

void Builder::send_bytes(std::string_view bytes, std::optional<double> t, int line) {
  flush_partial();
  end_payload();
  if (bytes.empty()) return;
  s_.add(SessionEvent{t, Direction::to_module, std::string(bytes), line});
  auto text = strip_line_ends(bytes);
  if (!is_command(text)) return;
  unechoed_.emplace_back(text);
  if (unechoed_.size() > 4) unechoed_.pop_front();
  command_open_ = true;
}

void Builder::receive(const std::string& text, std::optional<double> t, int line) {
  if (in_payload()) {
    payload_.append(text).append("\r\n");
    if (payload_.size() >= payload_size_) end_payload();
    return;
  }
  // A prompt ends without a line end; what follows it on the log's line came after it.
  if (text == ">" || text.rfind("> ", 0) == 0) {
    s_.add(SessionEvent{t, Direction::from_module, "\r\n> ", line});
    if (text.size() > 2 && !trim_view(text.substr(2)).empty()) receive(text.substr(2), t, line);
    return;
  }
  // An echo: of the last send, or of one before it that the module echoed late.
  if (auto it = std::find(unechoed_.begin(), unechoed_.end(), text); it != unechoed_.end()) {
    s_.add(SessionEvent{t, Direction::from_module, text + "\r", line});
    unechoed_.erase(it);
    return;
  }
  s_.add(SessionEvent{t, Direction::from_module, "\r\n" + text + "\r\n", line});
  if (AtEngine::is_final_result(text)) command_open_ = false;
  for (const auto& rule : dialect_.payloads) {
    if (rule.inline_data || text.rfind(rule.prefix, 0) != 0) continue;
    std::size_t n = 0;
    std::string_view digits = std::string_view(text).substr(rule.prefix.size());
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec == std::errc() && n > 0 && n <= LineFramer::max_payload_bytes && (end == digits.data() + digits.size() || *end == ',')) {
      payload_size_ = n;
      payload_t_ = t;
      payload_line_ = line;
    }
  }
}

void Builder::receive_bytes(std::string_view bytes, std::optional<double> t, int line) {
  while (!bytes.empty()) {
    if (in_payload()) {
      std::size_t take = std::min(bytes.size(), payload_size_ - std::min(payload_size_, payload_.size()));
      payload_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (payload_.size() >= payload_size_) end_payload();
      continue;
    }
    auto end = bytes.find_first_of("\r\n");
    if (end == std::string_view::npos) {
      if (partial_.empty()) {
        partial_t_ = t;
        partial_line_ = line;
      }
      partial_.append(bytes);
      return;
    }
    std::string text = std::move(partial_);
    partial_.clear();
    text.append(bytes.substr(0, end));
    bytes.remove_prefix(end + 1);
    if (!text.empty()) receive(text, partial_t_ ? partial_t_ : t, partial_line_ ? partial_line_ : line);
    partial_t_.reset();
    partial_line_ = 0;
    // The header of a payload ends with its CR LF: the payload's bytes start after it.
    if (in_payload() && !bytes.empty() && bytes.front() == '\n') bytes.remove_prefix(1);
  }
}

void Builder::note(std::string_view text, std::optional<double> t, int line) {
  if (trim_view(text).empty()) return;
  s_.add(SessionEvent{t, Direction::note, std::string(text), line});
}

void Builder::problem(int line, std::string_view text, std::string why) { s_.problem(ImportProblem{line, std::string(text), std::move(why)}); }

void Builder::flush_partial() {
  if (partial_.empty()) return;
  std::string text = std::move(partial_);
  partial_.clear();
  receive(text, partial_t_, partial_line_);
}

void Builder::end_payload() {
  if (!in_payload()) return;
  // The CR LF that ended the last line is framing when the payload is complete without it.
  std::size_t got = payload_.size();
  if (got == payload_size_ + 2)
    payload_.resize(payload_size_);
  else if (got != payload_size_)
    s_.problem(ImportProblem{payload_line_, payload_.substr(0, 40),
                             fmt::format("a payload of {} bytes announced, the log holds {}: replayed as the log has it", payload_size_, got)});
  s_.add(SessionEvent{.t = payload_t_, .dir = Direction::from_module, .bytes = std::move(payload_), .line = payload_line_ + 1, .payload = true});
  payload_.clear();
  payload_size_ = 0;
}

bool looks_like_module_output(std::string_view text, const Dialect& dialect) {
  text = trim_view(text);
  if (text.empty()) return false;
  if (AtEngine::is_final_result(text) || text.front() == '+' || text.front() == '*' || text.front() == '$' || text == ">" || starts_with(text, "> "))
    return true;
  if (dialect.urcs.matches(std::string(text))) return true;
  if (text.size() >= 6 && text.size() <= 22 && std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || c == 'F' || c == 'f'; }))
    return true;  // an IMEI, an IMSI, an ICCID
  for (std::string_view word : {"Revision:", "RDY", "SMS Ready", "NORMAL POWER DOWN", "DOWNLOAD", "CONNECT", "SEND OK", "SHUT OK", "CLOSE OK", "SIMCOM",
                                "UNDER-VOLTAGE", "OVER-VOLTAGE", "DST:", "PB DONE", "SMS DONE", "Call Ready"})
    if (starts_with(text, word)) return true;
  return false;
}

namespace {

// ---------------------------------------------------------------------------------------------
// raw: the module's stream as a terminal shows it (picocom, minicom, screen, an Arduino serial
// monitor), or a host library's own stream dump (TinyGSM's StreamDebugger: the host's writes and
// the module's echo one after another). Lines that are neither a command, nor the module's answer
// to one, nor a URC are the host program's own log: notes. Waveshare's demo scripts show a
// command that failed them as their verdict and what came back (see waveshare_back).
class RawShape final : public Shape {
 public:
  explicit RawShape(bool host_lines_shown) : host_lines_shown_(host_lines_shown) {}
  bool marks(const Message& m) const override { return is_command(trim_view(m.text)); }
  const char* looks_for() const override { return "command lines (AT...) among the module's answers"; }
  bool take(const Message& m, int line, Builder& b) override {
    std::string text(trim_view(m.text));
    if (b.in_payload()) {
      b.receive(std::string(strip_line_ends(m.text)), m.t, line);
      return true;
    }
    if (text.empty()) return false;  // framing
    if (text.front() == '#') {       // the log keeper's comment, or a host library's (TinyGSM's ### lines)
      b.note(text, m.t, line);
      return false;
    }
    if (auto back = waveshare_back(text)) {
      b.send(back->command, m.t, line);
      if (!back->came.empty()) b.receive(back->came, m.t, line);
      after_back_ = true;
      return true;
    }
    if (is_command(text) && text.ends_with(" ERROR") && is_command(text.substr(0, text.size() - 6))) {
      b.note(text, m.t, line);  // a script's verdict on the command, not the module's answer
      return false;
    }
    if (is_command(text)) {
      after_back_ = false;
      // The module's echo of the host's line just above, where the log shows both.
      if (host_lines_shown_ && b.unechoed(text)) {
        b.receive(text, m.t, line);
        return true;
      }
      b.send(text, m.t, line);
      // A terminal shows what was typed as the module echoed it.
      if (!host_lines_shown_) b.receive(text, m.t, line);
      return true;
    }
    // After a script's "back:", what came back is all shown: a line that does not look like the
    // module's is the script's own, though the command never got its result code.
    if ((b.command_open() && !after_back_) || looks_like_module_output(text, b.dialect())) {
      b.receive(text, m.t, line);
      return true;
    }
    b.note(text, m.t, line);
    return false;
  }

 private:
  // Waveshare's demo scripts for their SIM7600X, SIM7070G and SIM7080G HATs print a command whose
  // answer lacked what they waited for as "AT+CMGF=1 ERROR" (their verdict) and then
  // "AT+CMGF=1 back:\t" and what came back, its lines going on below.
  struct Back {
    std::string command, came;
  };
  static std::optional<Back> waveshare_back(std::string_view text) {
    auto at = text.find(" back:");
    if (at == std::string_view::npos || !is_command(text.substr(0, at))) return std::nullopt;
    return Back{.command = std::string(text.substr(0, at)), .came = std::string(trim_view(text.substr(at + 6)))};
  }

  bool host_lines_shown_;
  bool after_back_ = false;  // the last command came from a "back:" line
};

// ---------------------------------------------------------------------------------------------
// markers: a direction mark per line or per block, as host libraries and tools write them:
// >> / <<, >>> / <<<, --> / <--, ---> / <--- (Adafruit FONA), -> / <-, > / < (Particle's ncp.at
// trace), TX / RX, AT TX (n): / AT RX (n): (mbed), SEND: / RECEIVED:, ### AT: (TinyGSM's debug),
// [Send->] / [Recv<-] blocks (SSCOM), => / <= (SimcomGsmLib), SEND>> / RECV<< and AT> / AT<
// (Linux dialers), Out: / In (line1): (.NET's ATLib; an In line may go on on the next, where the
// module sent a bare LF), S: / R: with the component's state after " - " (ESPHome's SIM800L,
// SIM7600 and A7672 components), Token: {...} (esp_modem's command library, verbose: each line
// the module sent). A mark may follow one word ("mgos_pppos_at_cmd >> ATH").
// Lines without a mark that look like the module's answer continue the last one.
class MarkersShape final : public Shape {
 public:
  const char* looks_for() const override { return "direction marks such as >> / <<, --> / <--, TX: / RX:, [Send->] / [Recv<-], S: / R: ... - n"; }
  bool marks(const Message& m) const override { return find_mark(m.text).has_value(); }
  bool take(const Message& m, int line, Builder& b) override {
    auto mark = find_mark(m.text);
    if (!mark) return unmarked(m, line, b);
    flush_send(b);
    std::string_view payload = mark->payload;
    block_ = mark->block ? (mark->to_module ? Block::send : Block::receive) : Block::none;
    mark_t_ = m.t;
    if (mark->fragment) {  // "SEND:AT", "SEND:+CPIN?", "SEND:": one command written in parts
      if (!payload.empty()) {
        fragments_ += payload;
        pending_t_ = m.t;
        pending_line_ = line;
        return true;
      }
      send_now(fragments_, m.t, line, b);
      fragments_.clear();
      return true;
    }
    if (block_ == Block::send) {
      pending_send_ = std::string(payload);
      pending_t_ = m.t;
      pending_line_ = line;
      return true;
    }
    if (mark->to_module) return send_now(std::string(mark->prefix) + std::string(payload), m.t, line, b);
    if (payload.empty()) return block_ == Block::receive;
    receive_now(payload, m.t, line, b);
    return true;
  }
  void finish(Builder& b) override {
    flush_send(b);
    if (!fragments_.empty()) b.send(fragments_, pending_t_, pending_line_);
  }

 private:
  struct Mark {
    bool to_module;
    std::string_view payload;
    std::string_view prefix;  // put before the payload ("AT" for TinyGSM's "### AT: +CSQ")
    bool block = false;       // the mark opens a block that goes on over unmarked lines
    bool fragment = false;    // a part of a command (SEND:)
  };
  enum class Block { none, send, receive };

  static std::optional<Mark> mark_at(std::string_view text) {
    struct Token {
      std::string_view text;
      bool to_module;
      bool needs_space = false;
      bool block = false;
      bool fragment = false;
      std::string_view prefix = "";
      std::string_view close = "";  // ends the line, and is not the payload's
      bool state_after = false;     // " - 3" ends the line: a state number, not the payload's
      bool line_number = false;     // "1): " follows: the line's number among the answer's
    };
    static const Token tokens[] = {{.text = "[Send->]", .to_module = true, .block = true},
                                   {.text = "[Recv<-]", .to_module = false, .block = true},
                                   {.text = "### AT:", .to_module = true, .prefix = "AT"},
                                   {.text = "Sending command:", .to_module = true},
                                   {.text = "AT TX", .to_module = true},
                                   {.text = "AT RX", .to_module = false},
                                   {.text = "RECEIVED:", .to_module = false, .block = true},
                                   {.text = "SEND:", .to_module = true, .fragment = true},
                                   {.text = "SENT:", .to_module = true},
                                   {.text = "RECV:", .to_module = false},
                                   {.text = "Out: AT", .to_module = true, .prefix = "AT"},
                                   {.text = "In (line", .to_module = false, .block = true, .line_number = true},
                                   {.text = "=>", .to_module = true, .needs_space = true},
                                   {.text = "<=", .to_module = false, .needs_space = true},
                                   {.text = "SEND>>", .to_module = true},
                                   {.text = "RECV<<", .to_module = false},
                                   {.text = "AT>", .to_module = true, .needs_space = true},
                                   {.text = "AT<", .to_module = false, .needs_space = true},
                                   {.text = ">>>", .to_module = true},
                                   {.text = "<<<", .to_module = false},
                                   {.text = "--->", .to_module = true},
                                   {.text = "<---", .to_module = false},
                                   {.text = "-->", .to_module = true},
                                   {.text = "<--", .to_module = false},
                                   {.text = ">>", .to_module = true},
                                   {.text = "<<", .to_module = false},
                                   {.text = "->", .to_module = true, .needs_space = true},
                                   {.text = "<-", .to_module = false, .needs_space = true},
                                   {.text = "TX:", .to_module = true},
                                   {.text = "RX:", .to_module = false},
                                   {.text = ">", .to_module = true, .needs_space = true},
                                   {.text = "<", .to_module = false, .needs_space = true},
                                   {.text = "Token: {", .to_module = false, .close = "}"},
                                   {.text = "S:", .to_module = true, .needs_space = true, .state_after = true},
                                   {.text = "R:", .to_module = false, .needs_space = true, .state_after = true}};
    for (const auto& t : tokens) {
      if (!starts_with(text, t.text)) continue;
      std::string_view rest = text.substr(t.text.size());
      if (t.needs_space && (rest.empty() || rest.front() != ' ')) continue;
      if (!rest.ends_with(t.close)) continue;
      rest.remove_suffix(t.close.size());
      if (t.state_after && !cut_state_number(rest)) continue;
      // "AT TX ( 7): ": the byte count mbed writes; "In (line1): ": the line ATLib read it as.
      if (!rest.empty() && rest.front() == ' ' && rest.size() > 2 && rest[1] == '(')
        if (auto close = rest.find("):"); close != std::string_view::npos && close < 10) rest = rest.substr(close + 2);
      if (t.line_number) {
        auto close = rest.find("):");
        if (close == std::string_view::npos || close == 0 || close > 2) continue;
        rest = rest.substr(close + 2);
      }
      while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
      // ModemManager's quotes around what went each way.
      if (rest.size() >= 2 && rest.front() == '\'' && rest.back() == '\'') rest = rest.substr(1, rest.size() - 2);
      return Mark{t.to_module, rest, t.prefix, t.block, t.fragment};
    }
    return std::nullopt;
  }

  // "AT+CSQ - 3" -> "AT+CSQ": whether the line ended so.
  static bool cut_state_number(std::string_view& rest) {
    auto digits = rest.find_last_not_of("0123456789");
    if (digits == std::string_view::npos || digits + 1 == rest.size() || digits < 2 || rest.substr(digits - 2, 3) != " - ") return false;
    rest = rest.substr(0, digits - 2);
    return true;
  }

  static std::optional<Mark> find_mark(std::string_view text) {
    text = trim_view(text);
    if (auto m = mark_at(text)) return m;
    // After one word: a function or port name ("mgos_pppos_at_cmd    >> ATH", "(ttyHS2): --> ...").
    auto space = text.find(' ');
    if (space == std::string_view::npos || space == 0 || space > 40) return std::nullopt;
    for (char c : text.substr(0, space))
      if (!std::isalnum(static_cast<unsigned char>(c)) && std::string_view("_.-:()/").find(c) == std::string_view::npos) return std::nullopt;
    auto rest = trim_view(text.substr(space));
    auto m = mark_at(rest);
    // A bare > or < after a word is too common in prose to be a mark.
    if (m && (starts_with(rest, "> ") || starts_with(rest, "< ") || starts_with(rest, "->") || starts_with(rest, "<-"))) return std::nullopt;
    return m;
  }

  bool send_now(const std::string& payload, std::optional<double> t, int line, Builder& b) {
    if (auto hex = hex_dump_bytes(payload)) return b.send_bytes(*hex, t, line), true;
    std::string text = decode_notation(payload);
    b.send(strip_line_ends(text), t, line);
    return true;
  }

  static void receive_now(std::string_view payload, std::optional<double> t, int line, Builder& b) {
    if (auto hex = hex_dump_bytes(payload)) return b.receive_bytes(*hex, t, line);
    std::string text = decode_notation(payload);
    // A log of what was read only: the module's echo of a command says the command was sent.
    if (auto first = trim_view(std::string_view(text).substr(0, text.find_first_of("\r\n"))); is_command(first) && !b.unechoed(first)) b.send(first, t, line);
    if (text.find_first_of("\r\n") != std::string::npos)
      b.receive_bytes(text + "\r\n", t, line);
    else
      b.receive(text, t, line);
  }

  bool unmarked(const Message& m, int line, Builder& b) {
    std::string_view text = trim_view(m.text);
    if (text.empty()) return false;
    auto t = m.t ? m.t : mark_t_;  // a block's lines have the time of its mark
    if (block_ == Block::send) {
      // A send that goes on over lines: the tool sent the line break as typed; the module takes
      // each line on its own (it ignores one that is not a command).
      b.problem(line, text, "a send block goes on over more than one line: taken as a second line sent");
      flush_send(b);
      pending_send_ = std::string(text);
      pending_t_ = t;
      pending_line_ = line;
      return true;
    }
    // A receive block goes on while the command is open; after its result, only what looks like
    // the module's (a URC) is (r-map's "->ok" after RECEIVED: is the driver's own verdict).
    if ((block_ == Block::receive && b.command_open()) || looks_like_module_output(text, b.dialect())) {
      b.receive(std::string(text), t, line);
      return true;
    }
    b.note(text, t, line);
    return false;
  }

  void flush_send(Builder& b) {
    if (pending_send_.empty()) return;
    send_now(pending_send_, pending_t_, pending_line_, b);
    pending_send_.clear();
  }

  Block block_ = Block::none;
  std::optional<double> mark_t_;  // the time of the last mark
  std::string pending_send_, fragments_;
  std::optional<double> pending_t_;
  int pending_line_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Zephyr's modem_chat at debug level. It logs a received line's arguments as it split them at
// its delimiters: "+CREG: 1,0" comes out as "+CREG:  1 0" (said in the import notes).
class ZephyrChatShape final : public Shape {
 public:
  const char* looks_for() const override { return "modem_chat_script_next: sending: and modem_chat_log_received_command: lines"; }
  bool marks(const Message& m) const override {
    return m.text.find("modem_chat_script_next: sending:") != std::string::npos || m.text.find("modem_chat_log_received_command:") != std::string::npos ||
           m.text.find("modem_chat_on_unknown_command_received:") != std::string::npos;
  }
  bool take(const Message& m, int line, Builder& b) override {
    std::string_view text = m.text;
    if (auto sent = after(text, "modem_chat_script_next: sending:")) {
      b.send(trim_view(*sent), m.t, line);
      return true;
    }
    for (std::string_view mark : {"modem_chat_log_received_command:", "modem_chat_on_unknown_command_received:"})
      if (auto got = after(text, mark)) {
        auto line_text = trim_view(*got);
        if (!noted_split_ && line_text.find("  ") != std::string_view::npos) {
          b.problem(line, line_text, "modem_chat logs a line's arguments split at its delimiters (commas become blanks): replayed as logged");
          noted_split_ = true;
        }
        if (!line_text.empty()) b.receive(std::string(line_text), m.t, line);
        return !line_text.empty();
      }
    if (text.find("AT+CMUX") != std::string_view::npos || text.find("modem_cmux") != std::string_view::npos) {
      if (!noted_cmux_) b.problem(line, text, "CMUX from here on: the stream is multiplexed frames, no longer AT lines");
      noted_cmux_ = true;
    }
    b.note(text, m.t, line);
    return false;
  }

 private:
  bool noted_split_ = false, noted_cmux_ = false;
};

// ---------------------------------------------------------------------------------------------
// RT-Thread's AT component with its raw print on (AT_PRINT_RAW_CMD): what was written and each
// line read, as rows of up to 32 bytes ("[D/AT] sendline: 0000-0020: 41 54 0D  AT.", "recvline:").
// A command is printed without the CR LF the component writes after it.
class RtThreadAtShape final : public Shape {
 public:
  const char* looks_for() const override { return "send: / sendline: / recvline: hex rows with their offsets (0000-0020: 41 54 ...)"; }
  bool marks(const Message& m) const override { return row_of(m.text).has_value(); }
  bool take(const Message& m, int line, Builder& b) override {
    auto row = row_of(m.text);
    if (!row) {
      flush(b);
      b.note(m.text, m.t, line);
      return false;
    }
    if (!row->sent) {
      flush(b);
      b.receive_bytes(row->bytes, m.t, line);
      return true;
    }
    if (row->offset == 0) flush(b);  // a new buffer; its later rows continue it
    if (pending_.empty()) {
      pending_t_ = m.t;
      pending_line_ = line;
    }
    pending_ += row->bytes;
    return true;
  }
  void finish(Builder& b) override { flush(b); }

 private:
  struct Row {
    bool sent;
    std::size_t offset;
    std::string bytes;
  };
  static std::optional<Row> row_of(std::string_view text) {
    for (auto [name, sent] : {std::pair<std::string_view, bool>{"sendline: ", true}, {"send: ", true}, {"recvline: ", false}, {"recv: ", false}})
      if (starts_with(text, name))
        if (auto row = offset_hex_row(text.substr(name.size()))) return Row{sent, row->offset, std::move(row->bytes)};
    return std::nullopt;
  }
  void flush(Builder& b) {
    if (pending_.empty()) return;
    if (pending_.find_first_of("\r\n") == std::string::npos)
      b.send(pending_, pending_t_, pending_line_);
    else
      b.send_bytes(pending_, pending_t_, pending_line_);
    pending_.clear();
  }
  std::string pending_;  // a buffer written, over its rows
  std::optional<double> pending_t_;
  int pending_line_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Zephyr's modem_cmd_handler at debug level: "SENT DATA" and "RECV" followed by hex dump rows.
// The handler strips CR and LF from what it received before it logs it (said in the notes).
class ZephyrHexShape final : public Shape {
 public:
  const char* looks_for() const override { return "modem_cmd_send_ext: SENT DATA and cmd_handler_process_rx_buf: RECV with hex rows"; }
  bool marks(const Message& m) const override {
    return m.text.find("modem_cmd_send_ext: SENT DATA") != std::string::npos || m.text.find("cmd_handler_process_rx_buf: RECV") != std::string::npos;
  }
  bool take(const Message& m, int line, Builder& b) override {
    if (mode_ != Mode::none && m.kinds.empty())
      if (auto bytes = hex_dump_bytes(m.text)) {
        bytes_ += *bytes;
        return true;
      }
    flush(b);
    std::string_view text = m.text;
    if (text.find("modem_cmd_send_ext: SENT DATA") != std::string_view::npos) return start(Mode::sent, m, line);
    if (text.find("cmd_handler_process_rx_buf: RECV") != std::string_view::npos) {
      if (!noted_) b.problem(line, "", "modem_cmd_handler strips CR and LF from the lines it received: each RECV is replayed as one line");
      noted_ = true;
      return start(Mode::received, m, line);
    }
    b.note(text, m.t, line);
    return false;
  }
  void finish(Builder& b) override { flush(b); }

 private:
  enum class Mode { none, sent, received };
  bool start(Mode mode, const Message& m, int line) {
    mode_ = mode;
    t_ = m.t;
    line_ = line;
    return true;
  }
  void flush(Builder& b) {
    if (mode_ == Mode::sent) b.send(strip_line_ends(bytes_), t_, line_);
    if (mode_ == Mode::received && !bytes_.empty()) b.receive(std::string(strip_line_ends(bytes_)), t_, line_);
    mode_ = Mode::none;
    bytes_.clear();
  }
  Mode mode_ = Mode::none;
  std::string bytes_;
  std::optional<double> t_;
  int line_ = 0;
  bool noted_ = false;
};

// ---------------------------------------------------------------------------------------------
// esp-modem's byte dumps: "esp-modem: writing:" / "reading:" and a dump row on the next log line
// (esp-idf v4), "TX: 0x... hex |..|" / "RX: ..." (modem_console), "pattern-detection: 0x...",
// "Send: 0x..." / "CMUX Received: 0x..." (esp_modem's DTE at verbose level), "uart-tx:" /
// "uart-rx:". A direction whose dump begins with 0xF9 speaks CMUX: its frames are taken apart,
// the AT channel's bytes placed, the PPP channel's and the multiplexer's own frames noted; a dump
// that is one PPP frame (0x7E at both ends) is noted too.
class EspModemShape final : public Shape {
 public:
  const char* looks_for() const override {
    return "esp-modem: writing: / reading: with dump rows, or TX: / RX: / Send: / Received: / uart-tx: / uart-rx: dump rows";
  }
  bool marks(const Message& m) const override {
    std::string_view t = m.text;
    if (t.find("esp-modem: writing:") != std::string_view::npos || t.find("esp-modem: reading:") != std::string_view::npos ||
        t.find("esp-modem: Sending command:") != std::string_view::npos || t.find("esp-modem: pattern-detection: 0x") != std::string_view::npos)
      return true;
    if ((starts_with(t, "TX: 0x") || starts_with(t, "RX: 0x")) && hex_dump_bytes(t.substr(4))) return true;
    for (std::string_view mark : {"Send: ", "Received: ", "uart-tx: ", "uart-rx: "})
      if (auto rest = after(t, mark); rest && starts_with(*rest, "0x") && hex_dump_bytes(*rest)) return true;
    return false;
  }
  bool take(const Message& m, int line, Builder& b) override {
    std::string_view text = m.text;
    if (auto command = after(text, "esp-modem: Sending command:")) {
      b.send(trim_view(*command), m.t, line);
      return true;
    }
    if (text.find(": writing:") != std::string_view::npos || text.find(": reading:") != std::string_view::npos) {
      expecting_ = text.find(": writing:") != std::string_view::npos ? Expecting::sent : Expecting::received;
      return true;
    }
    for (auto [mark, sent] : {std::pair<std::string_view, bool>{"TX: ", true},
                              {"RX: ", false},
                              {"pattern-detection: ", false},
                              {"Send: ", true},
                              {"Received: ", false},
                              {"uart-tx: ", true},
                              {"uart-rx: ", false}})
      if (auto rest = after(text, mark))
        if (auto bytes = hex_dump_bytes(*rest)) return place(*bytes, sent, Where{m.t, line}, b);
    // The dump row after "writing:" or "reading:", behind the tag its logger put ("esp-modem: ").
    if (expecting_ != Expecting::nothing) {
      auto colon = text.find(": ");
      auto row = colon == std::string_view::npos ? text : text.substr(colon + 2);
      if (auto bytes = hex_dump_bytes(row)) return place(*bytes, expecting_ == Expecting::sent, Where{m.t, line}, b);
    }
    expecting_ = Expecting::nothing;
    b.note(text, m.t, line);
    return false;
  }
  void finish(Builder& b) override { place_held(b); }

 private:
  enum class Expecting { nothing, sent, received };
  struct Where {
    std::optional<double> t;
    int line = 0;
  };
  struct Held {
    CmuxFrame frame;
    Where where;
  };

  bool place(const std::string& bytes, bool sent, Where where, Builder& b) {
    expecting_ = Expecting::nothing;
    CmuxStream& mux = sent ? to_module_ : from_module_;
    if (!mux.in_frame() && bytes.front() != CmuxStream::flag) {
      // A PPP frame between AT commands (esp_modem trying each mode to sync): no AT bytes.
      if (bytes.size() > 1 && bytes.front() == '\x7e' && bytes.back() == '\x7e')
        return b.note(fmt::format("PPP: a frame of {} bytes {}", bytes.size(), sent ? "to the module" : "from the module"), where.t, where.line), true;
      return place_plain(bytes, sent, where, b), true;
    }
    if (sent && !to_module_.in_frame()) frame_start_ = where;
    auto frames = mux.feed(bytes);
    // esp_modem logs each piece of a frame after writing it: the module's answer to a frame can be
    // logged before the frame's last piece. What came meanwhile waits for the frame.
    if (!sent && to_module_.in_frame()) {
      for (auto& f : frames) held_.push_back({std::move(f), where});
      return true;
    }
    for (const auto& f : frames) place_frame(f, sent, sent ? frame_start_ : where, b);
    if (sent && !to_module_.in_frame()) place_held(b);
    return true;
  }

  void place_held(Builder& b) {
    for (const auto& h : held_) place_frame(h.frame, false, h.where, b);
    held_.clear();
  }

  static void place_plain(const std::string& bytes, bool sent, Where where, Builder& b) {
    if (sent)
      b.send_bytes(bytes, where.t, where.line);
    else
      b.receive_bytes(bytes, where.t, where.line);
  }

  static void place_frame(const CmuxFrame& f, bool sent, Where where, Builder& b) {
    const char* way = sent ? "to the module" : "from the module";
    if (!f.fcs_ok) b.problem(where.line, f.payload.substr(0, 60), fmt::format("a CMUX frame on DLCI {} {} whose check sequence does not match", f.dlci, way));
    if (f.kind != CmuxFrame::Kind::data || f.dlci == 0)
      return b.note(fmt::format("CMUX {} on DLCI {} {}", cmux_kind_name(f.kind), f.dlci, way), where.t, where.line);
    if (!f.payload.empty() && f.payload.front() == '\x7e')
      return b.note(fmt::format("CMUX: {} byte(s) of PPP on DLCI {} {}", f.payload.size(), f.dlci, way), where.t, where.line);
    if (!f.payload.empty()) place_plain(f.payload, sent, where, b);
  }

  Expecting expecting_ = Expecting::nothing;
  CmuxStream to_module_, from_module_;
  Where frame_start_;       // where the frame to the module now being logged began
  std::vector<Held> held_;  // frames from the module logged while it was
};

// ---------------------------------------------------------------------------------------------
// ESP-IDF's esp-modem line log: "AT CMD: AT" and one "AT RESP: line" per line received.
class EspidfShape final : public Shape {
 public:
  const char* looks_for() const override { return "AT CMD: and AT RESP: lines"; }
  bool marks(const Message& m) const override { return starts_with(m.text, "AT CMD:") || starts_with(m.text, "AT RESP:"); }
  bool take(const Message& m, int line, Builder& b) override {
    if (auto cmd = after(m.text, "AT CMD:"); cmd && starts_with(m.text, "AT CMD:")) return b.send(trim_view(*cmd), m.t, line), true;
    if (auto resp = after(m.text, "AT RESP:"); resp && starts_with(m.text, "AT RESP:")) {
      auto text = trim_view(*resp);
      if (!text.empty()) b.receive(std::string(text), m.t, line);
      return true;
    }
    b.note(m.text, m.t, line);
    return false;
  }
};

// ---------------------------------------------------------------------------------------------
// ModemManager's debug log (journalctl -u ModemManager): [ttyUSB2/at] --> 'AT+CSQ<CR>' and
// <-- '<CR><LF>+CSQ: 18,99<CR><LF><CR><LF>OK<CR><LF>'.
class ModemManagerShape final : public Shape {
 public:
  const char* looks_for() const override { return "--> '...' and <-- '...' lines"; }
  bool marks(const Message& m) const override { return quoted(m.text, "--> '") || quoted(m.text, "<-- '"); }
  bool take(const Message& m, int line, Builder& b) override {
    if (auto sent = quoted(m.text, "--> '")) {
      b.send(strip_line_ends(decode_notation(*sent)), m.t, line);
      return true;
    }
    if (auto got = quoted(m.text, "<-- '")) {
      b.receive_bytes(decode_notation(*got), m.t, line);
      return true;
    }
    b.note(m.text, m.t, line);
    return false;
  }

 private:
  static std::optional<std::string_view> quoted(std::string_view text, std::string_view mark) {
    auto at = text.find(mark);
    auto end = text.rfind('\'');
    if (at == std::string_view::npos || end == std::string_view::npos || end < at + mark.size()) return std::nullopt;
    return text.substr(at + mark.size(), end - at - mark.size());
  }
};

// ---------------------------------------------------------------------------------------------
// pppd's chat (in syslog): send (AT^M), expect (OK), the lines it read in ^M notation, -- got it.
class PppdShape final : public Shape {
 public:
  const char* looks_for() const override { return "chat's send (...) and expect (...) lines"; }
  bool marks(const Message& m) const override { return starts_with(m.text, "send (") || starts_with(m.text, "expect ("); }
  bool take(const Message& m, int line, Builder& b) override {
    std::string_view text = m.text;
    if (starts_with(text, "send (") && text.back() == ')') {
      b.send(strip_line_ends(decode_notation(without_chat_escapes(text.substr(6, text.size() - 7)))), m.t, line);
      return true;
    }
    for (std::string_view own : {"expect (",          "-- got it", "abort on (",      "timeout set to", "alarm",       "pppd ",        "Connect:",
                                 "Serial connection", "Script ",   "Using interface", "send (",         "sent [",      "rcvd [",       "local  IP",
                                 "remote IP",         "primary",   "secondary",       "Exit",           "Terminating", "Modem hangup", "Connection terminated",
                                 "started by"})
      if (trim_view(text).rfind(own, 0) == 0 || text.find(own) != std::string_view::npos) {
        b.note(text, m.t, line);
        return false;
      }
    // What chat read, a line of it per log line, CR as ^M.
    auto bytes = decode_notation(text);
    if (trim_view(bytes).empty()) return false;
    b.receive_bytes(bytes + (bytes.find('\r') == std::string::npos ? "\r\n" : "\n"), m.t, line);
    return true;
  }

 private:
  // chat's own escapes: \d (a delay), \p (a pause), \K (a break), \c (no CR), \N (NUL)...
  static std::string without_chat_escapes(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\\' && i + 1 < text.size() && std::string_view("dpKcN").find(text[i + 1]) != std::string_view::npos) {
        ++i;
        continue;
      }
      out += text[i];
    }
    return out;
  }
};

// ---------------------------------------------------------------------------------------------
// What pyserial scripts print: bytes reprs (b'AT+SHREQ="http://...",1\r\r\nOK\r\n'), lists of
// lines (response: ['+CPIN: READY', 'OK']) and "write: ATZ". The direction comes from the words
// before the repr (write, send, tx / read, response, rx), else from what it holds: a command and
// its CR alone went to the module, anything with a line end in it came from it.
class PythonShape final : public Shape {
 public:
  const char* looks_for() const override { return "Python bytes reprs (b'...') or lists of lines (['OK'])"; }
  bool marks(const Message& m) const override {
    auto at = m.text.find("b'");
    if (at == std::string::npos) at = m.text.find("b\"");
    return (at != std::string::npos && python_bytes(std::string_view(m.text).substr(at))) || m.text.find("response: [") != std::string::npos;
  }
  bool take(const Message& m, int line, Builder& b) override {
    std::string_view text = m.text;
    bool placed = false;
    // Several reprs may share a line: each goes its own way.
    for (std::size_t at = 0; (at = find_repr(text, at)) != std::string_view::npos;) {
      auto repr = python_bytes(text.substr(at));
      if (!repr) break;
      place(repr->bytes, direction(text.substr(0, at), repr->bytes), m.t, line, b);
      placed = true;
      at += repr->length;
    }
    if (placed) return true;
    if (auto list = after(text, "response: ["); list || (list = after(text, "Lines: ["))) return take_list(*list, m.t, line, b);
    if (auto w = after(text, "write: "); w && !w->empty()) return b.send(trim_view(*w), m.t, line), true;
    b.note(text, m.t, line);
    return false;
  }

 private:
  static std::size_t find_repr(std::string_view text, std::size_t from) {
    for (std::size_t i = from; i + 2 < text.size(); ++i)
      if ((text[i] == 'b' || text[i] == 'B') && (text[i + 1] == '\'' || text[i + 1] == '"') &&
          (i == 0 || !std::isalnum(static_cast<unsigned char>(text[i - 1]))))
        return i;
    return std::string_view::npos;
  }
  enum class Way { to_module, from_module };
  static Way direction(std::string_view before, const std::string& bytes) {
    std::string lower;
    for (char c : before.substr(before.size() > 40 ? before.size() - 40 : 0)) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::size_t out = std::string::npos, in = std::string::npos;
    for (std::string_view w : {"write", "send", "sent", "tx", ">>", "->", "cmd", "attempt"})
      if (auto p = lower.rfind(w); p != std::string::npos && (out == std::string::npos || p > out)) out = p;
    for (std::string_view w : {"read", "recv", "receiv", "response", "reply", "rx", "<<", "<-", "got"})
      if (auto p = lower.rfind(w); p != std::string::npos && (in == std::string::npos || p > in)) in = p;
    if (out != std::string::npos && (in == std::string::npos || out > in)) return Way::to_module;
    if (in != std::string::npos) return Way::from_module;
    return bytes.find('\n') == std::string::npos && is_command(strip_line_ends(bytes)) ? Way::to_module : Way::from_module;
  }
  static void place(const std::string& bytes, Way way, std::optional<double> t, int line, Builder& b) {
    if (way == Way::to_module) return b.send(strip_line_ends(bytes), t, line);
    // What was read starts with the echo of the command when echo is on: that is its send too.
    auto end = bytes.find('\r');
    std::string_view first(bytes.data(), end == std::string::npos ? bytes.size() : end);
    if (is_command(first) && !b.unechoed(first)) b.send(first, t, line);
    b.receive_bytes(bytes, t, line);
  }
  // ['+CPIN: READY', 'OK']: each element a line the module sent.
  static bool take_list(std::string_view list, std::optional<double> t, int line, Builder& b) {
    bool placed = false;
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (list[i] != '\'' && list[i] != '"') continue;
      std::string as_bytes = "b" + std::string(list.substr(i));
      auto element = python_bytes(as_bytes);
      if (!element) break;
      std::string text(strip_line_ends(element->bytes));
      if (!text.empty()) b.receive(text, t, line);
      placed = true;
      i += element->length - 2;
    }
    return placed;
  }
};

}  // namespace

const std::vector<LogFormat>& line_shapes() {
  static const std::vector<LogFormat> shapes = {
      LogFormat::zephyr_chat, LogFormat::zephyr_hexdump, LogFormat::esp_modem,   LogFormat::espidf,  LogFormat::modemmanager,
      LogFormat::pppd,        LogFormat::python,         LogFormat::rtthread_at, LogFormat::markers, LogFormat::raw};
  return shapes;
}

std::unique_ptr<Shape> make_shape(LogFormat format, bool host_lines_shown) {
  switch (format) {
    case LogFormat::markers: return std::make_unique<MarkersShape>();
    case LogFormat::zephyr_chat: return std::make_unique<ZephyrChatShape>();
    case LogFormat::zephyr_hexdump: return std::make_unique<ZephyrHexShape>();
    case LogFormat::esp_modem: return std::make_unique<EspModemShape>();
    case LogFormat::espidf: return std::make_unique<EspidfShape>();
    case LogFormat::modemmanager: return std::make_unique<ModemManagerShape>();
    case LogFormat::pppd: return std::make_unique<PppdShape>();
    case LogFormat::python: return std::make_unique<PythonShape>();
    case LogFormat::rtthread_at: return std::make_unique<RtThreadAtShape>();
    case LogFormat::raw:
    case LogFormat::athil:
    case LogFormat::automatic: break;
  }
  return std::make_unique<RawShape>(host_lines_shown);
}

}  // namespace athil::field
