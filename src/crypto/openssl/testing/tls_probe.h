#pragma once
// A raw OpenSSL TLS client for tests of server TLS policy: offers exactly the versions and
// suites asked for (security level 0, so that a refusal is the server's and not the client's),
// optionally a client certificate and ALPN h2, and can try a renegotiation. Header-only, for
// tests that link mr_crypto_openssl (which brings OpenSSL::SSL).
//
//   TlsProbe p;
//   p.max_version = TLS1_2_VERSION;
//   p.tls12_ciphers = "ECDHE-ECDSA-AES128-SHA";
//   EXPECT_FALSE(tls_probe(port, p).handshake);

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <string>

namespace mr::ossl::testing {

struct TlsProbe {
  int min_version = 0;  // 0: the lowest the library has
  int max_version = 0;  // 0: the highest
  // tls12_ciphers: OpenSSL cipher string for TLS 1.2 and older ("" = every suite, "ALL").
  std::string tls12_ciphers;
  // tls13_suites: TLS 1.3 suites ("" = OpenSSL's default three).
  std::string tls13_suites;
  std::string cert_pem, key_pem;  // client certificate (none if empty)
  bool alpn_h2 = false;
  // read_first: after the handshake, wait for the server's first bytes (gRPC sends its HTTP/2
  // SETTINGS at once; in TLS 1.3 a refused client certificate only shows here).
  bool read_first = false;
  // try_renegotiation: after the handshake (TLS 1.2), ask for a renegotiation.
  bool try_renegotiation = false;
  // sni: server name sent (empty: none).
  std::string sni = "localhost";
};

struct TlsProbeResult {
  bool connected = false;     // TCP connection made
  bool handshake = false;     // the handshake completed (and read_first got data, if asked)
  std::string version;        // "TLSv1.2", "TLSv1.3"
  std::string cipher;         // OpenSSL name of the negotiated suite
  bool renegotiated = false;  // a renegotiation completed (try_renegotiation)
  std::string error;          // OpenSSL's error queue when the handshake failed
};

namespace detail {
inline std::string drain() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}
}  // namespace detail

// tls_probe connects to 127.0.0.1:|port| and runs one handshake as |p| says (5 s timeouts).
// Ignores SIGPIPE process-wide (test processes only).
inline TlsProbeResult tls_probe(int port, const TlsProbe& p) {
  TlsProbeResult r;
  std::signal(SIGPIPE, SIG_IGN);  // a server that hangs up must not end the test process
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_security_level(ctx, 0);
  SSL_CTX_set_min_proto_version(ctx, p.min_version);
  SSL_CTX_set_max_proto_version(ctx, p.max_version);
  const std::string ciphers = (p.tls12_ciphers.empty() ? "ALL" : p.tls12_ciphers) + ":@SECLEVEL=0";
  if (SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1) r.error = "bad tls12_ciphers";
  if (!p.tls13_suites.empty() && SSL_CTX_set_ciphersuites(ctx, p.tls13_suites.c_str()) != 1) {
    r.error = "bad tls13_suites";
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT);
  if (p.alpn_h2) {
    static const unsigned char kAlpn[] = {2, 'h', '2'};
    SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof kAlpn);
  }
  if (!p.cert_pem.empty()) {
    BIO* cb = BIO_new_mem_buf(p.cert_pem.data(), static_cast<int>(p.cert_pem.size()));
    X509* x = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
    BIO* kb = BIO_new_mem_buf(p.key_pem.data(), static_cast<int>(p.key_pem.size()));
    EVP_PKEY* k = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
    if (x == nullptr || k == nullptr || SSL_CTX_use_certificate(ctx, x) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, k) != 1) {
      r.error = "bad client certificate";
    }
    X509_free(x);
    EVP_PKEY_free(k);
    BIO_free(cb);
    BIO_free(kb);
  }
  if (!r.error.empty()) {
    SSL_CTX_free(ctx);
    return r;
  }
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    r.connected = true;
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (!p.sni.empty()) SSL_set_tlsext_host_name(ssl, p.sni.c_str());
    if (SSL_connect(ssl) == 1) {
      r.version = SSL_get_version(ssl);
      r.cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl));
      r.handshake = true;
      if (p.read_first) {
        char buf[1];
        r.handshake = SSL_peek(ssl, buf, 1) > 0;
      }
      if (r.handshake && p.try_renegotiation) {
        // Drain what the server already sent, then ask; a server that refuses answers with a
        // no_renegotiation alert (fatal for the client), one that accepts completes it.
        if (p.read_first) {
          char buf[4096];
          SSL_read(ssl, buf, static_cast<int>(SSL_pending(ssl) > 0 ? SSL_pending(ssl) : 1));
        }
        r.renegotiated = SSL_renegotiate(ssl) == 1 && SSL_do_handshake(ssl) == 1;
      }
    }
    if (!r.handshake) r.error = detail::drain();
    SSL_free(ssl);
  }
  ERR_clear_error();
  close(fd);
  SSL_CTX_free(ctx);
  return r;
}

}  // namespace mr::ossl::testing
