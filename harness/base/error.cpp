#include "base/error.hpp"

#include <cstring>

#include <fmt/format.h>

namespace athil {

std::string SourcePos::str() const {
  if (file.empty()) return "";
  if (line <= 0) return file;
  if (col <= 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, col);
}

InputError::InputError(SourcePos pos, const std::string& message)
    : std::runtime_error(pos.file.empty() ? message : fmt::format("{}: {}", pos.str(), message)), pos_(std::move(pos)), message_(message) {}

std::string InputError::diagnostic() const {
  return pos_.file.empty() ? fmt::format("error: {}", message_) : fmt::format("{}: error: {}", pos_.str(), message_);
}

std::string errno_text(int err) { return fmt::format("{} ({})", std::strerror(err), err); }

}  // namespace athil
