#include "marble/coordinator_pin.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "base/encoding.h"
#include "base/file_util.h"
#include "crypto/hash.h"
#include "crypto/pem.h"

namespace mr::marble {
namespace {

constexpr std::string_view kRootCaEnv = "MARBLE_PREDEFINED_ROOT_CA";
constexpr std::string_view kChainEnv = "MARBLE_PREDEFINED_MARBLE_CERTIFICATE_CHAIN";
constexpr std::string_view kCoordinatorRootEnv = "MARBLE_PREDEFINED_COORDINATOR_ROOT_CA";

tl::unexpected<Error> bad_file(const std::filesystem::path& path, std::string_view reason) {
  return failf(ErrorCode::kInvalidArgument, "{}: {}: {}", kCoordinatorRootCaEnv, path.string(),
               reason);
}

// describe names a certificate in messages: its subject and the start of its SHA-256.
std::string describe(const crypto::Certificate& c) {
  const crypto::Sha256Digest d = crypto::sha256(c.der());
  return fmt::format("\"{}\" (SHA-256 {}...)", c.subject().to_string(),
                     hex_encode(ByteSpan(d.data(), 8)));
}

// not_certified is the handshake's refusal (the transport prefixes "refusing the Coordinator at
// <address>: ").
tl::unexpected<Error> not_certified(std::string_view reason) {
  return failf(ErrorCode::kUnauthenticated,
               "its TLS key is not certified by the pinned Coordinator root ({}): {}",
               kCoordinatorRootCaEnv, reason);
}

// answer_mismatch is a refusal of the activation answer's |variable|.
tl::unexpected<Error> answer_mismatch(std::string_view variable, std::string_view reason) {
  return failf(ErrorCode::kUnauthenticated,
               "the Coordinator's answer does not match the pinned Coordinator root ({}): {}: {}",
               kCoordinatorRootCaEnv, variable, reason);
}

// issued_by_root reports whether |c| is |root| or was issued by it directly, valid at |at|.
Status issued_by_root(const crypto::Certificate& c, const crypto::Certificate& root, UnixTime at,
                      crypto::ExtKeyUsage usage) {
  return crypto::verify_chain(c, {}, {root}, at, usage);
}

}  // namespace

Result<crypto::Certificate> load_pinned_root(const std::filesystem::path& path) {
  file::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return bad_file(path, fmt::format("cannot open: {}", std::strerror(errno)));
  auto content = file::read_up_to(fd.get(), kMaxPinnedRootFileBytes, path);
  if (!content) return bad_file(path, "cannot read it");
  if (content->size() > kMaxPinnedRootFileBytes) return bad_file(path, "larger than 1 MiB");
  const std::string_view text = content->view();
  const std::vector<crypto::PemBlock> blocks = crypto::pem_decode_all(text);
  if (blocks.empty()) {
    return bad_file(path,
                    "no PEM block in it (expected the Coordinator root certificate, as "
                    "`marblerun certificate root` writes it)");
  }
  if (blocks.size() > 1) {
    return bad_file(path,
                    fmt::format("{} PEM blocks in it (expected exactly one: the Coordinator "
                                "root certificate, as `marblerun certificate root` writes it)",
                                blocks.size()));
  }
  if (blocks[0].type != "CERTIFICATE") {
    return bad_file(path, fmt::format("its PEM block is a {}, not a CERTIFICATE", blocks[0].type));
  }
  auto cert = crypto::Certificate::from_der(blocks[0].der);
  if (!cert) return bad_file(path, "not a valid certificate: " + cert.error().message);
  if (!cert->basic_constraints_valid() || !cert->is_ca() || cert->subject() != cert->issuer() ||
      !cert->check_signature_from(cert->public_key())) {
    return bad_file(path, fmt::format("{} is not a self-signed CA certificate (pin the "
                                      "Coordinator root: `marblerun certificate root`)",
                                      describe(*cert)));
  }
  return std::move(*cert);
}

Status check_coordinator_chain(const std::vector<crypto::Certificate>& presented,
                               const crypto::Certificate& root, UnixTime at) {
  if (presented.empty()) return not_certified("it presented no certificate");
  const crypto::Certificate& leaf = presented.front();
  const crypto::PublicKey key = leaf.public_key();
  std::string last_error;
  for (const crypto::Certificate& c : presented) {
    if (!(c.public_key() == key)) continue;
    const Status s = issued_by_root(c, root, at, crypto::ExtKeyUsage::kServerAuth);
    if (s) return ok();
    last_error = fmt::format("{}: {}", describe(c), s.error().message);
  }
  if (presented.size() == 1) {
    return not_certified(fmt::format(
        "it presented only {}, which {} did not issue ({}); a Coordinator that sends no "
        "intermediate certificate cannot be pinned",
        describe(leaf), describe(root), last_error));
  }
  return not_certified(
      fmt::format("it presented {} certificates, and none for its key was issued by {} ({})",
                  presented.size(), describe(root), last_error));
}

Status check_parameters_against_root(const Parameters& params, const crypto::Certificate& root,
                                     UnixTime at) {
  const auto get = [&](std::string_view name) -> const std::string* {
    const auto it = params.env.find(std::string(name));
    return it == params.env.end() ? nullptr : &it->second;
  };
  // The Coordinator root it hands out is the pinned one.
  const std::string* coordinator_root = get(kCoordinatorRootEnv);
  if (coordinator_root == nullptr) return answer_mismatch(kCoordinatorRootEnv, "not sent");
  auto sent_root = crypto::Certificate::from_pem(*coordinator_root);
  if (!sent_root) return answer_mismatch(kCoordinatorRootEnv, "not a certificate");
  if (!(*sent_root == root)) {
    return answer_mismatch(kCoordinatorRootEnv, fmt::format("it is {}, the pinned root is {}",
                                                            describe(*sent_root), describe(root)));
  }
  // The Marble's certificate chain verifies to the pinned root.
  const std::string* chain_pem = get(kChainEnv);
  if (chain_pem == nullptr) return answer_mismatch(kChainEnv, "not sent");
  auto chain = crypto::Certificate::chain_from_pem(*chain_pem);
  if (!chain || chain->size() < 2) {
    return answer_mismatch(kChainEnv, "not a certificate followed by its issuer");
  }
  const std::vector<crypto::Certificate> issuers(chain->begin() + 1, chain->end());
  const crypto::Certificate& leaf = chain->front();
  if (auto s = crypto::verify_chain(leaf, issuers, {root}, at, crypto::ExtKeyUsage::kAny); !s) {
    return answer_mismatch(kChainEnv, s.error().message);
  }
  // The Marble root (the anchor Marbles use among themselves) has a key the pinned root
  // certified directly, and the Marble's certificate verifies against it.
  const std::string* marble_root_pem = get(kRootCaEnv);
  if (marble_root_pem == nullptr) return answer_mismatch(kRootCaEnv, "not sent");
  auto marble_root = crypto::Certificate::from_pem(*marble_root_pem);
  if (!marble_root) return answer_mismatch(kRootCaEnv, "not a certificate");
  bool certified = false;
  for (const crypto::Certificate& c : issuers) {
    if (c.public_key() == marble_root->public_key() &&
        issued_by_root(c, root, at, crypto::ExtKeyUsage::kAny)) {
      certified = true;
      break;
    }
  }
  if (!certified) {
    return answer_mismatch(kRootCaEnv, fmt::format("the pinned root certified no certificate in {} "
                                                   "for the key of {}",
                                                   kChainEnv, describe(*marble_root)));
  }
  if (auto s = crypto::verify_chain(leaf, {}, {*marble_root}, at, crypto::ExtKeyUsage::kAny); !s) {
    return answer_mismatch(
        kRootCaEnv, "the Marble's certificate does not verify against it: " + s.error().message);
  }
  return ok();
}

}  // namespace mr::marble
