#pragma once
// The run in the results store (REPORTS/athil.db) as it goes: each testcase when it ends. The
// store is never the only copy: when it cannot be written the run goes on, the JUnit and the
// run folder complete, and the console says what the store lacks.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "history/store.hpp"

namespace athil::runner {

class RunRecord {
 public:
  using Warn = std::function<void(const std::string& text)>;
  RunRecord(const std::filesystem::path& reports, history::RunRecord run, Warn warn);
  ~RunRecord();
  void testcase(const report::TestSuite& suite, const report::TestCase& c);
  // The run's end in the store, and the store's page (REPORTS/history.html) rewritten.
  void ended();

 private:
  void failed(const std::exception& e);
  std::filesystem::path reports_;
  std::unique_ptr<history::Store> store_;
  std::optional<std::int64_t> run_;
  Warn warn_;
};

}  // namespace athil::runner
