#include "field/divergences.hpp"

#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "base/error.hpp"

namespace athil::field {

namespace {
constexpr std::string_view label = "divergence: ";
}

void DivergenceLog::create() const {
  std::ofstream out(file_, std::ios::app);
  if (!out) throw InfraError(fmt::format("cannot write {}", file_.string()));
}

void DivergenceLog::append(std::string_view what) const { note(fmt::format("{}{}", label, what)); }

void DivergenceLog::note(std::string_view line) const {
  std::ofstream out(file_, std::ios::app);
  out << line << "\n" << std::flush;
  if (!out) throw InfraError(fmt::format("cannot write {}", file_.string()));
}

std::uintmax_t DivergenceLog::mark() const {
  std::error_code ec;
  auto size = std::filesystem::file_size(file_, ec);
  return ec ? 0 : size;
}

std::vector<std::string> DivergenceLog::since(std::uintmax_t mark) const {
  std::ifstream in(file_, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(mark));
  std::vector<std::string> found;
  for (std::string line; found.size() < max_read && std::getline(in, line);)
    if (line.rfind(label, 0) == 0) found.push_back(line.substr(label.size()));
  return found;
}

}  // namespace athil::field
