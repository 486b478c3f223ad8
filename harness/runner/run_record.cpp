#include "runner/run_record.hpp"

#include <fmt/format.h>

#include "base/error.hpp"
#include "history/page.hpp"
#include "report/junit.hpp"

namespace athil::runner {

namespace {
constexpr std::size_t history_runs = 30;  // on the page: a month of nightlies
}  // namespace

RunRecord::RunRecord(const std::filesystem::path& reports, history::RunRecord run, Warn warn) : reports_(reports), warn_(std::move(warn)) {
  try {
    store_ = std::make_unique<history::Store>(reports / history::Store::file_name, true);
    run_ = store_->begin_run(run);
    if (!run_) throw InfraError(fmt::format("a run {} of host {} is in it already", run.run_id, run.host));
  } catch (const InfraError& e) {
    failed(e);
  }
}

RunRecord::~RunRecord() = default;

void RunRecord::failed(const std::exception& e) {
  warn_(fmt::format("results store: {}; this run is not recorded from here on (its JUnit and run folder are whole)", e.what()));
  store_.reset();
  run_.reset();
}

void RunRecord::testcase(const report::TestSuite& suite, const report::TestCase& c) {
  if (!run_) return;
  try {
    store_->record_case(*run_, suite, c);
  } catch (const InfraError& e) {
    failed(e);
  }
}

void RunRecord::ended() {
  if (!run_) return;
  try {
    store_->end_run(*run_, report::utc_timestamp_now());
    report::write_file_atomically(reports_ / "history.html", history::render_history_page(*store_, history_runs));
  } catch (const InfraError& e) {
    failed(e);
  }
}

}  // namespace athil::runner
