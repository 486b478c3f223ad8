// SMS in text mode (3GPP TS 27.005): the format (AT+CMGF), the character set (AT+CSCS), new
// message indications (AT+CNMI), sending with the "> " prompt (AT+CMGS, the text ended by Ctrl-Z
// or dropped by Esc), and the messages on the SIM (AT+CMGR, AT+CMGL, AT+CMGD) that arrive
// through the control channel. PDU mode is not modelled.
#include "sim/module/common.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace athil::sim {

namespace {

std::string unquoted(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return std::string(s);
}

bool sms_status(std::string_view s) { return s == "REC UNREAD" || s == "REC READ" || s == "STO UNSENT" || s == "STO SENT" || s == "ALL"; }

}  // namespace

void VirtualModule::cms_error(int code) { emit_final(cmee_ == 0 ? std::string("\r\nERROR\r\n") : fmt::format("\r\n+CMS ERROR: {}\r\n", code)); }

void VirtualModule::cmd_cmgf(const Invocation& c) {
  if (c.form == Form::read) return reply({fmt::format("+CMGF: {}", cmgf_)});
  if (c.form == Form::test) return reply({"+CMGF: (0,1)"});
  auto v = to_int(c.args);
  if (!v || *v > 1) return error();
  cmgf_ = *v;
  ok();
}

void VirtualModule::cmd_cscs(const Invocation& c) {
  if (c.form == Form::read) return reply({fmt::format("+CSCS: \"{}\"", cscs_)});
  if (c.form == Form::test) return reply({"+CSCS: (\"IRA\",\"GSM\",\"UCS2\")"});
  auto set = unquoted(c.args);
  if (set != "IRA" && set != "GSM" && set != "UCS2") return error();
  cscs_ = set;
  ok();
}

void VirtualModule::cmd_cnmi(const Invocation& c) {
  // AT+CNMI=<mode>[,<mt>[,...]]: <mt> 1 announces a message stored on the SIM with +CMTI.
  if (c.form == Form::read) return reply({fmt::format("+CNMI: 2,{},0,0,0", cnmi_mt_)});
  auto a = split_args(c.args);
  auto mode = a.empty() ? std::nullopt : to_int(a[0]);
  auto mt = a.size() < 2 ? std::optional<int>(0) : to_int(a[1]);
  if (!mode || *mode > 3 || !mt || *mt > 3) return error();
  cnmi_mt_ = *mt;
  ok();
}

void VirtualModule::cmd_cmgs(const Invocation& c) {
  if (cmgf_ == 0) return unmodelled("+CMGS=" + c.args);  // PDU mode
  auto a = split_args(c.args);                           // the number, quoted in text mode (the quotes are gone here)
  if (c.args.empty() || c.args.front() != '"' || a.empty() || a[0].empty()) return error();
  sms_edit_ = SmsEdit{.active = true, .address = a[0]};
  emit("\r\n> ");
}

// A byte of the message being typed after AT+CMGS: Ctrl-Z sends it, Esc drops it, CR starts a
// new line of it (the module prompts again).
void VirtualModule::sms_key(char c) {
  if (c == 0x1a) {
    sms_edit_.active = false;
    return submit_sms();
  }
  if (c == 0x1b) {
    sms_edit_ = {};
    return ok();
  }
  if (c == '\r') {
    sms_edit_.text += '\n';
    return emit("\r\n> ");
  }
  if (c == '\n') return;
  if (c == '\b' || c == 0x7f) {
    if (!sms_edit_.text.empty()) sms_edit_.text.pop_back();
    return;
  }
  if (sms_edit_.text.size() < max_sms_text) sms_edit_.text += c;
}

void VirtualModule::submit_sms() {
  // The network answers within a few seconds: a message reference, or the failure.
  later(sms_submit_time, [this] {
    if (faults_.sms_fail) return cms_error(500);
    if (reg_stat_ != 1 && reg_stat_ != 5) return cms_error(331);  // no network service
    sms_reference_ = (sms_reference_ + 1) % 256;
    reply({fmt::format("+CMGS: {}", sms_reference_)});
  });
}

void VirtualModule::sms_in(std::string_view from, std::string_view text, std::string_view stamp) {
  int index = 1;
  while (std::any_of(sms_.begin(), sms_.end(), [&](const Sms& m) { return m.index == index; })) ++index;
  if (index > sim_sms_capacity) return;  // the SIM is full: the network keeps it
  sms_.push_back(Sms{.index = index, .status = "REC UNREAD", .address = std::string(from), .stamp = std::string(stamp), .text = std::string(text)});
  std::sort(sms_.begin(), sms_.end(), [](const Sms& a, const Sms& b) { return a.index < b.index; });
  if (state_ == State::on && uart_ready_ && cnmi_mt_ == 1) urc(fmt::format("+CMTI: \"SM\",{}", index));
}

std::string VirtualModule::sms_lines(const Sms& m, bool listed) const {
  std::string text = m.text;
  for (std::size_t at = 0; (at = text.find('\n', at)) != std::string::npos; at += 2) text.replace(at, 1, "\r\n");
  auto header = listed ? fmt::format("+CMGL: {},\"{}\",\"{}\",\"\",\"{}\"", m.index, m.status, m.address, m.stamp)
                       : fmt::format("+CMGR: \"{}\",\"{}\",\"\",\"{}\"", m.status, m.address, m.stamp);
  return fmt::format("\r\n{}\r\n{}\r\n", header, text);
}

void VirtualModule::cmd_cmgr(const Invocation& c) {
  if (cmgf_ == 0) return unmodelled("+CMGR=" + c.args);  // PDU mode
  auto index = to_int(c.args);
  auto m = std::find_if(sms_.begin(), sms_.end(), [&](const Sms& s) { return index && s.index == *index; });
  if (m == sms_.end()) return cms_error(321);  // invalid memory index
  emit(sms_lines(*m, false));
  if (m->status == "REC UNREAD") m->status = "REC READ";
  ok();
}

void VirtualModule::cmd_cmgl(const Invocation& c) {
  if (cmgf_ == 0) return unmodelled("+CMGL=" + c.args);  // PDU mode
  auto wanted = c.form == Form::exec ? std::string("REC UNREAD") : unquoted(c.args);
  if (!sms_status(wanted)) return error();
  std::string out;
  for (auto& m : sms_)
    if (wanted == "ALL" || m.status == wanted) {
      out += sms_lines(m, true);
      if (m.status == "REC UNREAD") m.status = "REC READ";
    }
  emit(out);
  ok();
}

void VirtualModule::cmd_cmgd(const Invocation& c) {
  // AT+CMGD=<index>[,<delflag>]: 1 deletes the read messages, 4 all; a free index is no error.
  auto a = split_args(c.args);
  auto index = a.empty() ? std::nullopt : to_int(a[0]);
  auto flag = a.size() < 2 ? std::optional<int>(0) : to_int(a[1]);
  if (!index || !flag || *flag > 4) return error();
  std::erase_if(sms_, [&](const Sms& m) { return *flag == 4 || (*flag >= 1 && m.status == "REC READ") || (*flag == 0 && m.index == *index); });
  ok();
}

}  // namespace athil::sim
