// The UART: bytes in (echo, line editing, autobauding, raw file data) and the saved line
// rate (AT+IPR); a finished line goes to the command table (commands.cpp).
#include "sim/module/common.hpp"

#include <algorithm>

#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace athil::sim {

// What a command still takes raw after its prompt or DOWNLOAD line: a file (AT+CFSWFILE, not
// echoed), a body (AT+SHBOD, not echoed: an assumption), socket data (AT+CASEND, not echoed: a
// SIM7000 log shows none) or a message (AT+SMPUB, echoed).
std::size_t VirtualModule::raw_input_left() const {
  if (file_write_.active) return file_write_.size - file_write_.data.size();
  if (sh_.body_input.active) return sh_.body_input.size - sh_.body_input.data.size();
  if (ca_send_.active) return ca_send_.size - ca_send_.data.size();
  if (cip_.send.active && !cip_.send.until_ctrl_z) return cip_.send.size - cip_.send.data.size();
  if (mqtt_.message.active) return mqtt_.message.size - mqtt_.message.data.size();
  return 0;
}

void VirtualModule::raw_input(std::string_view bytes) {
  if (file_write_.active) return file_bytes(bytes);
  if (sh_.body_input.active) return sh_body_bytes(bytes);
  if (ca_send_.active) return ca_send_bytes(bytes);
  if (cip_.send.active && !cip_.send.until_ctrl_z) return cip_send_bytes(bytes);
  mqtt_message_bytes(bytes);
}

void VirtualModule::uart_in(std::string_view bytes, Time now, unsigned host_rate) {
  // What was due before these bytes came happens first (a wake by DTR, say): the host process
  // may read the port before it runs a timer that is already due.
  advance(now);
  if (!uart_asleep_ && state_ == State::on) plan_uart_sleep();  // input keeps it awake
  std::string echo;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    char c = bytes[i];
    if (lost()) continue;
    if (auto left = raw_input_left(); left > 0 && uart_ready_) {  // data after a prompt: no line editing
      // In one piece when no byte can be lost, else byte by byte.
      auto take = faults_.byte_loss ? 1 : std::min(bytes.size() - i, left);
      raw_input(bytes.substr(i, take));
      i += take - 1;
      continue;
    }
    if (!uart_ready_ || state_ != State::on || silence_ != Silence::none || uart_asleep_) return;  // unpowered, busy, wedged or asleep: lost
    if (line_rate() == 0 && !usb()) {
      // Autobauding: the module measures the rate on "AT"; that line is lost.
      if ((c == 'T' || c == 't') && (line_ == "A" || line_ == "a")) {
        locked_rate_ = host_rate != 0 ? host_rate : 115200;
        discard_line_ = true;
        first_command_ = false;
      }
      line_ = c == '\r' ? "" : std::string(1, c);
      if (discard_line_) line_.clear();
      continue;
    }
    if (sms_edit_.active) {  // a message typed after AT+CMGS's prompt: echoed, but Ctrl-Z and Esc are not
      if (echo_ && c != 0x1a && c != 0x1b) echo += c;
      if (c == 0x1a || c == 0x1b || c == '\r') emit(std::exchange(echo, {}));
      sms_key(c);
      continue;
    }
    if (cip_.send.active && cip_.send.until_ctrl_z) {  // AT+CIPSEND's data typed until Ctrl-Z: echoed, as an SMS is
      if (echo_ && c != 0x1a && c != 0x1b) echo += c;
      if (c == 0x1a || c == 0x1b) emit(std::exchange(echo, {}));
      cip_key(c);
      continue;
    }
    if (faults_.first_at_lost && first_command_) discard_line_ = true;
    first_command_ = false;
    if (discard_line_) {
      if (c == '\r') discard_line_ = false;
      continue;
    }
    if (echo_) echo += c;
    if (c == '\r') {
      if (!echo.empty()) emit(std::exchange(echo, {}));
      handle_line(std::exchange(line_, {}));
    } else if (c == '\n') {
      continue;
    } else if (c == '\b' || c == 0x7f) {
      if (!line_.empty()) line_.pop_back();
    } else if (line_.size() < 1024) {
      line_ += c;
    }
  }
  if (!echo.empty()) emit(echo);
}

void VirtualModule::cmd_ipr(const Invocation& c) {
  if (c.form == Form::read) return reply({fmt::format("+IPR: {}", ipr_)});
  const auto& rates = ipr_rates();
  if (c.form == Form::test) return reply({fmt::format("+IPR: ({})", fmt::join(rates, ","))});
  auto rate = to_int(c.args);
  if (!rate || std::find(rates.begin(), rates.end(), static_cast<unsigned>(*rate)) == rates.end()) return error();
  // OK still goes out at the old rate; the new one is saved and used from the next byte on.
  // IPR=0 autobauds from the next boot; until then the module keeps the rate it runs at.
  ok();
  if (*rate != 0)
    ipr_ = static_cast<unsigned>(*rate);
  else {
    locked_rate_ = line_rate();
    ipr_ = 0;
  }
}

}  // namespace athil::sim
