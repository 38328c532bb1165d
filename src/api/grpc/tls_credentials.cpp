#include "api/grpc/tls_credentials.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <string>
#include <vector>

namespace mr::api::grpc {

Result<std::shared_ptr<::grpc::ServerCredentials>> marble_server_credentials(
    const MarbleTlsIdentity& identity) {
  using ::grpc::experimental::IdentityKeyCertPair;
  const SecretBytes key_pem = identity.key.to_pem();
  std::vector<IdentityKeyCertPair> pairs{
      IdentityKeyCertPair{std::string(key_pem.view()), identity.certificate.pem()}};
  auto provider = std::make_shared<::grpc::experimental::StaticDataCertificateProvider>(pairs);
  secure_wipe(pairs[0].private_key.data(), pairs[0].private_key.size());
  ::grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
  std::shared_ptr<::grpc::ServerCredentials> creds =
      ::grpc::experimental::TlsServerCredentials(options);
  if (!creds) return fail(ErrorCode::kInternal, "gRPC refused the Marble API TLS credentials");
  return creds;
}

}  // namespace mr::api::grpc
