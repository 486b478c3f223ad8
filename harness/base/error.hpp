#pragma once
// The two kinds of trouble the harness tells apart, besides a module that misbehaves:
// bad input (exit code 2) and infrastructure that cannot be reached (exit code 3).
#include <stdexcept>
#include <string>

namespace athil {

struct SourcePos {
  std::string file;
  int line = 0;
  int col = 0;
  std::string str() const;  // "file:line:col", or what of it is known
};

// A mistake in a scenario, fixture, rig file or command line.
class InputError : public std::runtime_error {
 public:
  InputError(SourcePos pos, const std::string& message);
  explicit InputError(const std::string& message) : std::runtime_error(message), message_(message) {}
  const SourcePos& pos() const { return pos_; }
  const std::string& message() const { return message_; }
  // "file:line:col: error: message", as compilers print it and editors parse it.
  std::string diagnostic() const;

 private:
  SourcePos pos_;
  std::string message_;
};

// The rig or the harness itself failed: a port, a pin, a virtual module, a server.
class InfraError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// errno as text, for messages that say what the system answered.
std::string errno_text(int err);

}  // namespace athil
