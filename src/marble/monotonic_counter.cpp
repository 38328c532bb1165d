#include "marble/monotonic_counter.h"

#include <memory>
#include <nlohmann/json.hpp>

#include "base/environment.h"
#include "client/address.h"
#include "client/jsend.h"
#include "client/tls_transport.h"
#include "crypto/x509.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, for the SDK call

namespace mr::marble {
namespace {

constexpr std::string_view kChainEnv = "MARBLE_PREDEFINED_MARBLE_CERTIFICATE_CHAIN";
constexpr std::string_view kKeyEnv = "MARBLE_PREDEFINED_PRIVATE_KEY";
constexpr std::string_view kRootEnv = "MARBLE_PREDEFINED_COORDINATOR_ROOT_CA";
constexpr std::string_view kCounterPath = "/api/v2/monotonic-counter";

Result<std::string> required(const std::map<std::string, std::string>& env, std::string_view name) {
  const auto it = env.find(std::string(name));
  if (it == env.end() || it->second.empty()) {
    return failf(ErrorCode::kInvalidArgument, "environment variable not set: {}", name);
  }
  return it->second;
}

}  // namespace

Result<MarbleCredentials> credentials_from_environment(
    const std::map<std::string, std::string>& env) {
  MarbleCredentials c;
  MR_ASSIGN_OR_RETURN(c.certificate_chain_pem, required(env, kChainEnv));
  MR_ASSIGN_OR_RETURN(c.coordinator_root_pem, required(env, kRootEnv));
  MR_ASSIGN_OR_RETURN(std::string key, required(env, kKeyEnv));
  c.private_key_pem = SecretBytes(as_bytes(key));
  return c;
}

Result<MarbleCredentials> credentials_from_environment() {
  return credentials_from_environment(environment_map(environ));
}

Result<std::uint64_t> set_monotonic_counter(std::string_view endpoint,
                                            const MarbleCredentials& credentials,
                                            std::string_view name, std::uint64_t value) {
  MR_ASSIGN_OR_RETURN(client::CoordinatorAddress address,
                      client::parse_coordinator_address(endpoint));
  MR_ASSIGN_OR_RETURN(auto root, crypto::Certificate::from_pem(credentials.coordinator_root_pem)
                                     .map_error(Wrap("parsing the Coordinator root certificate")));
  MR_ASSIGN_OR_RETURN(
      client::ClientIdentity identity,
      client::parse_client_identity(credentials.certificate_chain_pem, credentials.private_key_pem)
          .map_error(Wrap("loading the Marble's certificate and key")));
  client::TlsTransportConfig config;
  config.address = std::move(address);
  config.pinned_root_der = root.der();
  config.identity = std::make_shared<const client::ClientIdentity>(std::move(identity));
  MR_ASSIGN_OR_RETURN(auto transport, client::make_tls_transport(std::move(config)));

  const std::string body = nlohmann::json{{"name", name}, {"value", value}}.dump();
  MR_ASSIGN_OR_RETURN(
      client::HttpResponse response,
      transport->send({client::HttpMethod::kPost, std::string(kCounterPath), body}));
  MR_ASSIGN_OR_RETURN(client::JsendReply reply, client::parse_jsend(response));
  if (reply.http_status != 200 || reply.status != "success") {
    if (reply.http_status == 401) {
      return fail(ErrorCode::kUnauthenticated, reply.message);  // "unauthorized marble: ..."
    }
    return tl::unexpected(client::jsend_error(reply));
  }
  const auto it = reply.data.is_object() ? reply.data.find("value") : reply.data.end();
  if (it == reply.data.end() || !it->is_number_unsigned()) {
    return fail(ErrorCode::kInternal,
                "unexpected answer from the Coordinator: no unsigned \"value\" in the data");
  }
  return it->get<std::uint64_t>();
}

Result<std::uint64_t> set_monotonic_counter(std::string_view endpoint, std::string_view name,
                                            std::uint64_t value) {
  MR_ASSIGN_OR_RETURN(MarbleCredentials credentials,
                      credentials_from_environment().map_error(
                          Wrap("getting credentials from secure environment")));
  return set_monotonic_counter(endpoint, credentials, name, value);
}

}  // namespace mr::marble
