#include "rig/module_log.hpp"

#include <algorithm>
#include <fstream>
#include <string_view>

namespace athil::rig {

namespace {
constexpr std::size_t max_read = 1 << 20;
constexpr std::size_t max_commands = 20;
constexpr std::string_view marker = "not modelled: ";
}  // namespace

std::uintmax_t module_log_mark(const std::filesystem::path& log) {
  std::error_code ec;
  auto size = std::filesystem::file_size(log, ec);
  return ec ? 0 : size;
}

std::vector<std::string> unmodelled_since(const std::filesystem::path& log, std::uintmax_t mark) {
  std::vector<std::string> out;
  std::error_code ec;
  auto size = std::filesystem::file_size(log, ec);
  std::ifstream in(log, std::ios::binary);
  if (ec || size <= mark || !in || !in.seekg(static_cast<std::streamoff>(mark))) return out;
  std::string text(std::min<std::uintmax_t>(size - mark, max_read), '\0');  // what is there, not max_read zeroes a scenario
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  std::string_view rest = text;
  // Whole lines only: the module may be writing the last one still.
  while (rest.find('\n') != std::string_view::npos && out.size() < max_commands) {
    auto line = rest.substr(0, rest.find('\n'));
    rest.remove_prefix(std::min(rest.size(), line.size() + 1));
    if (line.substr(0, marker.size()) != marker) continue;
    auto command = line.substr(marker.size());
    std::string name(command.substr(0, command.find_first_of("=? ")));
    if (name.size() > 2 && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  }
  return out;
}

}  // namespace athil::rig
