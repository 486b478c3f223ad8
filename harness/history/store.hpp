#pragma once
// The results store: every run in an SQLite database in the report folder (athil.db), with what
// comparing runs needs: the run, its slots (model, revisions, IMEI), each testcase (scenario,
// file and content hash, verdict, reason, time, round, attempts, revision), its step times and
// its measurements. Written as the run goes, one transaction per testcase: a killed run keeps
// every testcase that ended. Never the only copy: the JUnit and the run folder stay as they are.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "report/junit.hpp"

namespace athil::history {

class Database;
class Transaction;

struct RunRecord {
  std::string run_id;  // the run folder's id (20261130-012748Z), or the imported JUnit's
  std::string host;
  std::string rig;
  std::string started;    // UTC, YYYY-MM-DDTHH:MM:SS
  std::string options;    // the command line, as given
  std::string shard;      // "2/4", or empty
  std::string source;     // "" for a run recorded as it went, else what it was imported from
  double time_scale = 1;  // the rig's: step times are module time, host jitter is real time
};

// A run as the store has it.
struct StoredRun {
  std::int64_t id = 0;
  RunRecord record;
  std::string ended;  // empty: killed, or still running
};

// One testcase of a run, with its slot's facts, as history and diff read them.
struct StoredCase {
  std::int64_t id = 0, run = 0;
  std::string slot, model, scenario, file, content_hash, verdict, reason, revision;
  double seconds = 0;
  int round = 0, attempts = 1;
  std::vector<std::string> tags;
};

// A number read from a report's text ("3.2 uA", "3217.919ms", "41 mC"), in its base unit.
struct Quantity {
  double value = 0;
  std::string unit;  // "A", "C", "s", ...
};
std::optional<Quantity> read_quantity(std::string_view text);

struct StoredMeasurement {
  std::string name;  // "boot.charge", "step update"
  Quantity quantity;
};

class Store {
 public:
  static constexpr const char* file_name = "athil.db";
  static constexpr int schema_version = 3;
  // With `create` (a run, an import): opens the store, creating it and bringing its schema up to
  // date (the migrations in one transaction; of two processes, one migrates). Without (history,
  // diff): opens one that exists, at this athil's schema. Throws InfraError saying which.
  Store(const std::filesystem::path& path, bool create);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // A new run; nothing when a run of that host and id is in the store already (imported once).
  std::optional<std::int64_t> begin_run(const RunRecord& run);
  // A testcase that ended, with its slot's facts from the suite's properties.
  void record_case(std::int64_t run, const report::TestSuite& suite, const report::TestCase& c);
  void end_run(std::int64_t run, const std::string& ended);

  // Every run of another store (another host's report folder) that this one lacks, with all it
  // holds; `source` says where from. Returns the runs added and the runs it had already.
  std::pair<int, int> import_store(const std::filesystem::path& other, const std::string& source);

  // What is written until it commits is written together, or not at all.
  Transaction transaction();

  std::vector<StoredRun> runs() const;  // oldest first
  std::vector<StoredCase> cases(std::int64_t run) const;
  std::vector<StoredMeasurement> measurements(std::int64_t testcase) const;
  const std::filesystem::path& path() const;

 private:
  void migrate();
  int version() const;
  std::unique_ptr<Database> db_;
};

}  // namespace athil::history
