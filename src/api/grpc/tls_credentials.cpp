#include "api/grpc/tls_credentials.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "base/strings.h"
#include "crypto/tls_policy.h"

namespace mr::api::grpc {

Status check_grpc_cipher_suites(std::optional<std::string_view> value) {
  if (!value || value->empty()) return ok();  // gRPC's default list: within the policy
  std::vector<std::string> refused;
  for (const std::string& suite : split(*value, ":")) {
    if (!suite.empty() && !crypto::tls_policy_allows_suite(suite)) refused.push_back(suite);
  }
  if (refused.empty()) return ok();
  return failf(ErrorCode::kFailedPrecondition,
               "{} offers {}, which the TLS policy refuses (TLS 1.2 only with ECDHE and "
               "AES-GCM or CHACHA20-POLY1305: {}); unset it or list only those suites",
               kGrpcCipherSuitesEnv, join(refused, ", "),
               crypto::tls_suite_list(crypto::kTls12CipherSuites));
}

Result<std::shared_ptr<::grpc::ServerCredentials>> marble_server_credentials(
    const MarbleTlsIdentity& identity) {
  // gRPC reads this variable itself (once, at its first TLS use): the only place it can loosen
  // the policy. Checked on every build so that no listener starts with a wider list.
  const char* suites = std::getenv(kGrpcCipherSuitesEnv);
  MR_RETURN_IF_ERROR(
      check_grpc_cipher_suites(suites ? std::optional<std::string_view>(suites) : std::nullopt));
  using ::grpc::experimental::IdentityKeyCertPair;
  const SecretBytes key_pem = identity.key.to_pem();
  std::string chain_pem = identity.certificate.pem();
  for (const crypto::Certificate& c : identity.chain)
    chain_pem += c.pem();
  std::vector<IdentityKeyCertPair> pairs{
      IdentityKeyCertPair{std::string(key_pem.view()), std::move(chain_pem)}};
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
