#include <dlfcn.h>

#include <filesystem>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "base/error.hpp"
#include "instrument/sigrok.hpp"

namespace athil::instrument {

namespace {

namespace fs = std::filesystem;

struct Module {
  sigrok_module::Drives* drives = nullptr;
  sigrok_module::Open* open = nullptr;
};

// Beside the running program (athil, its tests), else where this build put it.
std::vector<fs::path> module_places() {
  std::vector<fs::path> places;
  std::error_code ec;
  auto self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) places.push_back(self.parent_path() / sigrok_module::file);
  places.push_back(fs::path(ATHIL_MODULE_DIR) / sigrok_module::file);
  return places;
}

// Loaded once and never unloaded: the meters it makes run its code.
const Module& module() {
  static std::mutex mutex;
  static Module loaded;
  std::lock_guard lock(mutex);
  if (loaded.open) return loaded;
  std::string why;
  for (const auto& place : module_places()) {
    void* handle = ::dlopen(place.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      why += fmt::format("; {}", ::dlerror());
      continue;
    }
    loaded.drives = reinterpret_cast<sigrok_module::Drives*>(::dlsym(handle, sigrok_module::drives));
    loaded.open = reinterpret_cast<sigrok_module::Open*>(::dlsym(handle, sigrok_module::open));
    if (!loaded.drives || !loaded.open) throw InfraError(fmt::format("{} is not athil's libsigrok module: it has no {}", place.string(), sigrok_module::open));
    return loaded;
  }
  throw InfraError(fmt::format("libsigrok's instruments need {}, built beside athil, and it could not be loaded{}", sigrok_module::file, why));
}

}  // namespace

bool sigrok_drives(const std::string& driver) { return module().drives(driver); }

std::unique_ptr<CurrentMeter> open_sigrok_meter(const InstrumentSpec& spec) { return std::unique_ptr<CurrentMeter>(module().open(spec)); }

}  // namespace athil::instrument
