#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <fmt/ranges.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <system_error>
#include <vector>

#include "base/file_util.h"
#include "base/log.h"
#include "store/keys.h"
#include "store/sqlite/sqlite_util.h"

namespace mr::store {

using sqlite::StmtPtr;
using sqlite::StmtScope;

namespace {

const log::Logger kLog("store");

// Connection is one sqlite3 handle and its cached statements. It is used by one transaction at
// a time (the writer under Shared::writer_mu, a reader while checked out of the pool).
struct Connection {
  sqlite::DbPtr db;
  StmtPtr begin;  // "BEGIN IMMEDIATE" (writer) or "BEGIN" (reader)
  StmtPtr commit;
  StmtPtr rollback;
  StmtPtr probe;  // a read that pins a reader's snapshot
  StmtPtr get;
  StmtPtr list_from;   // key >= ?1
  StmtPtr list_range;  // ?1 <= key < ?2
  // Writer only:
  StmtPtr put;
  StmtPtr erase;
  StmtPtr erase_from;
  StmtPtr erase_range;
};

enum class Role { kWriter, kReader };

using file::ensure_dir;
using file::ensure_file;
using file::errno_error;

// TxnGuard rolls back an open transaction on |db| unless dismissed.
class TxnGuard {
 public:
  explicit TxnGuard(sqlite3* db) : db_(db) {}
  ~TxnGuard() {
    if (db_ != nullptr && sqlite3_get_autocommit(db_) == 0) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  TxnGuard(const TxnGuard&) = delete;
  TxnGuard& operator=(const TxnGuard&) = delete;
  void dismiss() { db_ = nullptr; }

 private:
  sqlite3* db_;
};

Result<std::string> query_text(sqlite3* db, std::string_view sql) {
  MR_ASSIGN_OR_RETURN(StmtPtr stmt, sqlite::prepare(db, sql));
  int rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_ROW) return fail(sqlite::error(db, rc, sql));
  return sqlite::column_text(stmt.get(), 0);
}

// The one table, exactly as SQLite records it in sqlite_schema.
// STRICT: SQLite refuses a key or value of another type (a BLOB key spelling an existing TEXT
// key would otherwise be a second row that listings show and reads never return).
constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS kv(key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) STRICT, "
    "WITHOUT ROWID";
constexpr std::string_view kTableSql =
    "CREATE TABLE kv(key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) STRICT, WITHOUT ROWID";

// check_schema refuses a database whose schema is anything but the kv table: the file belongs to
// the host, and a trigger, view or index it adds would otherwise run inside the Coordinator.
Status check_schema(sqlite3* db) {
  MR_ASSIGN_OR_RETURN(
      StmtPtr stmt, sqlite::prepare(db, "SELECT type, name, sql FROM sqlite_schema ORDER BY name"));
  std::vector<std::string> unexpected;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    const std::string type = sqlite::column_text(stmt.get(), 0);
    const std::string name = sqlite::column_text(stmt.get(), 1);
    const std::string sql = sqlite::column_text(stmt.get(), 2);
    if (type == "table" && name == "kv" && sql == kTableSql) continue;
    unexpected.push_back(fmt::format("{} \"{}\"", type, name));
  }
  if (rc != SQLITE_DONE) return fail(sqlite::error(db, rc, "reading the schema"));
  if (unexpected.empty()) return ok();
  return failf(ErrorCode::kDataLoss,
               "the database schema was changed outside the Coordinator (unexpected {}); it "
               "holds exactly one table, kv",
               fmt::join(unexpected, ", "));
}

// harden applies SQLite's settings for a database file that is untrusted input: no triggers, no
// views, no functions with side effects from the schema, no writes to the schema, no extensions.
Status harden(sqlite3* db) {
  const std::pair<int, const char*> settings[] = {
      {SQLITE_DBCONFIG_DEFENSIVE, "SQLITE_DBCONFIG_DEFENSIVE"},
      {SQLITE_DBCONFIG_TRUSTED_SCHEMA, "SQLITE_DBCONFIG_TRUSTED_SCHEMA"},
      {SQLITE_DBCONFIG_ENABLE_TRIGGER, "SQLITE_DBCONFIG_ENABLE_TRIGGER"},
      {SQLITE_DBCONFIG_ENABLE_VIEW, "SQLITE_DBCONFIG_ENABLE_VIEW"},
      {SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, "SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION"},
  };
  for (const auto& [op, name] : settings) {
    const int on = op == SQLITE_DBCONFIG_DEFENSIVE ? 1 : 0;
    int now = -1;
    const int rc = sqlite3_db_config(db, op, on, &now);
    if (rc != SQLITE_OK || now != on)
      return fail(sqlite::error(db, rc, fmt::format("setting {}", name)));
  }
  return sqlite::exec(db, "PRAGMA trusted_schema=OFF", "setting trusted_schema=OFF");
}

// create_schema checks the schema version, creates the kv table in a new database, and checks
// that the schema holds exactly that table.
Status create_schema(sqlite3* db) {
  MR_RETURN_IF_ERROR(sqlite::exec(db, "BEGIN IMMEDIATE", "locking new database"));
  TxnGuard guard(db);
  MR_ASSIGN_OR_RETURN(std::string version, query_text(db, "PRAGMA user_version"));
  if (version == "0") {
    MR_RETURN_IF_ERROR(sqlite::exec(db, kCreateTable, "creating table kv"));
    MR_RETURN_IF_ERROR(
        sqlite::exec(db, fmt::format("PRAGMA user_version={}", SqliteStore::kSchemaVersion).c_str(),
                     "setting schema version"));
  } else if (version != std::to_string(SqliteStore::kSchemaVersion)) {
    return failf(ErrorCode::kFailedPrecondition, "schema version {}; this build reads version {}",
                 version, SqliteStore::kSchemaVersion);
  }
  MR_RETURN_IF_ERROR(check_schema(db));
  MR_RETURN_IF_ERROR(sqlite::exec(db, "COMMIT", "creating schema"));
  guard.dismiss();
  return ok();
}

Result<std::unique_ptr<Connection>> open_connection(const std::filesystem::path& path, Role role,
                                                    const SqliteOptions& options) {
  auto conn = std::make_unique<Connection>();
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, nullptr);
  conn->db.reset(raw);
  if (rc != SQLITE_OK) {
    return fail(sqlite::error(raw, rc, "opening"));
  }
  sqlite3* db = raw;
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
  MR_RETURN_IF_ERROR(harden(db));

