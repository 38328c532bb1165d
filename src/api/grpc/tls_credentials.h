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

#include <grpcpp/security/server_credentials.h>

#include <memory>

#include "api/grpc/marble_identity.h"
#include "base/result.h"

namespace mr::api::grpc {

// marble_server_credentials returns credentials presenting |identity| (certificate alone, chain
// length 1). kInternal if gRPC refuses them.
[[nodiscard]] Result<std::shared_ptr<::grpc::ServerCredentials>> marble_server_credentials(
    const MarbleTlsIdentity& identity);

}  // namespace mr::api::grpc
