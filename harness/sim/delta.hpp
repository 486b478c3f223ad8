#pragma once
// The virtual module's firmware delta package (format in harness/sim/README.md): names the
// model and the from- and to-revision, and carries a CRC-32 of its payload.
#include <cstdint>
#include <string>
#include <string_view>

namespace athil::sim {

struct Delta {
  std::string model;
  std::string from;
  std::string to;
  std::string payload;
};

std::uint32_t crc32(std::string_view bytes);
// A package whose payload is `size` bytes derived from the revisions (same input, same file).
std::string make_delta(const std::string& model, const std::string& from, const std::string& to, std::size_t size);
// Throws InputError saying what is wrong (format, length, checksum).
Delta parse_delta(std::string_view file);

}  // namespace athil::sim
