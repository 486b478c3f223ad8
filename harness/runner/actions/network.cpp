// The network's side of a slot: what a scenario has the network do to the module.
#include <fmt/format.h>

#include "base/escape.hpp"
#include "runner/actions/step.hpp"

namespace athil::runner {

void perform(const scenario::NetworkSms& a, Step& step) {
  if (!step.device.network_sms)
    throw InfraError(fmt::format("slot {}: <network-sms> at {} but only a virtual slot's network sends messages (requires=\"network-sms\")", step.device.slot,
                                 step.pos.str()));
  std::string from = step.sub(a.from);
  std::string text = step.sub(a.text);
  // What the loader checked before expansion, checked again after it.
  if (!scenario::NetworkSms::is_number(from))
    throw InputError(step.pos, fmt::format("<network-sms from> is '{}' once expanded: not a phone number", escape_bytes(from)));
  if (text.size() > scenario::NetworkSms::max_text || has_control_characters(text))
    throw InputError(step.pos, fmt::format("<network-sms text> once expanded is not one line of at most {} characters", scenario::NetworkSms::max_text));
  step.device.timeline.record(Direction::note, fmt::format("the network sends a text message from {}: {}", from, escape_bytes(text)));
  step.device.network_sms(from, text);
}

}  // namespace athil::runner
