#pragma once
// Pinning the Coordinator root (EDG_MARBLE_COORDINATOR_ROOT_CA): what a Marble checks when it
// is given the Coordinator's root certificate, so that a network attacker cannot pose as the
// Coordinator and feed it files, env or argv. Pure crypto/ code, no TLS library.
//
//   MR_ASSIGN_OR_RETURN(crypto::Certificate root, load_pinned_root(path));
//   // in the TLS handshake, with the chain the Coordinator presents (leaf first):
//   MR_RETURN_IF_ERROR(check_coordinator_chain(presented, root, clock.now()));
//   // on the answer:
//   MR_RETURN_IF_ERROR(check_parameters_against_root(params, root, clock.now()));
//
// What is verified, and why not a plain chain verification: the Marble API presents the Marble
// root (self-signed with the intermediate key) followed by the intermediate (same subject and
// key, issued by the Coordinator root). A generic "the leaf chains to the pinned root" check
// would also pass for every certificate the intermediate key issues (Marble certificates and
// the manifest's cert-* secrets, whose issuer name is the intermediate's), so any Marble, or any
// user allowed to read such a secret, could pose as the Coordinator. Hence the rule: the key the
// server proved in the handshake (the leaf's public key) must be the subject key of a presented
// certificate that the pinned root issued directly (or the pinned root itself), valid now.
// Nothing the intermediate key signed is accepted in its place.

#include <filesystem>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "crypto/x509.h"
#include "marble/activation.h"
#include "marble/parameters.h"

namespace mr::marble {

// kMaxPinnedRootFileBytes bounds the file read (a root certificate is about 1 KiB).
inline constexpr std::size_t kMaxPinnedRootFileBytes = 1 << 20;

// load_pinned_root reads |path|: exactly one PEM block, a "CERTIFICATE" that parses and is a
// self-signed CA certificate (what `marblerun certificate root` writes). kInvalidArgument
// "EDG_MARBLE_COORDINATOR_ROOT_CA: <path>: <reason>" otherwise (unreadable, too large, no or
// several PEM blocks, another block type, malformed, not a CA, not self-signed).
[[nodiscard]] Result<crypto::Certificate> load_pinned_root(const std::filesystem::path& path);

// check_coordinator_chain checks the chain the Coordinator presented in the TLS handshake
// (leaf first; TLS has proved possession of the leaf's key): one presented certificate with the
// leaf's public key must be |root| itself or issued directly by |root| and valid at |at|
// (crypto::verify_chain with no intermediates, server-auth usage). kUnauthenticated with the
// reason otherwise (no certificate presented; only the leaf, as an upstream Coordinator sends;
// the verification error).
[[nodiscard]] Status check_coordinator_chain(const std::vector<crypto::Certificate>& presented,
                                             const crypto::Certificate& root, UnixTime at);

// check_parameters_against_root checks the certificates the Coordinator hands the Marble
// against the pinned |root|: MARBLE_PREDEFINED_COORDINATOR_ROOT_CA is |root|;
// MARBLE_PREDEFINED_MARBLE_CERTIFICATE_CHAIN (leaf, then the intermediate) verifies to |root|
// at |at|; the leaf verifies against MARBLE_PREDEFINED_ROOT_CA, whose key |root| certifies (the
// chain holds a certificate for that key issued directly by |root|). kUnauthenticated naming the
// variable otherwise, also when one of the three is missing or malformed.
[[nodiscard]] Status check_parameters_against_root(const Parameters& params,
                                                   const crypto::Certificate& root, UnixTime at);

}  // namespace mr::marble
