#pragma once
// TLS to the Coordinator's client API (cpp-httplib on OpenSSL behind this header).
//
//   TlsTransportConfig c{.address = addr, .pinned_root_der = root_der};
//   MR_ASSIGN_OR_RETURN(auto transport, make_tls_transport(std::move(c)));
//   CoordinatorClient client(std::move(transport));
//
// With a pinned root the server must present exactly that certificate as its leaf (the
// Coordinator serves its root certificate, spec 3.1), and the address's host must be one of its
// DNS or IP SANs (Go's hostname verification). Without one, nothing about the server is checked:
// only for fetching the quote before trust is established, or for --insecure.

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "client/address.h"
#include "client/http_transport.h"

namespace mr::client {

// ClientIdentity is a user's TLS client certificate (chain, leaf first) and private key.
struct ClientIdentity {
  std::vector<Bytes> cert_chain_der;
  SecretBytes key_pkcs8_der;
};

// parse_client_identity reads every CERTIFICATE block of |cert_pem| and the first private key
// of |key_pem| ("PRIVATE KEY", "RSA PRIVATE KEY" or "EC PRIVATE KEY"), as Go's
// tls.X509KeyPair does. kInvalidArgument if there is no certificate, the certificate or key does
// not parse, or the key does not belong to the leaf certificate. Never echoes the input.
[[nodiscard]] Result<ClientIdentity> parse_client_identity(std::string_view cert_pem,
                                                           const SecretBytes& key_pem);

// load_client_identity is parse_client_identity on the contents of two PEM files; errors name
// the files (kNotFound when one cannot be read).
[[nodiscard]] Result<ClientIdentity> load_client_identity(const std::filesystem::path& cert_file,
                                                          const std::filesystem::path& key_file);

struct TlsTransportConfig {
  CoordinatorAddress address;
  // pinned_root_der is the Coordinator root certificate (DER) to trust; nullopt = verify nothing.
  std::optional<Bytes> pinned_root_der;
  // identity is presented when the server asks for a client certificate; null = none.
  std::shared_ptr<const ClientIdentity> identity;
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds read_timeout{60};  // also the write timeout
};

// make_tls_transport creates a transport for |config| (no connection is made yet).
// kInvalidArgument if the pinned root or the identity cannot be loaded into OpenSSL; kInternal
// if OpenSSL cannot set up a context. The transport is owned by the caller.
[[nodiscard]] Result<std::unique_ptr<HttpTransport>> make_tls_transport(TlsTransportConfig config);

}  // namespace mr::client
