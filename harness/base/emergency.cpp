#include "base/emergency.hpp"

#include <map>
#include <mutex>

namespace athil {

namespace {

std::mutex emergency_mutex;
std::map<int, std::function<void()>>& emergency_actions() {
  static std::map<int, std::function<void()>> actions;
  return actions;
}
int next_emergency_id = 0;

}  // namespace

EmergencyActions::Registration::~Registration() {
  if (id_ == 0) return;
  std::lock_guard lock(emergency_mutex);
  emergency_actions().erase(id_);
}

EmergencyActions::Registration EmergencyActions::add(std::function<void()> action) {
  std::lock_guard lock(emergency_mutex);
  int id = ++next_emergency_id;
  emergency_actions().emplace(id, std::move(action));
  return Registration(id);
}

void EmergencyActions::run_all() {
  // Held to the exit: a slot thread ending now waits here rather than free what an action uses.
  emergency_mutex.lock();
  // The latest first, as destructors go: a slot's modules are killed before the run's folder goes.
  for (auto it = emergency_actions().rbegin(); it != emergency_actions().rend(); ++it) {
    auto& action = it->second;
    try {
      action();
    } catch (...) {  // the others must still run
    }
  }
}

}  // namespace athil
