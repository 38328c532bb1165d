#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "base/testing/temp_dir.h"
#include "store/records.h"

namespace mr::store {
namespace {

namespace fs = std::filesystem;
using mr::testing::TempDir;

std::unique_ptr<SqliteStore> open_store(const fs::path& dir, SqliteOptions options = {}) {
  auto store = SqliteStore::open(dir, options);
  EXPECT_TRUE(store.has_value()) << store.error().message;
  return store ? std::move(*store) : nullptr;
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

Status put_commit(Store& store, std::string_view key, std::string_view value) {
  MR_ASSIGN_OR_RETURN(auto txn, store.begin());
  MR_RETURN_IF_ERROR(put_string(*txn, key, value));
  return txn->commit();
}

std::optional<std::string> read(Store& store, std::string_view key) {
  auto r = store.begin_read();
  EXPECT_TRUE(r.has_value());
  auto v = get_string(**r, key);
  EXPECT_TRUE(v.has_value());
  return *v;
}

// raw_exec_error runs |sql| on a separate, plain SQLite connection to |file| and returns
// SQLite's error message ("" on success).
std::string raw_exec_error(const fs::path& file, const char* sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open(file.c_str(), &db) != SQLITE_OK) return "cannot open";
  std::string error;
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) error = sqlite3_errmsg(db);
  sqlite3_close(db);
  return error;
}

// raw_exec runs |sql| like raw_exec_error and expects it to succeed.
void raw_exec(const fs::path& file, const char* sql) {
  EXPECT_EQ(raw_exec_error(file, sql), "") << sql;
}

TEST(SqliteStoreTest, CreatesDirectoryAndFilesWithPrivateModes) {
  TempDir tmp;
  const fs::path dir = tmp / "a" / "seal";
  auto store = open_store(dir);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->path(), dir / "state.db");
  EXPECT_EQ(mode_of(dir), 0700U);
  EXPECT_EQ(mode_of(dir / "state.db"), 0600U);
  ASSERT_TRUE(put_commit(*store, "k", "v").has_value());
  EXPECT_EQ(mode_of(dir / "state.db-wal"), 0600U);
  EXPECT_EQ(mode_of(dir / "state.db-shm"), 0600U);
}

TEST(SqliteStoreTest, WalModeAndSynchronousFull) {
  TempDir tmp;
  auto store = open_store(tmp / "seal");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->pragma_for_test("journal_mode"), "wal");
  EXPECT_EQ(*store->pragma_for_test("synchronous"), "2");  // FULL
  EXPECT_EQ(*store->pragma_for_test("user_version"), "2");
  EXPECT_FALSE(store->pragma_for_test("journal_mode; DROP TABLE kv").has_value());
  // WAL mode is persistent: a plain connection sees it in the file.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((tmp / "seal" / "state.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST(SqliteStoreTest, DurableAcrossReopen) {
  TempDir tmp;
  {
    auto store = open_store(tmp / "seal");
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(put_commit(*store, "state", "3").has_value());
    ASSERT_TRUE(put_commit(*store, "manifest", std::string("m\0x", 3)).has_value());
    auto txn = *store->begin();
    ASSERT_TRUE(put_string(*txn, "uncommitted", "x").has_value());
    // store and uncommitted transaction die here (transaction first)
  }
  auto store = open_store(tmp / "seal");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(read(*store, "state"), "3");
  EXPECT_EQ(read(*store, "manifest"), std::string("m\0x", 3));
  EXPECT_EQ(read(*store, "uncommitted"), std::nullopt);
}

TEST(SqliteStoreTest, TransactionsMayOutliveTheStore) {
  TempDir tmp;
  auto store = open_store(tmp / "seal");
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(put_commit(*store, "a", "1").has_value());
  auto r = *store->begin_read();
  auto w = *store->begin();
  store.reset();
  EXPECT_EQ(*get_string(*r, "a"), "1");
  ASSERT_TRUE(put_string(*w, "b", "2").has_value());
  ASSERT_TRUE(w->commit().has_value());
  w.reset();
  r.reset();
  store = open_store(tmp / "seal");
  EXPECT_EQ(read(*store, "b"), "2");
}

