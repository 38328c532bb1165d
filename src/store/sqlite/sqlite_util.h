#pragma once
// Internal to store/sqlite: RAII owners for sqlite3 handles, error mapping, statement helpers.

#include <sqlite3.h>

#include <memory>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace mr::store::sqlite {

struct CloseDb {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct FinalizeStmt {
  void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};
using DbPtr = std::unique_ptr<sqlite3, CloseDb>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, FinalizeStmt>;

// StmtScope borrows a cached statement and resets it (and clears its bindings) on scope exit, so
// it can be reused and does not hold locks.
class StmtScope {
 public:
  explicit StmtScope(const StmtPtr& stmt) : stmt_(stmt.get()) {}
  ~StmtScope() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StmtScope(const StmtScope&) = delete;
  StmtScope& operator=(const StmtScope&) = delete;
  [[nodiscard]] sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
};

// error_code_for maps a SQLite result code to an ErrorCode: BUSY/LOCKED/IOERR/CANTOPEN/
// PROTOCOL → kUnavailable, CORRUPT/NOTADB → kDataLoss, FULL/TOOBIG → kResourceExhausted,
// READONLY/PERM/AUTH → kPermissionDenied, anything else → kInternal.
[[nodiscard]] ErrorCode error_code_for(int rc);

// error returns an Error for |rc| whose message is "<what>: <sqlite3_errmsg(db)> (<rc name>)";
// |db| may be null (then sqlite3_errstr is used).
[[nodiscard]] Error error(sqlite3* db, int rc, std::string_view what);

// prepare compiles |sql| as a persistent statement on |db|.
[[nodiscard]] Result<StmtPtr> prepare(sqlite3* db, std::string_view sql);

// exec runs |sql| (one or more statements, no results) on |db|.
[[nodiscard]] Status exec(sqlite3* db, const char* sql, std::string_view what);

// bind_text / bind_blob bind parameter |index| (1-based); the data must outlive the step.
[[nodiscard]] Status bind_text(sqlite3_stmt* stmt, int index, std::string_view text);
[[nodiscard]] Status bind_blob(sqlite3_stmt* stmt, int index, ByteSpan blob);

// step_done steps a statement that must finish without rows (SQLITE_DONE).
[[nodiscard]] Status step_done(sqlite3_stmt* stmt, std::string_view what);

// column_text / column_blob copy column |col| of the current row.
[[nodiscard]] std::string column_text(sqlite3_stmt* stmt, int col);
[[nodiscard]] Bytes column_blob(sqlite3_stmt* stmt, int col);

}  // namespace mr::store::sqlite
