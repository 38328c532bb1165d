#pragma once
// DCAP collateral: what a verifier needs besides the quote, and the formats it arrives in.
//
//   // Intel PCS / PCCS response files in a directory, or the single-JSON layout of the test data:
//   MR_ASSIGN_OR_RETURN(Collateral c, load_collateral("/etc/marblerun/collateral"));
//   auto provider = std::make_shared<StaticCollateralProvider>(std::move(c));
//
// Directory layout (file names as Intel PCS endpoints deliver them):
//   tcb_info.json            {"tcbInfo": {...}, "signature": "<hex r‖s>"}   (PCS v3/v4 body)
//   qe_identity.json         {"enclaveIdentity": {...}, "signature": "<hex>"}
//   pck_crl.{der,pem}        PCK CRL of the Processor or Platform CA (DER, PEM or hex DER)
//   root_ca_crl.{der,pem}    Intel SGX Root CA CRL (DER, PEM or hex DER)
//   tcb_info_issuer_chain.pem, qe_identity_issuer_chain.pem, pck_crl_issuer_chain.pem
//                            PEM chains (URL-encoded as in the PCS headers is accepted too)
//   pck_chain.pem            optional: the PCK chain for quotes that do not embed it
// Single-JSON layout: {"tcb_info": "<signed JSON text>", "tcb_info_signature": "<hex>",
//   "tcb_info_issuer_chain": "<PEM>", "qe_identity", "qe_identity_signature",
//   "qe_identity_issuer_chain", "pck_crl": "<hex DER>", "root_ca_crl": "<hex DER>",
//   "pck_crl_issuer_chain", optional "pck_certificate_chain" (or "pck_chain")}.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "attestation/claims.h"
#include "base/bytes.h"
#include "base/result.h"

namespace mr::attestation::dcap {

// Collateral is raw, unverified collateral. The JSON texts are kept exactly as signed.
struct Collateral {
  std::string tcb_info;
  Bytes tcb_info_signature;  // 64 bytes r ‖ s
  std::string tcb_info_issuer_chain;
  std::string qe_identity;
  Bytes qe_identity_signature;
  std::string qe_identity_issuer_chain;
  Bytes pck_crl;      // DER
  Bytes root_ca_crl;  // DER
  std::string pck_crl_issuer_chain;
  std::string pck_chain;  // optional PEM
  friend bool operator==(const Collateral&, const Collateral&) = default;
};

// PckCa names the CA that issued a PCK certificate (and therefore which PCK CRL applies).
enum class PckCa { kProcessor, kPlatform };

// pck_ca_name returns "processor" or "platform" (the PCS `ca` query parameter).
[[nodiscard]] std::string_view pck_ca_name(PckCa ca);

// CollateralKey identifies the collateral a quote needs.
struct CollateralKey {
  TeeType tee = TeeType::kSgx;
  std::string fmspc;  // upper-case hex
  PckCa ca = PckCa::kProcessor;
  friend bool operator==(const CollateralKey&, const CollateralKey&) = default;
  friend auto operator<=>(const CollateralKey&, const CollateralKey&) = default;
};

// CollateralProvider supplies collateral for a key. Implementations return the same shared
// object for unchanged collateral, so verifiers can cache their work on it.
class CollateralProvider {
 public:
  virtual ~CollateralProvider() = default;
  // get returns collateral for |key|. kUnavailable when none can be obtained; kNotFound when the
  // source has nothing for this key.
  [[nodiscard]] virtual Result<std::shared_ptr<const Collateral>> get(
      const CollateralKey& key) const = 0;
};

// StaticCollateralProvider hands out one fixed collateral set for every key (the verifier then
// rejects an FMSPC or TEE mismatch).
class StaticCollateralProvider final : public CollateralProvider {
 public:
  explicit StaticCollateralProvider(Collateral c)
      : collateral_(std::make_shared<const Collateral>(std::move(c))) {}
  // get returns the fixed collateral whatever |key| asks for (never fails).
  [[nodiscard]] Result<std::shared_ptr<const Collateral>> get(const CollateralKey&) const override {
    return collateral_;
  }

 private:
  std::shared_ptr<const Collateral> collateral_;
};

// decode_crl accepts a CRL as DER, PEM ("X509 CRL" block) or hex-encoded DER and returns DER.
// kInvalidArgument if it is none of these (the DER itself is parsed later).
[[nodiscard]] Result<Bytes> decode_crl(ByteSpan data);

// decode_issuer_chain returns PEM text, percent-decoding it first if it is URL-encoded (the PCS
// response headers are). kInvalidArgument if no PEM block results.
[[nodiscard]] Result<std::string> decode_issuer_chain(std::string_view text);

// split_signed_body extracts from a PCS response body {"<key>": {...}, "signature": "<hex>"} the
// exact text of the <key> value (what Intel signed) and the decoded signature.
// kInvalidArgument if the body is not such an object or nests deeper than the JSON limit.
[[nodiscard]] Result<std::pair<std::string, Bytes>> split_signed_body(std::string_view body,
                                                                      std::string_view key);

// parse_collateral_json parses the single-JSON layout. kInvalidArgument "invalid collateral: ..."
// naming the missing or malformed field, or the nesting limit (base/json_depth.h) if exceeded.
[[nodiscard]] Result<Collateral> parse_collateral_json(std::string_view json);
// to_collateral_json renders |c| in the single-JSON layout (CRLs and signatures as hex).
[[nodiscard]] std::string to_collateral_json(const Collateral& c);

// load_collateral_dir reads the directory layout. kNotFound naming a missing file,
// kInvalidArgument for a malformed one.
[[nodiscard]] Result<Collateral> load_collateral_dir(const std::filesystem::path& dir);
// load_collateral reads |path| as a directory (load_collateral_dir) or a single-JSON file.
[[nodiscard]] Result<Collateral> load_collateral(const std::filesystem::path& path);

}  // namespace mr::attestation::dcap
