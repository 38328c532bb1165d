#pragma once
// What every Marble app needs to talk mutual TLS inside a MarbleRun mesh, using nothing but what
// the Coordinator handed it at activation (spec 1.3):
//   MARBLE_PREDEFINED_MARBLE_CERTIFICATE_CHAIN  its leaf certificate + the Coordinator intermediate
//   MARBLE_PREDEFINED_PRIVATE_KEY               the leaf's key (PKCS#8 PEM)
//   MARBLE_PREDEFINED_ROOT_CA                   the Marble root: the ONLY trust anchor
// plus a shared secret from the manifest, written to a file by marblerun-premain.
//
// Plain OpenSSL, no MarbleRun code: any app can do this. Errors end the process with one line.

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace demo {

// The extension the Coordinator puts in every Marble certificate: the Marble type (spec 8.4).
inline constexpr const char* kMarbleTypeOid = "1.3.9903.2.1";

[[noreturn]] inline void die(const std::string& who, const std::string& what) {
  std::string detail;
  if (const unsigned long e = ERR_get_error(); e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    detail = std::string(" (") + buf + ")";
  }
  std::fprintf(stderr, "[%s] error: %s%s\n", who.c_str(), what.c_str(), detail.c_str());
  std::exit(1);
}

inline std::string env(const std::string& who, const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0')
    die(who, std::string(name) + " is not set (not started through marblerun-premain?)");
  return v;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};
using Ctx = std::unique_ptr<SSL_CTX, CtxFree>;
using Ssl = std::unique_ptr<SSL, SslFree>;
using Cert = std::unique_ptr<X509, X509Free>;

inline std::vector<Cert> read_certs(const std::string& who, const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::vector<Cert> out;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
    out.emplace_back(x);
  ERR_clear_error();  // the end of the input
  if (out.empty()) die(who, "no certificate in PEM input");
  return out;
}

inline std::string subject_of(X509* cert) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

inline std::string issuer_of(X509* cert) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_issuer_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// marble_type_of returns the Marble type in |cert|'s MarbleRun extension ("" if absent).
inline std::string marble_type_of(X509* cert) {
  ASN1_OBJECT* oid = OBJ_txt2obj(kMarbleTypeOid, 1);
  const int idx = X509_get_ext_by_OBJ(cert, oid, -1);
  ASN1_OBJECT_free(oid);
  if (idx < 0) return "";
  const ASN1_OCTET_STRING* v = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(v)),
                     static_cast<std::size_t>(ASN1_STRING_length(v)));
}

enum class Role { kServer, kClient };

// make_context builds a TLS 1.3 context with the Marble's identity that trusts only the Marble
// root and requires (and verifies) the peer's certificate.
inline Ctx make_context(const std::string& who, Role role) {
  Ctx ctx(SSL_CTX_new(role == Role::kServer ? TLS_server_method() : TLS_client_method()));
  if (!ctx) die(who, "SSL_CTX_new");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);

  auto chain = read_certs(who, env(who, "MARBLE_PREDEFINED_MARBLE_CERTIFICATE_CHAIN"));
  if (SSL_CTX_use_certificate(ctx.get(), chain[0].get()) != 1) die(who, "loading my certificate");
  for (std::size_t i = 1; i < chain.size(); ++i) {
    if (SSL_CTX_add1_chain_cert(ctx.get(), chain[i].get()) != 1) die(who, "loading my chain");
  }
  const std::string key_pem = env(who, "MARBLE_PREDEFINED_PRIVATE_KEY");
  std::unique_ptr<BIO, BioFree> kb(
      BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
  if (!key || SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1 ||
      SSL_CTX_check_private_key(ctx.get()) != 1) {
    die(who, "loading my private key");
  }

  // The only trust anchor: no system CAs are loaded.
  X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
  for (auto& root : read_certs(who, env(who, "MARBLE_PREDEFINED_ROOT_CA"))) {
    if (X509_STORE_add_cert(store, root.get()) != 1) die(who, "loading MARBLE_PREDEFINED_ROOT_CA");
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);

  std::printf("[%s] my certificate: subject \"%s\", issuer \"%s\", marble type \"%s\"\n",
              who.c_str(), subject_of(chain[0].get()).c_str(), issuer_of(chain[0].get()).c_str(),
              marble_type_of(chain[0].get()).c_str());
  return ctx;
}

// check_peer requires a verified peer certificate of the expected Marble type.
inline void check_peer(const std::string& who, SSL* ssl, const std::string& expected_type) {
  if (SSL_get_verify_result(ssl) != X509_V_OK) die(who, "peer certificate did not verify");
  Cert peer(SSL_get1_peer_certificate(ssl));
  if (!peer) die(who, "the peer sent no certificate");
  const std::string type = marble_type_of(peer.get());
  if (type != expected_type) {
    die(who, "the peer is a \"" + type + "\" Marble, expected \"" + expected_type + "\"");
  }
  std::printf(
      "[%s] peer certificate: subject \"%s\", marble type \"%s\" (verified against "
      "MARBLE_PREDEFINED_ROOT_CA, %s)\n",
      who.c_str(), subject_of(peer.get()).c_str(), type.c_str(), SSL_get_version(ssl));
}

// shared_key reads the hex key the Coordinator rendered into DEMO_SHARED_KEY_FILE.
inline std::vector<unsigned char> shared_key(const std::string& who) {
  const std::string path = env(who, "DEMO_SHARED_KEY_FILE");
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string hex = ss.str();
  if (!in || hex.size() != 64) die(who, "cannot read a 256-bit hex key from " + path);
  std::vector<unsigned char> key(32);
  for (std::size_t i = 0; i < key.size(); ++i) {
    key[i] = static_cast<unsigned char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  }
  struct stat st {};
  ::stat(path.c_str(), &st);
  std::printf("[%s] shared key: %s (mode %04o, %zu bytes, from the manifest's shared_key secret)\n",
              who.c_str(), path.c_str(), st.st_mode & 07777, key.size());
  return key;
}

// mac returns hex(HMAC-SHA256(key, message)).
inline std::string mac(const std::vector<unsigned char>& key, const std::string& message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &n);
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < n; ++i) {
    hex += digits[out[i] >> 4];
    hex += digits[out[i] & 15];
  }
  return hex;
}

// send_line / read_line exchange one '\n'-terminated line.
inline void send_line(const std::string& who, SSL* ssl, const std::string& line) {
  const std::string data = line + "\n";
  if (SSL_write(ssl, data.data(), static_cast<int>(data.size())) != static_cast<int>(data.size())) {
    die(who, "TLS write failed");
  }
}
inline std::string read_line(const std::string& who, SSL* ssl) {
  std::string line;
  char c = 0;
  while (line.size() < 65536) {
    const int n = SSL_read(ssl, &c, 1);
    if (n <= 0) die(who, "TLS read failed");
    if (c == '\n') return line;
    line += c;
  }
  die(who, "line too long");
}

}  // namespace demo
