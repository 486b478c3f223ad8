#pragma once
// The two kinds of trouble the harness tells apart, besides a module that misbehaves:
// bad input (exit code 2) and infrastructure that cannot be reached (exit code 3).
#include <atomic>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace athil {

// A file's name as positions carry it: shared, not copied, since a scenario's every action has a
// position in the same file. One pointer, counted in the name itself: a position is in every
// action, and a long scenario holds tens of thousands of them for the whole run.
class FileName {
 public:
  FileName() = default;
  FileName(std::string name) : held_(name.empty() ? nullptr : new Held{.name = std::move(name)}) {}
  FileName(const char* name) : FileName(std::string(name)) {}
  FileName(const FileName& other) noexcept : held_(other.held_) {
    if (held_) held_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  FileName(FileName&& other) noexcept : held_(std::exchange(other.held_, nullptr)) {}
  FileName& operator=(FileName other) noexcept {
    std::swap(held_, other.held_);
    return *this;
  }
  ~FileName();
  const std::string& str() const;
  operator const std::string&() const { return str(); }
  bool empty() const { return !held_; }
  friend bool operator==(const FileName& a, const FileName& b) { return a.str() == b.str(); }

 private:
  struct Held {
    std::atomic<long> refs = 1;
    std::string name;
  };
  Held* held_ = nullptr;
};

struct SourcePos {
  FileName file;
  int line = 0;
  int col = 0;
  std::string str() const;  // "file:line:col", or what of it is known
};

struct Diagnostic {
  SourcePos pos;
  std::string message;
  // "file:line:col: error: message", as compilers print it and editors parse it.
  std::string str() const;
};

// Mistakes in a scenario, fixture, rig file or command line: one, or every one a pass found.
class InputError : public std::runtime_error {
 public:
  InputError(SourcePos pos, const std::string& message);
  explicit InputError(const std::string& message);
  explicit InputError(std::vector<Diagnostic> all);  // not empty
  const SourcePos& pos() const { return all_.front().pos; }
  const std::string& message() const { return all_.front().message; }
  const std::vector<Diagnostic>& all() const { return all_; }
  // Every diagnostic, a line each.
  std::string diagnostic() const;

 private:
  std::vector<Diagnostic> all_;
};

// Collects the InputErrors of independent checks, so that one pass reports them all (the first
// max_kept of them, and how many more there were: a hostile file cannot flood the output).
class Diagnostics {
 public:
  static constexpr std::size_t max_kept = 100;
  template <class F>
  void attempt(F&& check) {
    try {
      check();
    } catch (const InputError& e) {
      add(e.all());
    }
  }
  void add(const std::vector<Diagnostic>& found);
  bool empty() const { return all_.empty(); }
  std::size_t count() const { return all_.size() + dropped_; }
  void throw_if_any() const;

 private:
  std::vector<Diagnostic> all_;
  std::size_t dropped_ = 0;
};

// " (did you mean 'x'?)" when a candidate is a small edit away from word, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

// The rig or the harness itself failed: a port, a pin, a virtual module, a server.
class InfraError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The other end went away under an open channel: a port (USB re-enumeration, a pty whose
// module ended, ser2net closing the connection) or a virtual module's control channel.
class PortGone : public InfraError {
 public:
  using InfraError::InfraError;
};

// errno as text, for messages that say what the system answered.
std::string errno_text(int err);

}  // namespace athil
