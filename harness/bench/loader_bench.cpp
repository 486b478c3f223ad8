// How long loading and validating a large scenario tree takes: 1,000 scenario files (the
// bundled FOTA scenario under 1,000 names, each using the shipped fixtures), loaded and
// checked as `athil validate` does. Prints figures; asserts nothing.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "base/temp_dir.hpp"
#include "scenario/loader.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  fs::path root = argc > 1 ? argv[1] : ".";
  int count = argc > 2 ? std::stoi(argv[2]) : 1000;
  std::ifstream in(root / "scenarios" / "fota" / "http-upgrade.xml");
  std::stringstream text;
  text << in.rdbuf();
  std::string scenario = text.str();
  auto at = scenario.find("name=\"fota-http-upgrade\"");
  if (at == std::string::npos) {
    fmt::print(stderr, "cannot find the FOTA scenario under {}\n", root.string());
    return 1;
  }

  athil::RunTempDir temp;
  const fs::path& dir = temp.path();
  for (int i = 0; i < count; ++i) {
    std::string copy = scenario;
    copy.replace(at, 24, fmt::format("name=\"fota-{:04d}\"", i));
    std::ofstream(dir / fmt::format("s{:04d}.xml", i)) << copy;
  }
  std::vector<std::string> known = {"slot", "model", "firmware", "rig", "firmware_url"};
  athil::scenario::Loader loader(root / "fixtures", known);

  std::vector<double> runs;
  for (int round = 0; round < 5; ++round) {
    auto start = std::chrono::steady_clock::now();
    auto loaded = loader.load_all({dir});
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (loaded.size() != static_cast<std::size_t>(count)) return 1;
    runs.push_back(s);
  }
  std::sort(runs.begin(), runs.end());
  fmt::print("loader: {} scenario files (each with 2 fixtures) loaded and validated\n", count);
  fmt::print("loader: median {:.3f} s, best {:.3f} s, worst {:.3f} s over {} rounds ({:.0f} files/s; goal: under 1 s)\n", runs[2], runs[0],
             runs[4], runs.size(), count / runs[2]);
  return 0;
}
