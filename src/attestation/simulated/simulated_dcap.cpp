#include "attestation/simulated/simulated_dcap.h"

#include <fmt/format.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <nlohmann/json.hpp>

#include "attestation/oe_report.h"
#include "attestation/sgx_dcap/openssl_util.h"
#include "attestation/sgx_dcap/pck_extensions.h"
#include "attestation/sgx_dcap/quote.h"
#include "base/encoding.h"
#include "base/json_depth.h"
#include "crypto/openssl/ossl.h"

namespace mr::attestation::simulated {
namespace {

using dcap::Collateral;

// Deleter for a type ossl.h does not list.
struct RevokedFree {
  void operator()(X509_REVOKED* p) const noexcept { X509_REVOKED_free(p); }
};
using RevokedPtr = std::unique_ptr<X509_REVOKED, RevokedFree>;

// The simulated quoting enclave's signer (any fixed value works; the QE identity names it).
constexpr Hash32 kQeMrSigner = {0x51, 0x45, 0x53, 0x49, 0x4d, 0x55, 0x4c, 0x41, 0x54, 0x45, 0x44,
                                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
constexpr std::uint16_t kQeProdId = 1;

std::string upper_hex(ByteSpan b) {
  std::string s = hex_encode(b);
  for (char& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

Result<ossl::Ptr<ASN1_TIME>> asn1_time(UnixTime t) {
  ossl::Ptr<ASN1_TIME> out(
      ASN1_TIME_set(nullptr, static_cast<time_t>(t.time_since_epoch().count())));
  if (!out) return ossl::fail("encoding time");
  return out;
}

Status add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ossl::Ptr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return ossl::fail("adding extension");
  return ok();
}

struct CertSpec {
  std::string common_name;
  long serial = 1;
  bool ca = false;
  const char* key_usage = "critical,digitalSignature";
  std::optional<Bytes> sgx_extension;
};

Result<ossl::Ptr<X509>> make_cert(const CertSpec& spec, EVP_PKEY* subject_key, X509* issuer,
                                  EVP_PKEY* issuer_key, UnixTime now) {
  ossl::Ptr<X509> cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) return ossl::fail("creating certificate");
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), spec.serial);
  ossl::Ptr<X509_NAME> name(X509_NAME_new());
  if (!name ||
      X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(spec.common_name.c_str()),
                                 -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("MarbleRun Simulation"), -1,
                                 -1, 0) != 1 ||
      X509_set_subject_name(cert.get(), name.get()) != 1) {
    return ossl::fail("setting subject");
  }
  X509* parent = issuer != nullptr ? issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(parent)) != 1) {
    return ossl::fail("setting issuer");
  }
  MR_ASSIGN_OR_RETURN(auto nb, asn1_time(now - std::chrono::hours(24)));
  MR_ASSIGN_OR_RETURN(auto na, asn1_time(now + std::chrono::hours(24 * 365 * 10)));
  if (X509_set1_notBefore(cert.get(), nb.get()) != 1 ||
      X509_set1_notAfter(cert.get(), na.get()) != 1 ||
      X509_set_pubkey(cert.get(), subject_key) != 1) {
    return ossl::fail("setting validity and key");
  }
  MR_RETURN_IF_ERROR(add_ext(cert.get(), parent, NID_basic_constraints,
                             spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE"));
  MR_RETURN_IF_ERROR(add_ext(cert.get(), parent, NID_key_usage, spec.key_usage));
  MR_RETURN_IF_ERROR(add_ext(cert.get(), parent, NID_subject_key_identifier, "hash"));
  if (issuer != nullptr) {
    MR_RETURN_IF_ERROR(add_ext(cert.get(), parent, NID_authority_key_identifier, "keyid:always"));
  }
  if (spec.sgx_extension) {
    ossl::Ptr<ASN1_OBJECT> oid(OBJ_txt2obj(std::string(dcap::kSgxExtensionOid).c_str(), 1));
    ossl::Ptr<ASN1_OCTET_STRING> value(ASN1_OCTET_STRING_new());
    if (!oid || !value ||
        ASN1_OCTET_STRING_set(value.get(), spec.sgx_extension->data(),
                              static_cast<int>(spec.sgx_extension->size())) != 1) {
      return ossl::fail("encoding SGX extension");
    }
    ossl::Ptr<X509_EXTENSION> ext(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 0, value.get()));
    if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1)
      return ossl::fail("adding SGX extension");
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0)
    return ossl::fail("signing certificate");
  return cert;
}

