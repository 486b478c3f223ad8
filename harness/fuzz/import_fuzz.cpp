// Any bytes as a field log: imported in every shape, written as a transcript, turned into a
// dialogue and scaffolded. Logs are untrusted input: nothing may crash, hang or grow without
// bound (a scaffold that would outgrow a scenario file says so and stops).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "base/error.hpp"
#include "field/scaffold.hpp"
#include "field/session.hpp"

using namespace athil::field;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (auto format : {LogFormat::automatic, LogFormat::markers, LogFormat::python, LogFormat::pppd, LogFormat::zephyr_hexdump, LogFormat::esp_modem}) {
    try {
      Session s = import_log(text, format);
      (void)render_transcript(s);
      (void)dialogue_of(s);
      (void)scaffold(std::move(s), {"fuzz", "fuzz.log", ""});
    } catch (const athil::InputError&) {  // not a text log, or a scaffold too large for a scenario file: refused, as it must be
    }
  }
  return 0;
}