  if (role == Role::kWriter) {
    MR_ASSIGN_OR_RETURN(std::string mode, query_text(db, "PRAGMA journal_mode=WAL"));
    if (mode != "wal") {
      return failf(ErrorCode::kUnavailable, "cannot enable WAL mode (journal_mode is {})", mode);
    }
    MR_RETURN_IF_ERROR(sqlite::exec(db, "PRAGMA synchronous=FULL", "setting synchronous=FULL"));
    MR_RETURN_IF_ERROR(
        sqlite::exec(db, fmt::format("PRAGMA cache_size=-{}", options.writer_cache_kib).c_str(),
                     "setting the page cache size"));
    MR_RETURN_IF_ERROR(create_schema(db));
  } else {
    MR_RETURN_IF_ERROR(sqlite::exec(db, "PRAGMA query_only=1", "setting query_only"));
  }

  auto prep = [db](StmtPtr& out, std::string_view sql) -> Status {
    MR_ASSIGN_OR_RETURN(out, sqlite::prepare(db, sql));
    return ok();
  };
  MR_RETURN_IF_ERROR(prep(conn->begin, role == Role::kWriter ? "BEGIN IMMEDIATE" : "BEGIN"));
  MR_RETURN_IF_ERROR(prep(conn->commit, "COMMIT"));
  MR_RETURN_IF_ERROR(prep(conn->rollback, "ROLLBACK"));
  MR_RETURN_IF_ERROR(prep(conn->probe, "SELECT 1 FROM kv LIMIT 1"));
  MR_RETURN_IF_ERROR(prep(conn->get, "SELECT value FROM kv WHERE key = ?1"));
  MR_RETURN_IF_ERROR(prep(conn->list_from, "SELECT key FROM kv WHERE key >= ?1 ORDER BY key"));
  MR_RETURN_IF_ERROR(
      prep(conn->list_range, "SELECT key FROM kv WHERE key >= ?1 AND key < ?2 ORDER BY key"));
  if (role == Role::kWriter) {
    MR_RETURN_IF_ERROR(prep(conn->put, "INSERT OR REPLACE INTO kv(key, value) VALUES(?1, ?2)"));
    MR_RETURN_IF_ERROR(prep(conn->erase, "DELETE FROM kv WHERE key = ?1"));
    MR_RETURN_IF_ERROR(prep(conn->erase_from, "DELETE FROM kv WHERE key >= ?1"));
    MR_RETURN_IF_ERROR(prep(conn->erase_range, "DELETE FROM kv WHERE key >= ?1 AND key < ?2"));
  }
  return conn;
}

