#pragma once
// The Marble API's TLS server credentials for one identity (spec 2.2). Internal to api/grpc.
//
//   MR_ASSIGN_OR_RETURN(auto creds, marble_server_credentials(identity));
//   builder.AddListeningPort(address, creds, &port);
//
// gRPC's TLS credentials with a static identity and no client root certificates: TLS 1.2/1.3,
// ALPN h2, a client certificate required but not verified
// (GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY; only the proof of possession
// is checked, the Core binds the certificate to the quote), and an EMPTY list of acceptable
// client CAs in the CertificateRequest.
//
// Why not a certificate that changes under a running server: in gRPC 1.51 the only way (short of
// the file-watcher provider, which needs the intermediate key in a file) is the SSL credentials'
// certificate config fetcher
// (grpc_ssl_server_credentials_create_options_using_config_fetcher, usable from C++ through a
// ServerCredentials subclass). It works, but C-core then requires client root certificates
// (an assertion otherwise) and sends their subjects as the acceptable client CAs. Go's
// crypto/tls client (upstream premain, EGo Marbles) only sends a certificate whose issuer is in
// that list, so a Marble's self-signed certificate would be withheld and the handshake would
// fail. Hence static identities here and a rebuilt server on rotation (marble_server.h).
//
// TLS policy (crypto/tls_policy.h, the same as the OpenSSL listeners'): gRPC 1.51 exposes no
// SSL_CTX and no version or cipher setters in C++, but its defaults already are the policy's:
// TLS 1.2 minimum and 1.3 maximum (grpc_tls_credentials_options), and for TLS 1.2 the cipher
// list ECDHE-ECDSA/RSA-AES128/256-GCM (no CHACHA20-POLY1305 in TLS 1.2; TLS 1.3 keeps OpenSSL's
// three suites); OpenSSL 3 refuses client-initiated renegotiation and compression by default.
// The one way to loosen it, gRPC's GRPC_SSL_CIPHER_SUITES variable, is checked here: a list
// with any suite outside the policy stops the listener from starting.
// api_grpc_server_test probes all of this with a raw OpenSSL client.

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <optional>
#include <string_view>

#include "api/grpc/marble_identity.h"
#include "base/result.h"

namespace mr::api::grpc {

// kGrpcCipherSuitesEnv is the variable gRPC reads for its TLS 1.2 cipher list.
inline constexpr const char* kGrpcCipherSuitesEnv = "GRPC_SSL_CIPHER_SUITES";

// check_grpc_cipher_suites checks a GRPC_SSL_CIPHER_SUITES value (nullopt or empty: unset):
// kFailedPrecondition naming the variable and the refused suites if any entry is outside the
// TLS policy.
[[nodiscard]] Status check_grpc_cipher_suites(std::optional<std::string_view> value);

// marble_server_credentials returns credentials presenting |identity| (its certificate, then
// its chain). kFailedPrecondition if GRPC_SSL_CIPHER_SUITES (read from the process
// environment, as gRPC reads it) breaks the TLS policy; kInternal if gRPC refuses them.
[[nodiscard]] Result<std::shared_ptr<::grpc::ServerCredentials>> marble_server_credentials(
    const MarbleTlsIdentity& identity);

}  // namespace mr::api::grpc
