#include "marble/activation.h"

#include <optional>

#include "base/log.h"
#include "crypto/hash.h"
#include "crypto/x509.h"
#include "marble/coordinator_pin.h"
#include "marble/grpc_transport.h"
#include "marble/identity.h"
#include "marble/uuid_file.h"

namespace mr::marble {
namespace {

const log::Logger kLog("marble");

// Quote is step 4's outcome: the quote to send and, if it is empty, why.
struct Quote {
  Bytes bytes;
  std::string empty_reason;  // "" when a quote was generated
};

// quote_or_empty is step 4: a quote over SHA-256(certificate DER), or an empty quote if the
// issuer fails for whatever reason (upstream sends an empty quote then; spec 15.3). Only a
// failing TEE is worth a warning of its own; "no TEE" is reported with the outcome.
Quote quote_or_empty(attestation::QuoteIssuer& issuer, ByteSpan cert_der) {
  const crypto::Sha256Digest hash = crypto::sha256(cert_der);
  auto quote = issuer.issue(hash);
  if (quote) {
    kLog.debug("quote generated", {{"bytes", static_cast<std::uint64_t>(quote->size())}});
    return {std::move(*quote), ""};
  }
  if (attestation::is_no_tee(quote.error())) {
    return {{}, "no TEE (" + quote.error().message + ")"};
  }
  kLog.warn(
      "quote generation failed: sending an empty quote, which only a Coordinator in simulation "
      "mode accepts",
      {{"error", quote.error().message}});
  return {{}, "quote generation failed (" + quote.error().message + ")"};
}

Status check_options(const ActivationOptions& options) {
  if (options.marble_type.empty()) {
    return fail(ErrorCode::kInvalidArgument, "no Marble type given (EDG_MARBLE_TYPE)");
  }
  if (options.uuid_file.empty()) {
    return fail(ErrorCode::kInvalidArgument, "no UUID file given (EDG_MARBLE_UUID_FILE)");
  }
  return ok();
}

// pinned_root loads options.coordinator_root_ca (nullopt when not set).
Result<std::optional<crypto::Certificate>> pinned_root(const ActivationOptions& options) {
  if (options.coordinator_root_ca.empty()) return std::optional<crypto::Certificate>();
  MR_ASSIGN_OR_RETURN(crypto::Certificate root, load_pinned_root(options.coordinator_root_ca));
  return std::optional<crypto::Certificate>(std::move(root));
}

// run is steps 1-6 once the options are checked and the root (if any) is loaded.
Result<Parameters> run(const ActivationOptions& options, attestation::QuoteIssuer& issuer,
                       ActivationTransport& transport, ActivationReport* report,
                       const std::optional<crypto::Certificate>& root, const Clock& clock) {
  // Steps 1 and 3: key, self-signed certificate, CSR.
  MR_ASSIGN_OR_RETURN(MarbleIdentity identity, create_identity(options.dns_names, clock.now()));
  // Step 2: the instance UUID.
  MR_ASSIGN_OR_RETURN(UuidFile uuid, load_or_create_uuid(options.uuid_file));
  kLog.debug(uuid.created ? "created a new Marble UUID" : "loaded the Marble UUID",
             {{"uuid", uuid.uuid.to_string()}, {"file", options.uuid_file.string()}});
  // Step 4: the quote.
  Quote quote = quote_or_empty(issuer, identity.cert.der());
  ActivationRequest request;
  request.quote = std::move(quote.bytes);
  request.csr_der = std::move(identity.csr_der);
  request.marble_type = options.marble_type;
  request.uuid = uuid.uuid.to_string();

  // Step 5: Activate, with the self-signed certificate as TLS client certificate.
  ClientIdentity tls{identity.cert.pem(), identity.key.to_pem()};
  auto activated = transport.activate(request, tls);
  if (!activated) {
    Error e = std::move(activated).error();
    if (e.code == ErrorCode::kPermissionDenied && !quote.empty_reason.empty()) {
      e.message += fmt::format(" [this Marble sent an empty quote: {}]", quote.empty_reason);
    }
    return fail(std::move(e));
  }
  Parameters params = std::move(*activated);
  MR_RETURN_IF_ERROR(check_parameters(params, options.ttls)
                         .map_error(Wrap("the activation parameters are not usable")));
  if (root) MR_RETURN_IF_ERROR(check_parameters_against_root(params, *root, clock.now()));
  kLog.debug("activated", {{"marble_type", options.marble_type},
                           {"uuid", request.uuid},
                           {"files", static_cast<std::uint64_t>(params.files.size())},
                           {"env", static_cast<std::uint64_t>(params.env.size())},
                           {"argv", static_cast<std::uint64_t>(params.argv.size())}});
  if (report) {
    *report =
        ActivationReport{request.uuid, uuid.created, request.quote.size(), quote.empty_reason};
  }
  return params;
}

}  // namespace

Result<Parameters> activate_with(const ActivationOptions& options, attestation::QuoteIssuer& issuer,
                                 ActivationTransport& transport, ActivationReport* report) {
  MR_RETURN_IF_ERROR(check_options(options));
  MR_ASSIGN_OR_RETURN(std::optional<crypto::Certificate> root, pinned_root(options));
  const SystemClock system_clock;
  return run(options, issuer, transport, report, root,
             options.clock ? *options.clock : system_clock);
}

Result<Parameters> activate(const ActivationOptions& options, attestation::QuoteIssuer& issuer,
                            ActivationReport* report) {
  MR_RETURN_IF_ERROR(check_options(options));
  MR_ASSIGN_OR_RETURN(std::optional<crypto::Certificate> root, pinned_root(options));
  const SystemClock system_clock;
  const Clock& clock = options.clock ? *options.clock : system_clock;
  GrpcTransportOptions transport_options{options.coordinator_addr, options.timeout};
  if (root) {
    transport_options.server_check = [&root,
                                      &clock](const std::vector<Bytes>& chain_der) -> Status {
      std::vector<crypto::Certificate> presented;
      for (const Bytes& der : chain_der) {
        auto c = crypto::Certificate::from_der(der);
        if (!c) {
          return failf(ErrorCode::kUnauthenticated, "it presented a malformed certificate: {}",
                       c.error().message);
        }
        presented.push_back(std::move(*c));
      }
      return check_coordinator_chain(presented, *root, clock.now());
    };
  }
  auto transport = make_grpc_transport(std::move(transport_options));
  return run(options, issuer, *transport, report, root, clock);
}

Status check_coordinator_root_ca(const std::filesystem::path& path) {
  MR_ASSIGN_OR_RETURN(crypto::Certificate root, load_pinned_root(path));
  (void)root;
  return ok();
}

}  // namespace mr::marble