Result<std::optional<Bytes>> do_get(Connection& conn, std::string_view key) {
  StmtScope stmt(conn.get);
  MR_RETURN_IF_ERROR(sqlite::bind_text(stmt.get(), 1, key));
  int rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_DONE) return std::optional<Bytes>();
  if (rc != SQLITE_ROW) {
    return fail(sqlite::error(conn.db.get(), rc, fmt::format("reading \"{}\"", key)));
  }
  return std::optional<Bytes>(sqlite::column_blob(stmt.get(), 0));
}

Result<std::vector<std::string>> do_list(Connection& conn, std::string_view prefix) {
  std::optional<std::string> end = keys::prefix_end(prefix);
  StmtScope stmt(end ? conn.list_range : conn.list_from);
  MR_RETURN_IF_ERROR(sqlite::bind_text(stmt.get(), 1, prefix));
  if (end) MR_RETURN_IF_ERROR(sqlite::bind_text(stmt.get(), 2, *end));
  std::vector<std::string> keys;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    keys.push_back(sqlite::column_text(stmt.get(), 0));
  }
  if (rc != SQLITE_DONE) {
    return fail(sqlite::error(conn.db.get(), rc, fmt::format("listing \"{}\"", prefix)));
  }
  return keys;
}

// run steps one of |conn|'s argument-less statements (BEGIN, COMMIT, ...).
Status run(const StmtPtr& stmt, std::string_view what) {
  StmtScope scope(stmt);
  return sqlite::step_done(scope.get(), what);
}

Error finished_error() {
  return Error{ErrorCode::kFailedPrecondition, "transaction already committed"};
}

}  // namespace

struct SqliteStore::Shared {
  std::filesystem::path path;
  SqliteOptions options;

  // Serialises writers: a live SqliteTransaction holds it. Guards |writer|.
  std::mutex writer_mu;
  std::unique_ptr<Connection> writer;

  // Guards |idle_readers| (connections not checked out by a read transaction).
  std::mutex readers_mu;
  std::vector<std::unique_ptr<Connection>> idle_readers;

  Result<std::unique_ptr<Connection>> acquire_reader() {
    {
      std::scoped_lock lock(readers_mu);
      if (!idle_readers.empty()) {
        auto conn = std::move(idle_readers.back());
        idle_readers.pop_back();
        return conn;
      }
    }
    const std::string where = path.string();
    return open_connection(path, Role::kReader, options).map_error(Wrap{where});
  }

  void release_reader(std::unique_ptr<Connection> conn) {
    std::scoped_lock lock(readers_mu);
    if (idle_readers.size() < options.max_idle_readers) idle_readers.push_back(std::move(conn));
  }
};

namespace {

class SqliteReadTransaction final : public ReadTransaction {
 public:
  SqliteReadTransaction(std::shared_ptr<SqliteStore::Shared> shared,
                        std::unique_ptr<Connection> conn)
      : shared_(std::move(shared)), conn_(std::move(conn)) {}

  ~SqliteReadTransaction() override {
    sqlite3* db = conn_->db.get();
    if (sqlite3_get_autocommit(db) == 0 && !run(conn_->rollback, "ending read transaction")) {
      return;  // not clean: close the connection rather than reuse it
    }
    if (sqlite3_get_autocommit(db) == 0) return;
    shared_->release_reader(std::move(conn_));
  }
  SqliteReadTransaction(const SqliteReadTransaction&) = delete;
  SqliteReadTransaction& operator=(const SqliteReadTransaction&) = delete;

  // start opens the read transaction and pins its snapshot.
  Status start() {
    MR_RETURN_IF_ERROR(run(conn_->begin, "beginning read transaction"));
    StmtScope probe(conn_->probe);
    int rc = sqlite3_step(probe.get());
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      return fail(sqlite::error(conn_->db.get(), rc, "beginning read transaction"));
    }
    return ok();
  }

  Result<std::optional<Bytes>> get(std::string_view key) override { return do_get(*conn_, key); }
  Result<std::vector<std::string>> list(std::string_view prefix) override {
    return do_list(*conn_, prefix);
  }

