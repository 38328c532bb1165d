// Fuzz target: the CSR a Marble sends at activation (gRPC Activate's CSR field, DER). parse_csr
// checks structure and self-signature; a CSR that passes is issued a Marble certificate exactly
// as core/marble_api.cpp does (subject and SANs from the CSR, a Coordinator-generated key),
// which must then chain to the Marble root for client and server authentication.

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/clock.h"
#include "base/uuid.h"
#include "core/ca.h"
#include "crypto/keys.h"
#include "crypto/x509.h"
#include "fuzz_util.h"

namespace {

struct Fixture {
  mr::UnixTime now = *mr::parse_rfc3339("2026-01-01T00:00:00Z");
  mr::core::CaSet ca;
  mr::crypto::PrivateKey leaf_key;
  mr::Uuid uuid;
};

const Fixture& fixture() {
  static const Fixture f = [] {
    const mr::UnixTime now = *mr::parse_rfc3339("2026-01-01T00:00:00Z");
    auto ca = mr::core::generate_ca({"localhost"}, now);
    MR_FUZZ_CHECK(ca.has_value(), "generate_ca failed");
    auto key = mr::crypto::PrivateKey::generate(mr::crypto::KeySpec::ec(mr::crypto::Curve::kP256));
    MR_FUZZ_CHECK(key.has_value(), "key generation failed");
    auto uuid = mr::Uuid::parse("6a1f6b1c-7d7e-4c5a-9f3e-2b8c1d0e9a77");
    MR_FUZZ_CHECK(uuid.has_value(), "uuid does not parse");
    return Fixture{now, std::move(*ca), std::move(*key), *uuid};
  }();
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Fixture& f = fixture();
  auto csr = mr::crypto::parse_csr(mr::ByteSpan(data, size));
  if (!csr) {
    MR_FUZZ_CHECK(!csr.error().message.empty(), "CSR error without a message");
    return 0;
  }
  auto leaf = mr::core::issue_marble_certificate(f.ca, *csr, f.uuid, "backend",
                                                 f.leaf_key.public_key(), f.now);
  if (!leaf) return 0;
  for (auto usage : {mr::crypto::ExtKeyUsage::kClientAuth, mr::crypto::ExtKeyUsage::kServerAuth}) {
    auto ok = mr::crypto::verify_chain(*leaf, {}, {f.ca.marble_root}, f.now, usage);
    MR_FUZZ_CHECK(ok.has_value(),
                  "an issued Marble certificate does not verify: " + ok.error().message);
  }
  return 0;
}