TEST(SqliteStoreTest, NotADatabaseIsDataLoss) {
  TempDir tmp;
  fs::create_directory(tmp / "seal");
  {
    std::ofstream f(tmp / "seal" / "state.db", std::ios::binary);
    f << std::string(4096, 'x');
  }
  auto store = SqliteStore::open(tmp / "seal");
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kDataLoss) << store.error().message;
  EXPECT_NE(store.error().message.find("state.db"), std::string::npos) << store.error().message;
}

TEST(SqliteStoreTest, NewerSchemaIsRefused) {
  TempDir tmp;
  { ASSERT_NE(open_store(tmp / "seal"), nullptr); }
  raw_exec(tmp / "seal" / "state.db", "PRAGMA user_version=99");
  auto store = SqliteStore::open(tmp / "seal");
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(store.error().message.find("schema version 99"), std::string::npos);
}

// The database file belongs to the host: whatever it adds to the schema is refused at open, and
// triggers or views it adds later never run inside the Coordinator.
TEST(SqliteStoreTest, PlantedSchemaObjectsAreRefused) {
  struct Case {
    const char* sql;
    const char* named;
  };
  const Case cases[] = {
      {"CREATE TRIGGER evil AFTER INSERT ON kv BEGIN DELETE FROM kv; END", "trigger \"evil\""},
      {"CREATE VIEW spy AS SELECT * FROM kv", "view \"spy\""},
      {"CREATE INDEX byvalue ON kv(value)", "index \"byvalue\""},
      {"CREATE TABLE extra(x)", "table \"extra\""},
  };
  for (const Case& c : cases) {
    TempDir tmp;
    { ASSERT_NE(open_store(tmp / "seal"), nullptr); }
    raw_exec(tmp / "seal" / "state.db", c.sql);
    auto store = SqliteStore::open(tmp / "seal");
    ASSERT_FALSE(store.has_value()) << c.sql;
    EXPECT_EQ(store.error().code, ErrorCode::kDataLoss);
    EXPECT_NE(store.error().message.find(c.named), std::string::npos) << store.error().message;
  }
}

TEST(SqliteStoreTest, ATableOfAnotherShapeIsRefused) {
  TempDir tmp;
  fs::create_directory(tmp / "seal");
  raw_exec(tmp / "seal" / "state.db",
           "CREATE TABLE kv(key TEXT PRIMARY KEY, value BLOB); PRAGMA user_version=2");
  auto store = SqliteStore::open(tmp / "seal");
  ASSERT_FALSE(store.has_value());
  EXPECT_NE(store.error().message.find("table \"kv\""), std::string::npos) << store.error().message;
}

// A BLOB key that spells an existing text key would be a second, unreadable row: refused.
TEST(SqliteStoreTest, KeysAreAlwaysText) {
  TempDir tmp;
  { ASSERT_NE(open_store(tmp / "seal"), nullptr); }
  EXPECT_NE(raw_exec_error(tmp / "seal" / "state.db", "INSERT INTO kv VALUES(x'6162', x'01')")
                .find("cannot store BLOB value in TEXT column"),
            std::string::npos);
}

TEST(SqliteStoreTest, TriggersAddedWhileOpenNeverRun) {
  TempDir tmp;
  auto store = open_store(tmp / "seal");
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(put_commit(*store, "a", "1").has_value());
  // The host adds a trigger behind the open store's back.
  raw_exec(tmp / "seal" / "state.db",
           "CREATE TRIGGER evil AFTER INSERT ON kv BEGIN DELETE FROM kv WHERE key = 'a'; END");
  auto txn = store->begin();
  ASSERT_TRUE(txn.has_value());
  // Either the write fails (the schema changed under a connection that refuses triggers) or it
  // succeeds without the trigger running; it never deletes "a".
  if ((*txn)->put("b", as_bytes("2")) && (*txn)->commit()) {
    EXPECT_EQ(read(*store, "a"), "1");
  }
  txn->reset();
  EXPECT_EQ(read(*store, "a"), "1");
  EXPECT_EQ(*store->pragma_for_test("trusted_schema"), "0");
}

