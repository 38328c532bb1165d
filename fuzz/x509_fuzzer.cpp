// Fuzz target: certificates, certificate chains and CRLs. The first byte picks what the rest is:
//   0: PEM text (a chain): pem_decode_all, Certificate::chain_from_pem / from_pem, the DCAP
//      parser (parse_pem_certificates), and verify_chain of the first certificate through the
//      others to Intel's SGX root and to the chain's own last certificate, at a fixed time;
//   1: one DER certificate: Certificate::from_der, every accessor, to_template, the SGX
//      extension (parse_pck_extensions) when present, the DCAP DER parser;
//   2: a DER CRL (the PCK and root CA CRLs of the collateral).

#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "attestation/sgx_dcap/dcap_verifier.h"
#include "attestation/sgx_dcap/openssl_util.h"
#include "attestation/sgx_dcap/pck_extensions.h"
#include "base/clock.h"
#include "crypto/pem.h"
#include "crypto/x509.h"
#include "fuzz_util.h"

namespace {

namespace dcap = mr::attestation::dcap;
using mr::crypto::Certificate;

mr::ByteSpan span(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

const Certificate& intel_root() {
  static const Certificate root = [] {
    auto c = Certificate::from_der(dcap::intel_sgx_root_ca_der());
    MR_FUZZ_CHECK(c.has_value(), "Intel's root does not parse");
    return *c;
  }();
  return root;
}

mr::UnixTime fixed_time() {
  return *mr::parse_rfc3339("2025-07-01T00:00:00Z");
}

// inspect calls every accessor; a parsed certificate must survive all of them.
void inspect(const Certificate& c) {
  (void)c.pem();
  (void)c.subject();
  (void)c.issuer();
  (void)c.serial_number();
  (void)c.not_before();
  (void)c.not_after();
  (void)c.public_key();
  (void)c.dns_names();
  (void)c.ip_addresses();
  (void)c.email_addresses();
  (void)c.uris();
  (void)c.key_usage();
  (void)c.ext_key_usage();
  (void)c.basic_constraints_valid();
  (void)c.is_ca();
  (void)c.subject_key_id();
  (void)c.authority_key_id();
  for (const auto& e : c.extensions()) {
    if (e.id == dcap::kSgxExtensionOid) (void)dcap::parse_pck_extensions(e.value);
  }
  (void)c.to_template();
  (void)c.check_signature_from(c.public_key());
  auto again = Certificate::from_der(c.der());
  MR_FUZZ_CHECK(again.has_value() && *again == c, "a parsed certificate's DER does not reparse");
}

void fuzz_pem(std::string_view text) {
  for (const auto& block : mr::crypto::pem_decode_all(text)) {
    MR_FUZZ_CHECK(!block.type.empty(), "PEM block without a type");
  }
  (void)dcap::parse_pem_certificates(text);
  if (auto first = Certificate::from_pem(text)) inspect(*first);
  auto chain = Certificate::chain_from_pem(text);
  if (!chain || chain->empty()) return;
  for (const auto& c : *chain)
    inspect(c);
  const Certificate& leaf = chain->front();
  std::vector<Certificate> rest(chain->begin() + 1, chain->end());
  (void)mr::crypto::verify_chain(leaf, rest, {intel_root()}, fixed_time(),
                                 mr::crypto::ExtKeyUsage::kAny);
  (void)mr::crypto::verify_chain(leaf, rest, {chain->back()}, fixed_time());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mr::fuzz::Input in(data, size);
  const int mode = in.byte() % 3;
  std::string_view rest = in.rest();
  switch (mode) {
    case 0:
      fuzz_pem(rest);
      break;
    case 1:
      if (auto c = Certificate::from_der(span(rest))) inspect(*c);
      (void)dcap::parse_der_certificate(span(rest));
      break;
    default:
      if (auto crl = dcap::parse_der_crl(span(rest))) {
        if (const ASN1_TIME* t = X509_CRL_get0_nextUpdate(crl->get())) {
          (void)dcap::asn1_time_to_unix(t);
        }
        if (const ASN1_TIME* t = X509_CRL_get0_lastUpdate(crl->get())) {
          (void)dcap::asn1_time_to_unix(t);
        }
      }
      break;
  }
  return 0;
}
