// The data bearer (AT+CNACT) in both syntaxes: SIM7000's and the indexed one of SIM7070/7080/7090.
#include "sim/module/common.hpp"

#include <utility>

#include <fmt/format.h>

namespace athil::sim {

void VirtualModule::cmd_cnact(const Invocation& c) {
  bool indexed = model_.cnact == CnactSyntax::indexed;
  if (c.form == Form::test) return reply({indexed ? "+CNACT: (0-3),(0-2)" : "+CNACT: (0-2),\"APN\""});
  if (c.form == Form::read) {
    if (!indexed) {
      auto& b = bearers_[0];
      return reply({fmt::format("+CNACT: {},\"{}\"", b.active ? 1 : 0, b.active ? b.ip : "0.0.0.0")});
    }
    std::string s;
    for (int i = 0; i < 4; ++i) {
      auto& b = bearers_[i];
      s += fmt::format("\r\n+CNACT: {},{},\"{}\"\r\n", i, b.active ? 1 : 0, b.active ? b.ip : "0.0.0.0");
    }
    return emit(s + "\r\nOK\r\n");
  }
  auto a = split_args(c.args);
  int idx = 0;
  std::optional<int> action;
  if (indexed) {
    if (a.size() != 2) return error();
    auto i = to_int(a[0]);
    if (!i || *i > 3) return error();
    idx = *i;
    action = to_int(a[1]);
  } else {
    if (a.empty() || a.size() > 2) return error();
    action = to_int(a[0]);
  }
  if (!action || *action > 2) return error();
  std::string prefix = indexed ? fmt::format("{},", idx) : "";
  auto& bearer = bearers_[idx];
  if (*action == 0) {
    ok();
    if (bearer.active) {
      bearer.active = false;
      later(bearer_activation, [this, prefix] { urc(fmt::format("+APP PDP: {}DEACTIVE", prefix)); });
    }
    return;
  }
  if (bearer.active) return error();  // activating an active context: plain ERROR
  ok();
  later(bearer_activation, [this, idx, prefix] {
    if (reg_stat_ != 1) return urc(fmt::format("+APP PDP: {}DEACTIVE", prefix));  // not attached: it fails
    bearers_[idx] = Bearer{.active = true, .ip = fmt::format("10.{}.{}.{}", 100 + idx, 17, 5 + idx)};
    urc(fmt::format("+APP PDP: {}ACTIVE", prefix));
    if (faults_.pdp_drop && !std::exchange(pdp_drop_armed_, true))
      later(*faults_.pdp_drop, [this, idx, prefix] {
        if (!std::exchange(bearers_[idx].active, false)) return;
        urc(fmt::format("+APP PDP: {}DEACTIVE", prefix));
      });
  });
}

}  // namespace athil::sim
