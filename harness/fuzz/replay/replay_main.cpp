// A fuzz target's inputs, replayed once each without libFuzzer: what the main build links every
// target with, so that the targets build with its compiler and warnings (and its sanitizers in
// the sanitized build), and the seeds they start from keep passing their checks.
// usage: TARGET_replay DIR_OR_FILE...   (a directory: each regular file in it, in name order)
// A finding ends the program as it would under libFuzzer: an abort, a sanitizer report or an
// exception that the target lets through.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "base/file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

// A seed larger than this is not a seed: refused rather than read whole.
constexpr std::uintmax_t max_input_bytes = 16u << 20;

std::vector<fs::path> inputs_of(const fs::path& arg) {
  if (!fs::is_directory(arg)) return {arg};
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(arg))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  std::size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    std::error_code error;
    if (!fs::exists(argv[i], error)) {
      std::fprintf(stderr, "%s: no such file or directory\n", argv[i]);
      return 2;
    }
    for (const auto& path : inputs_of(argv[i])) {
      if (fs::file_size(path) > max_input_bytes) {
        std::fprintf(stderr, "%s: over %ju bytes, not a seed\n", path.c_str(), max_input_bytes);
        return 2;
      }
      const auto bytes = athil::read_file(path);
      if (!bytes) {
        std::fprintf(stderr, "%s: cannot read\n", path.c_str());
        return 2;
      }
      // Printed first, so that the input is named when the target aborts on it.
      std::fprintf(stderr, "replaying %s\n", path.c_str());
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size());
      ++replayed;
    }
  }
  std::printf("replayed %zu inputs\n", replayed);
  return replayed > 0 ? 0 : 1;
}