 private:
  std::shared_ptr<SqliteStore::Shared> shared_;
  std::unique_ptr<Connection> conn_;  // checked out of shared_->idle_readers (or new)
};

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(std::shared_ptr<SqliteStore::Shared> shared, std::unique_lock<std::mutex> lock)
      : shared_(std::move(shared)), lock_(std::move(lock)), conn_(*shared_->writer) {}

  ~SqliteTransaction() override {
    if (finished_) return;
    if (auto st = rollback(); !st) {
      kLog.error("rolling back a transaction failed", {{"error", st.error().message}});
    }
  }
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;

  // start runs BEGIN IMMEDIATE (after clearing any transaction a failed commit left open).
  Status start() {
    MR_RETURN_IF_ERROR(rollback());
    return run(conn_.begin, "beginning write transaction");
  }

  Result<std::optional<Bytes>> get(std::string_view key) override {
    if (finished_) return fail(finished_error());
    return do_get(conn_, key);
  }

  Result<std::vector<std::string>> list(std::string_view prefix) override {
    if (finished_) return fail(finished_error());
    return do_list(conn_, prefix);
  }

  Status put(std::string_view key, ByteSpan value) override {
    if (finished_) return fail(finished_error());
    StmtScope stmt(conn_.put);
    MR_RETURN_IF_ERROR(sqlite::bind_text(stmt.get(), 1, key));
    MR_RETURN_IF_ERROR(sqlite::bind_blob(stmt.get(), 2, value));
    return sqlite::step_done(stmt.get(), fmt::format("writing \"{}\"", key));
  }

  Status erase(std::string_view key) override {
    if (finished_) return fail(finished_error());
    StmtScope stmt(conn_.erase);
    MR_RETURN_IF_ERROR(sqlite::bind_text(stmt.get(), 1, key));
    return sqlite::step_done(stmt.get(), fmt::format("erasing \"{}\"", key));
  }

  Status erase_prefix(std::string_view prefix) override {
    if (finished_) return fail(finished_error());
    std::optional<std::string> end = keys::prefix_end(prefix);
    StmtScope stmt(end ? conn_.erase_range : conn_.erase_from);
    MR_RETURN_IF_ERROR(sqlite::bind_text(stmt.get(), 1, prefix));
    if (end) MR_RETURN_IF_ERROR(sqlite::bind_text(stmt.get(), 2, *end));
    return sqlite::step_done(stmt.get(), fmt::format("erasing prefix \"{}\"", prefix));
  }

  Status commit() override {
    if (finished_) return fail(finished_error());
    finished_ = true;
    Status st = run(conn_.commit, "committing");
    if (!st) {
      // A failed COMMIT may leave the transaction open; never let it leak into the next writer.
      if (auto rb = rollback(); !rb) {
        kLog.error("rolling back after a failed commit failed", {{"error", rb.error().message}});
      }
    }
    lock_.unlock();
    return st;
  }

 private:
  Status rollback() {
    if (sqlite3_get_autocommit(conn_.db.get()) != 0) return ok();  // no transaction open
    return run(conn_.rollback, "rolling back");
  }

  std::shared_ptr<SqliteStore::Shared> shared_;
  std::unique_lock<std::mutex> lock_;  // on shared_->writer_mu until commit or destruction
  Connection& conn_;                   // shared_->writer, guarded by lock_
  bool finished_ = false;
};

}  // namespace

SqliteStore::SqliteStore(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& dir,
                                                       SqliteOptions options) {
  if (dir.empty()) return fail(ErrorCode::kInvalidArgument, "store directory is empty");
  std::filesystem::path clean = dir.lexically_normal();
  if (!clean.has_filename()) clean = clean.parent_path();  // "a/b/" → "a/b"
  MR_RETURN_IF_ERROR(ensure_dir(clean));
  auto shared = std::make_shared<Shared>();
  shared->path = clean / std::string(kFileName);
  shared->options = options;
  MR_RETURN_IF_ERROR(ensure_file(shared->path));
  const std::string where = shared->path.string();
  MR_ASSIGN_OR_RETURN(shared->writer,
                      open_connection(shared->path, Role::kWriter, options).map_error(Wrap{where}));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(shared)));
}

Result<std::unique_ptr<Transaction>> SqliteStore::begin() {
  std::unique_lock<std::mutex> lock(shared_->writer_mu);
  auto txn = std::make_unique<SqliteTransaction>(shared_, std::move(lock));
  MR_RETURN_IF_ERROR(txn->start());
  return txn;
}

Result<std::unique_ptr<ReadTransaction>> SqliteStore::begin_read() {
  MR_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, shared_->acquire_reader());
  auto txn = std::make_unique<SqliteReadTransaction>(shared_, std::move(conn));
  MR_RETURN_IF_ERROR(txn->start());
  return txn;
}

const std::filesystem::path& SqliteStore::path() const {
  return shared_->path;
}

Result<std::string> SqliteStore::pragma_for_test(std::string_view name) {
  if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != name.npos) {
    return fail(ErrorCode::kInvalidArgument, "bad pragma name");
  }
  std::scoped_lock lock(shared_->writer_mu);
  return query_text(shared_->writer->db.get(), fmt::format("PRAGMA {}", name));
}

}  // namespace mr::store
