#pragma once
// Result<T> and Error: the one way fallible functions report failure.
//
//   mr::Result<int> parse_port(std::string_view s);
//   MR_ASSIGN_OR_RETURN(int port, parse_port(text));            // propagate
//   MR_ASSIGN_OR_RETURN(auto m, load().map_error(mr::Wrap("loading manifest")));  // add context
//   return mr::fail(mr::ErrorCode::kInvalidArgument, "port out of range");

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>

namespace mr {

// Canonical error codes; names, meanings and numbers follow gRPC / absl::StatusCode.
enum class ErrorCode : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,  // the caller's input is malformed, whatever the state
  kDeadlineExceeded = 4,
  kNotFound = 5,  // a named entity does not exist
  kAlreadyExists = 6,
  kPermissionDenied = 7,    // authenticated but not allowed (or attestation refused)
  kResourceExhausted = 8,   // quotas, size limits
  kFailedPrecondition = 9,  // the system is not in the state the operation needs
  kAborted = 10,            // concurrency conflict; retry the whole operation
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,         // an invariant broke or a dependency failed unexpectedly
  kUnavailable = 14,      // transient; retrying may help
  kDataLoss = 15,         // stored data is corrupt or unrecoverable
  kUnauthenticated = 16,  // the caller could not be identified
};

// error_code_name returns the gRPC spelling of |code|, e.g. "INVALID_ARGUMENT".
[[nodiscard]] std::string_view error_code_name(ErrorCode code);

// Error is a code plus a human-readable message. Messages never carry secrets or raw input.
struct Error {
  ErrorCode code = ErrorCode::kUnknown;
  std::string message;

  // wrap returns the same error with "<context>: " prepended (Go's fmt.Errorf("%s: %w") style).
  [[nodiscard]] Error wrap(std::string_view context) const& {
    return Error{code, fmt::format("{}: {}", context, message)};
  }
  [[nodiscard]] Error wrap(std::string_view context) && {
    message = fmt::format("{}: {}", context, message);
    return std::move(*this);
  }
  // with_code returns the same message under another code.
  [[nodiscard]] Error with_code(ErrorCode c) && {
    code = c;
    return std::move(*this);
  }
};

template <class T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

// ok returns a successful Status.
[[nodiscard]] inline Status ok() {
  return {};
}

// fail makes an error value convertible to any Result<T>.
[[nodiscard]] inline tl::unexpected<Error> fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}
[[nodiscard]] inline tl::unexpected<Error> fail(Error e) {
  return tl::unexpected<Error>(std::move(e));
}

// failf is fail with an fmt format string.
template <class... Args>
[[nodiscard]] tl::unexpected<Error> failf(ErrorCode code, fmt::format_string<Args...> f,
                                          Args&&... args) {
  return fail(code, fmt::format(f, std::forward<Args>(args)...));
}

// Wrap is a map_error functor adding context: r.map_error(Wrap("reading seal key")).
struct Wrap {
  std::string_view context;
  Error operator()(Error e) const { return std::move(e).wrap(context); }
};

}  // namespace mr

#define MR_CONCAT_INNER_(a, b) a##b
#define MR_CONCAT_(a, b) MR_CONCAT_INNER_(a, b)

// MR_RETURN_IF_ERROR(expr): evaluates a Status/Result and returns its error from the caller.
#define MR_RETURN_IF_ERROR(expr)                                                          \
  do {                                                                                    \
    auto&& mr_status_ = (expr);                                                           \
    if (!mr_status_) return ::tl::unexpected<::mr::Error>(std::move(mr_status_).error()); \
  } while (0)

// MR_ASSIGN_OR_RETURN(lhs, expr): lhs = *expr, or returns expr's error from the caller.
#define MR_ASSIGN_OR_RETURN(lhs, expr) \
  MR_ASSIGN_OR_RETURN_IMPL_(MR_CONCAT_(mr_result_, __LINE__), lhs, expr)
#define MR_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)                         \
  auto tmp = (expr);                                                      \
  if (!tmp) return ::tl::unexpected<::mr::Error>(std::move(tmp).error()); \
  lhs = std::move(*tmp)
