#include "history/store.hpp"

#include <unistd.h>

#include <array>
#include <charconv>
#include <string_view>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/error.hpp"
#include "base/text.hpp"
#include "history/sqlite.hpp"

namespace athil::history {

namespace {

// Each entry takes the schema from its index to the next version; never edit one that shipped.
constexpr std::array<std::string_view, Store::schema_version> migrations = {
    R"sql(
CREATE TABLE runs(id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, host TEXT NOT NULL, rig TEXT, started TEXT, ended TEXT,
                  options TEXT, shard TEXT, source TEXT, UNIQUE(host, run_id));
CREATE TABLE slots(run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, name TEXT NOT NULL, model TEXT, rig_firmware TEXT,
                   revision_before TEXT, revision_after TEXT, imei TEXT, PRIMARY KEY(run, name));
CREATE TABLE testcases(id INTEGER PRIMARY KEY, run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, slot TEXT NOT NULL,
                       scenario TEXT NOT NULL, file TEXT, content_hash TEXT, verdict TEXT NOT NULL, reason TEXT, seconds REAL,
                       round INTEGER, attempts INTEGER, revision TEXT);
CREATE INDEX testcases_by_scenario ON testcases(scenario, slot);
CREATE TABLE steps(testcase INTEGER NOT NULL REFERENCES testcases(id) ON DELETE CASCADE, ordinal INTEGER, name TEXT, seconds REAL);
CREATE TABLE measurements(testcase INTEGER NOT NULL REFERENCES testcases(id) ON DELETE CASCADE, name TEXT, value REAL, unit TEXT, text TEXT);
)sql",
    R"sql(
ALTER TABLE runs ADD COLUMN time_scale REAL NOT NULL DEFAULT 1;
)sql",
    R"sql(
ALTER TABLE testcases ADD COLUMN tags TEXT NOT NULL DEFAULT '';
)sql"};

// Another host's store as an import reads it: itself when at this athil's schema, else a copy
// brought up to date in `folder` (the other is left as it is), removed afterwards.
class UpToDateCopy {
 public:
  UpToDateCopy(const std::filesystem::path& other, const std::filesystem::path& folder) : path_(other) {
    Database probe(other, false);
    auto v = [&] {
      auto version = probe.prepare("PRAGMA user_version");
      version.step();
      return version.integer(0);
    }();  // finished: VACUUM waits for no statement
    if (v == Store::schema_version) return;
    if (v > Store::schema_version || v == 0)
      throw InfraError(fmt::format("results store {}: schema {}, where this athil's is {}: import it with the athil that wrote it", other.string(), v,
                                   Store::schema_version));
    path_ = folder / fmt::format(".import-{}.db", ::getpid());
    remove();
    try {
      auto copy = probe.prepare("VACUUM INTO ?");  // a consistent copy, with what its journal holds
      copy.bind(1, path_.string()).step();
      Store migrated(path_, true);
    } catch (...) {
      remove();
      throw;
    }
    copied_ = true;
  }
  ~UpToDateCopy() {
    if (copied_) remove();
  }
  UpToDateCopy(const UpToDateCopy&) = delete;
  UpToDateCopy& operator=(const UpToDateCopy&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  void remove() const {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(path_.string() + suffix, ec);
  }
  std::filesystem::path path_;
  bool copied_ = false;
};

// The revision the module reported, when it did ("unknown (...)" is not one).
std::string known(const std::string& revision) { return revision.starts_with("unknown") ? std::string() : revision; }

}  // namespace

std::optional<Quantity> read_quantity(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc()) return std::nullopt;
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  static constexpr std::array<std::pair<char, double>, 5> prefixes = {{{'n', 1e-9}, {'u', 1e-6}, {'m', 1e-3}, {'k', 1e3}, {'M', 1e6}}};
  if (unit.size() > 1)
    for (auto [prefix, factor] : prefixes)
      if (unit.front() == prefix) return Quantity{.value = value * factor, .unit = std::string(unit.substr(1))};
  if (unit.empty() || unit.find(' ') != std::string_view::npos) return std::nullopt;
  return Quantity{.value = value, .unit = std::string(unit)};
}

Store::Store(const std::filesystem::path& path, bool create) : db_(std::make_unique<Database>(path, create)) {
  db_->exec("PRAGMA foreign_keys = ON");
  if (!create) {
    if (int v = version(); v != schema_version)
      throw InfraError(fmt::format("results store {}: schema {}, where this athil reads {}{}", path.string(), v, schema_version,
                                   v == 0               ? " (a run is creating it?)"
                                   : v < schema_version ? ": a run or an import with this athil brings it up to date"
                                                        : ""));
    return;
  }
  migrate();
  try {
    db_->exec("PRAGMA journal_mode = WAL");  // readers (history, diff, the pages) never wait for a run writing
  } catch (const InfraError&) {              // another process is switching it: the file keeps it
  }
}

