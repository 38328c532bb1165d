// Fuzz target: DCAP collateral as the PCS/PCCS serves it. The first byte picks what the rest is:
//   0: TCB info JSON (parse_tcb_info), matched against the real SGX and TDX samples' platforms;
//   1: QE identity JSON (parse_qe_identity), matched against the samples' QE reports;
//   2: a signed PCS response body {"tcbInfo"|"enclaveIdentity": ..., "signature": ...};
//   3: a CRL (DER, PEM or hex) and an issuer chain header value (decode_crl,
//      decode_issuer_chain), the CRL then parsed as DER.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attestation/sgx_dcap/collateral.h"
#include "attestation/sgx_dcap/openssl_util.h"
#include "attestation/sgx_dcap/pck_extensions.h"
#include "attestation/sgx_dcap/quote.h"
#include "attestation/sgx_dcap/tcb_info.h"
#include "crypto/x509.h"
#include "fuzz_util.h"

namespace {

namespace dcap = mr::attestation::dcap;

mr::ByteSpan span(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Platform is a real quote with the SGX extension of its PCK certificate.
struct Platform {
  dcap::ParsedQuote quote;
  dcap::PckExtensions pck;
};

Platform load(const std::string& name) {
  auto raw = mr::fuzz::source_file("tests/testdata/dcap/" + name);
  auto q = dcap::parse_quote(span(raw));
  MR_FUZZ_CHECK(q.has_value(), name + " does not parse");
  MR_FUZZ_CHECK(q->cert_data_type == dcap::kCertDataPckChain, name + " has no PCK chain");
  std::string pem(q->cert_data.begin(), q->cert_data.end());
  auto chain = mr::crypto::Certificate::chain_from_pem(pem);
  MR_FUZZ_CHECK(chain.has_value() && !chain->empty(), name + ": PCK chain does not parse");
  auto ext = chain->front().extension(dcap::kSgxExtensionOid);
  MR_FUZZ_CHECK(ext.has_value(), name + ": no SGX extension");
  auto pck = dcap::parse_pck_extensions(ext->value);
  MR_FUZZ_CHECK(pck.has_value(), name + ": SGX extension does not parse");
  return Platform{std::move(*q), std::move(*pck)};
}

const std::vector<Platform>& platforms() {
  static const std::vector<Platform> p = {load("sgx_quote"), load("tdx_quote")};
  return p;
}

void fuzz_tcb_info(std::string_view text) {
  auto info = dcap::parse_tcb_info(text);
  if (!info) {
    MR_FUZZ_CHECK(!info.error().message.empty(), "TCB info error without a message");
    return;
  }
  for (const Platform& p : platforms()) {
    for (auto qe : {mr::attestation::TcbStatus::kUpToDate, mr::attestation::TcbStatus::kOutOfDate,
                    mr::attestation::TcbStatus::kRevoked}) {
      (void)dcap::match_tcb(*info, p.pck, p.quote, dcap::QeMatch{qe, {"INTEL-SA-00001"}});
    }
  }
}

void fuzz_qe_identity(std::string_view text) {
  auto id = dcap::parse_qe_identity(text);
  if (!id) {
    MR_FUZZ_CHECK(!id.error().message.empty(), "QE identity error without a message");
    return;
  }
  for (const Platform& p : platforms())
    (void)dcap::match_qe_identity(*id, p.quote.qe_report);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)platforms();
  mr::fuzz::Input in(data, size);
  const int mode = in.byte() % 4;
  std::string_view rest = in.rest();
  switch (mode) {
    case 0:
      fuzz_tcb_info(rest);
      break;
    case 1:
      fuzz_qe_identity(rest);
      break;
    case 2:
      if (auto b = dcap::split_signed_body(rest, "tcbInfo")) {
        MR_FUZZ_CHECK(rest.find(b->first) != std::string_view::npos, "signed text not in body");
        fuzz_tcb_info(b->first);
      }
      if (auto b = dcap::split_signed_body(rest, "enclaveIdentity")) {
        MR_FUZZ_CHECK(rest.find(b->first) != std::string_view::npos, "signed text not in body");
        fuzz_qe_identity(b->first);
      }
      break;
    default: {
      if (auto der = dcap::decode_crl(span(rest))) {
        if (auto crl = dcap::parse_der_crl(*der)) {
          if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl->get())) {
            (void)dcap::asn1_time_to_unix(next);
          }
        }
      }
      if (auto chain = dcap::decode_issuer_chain(rest)) {
        (void)dcap::parse_pem_certificates(*chain);
      }
      break;
    }
  }
  return 0;
}
