#include "https_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace mr::api::rest::testing {

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) <
           std::tolower(static_cast<unsigned char>(y));
  });
}

int tcp_connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  // No Nagle: the handshake's last flight and the request would otherwise wait for a delayed
  // ACK (40 ms per request on Linux loopback).
  int yes = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
  return fd;
}

std::unique_ptr<TlsConnection> TlsConnection::connect(int port, const ClientCertificate* client,
                                                      std::chrono::milliseconds timeout) {
  std::unique_ptr<TlsConnection> c(new TlsConnection());
  c->fd_ = tcp_connect(port);
  if (c->fd_ < 0) return nullptr;
  timeval tv{};
  tv.tv_sec = static_cast<long>(timeout.count() / 1000);
  tv.tv_usec = static_cast<long>((timeout.count() % 1000) * 1000);
  setsockopt(c->fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(c->fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  c->ctx_ = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(c->ctx_, SSL_VERIFY_NONE, nullptr);
  if (client != nullptr) {
    BIO* cb = BIO_new_mem_buf(client->cert_pem.data(), static_cast<int>(client->cert_pem.size()));
    X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
    BIO_free(cb);
    BIO* kb = BIO_new_mem_buf(client->key_pem.data(), static_cast<int>(client->key_pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
    BIO_free(kb);
    if (cert == nullptr || key == nullptr || SSL_CTX_use_certificate(c->ctx_, cert) != 1 ||
        SSL_CTX_use_PrivateKey(c->ctx_, key) != 1) {
      X509_free(cert);
      EVP_PKEY_free(key);
      return nullptr;
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    BIO* chain =
        BIO_new_mem_buf(client->chain_pem.data(), static_cast<int>(client->chain_pem.size()));
    while (X509* extra = PEM_read_bio_X509(chain, nullptr, nullptr, nullptr)) {
      const int added = SSL_CTX_add0_chain_cert(c->ctx_, extra);  // takes ownership
      if (added != 1) X509_free(extra);
    }
    ERR_clear_error();  // the read loop ends with a "no start line" error
    BIO_free(chain);
  }
  c->ssl_ = SSL_new(c->ctx_);
  SSL_set_fd(c->ssl_, c->fd_);
  SSL_set_tlsext_host_name(c->ssl_, "localhost");
  if (SSL_connect(c->ssl_) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return c;
}

TlsConnection::~TlsConnection() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

bool TlsConnection::send(std::string_view data) {
  while (!data.empty()) {
    const int n =
        SSL_write(ssl_, data.data(), static_cast<int>(std::min<std::size_t>(data.size(), 1 << 20)));
    if (n <= 0) {
      ERR_clear_error();
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool TlsConnection::fill() {
  char tmp[16384];
  const int n = SSL_read(ssl_, tmp, sizeof(tmp));
  if (n <= 0) {
    ERR_clear_error();
    return false;
  }
  buf_.append(tmp, static_cast<std::size_t>(n));
  return true;
}

bool TlsConnection::at_eof() {
  if (!buf_.empty()) return false;
  return !fill();
}

std::optional<RawResponse> TlsConnection::read_response() {
  std::size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return std::nullopt;
  }
  RawResponse r;
  std::istringstream head(buf_.substr(0, end));
  buf_.erase(0, end + 4);
  std::string line;
  std::getline(head, line);
  if (line.size() < 12) return std::nullopt;
  r.status = std::stoi(line.substr(9, 3));
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    r.headers.emplace(line.substr(0, colon), value);
  }
  if (r.header("Transfer-Encoding") == "chunked") {
    for (;;) {
      std::size_t eol;
      while ((eol = buf_.find("\r\n")) == std::string::npos) {
        if (!fill()) return std::nullopt;
      }
      const std::size_t size = std::stoul(buf_.substr(0, eol), nullptr, 16);
      while (buf_.size() < eol + 2 + size + 2) {
        if (!fill()) return std::nullopt;
      }
      r.body += buf_.substr(eol + 2, size);
      buf_.erase(0, eol + 2 + size + 2);
      if (size == 0) break;
    }
    return r;
  }
  const std::string cl = r.header("Content-Length");
  const std::size_t len = cl.empty() ? 0 : std::stoul(cl);
  while (buf_.size() < len) {
    if (!fill()) return std::nullopt;
  }
  r.body = buf_.substr(0, len);
  buf_.erase(0, len);
  return r;
}

Bytes TlsConnection::server_certificate_der() const {
  X509* cert = SSL_get0_peer_certificate(ssl_);
  if (cert == nullptr) return {};
  unsigned char* out = nullptr;
  const int len = i2d_X509(cert, &out);
  Bytes der(out, out + std::max(len, 0));
  OPENSSL_free(out);
  return der;
}

int TlsConnection::peer_chain_length() const {
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl_);
  return chain == nullptr ? 0 : sk_X509_num(chain);
}

std::optional<RawResponse> request(int port, std::string_view method, std::string_view target,
                                   std::string_view body, std::string_view extra_headers,
                                   const ClientCertificate* client) {
  auto c = TlsConnection::connect(port, client);
  if (!c) return std::nullopt;
  std::string req = std::string(method) + " " + std::string(target) +
                    " HTTP/1.1\r\nHost: localhost\r\n" + "Connection: close\r\n" +
                    std::string(extra_headers);
  if (!body.empty() || method == "POST")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n";
  req += body;
  if (!c->send(req)) return std::nullopt;
  return c->read_response();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace mr::api::rest::testing