int Store::version() const {
  auto read = db_->prepare("PRAGMA user_version");
  read.step();
  return static_cast<int>(read.integer(0));
}

Store::~Store() = default;

const std::filesystem::path& Store::path() const { return db_->path(); }
Transaction Store::transaction() { return Transaction(*db_); }

void Store::migrate() {
  auto newer = [&](int v) {
    if (v > schema_version)
      throw InfraError(fmt::format("results store {}: schema {} is newer than this athil's ({}): use a newer athil, or another --reports folder",
                                   db_->path().string(), v, schema_version));
    return v == schema_version;
  };
  if (newer(version())) return;
  Transaction t(*db_);  // the write lock: another process may have migrated while this one waited
  int v = version();
  if (newer(v)) return;
  for (; v < schema_version; ++v) db_->exec(migrations[static_cast<std::size_t>(v)]);
  db_->exec(fmt::format("PRAGMA user_version = {}", schema_version));
  t.commit();
}

std::optional<std::int64_t> Store::begin_run(const RunRecord& run) {
  auto insert = db_->prepare("INSERT OR IGNORE INTO runs(run_id, host, rig, started, options, shard, source, time_scale) VALUES(?,?,?,?,?,?,?,?)");
  insert.bind(1, run.run_id).bind(2, run.host).bind(3, run.rig).bind(4, run.started).bind(5, run.options).bind(6, run.shard).bind(7, run.source);
  insert.bind(8, run.time_scale);
  insert.step();
  if (db_->changes() == 0) return std::nullopt;
  return db_->last_insert_id();
}

