#pragma once
// SqliteStore: the embedded default Store, one SQLite database file per seal directory.
//
//   MR_ASSIGN_OR_RETURN(auto store, store::SqliteStore::open(seal_dir));   // <dir>/state.db
//   MR_ASSIGN_OR_RETURN(auto txn, store->begin());
//   MR_RETURN_IF_ERROR(txn->put("state", value));
//   MR_RETURN_IF_ERROR(txn->commit());   // fsync'd (WAL, synchronous=FULL) when it returns
//
// Layout: table kv(key TEXT PRIMARY KEY, value BLOB) STRICT, WITHOUT ROWID, so a write touches
// only the records it changes and a key is always text. Writers are serialised on one writer
// connection (a mutex in this process, BEGIN IMMEDIATE against other processes); each read snapshot
// runs on its own reader connection inside a read transaction, so readers never block writers and
// never see a partial commit. The store is thread-safe; a single transaction object is not.
// Transactions may outlive the store object (they share its connections).

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "store/store.h"

namespace mr::store {

struct SqliteOptions {
  // How long a statement waits for a lock held by another process before kUnavailable.
  std::chrono::milliseconds busy_timeout{5000};
  // How many idle reader connections are kept for reuse (more may be open at once).
  std::size_t max_idle_readers = 4;
  // The writer's page cache (PRAGMA cache_size), in KiB: a commit then finds the pages it
  // changes (a record, its integrity bucket, the root) in memory at any state size. Filled only
  // as pages are used.
  std::size_t writer_cache_kib = 16 * 1024;
};

class SqliteStore final : public Store {
 public:
  // The database file name inside the directory given to open().
  static constexpr std::string_view kFileName = "state.db";
  // The schema version written to PRAGMA user_version.
  static constexpr int kSchemaVersion = 2;

  // open opens <dir>/state.db, creating |dir| (mode 0700, parents with default modes) and the
  // file (mode 0600) if they are missing, and the kv table if it is absent. It sets WAL mode and
  // synchronous=FULL, and treats the file as untrusted input: every connection runs with
  // SQLITE_DBCONFIG_DEFENSIVE, trusted_schema=OFF, triggers, views and extensions disabled, and
  // the schema must be exactly the kv table. Errors: kUnavailable if the directory or file cannot
  // be created or opened (or is locked by another process beyond the busy timeout), kDataLoss if
  // the file is not a database, is corrupt, or its schema holds anything else (named in the
  // message), kFailedPrecondition if it was written by a newer schema version. Messages name the
  // path and carry SQLite's message.
  [[nodiscard]] static Result<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& dir,
                                                                 SqliteOptions options = {});
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // begin starts BEGIN IMMEDIATE on the writer connection, waiting while another Transaction of
  // this store is alive (a thread must not call begin() while holding one). kUnavailable if
  // another process holds the write lock beyond the busy timeout.
  [[nodiscard]] Result<std::unique_ptr<Transaction>> begin() override;
  // begin_read opens a read transaction on a reader connection and pins its snapshot before
  // returning. Never waits for writers. kUnavailable / kDataLoss on I/O errors or corruption.
  [[nodiscard]] Result<std::unique_ptr<ReadTransaction>> begin_read() override;

  // path returns the database file's path.
  [[nodiscard]] const std::filesystem::path& path() const;

  // pragma_for_test returns the value of "PRAGMA <name>" on the writer connection, e.g.
  // "wal" for journal_mode and "2" (FULL) for synchronous. |name| must be [a-z_]+.
  [[nodiscard]] Result<std::string> pragma_for_test(std::string_view name);

  struct Shared;  // connections and locks shared with transactions; defined in the .cpp

 private:
  explicit SqliteStore(std::shared_ptr<Shared> shared);
  std::shared_ptr<Shared> shared_;
};

}  // namespace mr::store