std::string to_pem(X509* cert) {
  ossl::Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  return to_string(ossl::bio_to_bytes(bio.get()));
}

Result<Bytes> make_crl(X509* issuer, EVP_PKEY* issuer_key, UnixTime this_update,
                       UnixTime next_update, const std::vector<const ASN1_INTEGER*>& revoked) {
  ossl::Ptr<X509_CRL> crl(X509_CRL_new());
  if (!crl || X509_CRL_set_version(crl.get(), 1) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer)) != 1) {
    return ossl::fail("creating CRL");
  }
  MR_ASSIGN_OR_RETURN(auto last, asn1_time(this_update));
  MR_ASSIGN_OR_RETURN(auto next, asn1_time(next_update));
  if (X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1) {
    return ossl::fail("setting CRL times");
  }
  for (const ASN1_INTEGER* serial : revoked) {
    RevokedPtr r(X509_REVOKED_new());
    if (!r || X509_REVOKED_set_serialNumber(r.get(), const_cast<ASN1_INTEGER*>(serial)) != 1 ||
        X509_REVOKED_set_revocationDate(r.get(), last.get()) != 1 ||
        X509_CRL_add0_revoked(crl.get(), r.get()) != 1) {
      return ossl::fail("adding revoked certificate");
    }
    r.release();  // owned by the CRL now
  }
  if (X509_CRL_sort(crl.get()) != 1 || X509_CRL_sign(crl.get(), issuer_key, EVP_sha256()) <= 0) {
    return ossl::fail("signing CRL");
  }
  Bytes der = ossl::to_der(i2d_X509_CRL, static_cast<const X509_CRL*>(crl.get()));
  if (der.empty()) return ossl::fail("encoding CRL");
  return der;
}

nlohmann::json tcb_level_json(const std::array<std::uint8_t, 16>& comps, std::uint16_t pce_svn,
                              std::string_view date, TcbStatus status,
                              const std::vector<std::string>& advisories) {
  nlohmann::json components = nlohmann::json::array();
  for (std::uint8_t c : comps)
    components.push_back({{"svn", c}});
  nlohmann::json level = {{"tcb", {{"sgxtcbcomponents", components}, {"pcesvn", pce_svn}}},
                          {"tcbDate", date},
                          {"tcbStatus", tcb_status_name(status)}};
  if (!advisories.empty()) level["advisoryIDs"] = advisories;
  return level;
}

}  // namespace

struct SimulatedDcapPki::Impl {
  SimulatedPkiOptions options;
  ossl::Ptr<EVP_PKEY> root_key, pck_ca_key, pck_key, tcb_key, attestation_key;
  ossl::Ptr<X509> root, pck_ca, pck, tcb_signer;
  Bytes root_der;
  std::string pck_chain_pem;
  std::string tcb_chain_pem;
  std::string pck_ca_chain_pem;
  std::array<std::uint8_t, 64> attestation_key_raw{};
  Collateral collateral;
};

