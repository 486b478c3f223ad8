#include "history/sqlite.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include "base/error.hpp"

namespace athil::history {

namespace {
// Another run on the same host may be writing its testcase: a few seconds is plenty.
constexpr int busy_timeout_ms = 10'000;
}  // namespace

Database::Database(const std::filesystem::path& path, bool create) : path_(path) {
  int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw InfraError(fmt::format("results store {}: cannot open: {}", path.string(), why));
  }
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  sqlite3_extended_result_codes(db_, 1);
}

Database::~Database() { sqlite3_close(db_); }

void Database::fail(std::string_view what) const { throw InfraError(fmt::format("results store {}: {}: {}", path_.string(), what, sqlite3_errmsg(db_))); }

void Database::exec(std::string_view sql) {
  std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) fail(fmt::format("'{}'", text.substr(0, 60)));
}

Statement Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK) fail(fmt::format("'{}'", sql.substr(0, 60)));
  return Statement(*this, stmt);
}

std::int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
int Database::changes() const { return sqlite3_changes(db_); }
bool Database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::string_view text) {
  if (sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT) != SQLITE_OK) db_->fail("bind");
  return *this;
}
Statement& Statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) db_->fail("bind");
  return *this;
}
Statement& Statement::bind(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) db_->fail("bind");
  return *this;
}
Statement& Statement::bind_null(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) db_->fail("bind");
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail(fmt::format("'{}'", std::string_view(sqlite3_sql(stmt_)).substr(0, 60)));
}

void Statement::reset() { sqlite3_reset(stmt_); }

std::string Statement::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))) : std::string();
}
std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::real(int column) const { return sqlite3_column_double(stmt_, column); }
bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

Transaction::Transaction(Database& db) : db_(db), nested_(db.in_transaction()) { db_.exec(nested_ ? "SAVEPOINT athil" : "BEGIN IMMEDIATE"); }
Transaction::~Transaction() {
  if (done_) return;
  try {
    db_.exec(nested_ ? "ROLLBACK TO athil; RELEASE athil" : "ROLLBACK");
  } catch (const InfraError&) {  // a transaction SQLite already rolled back
  }
}

void Transaction::commit() {
  db_.exec(nested_ ? "RELEASE athil" : "COMMIT");
  done_ = true;
}

}  // namespace athil::history
