// Any bytes as a field log: imported in every shape, written as a transcript, turned into a
// dialogue and scaffolded. Logs are untrusted input: nothing may crash, hang or grow without
// bound (a scaffold that would outgrow a scenario file says so and stops). Checked: the
// transcript reads back as the same exchanges, and the scaffolded scenario loads.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "field/scaffold.hpp"
#include "field/session.hpp"
#include "scenario/loader.hpp"

using namespace athil::field;

namespace {

// What was sent and what came back, in order: a direction's consecutive events as one (how a
// writer or reader chunks them is its own), without notes and pins (a transcript's own).
std::vector<std::pair<athil::Direction, std::string>> exchanges(const Session& s) {
  std::vector<std::pair<athil::Direction, std::string>> out;
  for (const auto& e : s.events) {
    if (e.dir != athil::Direction::to_module && e.dir != athil::Direction::from_module) continue;
    if (out.empty() || out.back().first != e.dir)
      out.emplace_back(e.dir, e.bytes);
    else
      out.back().second += e.bytes;
  }
  return out;
}

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "import_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const athil::scenario::Loader loader(ATHIL_FUZZ_FIXTURES, athil::scenario::run_variables());
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (auto format : {LogFormat::automatic, LogFormat::markers, LogFormat::python, LogFormat::pppd, LogFormat::zephyr_hexdump, LogFormat::esp_modem,
                      LogFormat::rtthread_at}) {
    Session s;
    try {
      s = import_log(text, format);
    } catch (const athil::InputError&) {  // not a text log: refused, as it must be
      continue;
    }
    if (exchanges(import_log(render_transcript(s), LogFormat::athil)) != exchanges(s)) finding("the transcript reads back as other exchanges");
    (void)dialogue_of(s);
    std::string xml;
    try {
      xml = scaffold(std::move(s), {"fuzz", "fuzz.log", ""});
    } catch (const athil::InputError&) {  // a scaffold too large for a scenario file: refused, as it must be
      continue;
    }
    try {
      loader.load_text(xml, "scaffold.xml");
    } catch (const athil::InputError& e) {
      std::fprintf(stderr, "%s\n%s\n", e.what(), xml.c_str());
      finding("the scaffolded scenario does not load");
    }
  }
  return 0;
}
