#include "sim/faults.hpp"

#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

#include "base/duration.hpp"
#include "base/error.hpp"
#include "base/quantity.hpp"

namespace athil::sim {

namespace {

using namespace std::chrono_literals;
using Millis = Faults::Millis;

const std::vector<FaultInfo> catalogue = {
    {"fota-fail", "PERCENT (default 60)", "a valid update stops at PERCENT with \"Update failed\", restarts on the old revision, +CFOTA: 7"},
    {"fota-stall", "PERCENT (default 40)", "update progress stops at PERCENT; the updater stays silent until the supply is cut"},
    {"fota-brick", "PERCENT (default 50)",
     "the update dies at PERCENT and the module never boots again: no PWRKEY, RESET or supply cycle reaches it (a flash that needs a reflash)"},
    {"spontaneous-powerdown", "AFTER (default 20s)", "AFTER the first boot: NORMAL POWER DOWN and off, once"},
    {"brownout-silent", "AFTER (default 10s)", "AFTER the first boot: answers nothing, ignores PWRKEY and RESET, until the supply is cut; once"},
    {"hang", "AFTER (default 10s)", "AFTER the first boot: stops answering until RESET, a long PWRKEY reset or a supply cut; once"},
    {"garbage-on-boot", "", "every power-up begins with a stale NORMAL POWER DOWN, PPP fragments and invalid UTF-8"},
    {"first-at-lost", "", "the first command after every boot is lost: no echo, no answer"},
    {"urc-storm", "INTERVAL (default 200ms)", "unsolicited lines every INTERVAL, and one inside every response before its result code"},
    {"late-reply", "DELAY (default 5s)", "the final result code of every command comes DELAY after its other lines"},
    {"byte-loss", "RATE (default 0.001)", "each byte, either way, is lost with probability RATE (repeatable: fixed seed)"},
    {"pdp-drop", "AFTER (default 5s)", "AFTER the first bearer comes up: +APP PDP: ...DEACTIVE and the bearer is down, once"},
    {"stuck-cfun5", "WHEN: update (default) or boot", "after the next firmware update (or from the first boot) the module stays in +CFUN: 5"},
    {"http-601", "", "every AT+HTTPTOFS ends with +HTTPTOFS: 601,0 (network error)"},
    {"sms-fail", "", "every message sent with AT+CMGS ends in +CMS ERROR: 500 (unknown error) instead of +CMGS"},
    {"psm-no-wake", "", "in PSM the periodic timer (T3412) never wakes the module: it stays silent with STATUS low until PWRKEY"},
    {"mqtt-drop", "AFTER (default 10s)", "AFTER the first MQTT connection (AT+SMCONN) is up, the link dies: +SMSTATE: 0, once"},
    {"gnss-no-fix", "", "the GNSS receiver runs but never gets a fix: AT+CGNSINF reports no fix (a dead or unpowered antenna)"},
    {"slow-boot", "EXTRA (default 15s)", "every boot takes EXTRA longer to RDY and STATUS high (a file-system check at every start)"},
    {"no-prompt-after-wake", "", "the first AT+CASEND after each wake from PSM answers ERROR without its > prompt (LilyGO T-SIM7080G #48)"},
    {"sleep-current-creep", "STEP (default 70uA)",
     "the current in PSM rises by STEP with each wake from PSM since the boot (LilyGO T-SIM7080G #152: 0.38 mA to 1.8 mA over about 20 cycles)"},
    {"psm-no-enter", "",
     "PSM is granted but never entered: the module stays registered and awake, paging at idle current, and never says ENTER PSM (LilyGO T-SIM7000G #134, "
     "#309)"},
};

Millis delay_arg(std::string_view item, std::optional<std::string_view> arg, Millis fallback) {
  if (!arg) return fallback;
  try {
    return std::chrono::duration_cast<Millis>(parse_duration(*arg));
  } catch (const InputError& e) {
    throw InputError(fmt::format("fault '{}': {}", item, e.what()));
  }
}

int percent_arg(std::string_view item, std::optional<std::string_view> arg, int fallback) {
  if (!arg) return fallback;
  int v = -1;
  auto [end, ec] = std::from_chars(arg->data(), arg->data() + arg->size(), v);
  if (ec != std::errc() || end != arg->data() + arg->size() || v < 0 || v > 99)
    throw InputError(fmt::format("fault '{}': '{}' is not a percent from 0 to 99", item, *arg));
  return v;
}

double rate_arg(std::string_view item, std::optional<std::string_view> arg) {
  if (!arg) return 0.001;
  double v = -1;
  auto [end, ec] = std::from_chars(arg->data(), arg->data() + arg->size(), v);
  if (ec != std::errc() || end != arg->data() + arg->size() || !(v > 0) || v > 1)
    throw InputError(fmt::format("fault '{}': '{}' is not a probability above 0 and at most 1", item, *arg));
  return v;
}

double current_arg(std::string_view item, std::optional<std::string_view> arg, double fallback) {
  if (!arg) return fallback;
  try {
    double v = parse_quantity(*arg, Unit::ampere);
    if (v > 0) return v;
  } catch (const InputError& e) {
    throw InputError(fmt::format("fault '{}': {}", item, e.what()));
  }
  throw InputError(fmt::format("fault '{}': the step must be above 0", item));
}

void add_one(Faults& f, std::string_view item) {
  auto eq = item.find('=');
  std::string_view name = item.substr(0, eq);
  std::optional<std::string_view> arg;
  if (eq != std::string_view::npos) arg = item.substr(eq + 1);
  const FaultInfo* info = nullptr;
  for (const auto& c : catalogue)
    if (c.name == name) info = &c;
  if (!info) {
    std::vector<std::string> names;
    for (const auto& c : catalogue) names.emplace_back(c.name);
    throw InputError(fmt::format("unknown fault '{}'{} (known: {})", name, did_you_mean(name, names), fmt::join(names, ", ")));
  }
  if (arg && info->argument.empty()) throw InputError(fmt::format("fault '{}' takes no argument", name));
  if (arg && arg->empty()) throw InputError(fmt::format("fault '{}': empty argument after '='", name));

  if (name == "fota-fail")
    f.fota_fail = percent_arg(item, arg, 60);
  else if (name == "fota-stall")
    f.fota_stall = percent_arg(item, arg, 40);
  else if (name == "fota-brick")
    f.fota_brick = percent_arg(item, arg, 50);
  else if (name == "spontaneous-powerdown")
    f.spontaneous_powerdown = delay_arg(item, arg, 20s);
  else if (name == "brownout-silent")
    f.brownout_silent = delay_arg(item, arg, 10s);
  else if (name == "hang")
    f.hang = delay_arg(item, arg, 10s);
  else if (name == "garbage-on-boot")
    f.garbage_on_boot = true;
  else if (name == "first-at-lost")
    f.first_at_lost = true;
  else if (name == "urc-storm") {
    f.urc_storm = delay_arg(item, arg, 200ms);
    if (*f.urc_storm < 1ms) throw InputError(fmt::format("fault '{}': the interval must be at least 1ms", item));
  } else if (name == "late-reply")
    f.late_reply = delay_arg(item, arg, 5s);
  else if (name == "byte-loss")
    f.byte_loss = rate_arg(item, arg);
  else if (name == "pdp-drop")
    f.pdp_drop = delay_arg(item, arg, 5s);
  else if (name == "stuck-cfun5") {
    if (!arg || *arg == "update")
      f.stuck_cfun5_after_update = true;
    else if (*arg == "boot")
      f.stuck_cfun5_at_boot = true;
    else
      throw InputError(fmt::format("fault '{}': WHEN is 'update' or 'boot', not '{}'", item, *arg));
  } else if (name == "http-601")
    f.http_601 = true;
  else if (name == "sms-fail")
    f.sms_fail = true;
  else if (name == "psm-no-wake")
    f.psm_no_wake = true;
  else if (name == "mqtt-drop")
    f.mqtt_drop = delay_arg(item, arg, 10s);
  else if (name == "gnss-no-fix")
    f.gnss_no_fix = true;
  else if (name == "slow-boot")
    f.slow_boot = delay_arg(item, arg, 15s);
  else if (name == "no-prompt-after-wake")
    f.no_prompt_after_wake = true;
  else if (name == "sleep-current-creep")
    f.sleep_current_creep = current_arg(item, arg, 70e-6);
  else if (name == "psm-no-enter")
    f.psm_no_enter = true;
}

}  // namespace

bool Faults::any() const {
  return fota_fail || fota_stall || fota_brick || spontaneous_powerdown || brownout_silent || hang || garbage_on_boot || first_at_lost || urc_storm ||
         late_reply || byte_loss || pdp_drop || stuck_cfun5_after_update || stuck_cfun5_at_boot || http_601 || sms_fail || psm_no_wake || mqtt_drop ||
         gnss_no_fix || slow_boot || no_prompt_after_wake || sleep_current_creep || psm_no_enter;
}

const std::vector<FaultInfo>& fault_catalogue() { return catalogue; }

const std::vector<unsigned>& ipr_rates() {
  static const std::vector<unsigned> rates = {0,      300,    600,    1200,   2400,    4800,    9600,    19200,   38400,   57600,
                                              115200, 230400, 460800, 921600, 2000000, 2900000, 3000000, 3200000, 3686400, 4000000};
  return rates;
}

void add_faults(Faults& into, std::string_view list) {
  std::size_t at = 0;
  while (at <= list.size()) {
    auto end = list.find_first_of(", \t\n", at);
    if (end == std::string_view::npos) end = list.size();
    auto item = list.substr(at, end - at);  // the separators split off all blanks
    if (!item.empty()) add_one(into, item);
    at = end + 1;
  }
}

}  // namespace athil::sim
