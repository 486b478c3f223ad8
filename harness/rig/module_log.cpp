#include "rig/module_log.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <string_view>

namespace athil::rig {

namespace {
constexpr std::size_t max_read = 1 << 20;
constexpr std::size_t max_commands = 20;
constexpr std::string_view unmodelled_marker = "not modelled: ";
constexpr std::string_view lost_marker = "uart: ";

// "uart: 1234 bytes lost (...)": 1234; anything else: 0.
std::uintmax_t bytes_lost(std::string_view line) {
  if (!line.starts_with(lost_marker)) return 0;
  line.remove_prefix(lost_marker.size());
  std::uintmax_t n = 0;
  auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), n);
  return ec == std::errc() && std::string_view(end, line.data() + line.size()).starts_with(" bytes lost") ? n : 0;
}
}  // namespace

std::uintmax_t module_log_mark(const std::filesystem::path& log) {
  std::error_code ec;
  auto size = std::filesystem::file_size(log, ec);
  return ec ? 0 : size;
}

ModuleLogNews module_log_since(const std::filesystem::path& log, std::uintmax_t mark) {
  ModuleLogNews news;
  std::error_code ec;
  auto size = std::filesystem::file_size(log, ec);
  std::ifstream in(log, std::ios::binary);
  if (ec || size <= mark || !in || !in.seekg(static_cast<std::streamoff>(mark))) return news;
  std::string text(std::min<std::uintmax_t>(size - mark, max_read), '\0');  // what is there, not max_read zeroes a scenario
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  std::string_view rest = text;
  // Whole lines only: the module may be writing the last one still.
  while (rest.find('\n') != std::string_view::npos) {
    auto line = rest.substr(0, rest.find('\n'));
    rest.remove_prefix(std::min(rest.size(), line.size() + 1));
    news.uart_bytes_lost += bytes_lost(line);
    if (!line.starts_with(unmodelled_marker) || news.unmodelled.size() == max_commands) continue;
    auto command = line.substr(unmodelled_marker.size());
    std::string name(command.substr(0, command.find_first_of("=? ")));
    if (name.size() > 2 && std::find(news.unmodelled.begin(), news.unmodelled.end(), name) == news.unmodelled.end()) news.unmodelled.push_back(std::move(name));
  }
  return news;
}

}  // namespace athil::rig
