#pragma once
// Who holds a port: the processes with an advisory lock on the device node (/proc/locks),
// else those with it open (/proc/PID/fd), as far as this user may look.
#include <filesystem>
#include <string>

namespace athil {

// "pid 4242 (athil run rigs/lab.xml)", several joined by ", "; empty when none is found.
std::string port_holders(const std::filesystem::path& device);

}  // namespace athil
