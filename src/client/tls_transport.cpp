#include "client/tls_transport.h"

#include <fcntl.h>
#include <httplib.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "base/strings.h"
#include "crypto/keys.h"
#include "crypto/openssl/ossl.h"
#include "crypto/pem.h"
#include "crypto/x509.h"

namespace mr::client {
namespace {

// pin_index is the X509_STORE ex_data slot holding the pinned root's DER (a const Bytes*).
int pin_index() {
  static const int index = X509_STORE_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// verify_pinned runs for every certificate OpenSSL checks; at depth 0 (the server's leaf) it
// insists on the pinned root itself, so no other certificate chaining to the root (an
// intermediate-signed Marble certificate, say) can stand in for the Coordinator.
int verify_pinned(int ok, X509_STORE_CTX* ctx) {
  if (X509_STORE_CTX_get_error_depth(ctx) != 0) return ok;
  X509_STORE* store = X509_STORE_CTX_get0_store(ctx);
  const auto* pinned = static_cast<const Bytes*>(X509_STORE_get_ex_data(store, pin_index()));
  X509* leaf = X509_STORE_CTX_get_current_cert(ctx);
  if (pinned == nullptr || leaf == nullptr || ossl::to_der(i2d_X509, leaf) != *pinned) {
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  return ok;
}

Result<ossl::Ptr<X509>> x509_from_der(ByteSpan der) {
  const unsigned char* p = der.data();
  ossl::Ptr<X509> x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x) return ossl::fail("loading a certificate into OpenSSL", ErrorCode::kInvalidArgument);
  return x;
}

Result<std::string> read_text(const std::filesystem::path& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return failf(ErrorCode::kNotFound, "cannot read the {} file {}", what, path.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// names_of lists a certificate's DNS and IP SANs for messages.
std::string names_of(ByteSpan der) {
  auto cert = crypto::Certificate::from_der(der);
  if (!cert) return "unknown";
  std::vector<std::string> names = cert->dns_names();
  for (const IpAddress& ip : cert->ip_addresses())
    names.push_back(ip.to_string());
  return names.empty() ? "none" : join(names, ", ");
}

// Socket is an owned file descriptor.
struct Socket {
  int fd = -1;
  Socket() = default;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd >= 0) ::close(fd);
  }
};

struct AddrinfoFree {
  void operator()(addrinfo* p) const noexcept { freeaddrinfo(p); }
};

// connect_with_timeout connects |sock| to |ai| within |timeout|: 0 or the errno of the failure
// (ETIMEDOUT when nothing answered in time).
int connect_with_timeout(Socket& sock, const addrinfo* ai, std::chrono::seconds timeout) {
  sock.fd =
      ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (sock.fd < 0) return errno;
  if (::connect(sock.fd, ai->ai_addr, ai->ai_addrlen) == 0) return 0;
  if (errno != EINPROGRESS) return errno;
  pollfd p{sock.fd, POLLOUT, 0};
  const int n = ::poll(&p, 1, static_cast<int>(timeout.count() * 1000));
  if (n == 0) return ETIMEDOUT;
  if (n < 0) return errno;
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(sock.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

// diagnose finds out why a request to |a| failed below HTTP, so that the error says what is
// wrong at once: the host name does not resolve (kNotFound), nothing listens on the port
// (kUnavailable: the Coordinator may be starting), no answer (kDeadlineExceeded), the port does
// not speak TLS or is the Marble API's gRPC port (kFailedPrecondition). nullopt when none of
// these shows.
std::optional<Error> diagnose(const CoordinatorAddress& a, std::chrono::seconds timeout) {
  const std::string where = a.to_string();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  const std::string port = std::to_string(a.port);
  const int gai = ::getaddrinfo(a.host.c_str(), port.c_str(), &hints, &raw);
  std::unique_ptr<addrinfo, AddrinfoFree> list(raw);
  if (gai != 0) {
    const bool temporary = gai == EAI_AGAIN;
    return Error{temporary ? ErrorCode::kUnavailable : ErrorCode::kNotFound,
                 fmt::format("cannot resolve the host name \"{}\" of {}: {}{}", a.host, where,
                             gai == EAI_SYSTEM ? std::strerror(errno) : gai_strerror(gai),
                             temporary ? "" : " (is the address right?)")};
  }
  Socket sock;
  int err = ECONNREFUSED;
  for (const addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
    Socket attempt;
    err = connect_with_timeout(attempt, ai, timeout);
    if (err == 0) {
      std::swap(sock.fd, attempt.fd);
      break;
    }
  }
  if (err == ECONNREFUSED) {
    return Error{ErrorCode::kUnavailable,
                 fmt::format("the Coordinator at {} refused the connection: nothing listens on "
                             "port {} (is the Coordinator running, and is {} its client API "
                             "port, 4433 by default?)",
                             where, a.port, a.port)};
  }
  if (err == ETIMEDOUT) {
    return Error{ErrorCode::kDeadlineExceeded,
                 fmt::format("connecting to the Coordinator at {} timed out after {}s: nothing "
                             "answered (is the address right? a firewall?)",
                             where, timeout.count())};
  }
  if (err != 0) {
    return Error{ErrorCode::kUnavailable, fmt::format("cannot connect to the Coordinator at {}: {}",
                                                      where, std::strerror(err))};
  }
  // Connected: what does the server say to a TLS handshake that offers HTTP/2 (gRPC) and 1.1?
  timeval tv{static_cast<time_t>(timeout.count()), 0};
  if (::setsockopt(sock.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
      ::setsockopt(sock.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
    return std::nullopt;
  }
  {
    const int fl = fcntl(sock.fd, F_GETFL);
    if (fl < 0 || fcntl(sock.fd, F_SETFL, fl & ~O_NONBLOCK) != 0) return std::nullopt;
  }
  ossl::Ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return std::nullopt;
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  static const unsigned char kAlpn[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(ctx.get(), kAlpn, sizeof(kAlpn));
  ossl::Ptr<SSL> ssl(SSL_new(ctx.get()));
  if (!ssl || SSL_set_fd(ssl.get(), sock.fd) != 1) return std::nullopt;
  ossl::clear_errors();
  const int rc = SSL_connect(ssl.get());
  const unsigned long e = ERR_peek_last_error();
  const int reason = rc == 1 ? 0 : ERR_GET_REASON(e);
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  if (rc == 1) SSL_get0_alpn_selected(ssl.get(), &alpn, &alpn_len);
  ossl::clear_errors();
  const Error grpc{ErrorCode::kFailedPrecondition,
                   fmt::format("{} is not the Coordinator's client API: it speaks gRPC (HTTP/2) "
                               "and wants a client certificate, like the Marble API (port 2001 "
                               "by default); the client API is on port 4433 by default "
                               "(EDG_COORDINATOR_CLIENT_ADDR)",
                               where)};
  if (rc == 1 && std::string_view(reinterpret_cast<const char*>(alpn), alpn_len) == "h2") {
    return grpc;
  }
  if (rc != 1 && (reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED ||
                  reason == SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE ||
                  reason == SSL_R_SSLV3_ALERT_BAD_CERTIFICATE)) {
    return grpc;
  }
  if (rc != 1 && (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
                  reason == SSL_R_UNKNOWN_PROTOCOL || reason == SSL_R_UNEXPECTED_RECORD)) {
    return Error{ErrorCode::kFailedPrecondition,
                 fmt::format("{} does not speak TLS, so it is not the Coordinator's client API "
                             "(port 4433 by default; the Prometheus metrics port, for one, "
                             "serves plain HTTP)",
                             where)};
  }
  return std::nullopt;
}

class HttplibTransport final : public HttpTransport {
 public:
  static Result<std::unique_ptr<HttplibTransport>> create(TlsTransportConfig config) {
    auto t = std::unique_ptr<HttplibTransport>(new HttplibTransport(std::move(config)));
    MR_RETURN_IF_ERROR(t->init());
    return t;
  }

  Result<HttpResponse> send(const HttpRequest& request) override {
    httplib::Result res =
        request.method == HttpMethod::kGet
            ? client_->Get(request.target.c_str())
            : client_->Post(request.target.c_str(), request.body, "application/json");
    if (!res) {
      const httplib::Error e = res.error();
      if (e == httplib::Error::Connection || e == httplib::Error::SSLConnection ||
          e == httplib::Error::Read || e == httplib::Error::Write) {
        ossl::clear_errors();
        if (auto why = diagnose(config_.address, config_.connect_timeout)) return fail(*why);
      }
      return fail(transport_error(e));
    }
    ossl::clear_errors();
    return HttpResponse{res->status, res->body};
  }

 private:
  explicit HttplibTransport(TlsTransportConfig config) : config_(std::move(config)) {
    if (config_.pinned_root_der) pinned_ = *config_.pinned_root_der;
  }

  Status init() {
    const CoordinatorAddress& a = config_.address;
    if (config_.identity && !config_.identity->cert_chain_der.empty()) {
      MR_ASSIGN_OR_RETURN(ossl::Ptr<X509> leaf, x509_from_der(config_.identity->cert_chain_der[0]));
      const unsigned char* p = config_.identity->key_pkcs8_der.data();
      ossl::Ptr<EVP_PKEY> key(d2i_AutoPrivateKey(
          nullptr, &p, static_cast<long>(config_.identity->key_pkcs8_der.size())));
      if (!key)
        return ossl::fail("loading the client key into OpenSSL", ErrorCode::kInvalidArgument);
      client_ = std::make_unique<httplib::SSLClient>(a.host, a.port, leaf.get(), key.get());
      if (client_->is_valid()) {
        for (std::size_t i = 1; i < config_.identity->cert_chain_der.size(); ++i) {
          MR_ASSIGN_OR_RETURN(ossl::Ptr<X509> extra,
                              x509_from_der(config_.identity->cert_chain_der[i]));
          if (SSL_CTX_add1_chain_cert(client_->ssl_context(), extra.get()) != 1) {
            return ossl::fail("adding the client certificate chain");
          }
        }
      }
    } else {
      client_ = std::make_unique<httplib::SSLClient>(a.host, a.port);
    }
    if (!client_->is_valid()) return ossl::fail("setting up TLS (is the client key valid?)");
    SSL_CTX_set_min_proto_version(client_->ssl_context(), TLS1_2_VERSION);
    client_->set_connection_timeout(config_.connect_timeout);
    client_->set_read_timeout(config_.read_timeout);
    client_->set_write_timeout(config_.read_timeout);
    if (!config_.pinned_root_der) {
      client_->enable_server_certificate_verification(false);
      return ok();
    }
    MR_ASSIGN_OR_RETURN(ossl::Ptr<X509> root, x509_from_der(pinned_));
    ossl::Ptr<X509_STORE> store(X509_STORE_new());
    if (!store || X509_STORE_add_cert(store.get(), root.get()) != 1 ||
        X509_STORE_set_ex_data(store.get(), pin_index(), &pinned_) != 1) {
      return ossl::fail("setting up the pinned root certificate");
    }
    X509_STORE_set_verify_cb(store.get(), verify_pinned);
    client_->set_ca_cert_store(store.release());  // the SSL_CTX owns it now
    client_->enable_server_certificate_verification(true);
    return ok();
  }

  Error transport_error(httplib::Error e) const {
    const std::string where = config_.address.to_string();
    switch (e) {
      case httplib::Error::Connection:
        ossl::clear_errors();
        return Error{ErrorCode::kUnavailable,
                     fmt::format("cannot connect to the Coordinator at {}", where)};
      case httplib::Error::ConnectionTimeout:
        ossl::clear_errors();
        return Error{ErrorCode::kUnavailable,
                     fmt::format("connecting to the Coordinator at {} timed out", where)};
      case httplib::Error::SSLConnection: {
        std::string detail = ossl::drain_errors();
        return Error{ErrorCode::kUnavailable,
                     fmt::format("TLS handshake with the Coordinator at {} failed{}{}", where,
                                 detail.empty() ? "" : ": ", detail)};
      }
      case httplib::Error::SSLServerVerification: {
        ossl::clear_errors();
        const long result = client_->get_openssl_verify_result();
        if (result == X509_V_ERR_APPLICATION_VERIFICATION) {
          return Error{ErrorCode::kPermissionDenied,
                       fmt::format("the Coordinator at {} presented a TLS certificate that is not "
                                   "the pinned root certificate",
                                   where)};
        }
        if (result != X509_V_OK) {
          return Error{
              ErrorCode::kPermissionDenied,
              fmt::format("the TLS certificate of the Coordinator at {} does not verify: {}", where,
                          X509_verify_cert_error_string(result))};
        }
        return Error{ErrorCode::kPermissionDenied,
                     fmt::format("the Coordinator's certificate is not valid for the host name {} "
                                 "(its names: {}); connect through one of those names, or add {} "
                                 "to the Coordinator's EDG_COORDINATOR_DNS_NAMES",
                                 config_.address.host, names_of(pinned_), config_.address.host)};
      }
      case httplib::Error::Read:
        ossl::clear_errors();
        return Error{ErrorCode::kDeadlineExceeded,
                     fmt::format("no answer from the Coordinator at {} (the connection closed, or "
                                 "nothing came within {}s)",
                                 where, config_.read_timeout.count())};
      case httplib::Error::Write:
        ossl::clear_errors();
        return Error{ErrorCode::kInternal,
                     fmt::format("sending the request to the Coordinator at {} failed", where)};
      default:
        ossl::clear_errors();
        return Error{ErrorCode::kInternal,
                     fmt::format("request to the Coordinator at {} failed: {}", where,
                                 httplib::to_string(e))};
    }
  }

  TlsTransportConfig config_;
  Bytes pinned_;  // referenced by the X509_STORE's ex_data: declared before client_
  std::unique_ptr<httplib::SSLClient> client_;
};

}  // namespace

Result<ClientIdentity> parse_client_identity(std::string_view cert_pem,
                                             const SecretBytes& key_pem) {
  ClientIdentity id;
  for (crypto::PemBlock& block : crypto::pem_decode_all(cert_pem)) {
    if (block.type == "CERTIFICATE") id.cert_chain_der.push_back(std::move(block.der));
  }
  if (id.cert_chain_der.empty()) {
    return fail(ErrorCode::kInvalidArgument, "no CERTIFICATE PEM block in the client certificate");
  }
  auto leaf = crypto::Certificate::from_der(id.cert_chain_der[0]);
  if (!leaf) return fail(std::move(leaf).error().wrap("parsing the client certificate"));
  auto key = crypto::PrivateKey::from_pem(key_pem.view());
  if (!key) return fail(std::move(key).error().wrap("parsing the client key"));
  if (!(key->public_key() == leaf->public_key())) {
    return fail(ErrorCode::kInvalidArgument,
                "the client key does not belong to the client certificate");
  }
  id.key_pkcs8_der = key->to_pkcs8_der();
  return id;
}

Result<ClientIdentity> load_client_identity(const std::filesystem::path& cert_file,
                                            const std::filesystem::path& key_file) {
  MR_ASSIGN_OR_RETURN(std::string cert, read_text(cert_file, "client certificate"));
  MR_ASSIGN_OR_RETURN(std::string key_text, read_text(key_file, "client key"));
  SecretBytes key(to_bytes(key_text));
  secure_wipe(key_text.data(), key_text.size());
  return parse_client_identity(cert, key).map_error([&](Error e) {
    return std::move(e).wrap(fmt::format("loading the client certificate {} and key {}",
                                         cert_file.string(), key_file.string()));
  });
}

Result<std::unique_ptr<HttpTransport>> make_tls_transport(TlsTransportConfig config) {
  MR_ASSIGN_OR_RETURN(std::unique_ptr<HttplibTransport> t,
                      HttplibTransport::create(std::move(config)));
  return std::unique_ptr<HttpTransport>(std::move(t));
}

}  // namespace mr::client
