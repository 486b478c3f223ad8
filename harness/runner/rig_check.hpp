#pragma once
// `athil rig check RIG`: the preflight as a table; exit 0 only when every check passed,
// 2 for a mistake in the rig file, 3 when something on the rack is not ready.
#include <filesystem>

namespace athil::runner {

int rig_check(const std::filesystem::path& rig, const std::filesystem::path& executable);

}  // namespace athil::runner
