#pragma once
// A request to stop the run (SIGINT, SIGTERM, SIGHUP), as a descriptor that a wait can poll
// beside its port: a scenario blocked on a module that never answers stops at once instead of
// at its timeout. Process-wide, because a signal is.
#include <string>

#include "base/error.hpp"

namespace athil {

// Thrown by a wait that the request cut short: the scenario it was in ends as an error.
class Interrupted : public InfraError {
 public:
  using InfraError::InfraError;
};

namespace interrupt {

// Thread-safe; the first reason stays.
void request(const std::string& why);
bool requested();
std::string reason();
// Readable once a stop is requested (and from then on).
int wake_fd();
// Throws Interrupted when a stop is requested and this thread is not shielded.
void check();

// While one lives, this thread's waits ignore the request: a teardown runs to its own bound.
class Shield {
 public:
  Shield();
  ~Shield();
  Shield(const Shield&) = delete;
  Shield& operator=(const Shield&) = delete;
};
bool shielded();

}  // namespace interrupt
}  // namespace athil
