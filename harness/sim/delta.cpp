#include "sim/delta.hpp"

#include <array>
#include <stdexcept>

#include <fmt/format.h>

#include "base/error.hpp"

namespace athil::sim {

namespace {
constexpr std::string_view magic = "ATHIL-DELTA 1\n";

bool valid_revision(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  return true;
}
}  // namespace

std::uint32_t crc32(std::string_view bytes) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t crc = 0xFFFFFFFFu;
  for (char ch : bytes) crc = table[(crc ^ static_cast<unsigned char>(ch)) & 0xFFu] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

std::string make_delta(const std::string& model, const std::string& from, const std::string& to, std::size_t size) {
  for (const auto* r : {&model, &from, &to})
    if (!valid_revision(*r)) throw InputError(fmt::format("'{}' is not a valid model or revision name", *r));
  std::string payload;
  payload.reserve(size);
  std::uint32_t state = crc32(model + from + to) | 1u;  // xorshift32 seeded by the revisions
  while (payload.size() < size) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    payload += static_cast<char>(state & 0xFF);
  }
  return fmt::format("{}model {}\nfrom {}\nto {}\nlength {}\ncrc32 {:08x}\n\n", magic, model, from, to, payload.size(), crc32(payload)) + payload;
}

Delta parse_delta(std::string_view file) {
  if (file.substr(0, magic.size()) != magic) throw InputError("not a delta package (no ATHIL-DELTA 1 header)");
  auto header_end = file.find("\n\n");
  if (header_end == std::string_view::npos) throw InputError("header not terminated by an empty line");
  std::string_view header = file.substr(magic.size(), header_end + 1 - magic.size());
  Delta d;
  std::string length, crc;
  while (!header.empty()) {
    auto nl = header.find('\n');
    std::string_view line = header.substr(0, nl);
    header.remove_prefix(nl + 1);
    auto sp = line.find(' ');
    if (sp == std::string_view::npos) throw InputError(fmt::format("bad header line '{}'", line));
    auto key = line.substr(0, sp);
    std::string value(line.substr(sp + 1));
    if (key == "model")
      d.model = value;
    else if (key == "from")
      d.from = value;
    else if (key == "to")
      d.to = value;
    else if (key == "length")
      length = value;
    else if (key == "crc32")
      crc = value;
    else
      throw InputError(fmt::format("unknown header field '{}'", key));
  }
  if (!valid_revision(d.model) || !valid_revision(d.from) || !valid_revision(d.to) || length.empty() || crc.empty())
    throw InputError("header lacks model, from, to, length or crc32");
  d.payload = std::string(file.substr(header_end + 2));
  if (std::to_string(d.payload.size()) != length) throw InputError(fmt::format("payload is {} bytes, header says {}", d.payload.size(), length));
  if (fmt::format("{:08x}", crc32(d.payload)) != crc)
    throw InputError(fmt::format("checksum mismatch: payload crc32 {:08x}, header says {}", crc32(d.payload), crc));
  return d;
}

}  // namespace athil::sim
