// How long loading and validating takes: 1,000 scenario files (the bundled FOTA scenario under
// 1,000 names, each using the shipped fixtures), loaded and checked as `athil validate` does;
// then one long scenario (send/expect pairs, as a scaffolded field log makes) at three sizes,
// in seconds per MiB, so that linearity shows. Prints figures; asserts nothing.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "base/temp_dir.hpp"
#include "scenario/loader.hpp"
#include "scenario/model_profiles.hpp"

namespace fs = std::filesystem;

namespace {

// One scenario of `bytes` or a little less: send/expect pairs in one step.
std::string long_scenario(std::size_t bytes) {
  std::string out = "<scenario name=\"long\" models=\"SIM7080G\">\n<step name=\"talk\">\n";
  const std::string pair = "  <send>AT+CSQ</send>\n  <expect regex=\"\\+CSQ: (\\d+),99\" capture=\"rssi\"/>\n  <expect>OK</expect>\n";
  while (out.size() + pair.size() + 32 < bytes) out += pair;
  return out + "</step>\n</scenario>\n";
}

void long_scenarios(const athil::scenario::Loader& loader, const fs::path& dir) {
  for (std::size_t kib : {256, 512, 1023}) {
    auto file = dir / fmt::format("long-{}.xml", kib);
    std::ofstream(file) << long_scenario(kib * 1024);
    std::vector<double> runs;
    for (int round = 0; round < 5; ++round) {
      auto start = std::chrono::steady_clock::now();
      auto loaded = loader.load(file);
      runs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(runs.begin(), runs.end());
    double mib = static_cast<double>(fs::file_size(file)) / (1024.0 * 1024.0);
    fmt::print("loader: one scenario of {:4} KiB: median {:.3f} s, {:.3f} s per MiB (goal for 1 MiB: under 0.1 s; the same per MiB at every size is linear)\n",
               kib, runs[2], runs[2] / mib);
  }
}

}  // namespace

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
  // What `athil validate` knows: the built-ins and the model profiles' variables.
  std::vector<std::string> known = athil::scenario::run_variables();
  for (const auto& name : athil::scenario::ModelProfiles::load(root / "fixtures" / "models.xml").names()) known.push_back(name);
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
  fmt::print("loader: median {:.3f} s, best {:.3f} s, worst {:.3f} s over {} rounds ({:.0f} files/s; goal: under 1 s)\n", runs[2], runs[0], runs[4],
             runs.size(), count / runs[2]);
  long_scenarios(loader, dir);
  return 0;
}
