#include "base/file.hpp"

#include <fstream>

namespace athil {

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text;
  // A regular file's text is grown once: a buffer that doubles touches about twice the memory,
  // and a page of fresh memory costs more than its reading on some machines (see harness/bench).
  std::error_code ec;
  if (auto size = std::filesystem::file_size(path, ec); !ec) text.reserve(size);
  char chunk[64 * 1024];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) text.append(chunk, static_cast<std::size_t>(in.gcount()));
  if (in.bad()) return std::nullopt;
  return text;
}

}  // namespace athil
