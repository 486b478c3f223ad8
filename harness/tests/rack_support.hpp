#pragma once
// Helpers for tests that run athil on small rigs of virtual modules: scenario text, the
// power fixtures, a virtual module's pins from outside, and a module outside any run.
#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/support.hpp"

namespace athil::test {

inline const std::string all_models = "SIM7000G SIM7070G SIM7080G SIM7090G";

// A scenario for every model, with `body` inside and extra root attributes.
inline std::string scenario(const std::string& name, const std::string& body, const std::string& attributes = "") {
  return "<scenario name=\"" + name + "\" models=\"" + all_models + "\"" + attributes + ">\n" + body + "\n</scenario>\n";
}

inline const std::string power = R"xml(<setup><use fixture="power-on"/></setup>
  <teardown><use fixture="power-off"/></teardown>)xml";

inline std::string pin_get(const std::string& link, const std::string& pin) {
  return run_process({athil_exe().string(), "pin", link, "get", pin}, source_dir()).out;
}

// No such process, or only its zombie is left.
inline bool process_gone(int pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  return stat.empty() || contains(stat, ") Z ");
}

// A module outside any run, as a real module on a serial port is: its pty stands in for the port.
class StandaloneModule {
 public:
  StandaloneModule(const TempDir& dir, const std::string& name) : link_((dir.path() / name).string()) {
    pid_ = spawn_process({athil_exe().string(), "sim", "--model", "SIM7080G", "--link", link_, "--powered", "--time-scale", "0.02", "--exit-with-parent",
                          std::to_string(::getpid())},
                         source_dir());
    REQUIRE(eventually([&] { return std::filesystem::exists(link_) && std::filesystem::exists(link_ + ".ctl"); }));
    // Booted: the firmware raises STATUS when it is ready for AT, as a real module does.
    REQUIRE(eventually([&] { return pin_get(link_, "status") == "status high\n"; }));
  }
  ~StandaloneModule() {
    ::kill(pid_, SIGTERM);
    wait_process(pid_);
  }
  StandaloneModule(const StandaloneModule&) = delete;
  StandaloneModule& operator=(const StandaloneModule&) = delete;
  const std::string& link() const { return link_; }

 private:
  std::string link_;
  int pid_ = -1;
};

}  // namespace athil::test
