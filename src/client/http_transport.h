#pragma once
// HttpTransport: one HTTP exchange with the Coordinator (the seam between the typed client and
// TLS; tests substitute a fake).
//
//   MR_ASSIGN_OR_RETURN(HttpResponse r, transport.send({HttpMethod::kGet, "/api/v2/status"}));

#include <string>

#include "base/result.h"

namespace mr::client {

enum class HttpMethod { kGet, kPost };

struct HttpRequest {
  HttpMethod method = HttpMethod::kGet;
  std::string target;  // path and query, e.g. "/api/v2/secrets?s=a"
  std::string body;    // POST only
};

struct HttpResponse {
  int status = 0;
  std::string body;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // send performs |request| and returns the response whatever its HTTP status. Errors:
  // kUnavailable when no connection or TLS session could be set up (the request was not sent,
  // so retrying is safe); kPermissionDenied when the server's certificate is refused (not the
  // pinned root, or not valid for the host name); kDeadlineExceeded when no answer came in time;
  // kInternal for anything else. Messages name the Coordinator's address.
  [[nodiscard]] virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

}  // namespace mr::client
