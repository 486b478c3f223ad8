#pragma once
// A whole file's bytes, for the readers that take a file at once.
#include <filesystem>
#include <optional>
#include <string>

namespace athil {

// The file's bytes; nothing when it cannot be opened or read.
std::optional<std::string> read_file(const std::filesystem::path& path);

}  // namespace athil