Result<std::shared_ptr<SimulatedDcapPki>> SimulatedDcapPki::create(
    const SimulatedPkiOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  const UnixTime now = options.now;
  MR_ASSIGN_OR_RETURN(impl->root_key, dcap::generate_p256_key());
  MR_ASSIGN_OR_RETURN(impl->pck_ca_key, dcap::generate_p256_key());
  MR_ASSIGN_OR_RETURN(impl->pck_key, dcap::generate_p256_key());
  MR_ASSIGN_OR_RETURN(impl->tcb_key, dcap::generate_p256_key());
  MR_ASSIGN_OR_RETURN(impl->attestation_key, dcap::generate_p256_key());

  const char* ca_usage = "critical,keyCertSign,cRLSign";
  MR_ASSIGN_OR_RETURN(
      impl->root, make_cert({"Simulated SGX Root CA", 1, true, ca_usage, {}}, impl->root_key.get(),
                            nullptr, impl->root_key.get(), now));
  MR_ASSIGN_OR_RETURN(
      impl->pck_ca, make_cert({"Simulated SGX PCK Processor CA", 2, true, ca_usage, {}},
                              impl->pck_ca_key.get(), impl->root.get(), impl->root_key.get(), now));
  MR_ASSIGN_OR_RETURN(
      impl->tcb_signer,
      make_cert({"Simulated SGX TCB Signing", 3, false, "critical,digitalSignature", {}},
                impl->tcb_key.get(), impl->root.get(), impl->root_key.get(), now));

  dcap::PckExtensions ext;
  ext.ppid = Bytes(16, 0x5a);
  ext.tcb_components = options.platform.tcb_components;
  ext.cpu_svn = options.platform.tcb_components;
  ext.pce_svn = options.platform.pce_svn;
  ext.pce_id = options.platform.pce_id;
  ext.fmspc = options.platform.fmspc;
  ext.sgx_type = 0;
  MR_ASSIGN_OR_RETURN(
      impl->pck,
      make_cert({"Simulated SGX PCK Certificate", 0x5eed, false,
                 "critical,digitalSignature,nonRepudiation", dcap::encode_pck_extensions(ext)},
                impl->pck_key.get(), impl->pck_ca.get(), impl->pck_ca_key.get(), now));
  return finish(std::move(impl), options);
}

Result<std::shared_ptr<SimulatedDcapPki>> SimulatedDcapPki::finish(
    std::unique_ptr<Impl> impl, const SimulatedPkiOptions& options) {
  MR_ASSIGN_OR_RETURN(impl->attestation_key_raw,
                      dcap::p256_public_key_to_raw(impl->attestation_key.get()));
  impl->root_der = dcap::certificate_der(impl->root.get());
  impl->pck_chain_pem =
      to_pem(impl->pck.get()) + to_pem(impl->pck_ca.get()) + to_pem(impl->root.get());
  impl->tcb_chain_pem = to_pem(impl->tcb_signer.get()) + to_pem(impl->root.get());
  impl->pck_ca_chain_pem = to_pem(impl->pck_ca.get()) + to_pem(impl->root.get());
  std::shared_ptr<SimulatedDcapPki> pki(new SimulatedDcapPki(std::move(impl)));
  CollateralOptions copts;
  if (options.collateral) {
    copts = *options.collateral;
  } else {
    copts.issue_date = options.now - std::chrono::hours(1);
  }
  MR_ASSIGN_OR_RETURN(pki->impl_->collateral, pki->issue_collateral(copts));
  return pki;
}

namespace {

std::string key_pem(EVP_PKEY* key) {
  ossl::Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return to_string(ossl::bio_to_bytes(bio.get()));
}

Result<ossl::Ptr<EVP_PKEY>> parse_key_pem(const std::string& pem) {
  ossl::Ptr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  ossl::Ptr<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return ossl::fail("simulated PKI: malformed private key", ErrorCode::kInvalidArgument);
  return key;
}

Result<ossl::Ptr<X509>> parse_cert_pem(const std::string& pem) {
  MR_ASSIGN_OR_RETURN(auto certs, dcap::parse_pem_certificates(pem));
  return std::move(certs.front());
}

template <std::size_t N>
Result<std::array<std::uint8_t, N>> hex_array(const nlohmann::json& j, const char* key) {
  auto b = hex_decode(j.at(key).get<std::string>());
  if (!b || b->size() != N) {
    return failf(ErrorCode::kInvalidArgument, "simulated PKI: malformed {}", key);
  }
  std::array<std::uint8_t, N> out{};
  std::copy(b->begin(), b->end(), out.begin());
  return out;
}

}  // namespace

