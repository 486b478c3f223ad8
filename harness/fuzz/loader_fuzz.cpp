// libFuzzer target: any bytes as a scenario file. An InputError is the right answer to bad
// input; a crash, a hang, a sanitizer report or any other exception is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/error.hpp"
#include "scenario/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const athil::scenario::Loader loader(ATHIL_FUZZ_FIXTURES, std::vector<std::string>{"slot", "model", "firmware"});
  try {
    loader.load_text(std::string(reinterpret_cast<const char*>(data), size), "fuzz.xml");
  } catch (const athil::InputError&) {}
  return 0;
}