void Store::record_case(std::int64_t run, const report::TestSuite& suite, const report::TestCase& c) {
  Transaction t(*db_);
  std::string slot = suite.property("slot"), revision = known(suite.property("revision"));
  auto slots = db_->prepare(
      "INSERT INTO slots(run, name, model, rig_firmware, revision_before, revision_after, imei) VALUES(?1,?2,?3,?4,?5,?6,?7) "
      "ON CONFLICT(run, name) DO UPDATE SET revision_before = COALESCE(NULLIF(revision_before, ''), excluded.revision_before), "
      "revision_after = COALESCE(NULLIF(excluded.revision_after, ''), revision_after), imei = COALESCE(NULLIF(excluded.imei, ''), imei)");
  std::string before = known(c.revision_at_start).empty() ? revision : known(c.revision_at_start);
  std::string after = c.left_other_firmware.empty() ? revision : c.left_other_firmware;
  slots.bind(1, run).bind(2, slot).bind(3, suite.property("model")).bind(4, suite.property("firmware")).bind(5, before).bind(6, after);
  slots.bind(7, suite.property("imei")).step();
  auto cases = db_->prepare(
      "INSERT INTO testcases(run, slot, scenario, file, content_hash, verdict, reason, seconds, round, attempts, revision, tags) "
      "VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
  cases.bind(1, run).bind(2, slot).bind(3, c.scenario.empty() ? c.name : c.scenario).bind(4, c.file).bind(5, c.content_hash);
  cases.bind(6, report::verdict_name(c.verdict)).bind(7, c.message).bind(8, c.seconds).bind(9, c.round);
  cases.bind(10, static_cast<int>(c.earlier_attempts.size()) + 1)
      .bind(11, known(c.revision_at_start))
      .bind(12, fmt::format("{}", fmt::join(c.tags, ",")))
      .step();
  auto id = db_->last_insert_id();
  auto steps = db_->prepare("INSERT INTO steps(testcase, ordinal, name, seconds) VALUES(?,?,?,?)");
  for (std::size_t i = 0; i < c.steps.size(); ++i) {
    steps.reset();
    steps.bind(1, id).bind(2, static_cast<int>(i)).bind(3, c.steps[i].name).bind(4, c.steps[i].seconds).step();
  }
  auto values = db_->prepare("INSERT INTO measurements(testcase, name, value, unit, text) VALUES(?,?,?,?,?)");
  for (const auto& m : c.measurements)
    for (const auto& [stat, text] : m.values) {
      values.reset();
      values.bind(1, id).bind(2, fmt::format("{}.{}", m.name, stat)).bind(5, text);
      if (auto q = read_quantity(text)) {
        values.bind(3, q->value).bind(4, q->unit);
      } else {
        values.bind_null(3).bind_null(4);
      }
      values.step();
    }
  t.commit();
}

void Store::end_run(std::int64_t run, const std::string& ended) {
  auto update = db_->prepare("UPDATE runs SET ended = ? WHERE id = ?");
  update.bind(1, ended).bind(2, run).step();
}

std::pair<int, int> Store::import_store(const std::filesystem::path& other, const std::string& source) {
  UpToDateCopy copy(other, db_->path().parent_path());
  auto attach = db_->prepare("ATTACH DATABASE ? AS other");
  attach.bind(1, copy.path().string()).step();
  struct Detach {
    Database& db;
    ~Detach() {
      try {
        db.exec("DETACH DATABASE other");
      } catch (const InfraError&) {  // nothing attached
      }
    }
  } detach{*db_};
  auto count = [&](const char* sql) {
    auto q = db_->prepare(sql);
    q.step();
    return q.integer(0);
  };
  Transaction t(*db_);
  auto runs_before = count("SELECT COALESCE(MAX(id), 0) FROM runs");
  auto total = count("SELECT COUNT(*) FROM other.runs");
  auto insert = db_->prepare(
      "INSERT INTO runs(run_id, host, rig, started, ended, options, shard, source, time_scale) SELECT run_id, host, rig, started, ended, options, shard, ?, "
      "time_scale "
      "FROM other.runs o WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.host = o.host AND r.run_id = o.run_id) ORDER BY o.id");
  insert.bind(1, source).step();
  int added = db_->changes();
  auto map = db_->prepare(
      "CREATE TEMP TABLE run_map AS SELECT o.id AS old, r.id AS new FROM other.runs o JOIN runs r ON r.host = o.host AND r.run_id = o.run_id WHERE r.id > ?");
  map.bind(1, runs_before).step();
  // Testcases keep their order with ids shifted past this store's: steps and measurements follow.
  auto offset = count("SELECT COALESCE(MAX(id), 0) FROM testcases");
  db_->exec(
      "INSERT INTO slots SELECT m.new, s.name, s.model, s.rig_firmware, s.revision_before, s.revision_after, s.imei FROM other.slots s JOIN run_map m ON s.run "
      "= m.old");
  for (const char* sql :
       {"INSERT INTO testcases SELECT t.id + ?1, m.new, t.slot, t.scenario, t.file, t.content_hash, t.verdict, t.reason, t.seconds, t.round, "
        "t.attempts, t.revision, t.tags FROM other.testcases t JOIN run_map m ON t.run = m.old",
        "INSERT INTO steps SELECT s.testcase + ?1, s.ordinal, s.name, s.seconds FROM other.steps s JOIN other.testcases t ON t.id = s.testcase "
        "JOIN run_map m ON t.run = m.old",
        "INSERT INTO measurements SELECT v.testcase + ?1, v.name, v.value, v.unit, v.text FROM other.measurements v "
        "JOIN other.testcases t ON t.id = v.testcase JOIN run_map m ON t.run = m.old"}) {
    auto q = db_->prepare(sql);
    q.bind(1, offset).step();
  }
  db_->exec("DROP TABLE temp.run_map");
  t.commit();
  return {added, static_cast<int>(total) - added};
}

std::vector<StoredRun> Store::runs() const {
  std::vector<StoredRun> out;
  auto q = db_->prepare("SELECT id, run_id, host, rig, started, options, shard, source, ended, time_scale FROM runs ORDER BY started, id");
  while (q.step())
    out.push_back(StoredRun{.id = q.integer(0),
                            .record = {.run_id = q.text(1),
                                       .host = q.text(2),
                                       .rig = q.text(3),
                                       .started = q.text(4),
                                       .options = q.text(5),
                                       .shard = q.text(6),
                                       .source = q.text(7),
                                       .time_scale = q.real(9)},
                            .ended = q.text(8)});
  return out;
}

std::vector<StoredCase> Store::cases(std::int64_t run) const {
  std::vector<StoredCase> out;
  auto q = db_->prepare(
      "SELECT t.id, t.run, t.slot, s.model, t.scenario, t.file, t.content_hash, t.verdict, t.reason, t.revision, t.seconds, t.round, t.attempts, t.tags "
      "FROM testcases t LEFT JOIN slots s ON s.run = t.run AND s.name = t.slot WHERE t.run = ? ORDER BY t.id");
  q.bind(1, run);
  while (q.step())
    out.push_back(StoredCase{.id = q.integer(0),
                             .run = q.integer(1),
                             .slot = q.text(2),
                             .model = q.text(3),
                             .scenario = q.text(4),
                             .file = q.text(5),
                             .content_hash = q.text(6),
                             .verdict = q.text(7),
                             .reason = q.text(8),
                             .revision = q.text(9),
                             .seconds = q.real(10),
                             .round = static_cast<int>(q.integer(11)),
                             .attempts = static_cast<int>(q.integer(12)),
                             .tags = split(q.text(13), ',')});
  return out;
}

std::vector<StoredMeasurement> Store::measurements(std::int64_t testcase) const {
  std::vector<StoredMeasurement> out;
  auto q = db_->prepare(
      "SELECT name, value, unit FROM measurements WHERE testcase = ?1 AND value IS NOT NULL "
      "UNION ALL SELECT 'step ' || name, seconds, 's' FROM steps WHERE testcase = ?1");
  q.bind(1, testcase);
  while (q.step()) out.push_back(StoredMeasurement{.name = q.text(0), .quantity = {.value = q.real(1), .unit = q.text(2)}});
  return out;
}

}  // namespace athil::history