std::string SimulatedDcapPki::to_json() const {
  const Impl& p = *impl_;
  const SimulatedPlatform& pl = p.options.platform;
  const nlohmann::json j = {
      {"root_key", key_pem(p.root_key.get())},
      {"pck_ca_key", key_pem(p.pck_ca_key.get())},
      {"pck_key", key_pem(p.pck_key.get())},
      {"tcb_key", key_pem(p.tcb_key.get())},
      {"attestation_key", key_pem(p.attestation_key.get())},
      {"root", to_pem(p.root.get())},
      {"pck_ca", to_pem(p.pck_ca.get())},
      {"pck", to_pem(p.pck.get())},
      {"tcb_signer", to_pem(p.tcb_signer.get())},
      {"platform",
       {{"fmspc", hex_encode(pl.fmspc)},
        {"pce_id", hex_encode(pl.pce_id)},
        {"tcb_components", hex_encode(pl.tcb_components)},
        {"pce_svn", pl.pce_svn},
        {"qe_svn", pl.qe_svn}}},
  };
  return j.dump(1);
}

Result<std::shared_ptr<SimulatedDcapPki>> SimulatedDcapPki::from_json(
    std::string_view text, const SimulatedPkiOptions& options) {
  if (auto depth = check_json_depth(text); !depth) {
    return failf(ErrorCode::kInvalidArgument, "simulated PKI: {}", depth.error().message);
  }
  const nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(ErrorCode::kInvalidArgument, "simulated PKI: not a JSON object");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  try {
    MR_ASSIGN_OR_RETURN(impl->root_key, parse_key_pem(j.at("root_key").get<std::string>()));
    MR_ASSIGN_OR_RETURN(impl->pck_ca_key, parse_key_pem(j.at("pck_ca_key").get<std::string>()));
    MR_ASSIGN_OR_RETURN(impl->pck_key, parse_key_pem(j.at("pck_key").get<std::string>()));
    MR_ASSIGN_OR_RETURN(impl->tcb_key, parse_key_pem(j.at("tcb_key").get<std::string>()));
    MR_ASSIGN_OR_RETURN(impl->attestation_key,
                        parse_key_pem(j.at("attestation_key").get<std::string>()));
    MR_ASSIGN_OR_RETURN(impl->root, parse_cert_pem(j.at("root").get<std::string>()));
    MR_ASSIGN_OR_RETURN(impl->pck_ca, parse_cert_pem(j.at("pck_ca").get<std::string>()));
    MR_ASSIGN_OR_RETURN(impl->pck, parse_cert_pem(j.at("pck").get<std::string>()));
    MR_ASSIGN_OR_RETURN(impl->tcb_signer, parse_cert_pem(j.at("tcb_signer").get<std::string>()));
    const nlohmann::json& pl = j.at("platform");
    SimulatedPlatform& platform = impl->options.platform;
    MR_ASSIGN_OR_RETURN(platform.fmspc, hex_array<6>(pl, "fmspc"));
    MR_ASSIGN_OR_RETURN(platform.pce_id, hex_array<2>(pl, "pce_id"));
    MR_ASSIGN_OR_RETURN(platform.tcb_components, hex_array<16>(pl, "tcb_components"));
    platform.pce_svn = pl.at("pce_svn").get<std::uint16_t>();
    platform.qe_svn = pl.at("qe_svn").get<std::uint16_t>();
  } catch (const std::exception&) {
    return fail(ErrorCode::kInvalidArgument, "simulated PKI: missing or mistyped field");
  }
  SimulatedPkiOptions finish_options = options;
  finish_options.platform = impl->options.platform;
  return finish(std::move(impl), finish_options);
}

