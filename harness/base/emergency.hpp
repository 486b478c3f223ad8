#pragma once
// The actions that run when the process ends without winding down (a second stop signal, an
// unhandled fault): outputs to their safe levels, module processes killed, temporary files gone.
#include <functional>
#include <utility>

namespace athil {

// What must happen even when the harness cannot wind down: on a second signal, and when it
// terminates on an unhandled fault. An action registers for as long as its Registration lives;
// once it is running the registrations wait for it, so nothing it touches is destroyed under it.
// They run newest first.
class EmergencyActions {
 public:
  class Registration {
   public:
    Registration() = default;
    explicit Registration(int id) : id_(id) {}
    Registration(Registration&& other) noexcept : id_(std::exchange(other.id_, 0)) {}
    Registration& operator=(Registration&&) = delete;
    ~Registration();

   private:
    int id_ = 0;
  };
  [[nodiscard]] static Registration add(std::function<void()> action);
  static void run_all();
};

}  // namespace athil
