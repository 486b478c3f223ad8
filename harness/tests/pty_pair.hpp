#pragma once
// Both sides of a pseudo-terminal for transport and engine tests: the test plays the module on
// the master side, the harness opens the slave as a serial port.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "base/fd.hpp"

namespace athil::test {

struct PtyPair {
  UniqueFd master;
  std::string slave;
  PtyPair() {
    master.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    REQUIRE(master);
    REQUIRE(::grantpt(master.get()) == 0);
    REQUIRE(::unlockpt(master.get()) == 0);
    slave = ::ptsname(master.get());
  }
  void module_says(std::string_view bytes) const { REQUIRE(::write(master.get(), bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size())); }
  std::string host_sent() const {
    std::string out;
    char buf[512];
    for (int i = 0; i < 100; ++i) {
      ssize_t n = ::read(master.get(), buf, sizeof buf);
      if (n > 0) out.append(buf, static_cast<std::size_t>(n));
      if (!out.empty() && out.back() == '\r') break;
    }
    return out;
  }
};

}  // namespace athil::test