SimulatedDcapPki::SimulatedDcapPki(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SimulatedDcapPki::~SimulatedDcapPki() = default;

const Bytes& SimulatedDcapPki::root_ca_der() const {
  return impl_->root_der;
}
const std::string& SimulatedDcapPki::pck_chain_pem() const {
  return impl_->pck_chain_pem;
}
const Collateral& SimulatedDcapPki::collateral() const {
  return impl_->collateral;
}

Result<std::unique_ptr<dcap::DcapQuoteVerifier>> SimulatedDcapPki::verifier(
    const Clock* clock) const {
  return dcap::DcapQuoteVerifier::create(
      {std::make_shared<dcap::StaticCollateralProvider>(impl_->collateral),
       clock,
       {root_ca_der()}});
}

Result<Collateral> SimulatedDcapPki::issue_collateral(const CollateralOptions& o) const {
  const Impl& p = *impl_;
  const SimulatedPlatform& platform = p.options.platform;
  const UnixTime next = o.issue_date + o.validity;
  Collateral c;

  // TCB info: the platform's own level, then an older OutOfDate level; or, to leave the platform
  // without a matching level, both one step above it.
  std::array<std::uint8_t, 16> own = platform.tcb_components;
  std::array<std::uint8_t, 16> older = platform.tcb_components;
  for (std::size_t i = 0; i < own.size(); ++i) {
    if (o.levels_above_platform) {
      own[i] = own[i] < 255 ? static_cast<std::uint8_t>(own[i] + 1) : 255;
      older[i] = own[i];
    } else {
      older[i] = older[i] > 0 ? static_cast<std::uint8_t>(older[i] - 1) : 0;
    }
  }
  nlohmann::json levels = nlohmann::json::array();
  levels.push_back(tcb_level_json(own, platform.pce_svn, "2024-03-13T00:00:00Z", o.platform_status,
                                  o.advisory_ids));
  levels.push_back(tcb_level_json(older, platform.pce_svn > 0 ? platform.pce_svn - 1 : 0,
                                  "2023-02-15T00:00:00Z", TcbStatus::kOutOfDate,
                                  {"INTEL-SA-00828"}));
  const nlohmann::json tcb_info = {
      {"id", "SGX"},
      {"version", 3},
      {"issueDate", format_rfc3339(o.issue_date)},
      {"nextUpdate", format_rfc3339(next)},
      {"fmspc", upper_hex(o.fmspc_override.value_or(platform.fmspc))},
      {"pceId", upper_hex(platform.pce_id)},
      {"tcbType", 0},
      {"tcbEvaluationDataNumber", 17},
      {"tcbLevels", levels},
  };
  c.tcb_info = tcb_info.dump();
  MR_ASSIGN_OR_RETURN(auto tcb_sig, dcap::sign_p256_raw(p.tcb_key.get(), as_bytes(c.tcb_info)));
  c.tcb_info_signature.assign(tcb_sig.begin(), tcb_sig.end());
  c.tcb_info_issuer_chain = p.tcb_chain_pem;

  const nlohmann::json qe_identity = {
      {"id", "QE"},
      {"version", 2},
      {"issueDate", format_rfc3339(o.issue_date)},
      {"nextUpdate", format_rfc3339(next)},
      {"tcbEvaluationDataNumber", 17},
      {"miscselect", "00000000"},
      {"miscselectMask", "FFFFFFFF"},
      {"attributes", "11000000000000000000000000000000"},
      {"attributesMask", "FBFFFFFFFFFFFFFF0000000000000000"},
      {"mrsigner", upper_hex(kQeMrSigner)},
      {"isvprodid", kQeProdId},
      {"tcbLevels",
       {{{"tcb", {{"isvsvn", platform.qe_svn}}},
         {"tcbDate", "2024-03-13T00:00:00Z"},
         {"tcbStatus", "UpToDate"}}}},
  };
  c.qe_identity = qe_identity.dump();
  MR_ASSIGN_OR_RETURN(auto qe_sig, dcap::sign_p256_raw(p.tcb_key.get(), as_bytes(c.qe_identity)));
  c.qe_identity_signature.assign(qe_sig.begin(), qe_sig.end());
  c.qe_identity_issuer_chain = p.tcb_chain_pem;

  MR_ASSIGN_OR_RETURN(c.root_ca_crl,
                      make_crl(p.root.get(), p.root_key.get(), o.issue_date, next, {}));
  std::vector<const ASN1_INTEGER*> revoked;
  if (o.revoke_pck) revoked.push_back(X509_get0_serialNumber(p.pck.get()));
  MR_ASSIGN_OR_RETURN(c.pck_crl,
                      make_crl(p.pck_ca.get(), p.pck_ca_key.get(), o.issue_date, next, revoked));
  c.pck_crl_issuer_chain = p.pck_ca_chain_pem;
  return c;
}

Result<Bytes> SimulatedDcapPki::sgx_quote(const SimulatedEnclave& enclave,
                                          ByteSpan report_data) const {
  if (report_data.size() > kMaxReportDataSize) {
    return fail(ErrorCode::kInvalidArgument, "report data exceeds 64 bytes");
  }
  const Impl& p = *impl_;
  const SimulatedPlatform& platform = p.options.platform;

  Bytes quote;
  auto put_le = [&](std::uint64_t v, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
      quote.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  auto put = [&](ByteSpan b) { quote.insert(quote.end(), b.begin(), b.end()); };

  // Header.
  put_le(3, 2);
  put_le(dcap::kAttestationKeyEcdsaP256, 2);
  put_le(dcap::kTeeTypeSgx, 4);
  put_le(platform.qe_svn, 2);
  put_le(platform.pce_svn, 2);
  put(dcap::kIntelQeVendorId);
  put(Bytes(20, 0));

  // ISV enclave report body.
  SgxReportBody body;
  body.cpu_svn = platform.tcb_components;
  body.attributes[0] = static_cast<std::uint8_t>(0x05 | (enclave.debug ? 0x02 : 0x00));
  body.attributes[8] = 0x03;
  body.mr_enclave = enclave.mr_enclave;
  body.mr_signer = enclave.mr_signer;
  body.isv_prod_id = enclave.isv_prod_id;
  body.isv_svn = enclave.isv_svn;
  std::copy(report_data.begin(), report_data.end(), body.report_data.begin());
  put(dcap::encode_sgx_report_body(body));
  const std::size_t signed_size = quote.size();

  // QE report: binds the attestation key and the QE auth data.
  const Bytes auth_data(32, 0x42);
  Bytes hashed(p.attestation_key_raw.begin(), p.attestation_key_raw.end());
  hashed.insert(hashed.end(), auth_data.begin(), auth_data.end());
  const auto qe_hash = dcap::sha256_digest(hashed);
  SgxReportBody qe;
  qe.cpu_svn = platform.tcb_components;
  qe.attributes[0] = 0x11;
  qe.mr_signer = kQeMrSigner;
  qe.isv_prod_id = kQeProdId;
  qe.isv_svn = platform.qe_svn;
  std::copy(qe_hash.begin(), qe_hash.end(), qe.report_data.begin());
  const auto qe_raw = dcap::encode_sgx_report_body(qe);

  MR_ASSIGN_OR_RETURN(auto quote_sig, dcap::sign_p256_raw(p.attestation_key.get(),
                                                          ByteSpan(quote).first(signed_size)));
  MR_ASSIGN_OR_RETURN(auto qe_sig, dcap::sign_p256_raw(p.pck_key.get(), qe_raw));

  Bytes sig_data;
  auto sput = [&](ByteSpan b) { sig_data.insert(sig_data.end(), b.begin(), b.end()); };
  auto sput_le = [&](std::uint64_t v, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
      sig_data.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  sput(quote_sig);
  sput(p.attestation_key_raw);
  sput(qe_raw);
  sput(qe_sig);
  sput_le(auth_data.size(), 2);
  sput(auth_data);
  sput_le(dcap::kCertDataPckChain, 2);
  sput_le(p.pck_chain_pem.size(), 4);
  sput(as_bytes(p.pck_chain_pem));

  put_le(sig_data.size(), 4);
  put(sig_data);
  return quote;
}

Result<Bytes> SimulatedDcapIssuer::issue(ByteSpan report_data) {
  MR_ASSIGN_OR_RETURN(Bytes quote, pki_->sgx_quote(enclave_, report_data));
  return oe_wrap_sgx_quote(quote);
}

}  // namespace mr::attestation::simulated
