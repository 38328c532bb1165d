#include "store/sqlite/sqlite_util.h"

#include <fmt/format.h>

#include <climits>

namespace mr::store::sqlite {

ErrorCode error_code_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      return ErrorCode::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorCode::kDataLoss;
    case SQLITE_FULL:
    case SQLITE_TOOBIG:
      return ErrorCode::kResourceExhausted;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return ErrorCode::kPermissionDenied;
    default:
      return ErrorCode::kInternal;
  }
}

Error error(sqlite3* db, int rc, std::string_view what) {
  const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Error{error_code_for(rc), fmt::format("{}: {} (sqlite error {})", what, msg, rc)};
}

Result<StmtPtr> prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return fail(error(db, rc, fmt::format("preparing \"{}\"", sql)));
  return stmt;
}

Status exec(sqlite3* db, const char* sql, std::string_view what) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return fail(error(db, rc, what));
  return ok();
}

Status bind_text(sqlite3_stmt* stmt, int index, std::string_view text) {
  if (text.size() > static_cast<std::size_t>(INT_MAX)) {
    return fail(ErrorCode::kResourceExhausted, "key too large");
  }
  int rc =
      sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  if (rc != SQLITE_OK) return fail(error(sqlite3_db_handle(stmt), rc, "binding key"));
  return ok();
}

Status bind_blob(sqlite3_stmt* stmt, int index, ByteSpan blob) {
  if (blob.size() > static_cast<std::size_t>(INT_MAX)) {
    return fail(ErrorCode::kResourceExhausted, "value too large");
  }
  // A null pointer would bind SQL NULL; an empty value must stay an empty blob.
  static constexpr std::uint8_t kEmpty = 0;
  const void* data = blob.empty() ? &kEmpty : blob.data();
  int rc = sqlite3_bind_blob(stmt, index, data, static_cast<int>(blob.size()), SQLITE_STATIC);
  if (rc != SQLITE_OK) return fail(error(sqlite3_db_handle(stmt), rc, "binding value"));
  return ok();
}

Status step_done(sqlite3_stmt* stmt, std::string_view what) {
  int rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE) return fail(error(sqlite3_db_handle(stmt), rc, what));
  return ok();
}

std::string column_text(sqlite3_stmt* stmt, int col) {
  const unsigned char* p = sqlite3_column_text(stmt, col);
  int n = sqlite3_column_bytes(stmt, col);
  if (p == nullptr || n <= 0) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
}

Bytes column_blob(sqlite3_stmt* stmt, int col) {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, col));
  int n = sqlite3_column_bytes(stmt, col);
  if (p == nullptr || n <= 0) return {};
  return Bytes(p, p + n);
}

}  // namespace mr::store::sqlite