TEST(SqliteStoreTest, UncreatableDirectoryIsUnavailable) {
  TempDir tmp;
  { std::ofstream f(tmp / "file"); }
  auto store = SqliteStore::open(tmp / "file" / "seal");
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kUnavailable) << store.error().message;
  EXPECT_FALSE(SqliteStore::open("").has_value());
}

TEST(SqliteStoreTest, WriterLockedByAnotherProcessIsUnavailable) {
  TempDir tmp;
  // Two stores on one file behave like two processes: the second writer waits for the busy
  // timeout, then fails with kUnavailable; its readers are not blocked.
  auto first = open_store(tmp / "seal");
  auto second = open_store(tmp / "seal", {.busy_timeout = std::chrono::milliseconds(50)});
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(put_commit(*first, "a", "1").has_value());
  auto holder = *first->begin();
  auto blocked = second->begin();
  ASSERT_FALSE(blocked.has_value());
  EXPECT_EQ(blocked.error().code, ErrorCode::kUnavailable) << blocked.error().message;
  EXPECT_NE(blocked.error().message.find("locked"), std::string::npos) << blocked.error().message;
  EXPECT_EQ(read(*second, "a"), "1");
  holder.reset();
  EXPECT_TRUE(put_commit(*second, "a", "2").has_value());
  EXPECT_EQ(read(*first, "a"), "2");
}

// A child process commits in a loop and reports each commit on a pipe; the parent SIGKILLs it
// mid-stream. The database must then open and hold exactly a prefix of the commits, each whole.
TEST(SqliteStoreCrashTest, SigkillLeavesAConsistentPrefix) {
  constexpr std::uint64_t kAcksBeforeKill = 20;
  constexpr int kBatch = 16;
  TempDir tmp;
  const fs::path dir = tmp / "seal";
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    auto store = SqliteStore::open(dir);
    if (!store) ::_exit(2);
    const std::string filler(3000, 'f');  // records span several pages
    for (std::uint64_t i = 1;; ++i) {
      auto txn = (*store)->begin();
      if (!txn) ::_exit(3);
      bool ok = put_u64_le(**txn, "counter", i).has_value();
      char key[32];
      std::snprintf(key, sizeof key, "rec:%08llu", static_cast<unsigned long long>(i));
      ok = ok && put_string(**txn, key, std::to_string(i) + filler).has_value();
      for (int j = 0; j < kBatch; ++j) {
        ok = ok && put_string(**txn, "batch:" + std::to_string(j), std::to_string(i)).has_value();
      }
      if (!ok || !(*txn)->commit()) ::_exit(4);
      if (::write(fds[1], &i, sizeof i) != sizeof i) ::_exit(5);
    }
  }
  ::close(fds[1]);
  std::uint64_t acked = 0;
  std::uint64_t n = 0;
  while (acked < kAcksBeforeKill && ::read(fds[0], &n, sizeof n) == sizeof n)
    acked = n;
  ::kill(pid, SIGKILL);
  while (::read(fds[0], &n, sizeof n) == sizeof n)
    acked = n;  // drain
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with status " << WEXITSTATUS(status);
  ASSERT_GE(acked, kAcksBeforeKill);

  auto store = open_store(dir);
  ASSERT_NE(store, nullptr);
  auto r = *store->begin_read();
  auto counter = get_u64_le(*r, "counter");
  ASSERT_TRUE(counter.has_value());
  ASSERT_TRUE(counter->has_value());
  const std::uint64_t c = **counter;
  EXPECT_GE(c, acked) << "an acknowledged commit was lost";
  EXPECT_LE(c, acked + 1);
  auto recs = list_names(*r, "rec:");
  ASSERT_TRUE(recs.has_value());
  ASSERT_EQ(recs->size(), c);
  for (std::uint64_t i = 1; i <= c; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "rec:%08llu", static_cast<unsigned long long>(i));
    auto v = get_string(*r, key);
    ASSERT_TRUE(v.has_value() && v->has_value()) << key;
    EXPECT_TRUE((*v)->starts_with(std::to_string(i) + "f")) << key;
  }
  for (int j = 0; j < kBatch; ++j) {
    EXPECT_EQ(*get_string(*r, "batch:" + std::to_string(j)), std::to_string(c));
  }
}

}  // namespace
}  // namespace mr::store
