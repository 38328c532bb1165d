#pragma once
// A raw HTTPS/1.1 test client on OpenSSL: no certificate verification, optional client
// certificate, exact control over what is sent (chunked bodies, lying Content-Length, silence).

#include <openssl/ssl.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace mr::api::rest::testing {

struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};

struct RawResponse {
  int status = 0;
  std::multimap<std::string, std::string, CaseInsensitiveLess> headers;
  std::string body;
  [[nodiscard]] std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct ClientCertificate {
  std::string cert_pem;
  std::string key_pem;
  // chain_pem: further certificates (PEM, in order) sent after the leaf in the TLS Certificate
  // message, whether or not they chain (e.g. someone else's certificate appended).
  std::string chain_pem;
};

class TlsConnection {
 public:
  // connect opens a TLS connection to 127.0.0.1:|port|; nullptr if TCP or TLS fails.
  static std::unique_ptr<TlsConnection> connect(
      int port, const ClientCertificate* client = nullptr,
      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~TlsConnection();

  bool send(std::string_view data);
  // read_response reads one response (Content-Length or chunked framing); nullopt on EOF/error.
  std::optional<RawResponse> read_response();
  // at_eof reports whether the server closed the connection (waits up to the timeout).
  bool at_eof();
  // server_certificate_der is the leaf the server presented.
  [[nodiscard]] Bytes server_certificate_der() const;
  [[nodiscard]] int peer_chain_length() const;

 private:
  TlsConnection() = default;
  bool fill();  // reads more bytes into buf_; false on EOF/error
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buf_;
};

// request sends one request with "Connection: close" and reads the response.
std::optional<RawResponse> request(int port, std::string_view method, std::string_view target,
                                   std::string_view body = {}, std::string_view extra_headers = {},
                                   const ClientCertificate* client = nullptr);

// read_file returns a file's content (test data); empty on error.
std::string read_file(const std::string& path);

// tcp_connect opens a plain TCP connection to 127.0.0.1:|port| (-1 on failure).
int tcp_connect(int port);

}  // namespace mr::api::rest::testing
