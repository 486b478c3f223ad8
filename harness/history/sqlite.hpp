#pragma once
// SQLite, owned: a database connection and its prepared statements as RAII types, errors as
// InfraError naming the file and SQLite's words. <sqlite3.h> stays in sqlite.cpp.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

struct sqlite3;
struct sqlite3_stmt;

namespace athil::history {

class Statement;

class Database {
 public:
  // Opens (creating it when `create`) with a busy timeout: runs on one host may share a store.
  Database(const std::filesystem::path& path, bool create);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(std::string_view sql);  // statements without results or parameters
  Statement prepare(std::string_view sql);
  std::int64_t last_insert_id() const;
  int changes() const;  // rows the last INSERT, UPDATE or DELETE changed
  bool in_transaction() const;
  const std::filesystem::path& path() const { return path_; }
  [[noreturn]] void fail(std::string_view what) const;  // throws with SQLite's last error

 private:
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  Statement(Database& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(std::exchange(o.stmt_, nullptr)) {}
  Statement& operator=(Statement&&) = delete;

  // Parameters from 1, as SQLite counts them.
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind_null(int index);
  // The next row: false once there is none. A statement without results runs with one call.
  bool step();
  void reset();  // ready to run again, parameters kept until bound anew

  std::string text(int column) const;
  std::int64_t integer(int column) const;
  double real(int column) const;
  bool is_null(int column) const;

 private:
  Database* db_;
  sqlite3_stmt* stmt_;
};

// Committed, or rolled back when it goes out of scope uncommitted: what a killed run leaves is
// every transaction it committed, never half of one. Outermost it takes the write lock at once
// (BEGIN IMMEDIATE: a second writer waits its turn instead of failing on an upgrade); inside
// another it is a savepoint.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool nested_;
  bool done_ = false;
};

}  // namespace athil::history
