// The malformed corpus: every file must be refused with exactly the diagnostic its line in
// malformed/expected.tsv gives, and every file must have a line.
#include <doctest/doctest.h>

#include <fstream>
#include <map>

#include "base/error.hpp"
#include "scenario/loader.hpp"
#include "tests/support.hpp"

using namespace athil;

TEST_CASE("malformed corpus: each file is refused with its diagnostic, none crashes or hangs") {
  auto dir = test::source_dir() / "harness" / "tests" / "malformed";
  std::map<std::string, std::string> expected;
  std::ifstream list(dir / "expected.tsv");
  for (std::string line; std::getline(list, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto tab = line.find('\t');
    REQUIRE(tab != std::string::npos);
    expected[line.substr(0, tab)] = line.substr(tab + 1);
  }
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".xml") continue;
    auto name = entry.path().filename().string();
    CAPTURE(name);
    ++files;
    REQUIRE(expected.count(name));
    std::string first;
    try {
      scenario::Loader(dir / "fixtures", std::vector<std::string>{"slot", "model", "firmware"}).load(entry.path());
    } catch (const InputError& e) {
      first = e.diagnostic().substr(0, e.diagnostic().find('\n'));
    }
    // Diagnostics name files as given; compare relative to the corpus folder.
    std::string prefix = dir.string() + "/";
    for (auto at = first.find(prefix); at != std::string::npos; at = first.find(prefix)) first.erase(at, prefix.size());
    CHECK(first == expected[name]);
  }
  CHECK(files >= 40);
  CHECK(files == static_cast<int>(expected.size()));
}
