#include "attestation/sgx_dcap/dcap_verifier.h"

#include <fmt/format.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "attestation/oe_report.h"
#include "attestation/sgx_dcap/openssl_util.h"
#include "attestation/sgx_dcap/pck_extensions.h"
#include "attestation/sgx_dcap/quote.h"
#include "attestation/sgx_dcap/tcb_info.h"
#include "base/encoding.h"
#include "crypto/openssl/ossl.h"

namespace mr::attestation::dcap {
namespace {

tl::unexpected<Error> deny(std::string message) {
  return fail(ErrorCode::kPermissionDenied, std::move(message));
}

std::string upper_hex(ByteSpan b) {
  std::string s = hex_encode(b);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

// Window is the time span in which everything that went into a verification is valid.
struct Window {
  UnixTime not_before = UnixTime(std::chrono::seconds(INT64_MIN / 2));
  UnixTime not_after = UnixTime(std::chrono::seconds(INT64_MAX / 2));
  void narrow(UnixTime from, UnixTime until) {
    not_before = std::max(not_before, from);
    not_after = std::min(not_after, until);
  }
  void narrow(const Window& w) { narrow(w.not_before, w.not_after); }
};

Status narrow_by_cert(Window& w, X509* cert) {
  MR_ASSIGN_OR_RETURN(UnixTime nb, asn1_time_to_unix(X509_get0_notBefore(cert)));
  MR_ASSIGN_OR_RETURN(UnixTime na, asn1_time_to_unix(X509_get0_notAfter(cert)));
  w.narrow(nb, na);
  return ok();
}

Status narrow_by_crl(Window& w, X509_CRL* crl) {
  MR_ASSIGN_OR_RETURN(UnixTime last, asn1_time_to_unix(X509_CRL_get0_lastUpdate(crl)));
  UnixTime next = w.not_after;
  if (const ASN1_TIME* n = X509_CRL_get0_nextUpdate(crl)) {
    MR_ASSIGN_OR_RETURN(next, asn1_time_to_unix(n));
  }
  w.narrow(last, next);
  return ok();
}

std::string common_name(const X509_NAME* name) {
  char buf[256] = {};
  if (X509_NAME_get_text_by_NID(const_cast<X509_NAME*>(name), NID_commonName, buf, sizeof buf) <
      0) {
    return {};
  }
  return buf;
}

// verify_chain checks |leaf| + |untrusted| against |store| (CRL checks on, times not checked:
// the returned window carries the validity of every certificate of the built chain).
Result<Window> verify_chain(X509_STORE* store, X509* leaf, STACK_OF(X509) * untrusted,
                            std::string_view what) {
  ossl::Ptr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store, leaf, untrusted) != 1) {
    return ossl::fail("initialising certificate verification");
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    ossl::clear_errors();
    return deny(fmt::format("{}: {}", what, X509_verify_cert_error_string(err)));
  }
  Window w;
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    MR_RETURN_IF_ERROR(narrow_by_cert(w, sk_X509_value(chain, i)));
  }
  return w;
}

// Chain is a parsed PEM chain: leaf first, the rest as untrusted intermediates.
struct Chain {
  std::vector<ossl::Ptr<X509>> certs;
  ossl::Ptr<STACK_OF(X509)> untrusted;  // borrows certs[1..]

  X509* leaf() const { return certs.front().get(); }
};

Result<Chain> parse_chain(std::string_view pem, std::string_view what) {
  auto certs = parse_pem_certificates(pem);
  if (!certs) return failf(ErrorCode::kInvalidArgument, "{}: {}", what, certs.error().message);
  Chain c;
  c.certs = std::move(*certs);
  c.untrusted.reset(sk_X509_new_null());
  if (!c.untrusted) return ossl::fail("allocating certificate stack");
  for (std::size_t i = 1; i < c.certs.size(); ++i) {
    if (sk_X509_push(c.untrusted.get(), c.certs[i].get()) <= 0) return ossl::fail("building chain");
  }
  return c;
}

// PreparedCollateral is collateral whose signatures, chains and CRLs have been verified once.
struct PreparedCollateral {
  std::uint64_t id = 0;
  std::shared_ptr<const Collateral> source;
  TcbInfo tcb_info;
  QeIdentity qe_identity;
  ossl::Ptr<X509_STORE> store;  // trusted roots + root CA CRL + PCK CRL, CRL checks on
  Window window;
};

// PckChain is a parsed PCK certificate chain from a quote.
struct PckChain {
  Chain chain;
  EVP_PKEY* leaf_key = nullptr;  // borrowed from chain.leaf()
  PckExtensions ext;
  PckCa ca = PckCa::kProcessor;
  std::string fmspc_hex;
};

Result<std::shared_ptr<const PckChain>> parse_pck_chain(std::string_view pem) {
  auto pck = std::make_shared<PckChain>();
  MR_ASSIGN_OR_RETURN(pck->chain, parse_chain(pem, "PCK certificate chain"));
  X509* leaf = pck->chain.leaf();
  if (common_name(X509_get_subject_name(leaf)).find("SGX PCK Certificate") == std::string::npos) {
    return deny("PCK certificate: subject CN does not name an SGX PCK Certificate");
  }
  const std::string issuer = common_name(X509_get_issuer_name(leaf));
  if (issuer.find("Platform") != std::string::npos) {
    pck->ca = PckCa::kPlatform;
  } else if (issuer.find("Processor") != std::string::npos) {
    pck->ca = PckCa::kProcessor;
  } else {
    return deny("PCK certificate: issuer is neither a Processor nor a Platform CA");
  }
  ossl::Ptr<ASN1_OBJECT> oid(OBJ_txt2obj(std::string(kSgxExtensionOid).c_str(), 1));
  if (!oid) return ossl::fail("building SGX extension OID");
  const int idx = X509_get_ext_by_OBJ(leaf, oid.get(), -1);
  if (idx < 0) return fail(ErrorCode::kInvalidArgument, "PCK certificate has no SGX extension");
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(leaf, idx));
  MR_ASSIGN_OR_RETURN(
      pck->ext, parse_pck_extensions(ByteSpan(ASN1_STRING_get0_data(data),
                                              static_cast<std::size_t>(ASN1_STRING_length(data)))));
  pck->leaf_key = X509_get0_pubkey(leaf);
  if (pck->leaf_key == nullptr || EVP_PKEY_get_base_id(pck->leaf_key) != EVP_PKEY_EC) {
    return fail(ErrorCode::kInvalidArgument, "PCK certificate key is not an EC key");
  }
  pck->fmspc_hex = upper_hex(pck->ext.fmspc);
  return std::shared_ptr<const PckChain>(std::move(pck));
}

struct TrustedRoot {
  ossl::Ptr<X509> cert;
};

// verify_signed_json checks an issuer chain against |store| and the r ‖ s signature over |text|.
Result<Window> verify_signed_json(X509_STORE* store, std::string_view chain_pem,
                                  std::string_view text, ByteSpan signature,
                                  std::string_view what) {
  MR_ASSIGN_OR_RETURN(Chain chain, parse_chain(chain_pem, fmt::format("{} issuer chain", what)));
  MR_ASSIGN_OR_RETURN(Window w, verify_chain(store, chain.leaf(), chain.untrusted.get(),
                                             fmt::format("{} issuer chain", what)));
  auto sig = verify_p256_raw(X509_get0_pubkey(chain.leaf()), as_bytes(text), signature);
  if (!sig) {
    if (sig.error().code == ErrorCode::kPermissionDenied) {
      return deny(fmt::format("{} signature verification failed", what));
    }
    return fail(std::move(sig).error().wrap(what));
  }
  return w;
}

Result<std::shared_ptr<const PreparedCollateral>> prepare_collateral(
    std::shared_ptr<const Collateral> source, const std::vector<TrustedRoot>& roots,
    std::uint64_t id) {
  auto p = std::make_shared<PreparedCollateral>();
  p->id = id;
  p->source = source;
  const Collateral& c = *source;

  auto root_crl = parse_der_crl(c.root_ca_crl);
  if (!root_crl) return fail(std::move(root_crl).error().wrap("root CA CRL"));
  auto pck_crl = parse_der_crl(c.pck_crl);
  if (!pck_crl) return fail(std::move(pck_crl).error().wrap("PCK CRL"));

  // The root CA CRL must be issued and signed by one of the trusted roots.
  const X509* crl_root = nullptr;
  for (const TrustedRoot& r : roots) {
    if (X509_NAME_cmp(X509_CRL_get_issuer(root_crl->get()), X509_get_subject_name(r.cert.get())) ==
            0 &&
        X509_CRL_verify(root_crl->get(), X509_get0_pubkey(r.cert.get())) == 1) {
      crl_root = r.cert.get();
    }
  }
  ossl::clear_errors();
  if (crl_root == nullptr) return deny("root CA CRL is not signed by a trusted root CA");

  p->store.reset(X509_STORE_new());
  if (!p->store) return ossl::fail("allocating X509 store");
  for (const TrustedRoot& r : roots) {
    if (X509_STORE_add_cert(p->store.get(), r.cert.get()) != 1) return ossl::fail("adding root CA");
  }
  if (X509_STORE_add_crl(p->store.get(), root_crl->get()) != 1 ||
      X509_STORE_add_crl(p->store.get(), pck_crl->get()) != 1) {
    return ossl::fail("adding CRLs");
  }
  X509_STORE_set_flags(p->store.get(), X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL |
                                           X509_V_FLAG_NO_CHECK_TIME);

  Window& w = p->window;
  MR_RETURN_IF_ERROR(narrow_by_crl(w, root_crl->get()));
  MR_RETURN_IF_ERROR(narrow_by_crl(w, pck_crl->get()));

  // PCK CRL: its issuer chain verifies, and the chain's leaf issued and signed the CRL.
  MR_ASSIGN_OR_RETURN(Chain crl_chain, parse_chain(c.pck_crl_issuer_chain, "PCK CRL issuer chain"));
  MR_ASSIGN_OR_RETURN(Window crl_w,
                      verify_chain(p->store.get(), crl_chain.leaf(), crl_chain.untrusted.get(),
                                   "PCK CRL issuer chain"));
  w.narrow(crl_w);
  if (X509_NAME_cmp(X509_CRL_get_issuer(pck_crl->get()), X509_get_subject_name(crl_chain.leaf())) !=
          0 ||
      X509_CRL_verify(pck_crl->get(), X509_get0_pubkey(crl_chain.leaf())) != 1) {
    ossl::clear_errors();
    return deny("PCK CRL is not signed by its issuer chain");
  }
  if (common_name(X509_CRL_get_issuer(pck_crl->get())).find("CA") == std::string::npos) {
    return deny("PCK CRL issuer is not a CA");
  }

  MR_ASSIGN_OR_RETURN(Window tcb_w,
                      verify_signed_json(p->store.get(), c.tcb_info_issuer_chain, c.tcb_info,
                                         c.tcb_info_signature, "TCB info"));
  w.narrow(tcb_w);
  MR_ASSIGN_OR_RETURN(Window qe_w,
                      verify_signed_json(p->store.get(), c.qe_identity_issuer_chain, c.qe_identity,
                                         c.qe_identity_signature, "QE identity"));
  w.narrow(qe_w);

  MR_ASSIGN_OR_RETURN(p->tcb_info, parse_tcb_info(c.tcb_info));
  MR_ASSIGN_OR_RETURN(p->qe_identity, parse_qe_identity(c.qe_identity));
  w.narrow(p->tcb_info.issue_date, p->tcb_info.next_update);
  w.narrow(p->qe_identity.issue_date, p->qe_identity.next_update);
  return std::shared_ptr<const PreparedCollateral>(std::move(p));
}

using PreparedResult = Result<std::shared_ptr<const PreparedCollateral>>;

constexpr std::size_t kMaxCacheEntries = 256;

}  // namespace

struct DcapQuoteVerifier::Impl {
  DcapVerifierConfig config;
  std::vector<TrustedRoot> roots;
  // The trusted roots alone (no CRLs, times checked later): a quote's PCK chain must chain to
  // one of them before any collateral is looked up or fetched for its FMSPC.
  ossl::Ptr<X509_STORE> roots_store;

  mutable std::mutex mu;
  // Guarded by mu: prepared collateral by source object (the entry keeps the source alive, so
  // its address cannot be reused while cached).
  mutable std::map<const Collateral*, std::pair<std::shared_ptr<const Collateral>, PreparedResult>>
      prepared;
  mutable std::uint64_t next_prepared_id = 1;
  // Guarded by mu: parsed PCK chains by SHA-256 of their PEM text.
  mutable std::map<std::string, Result<std::shared_ptr<const PckChain>>> chains;
  // Guarded by mu: chain verification results by (chain hash, prepared collateral id).
  mutable std::map<std::pair<std::string, std::uint64_t>, Result<Window>> chain_results;
  // Attestation keys a verified QE report certified, as keys, by SHA-256 of everything that
  // certification read: the PCK chain, the QE report and its signature, the attestation key and
  // the QE auth data. A platform's quoting enclave signs every quote with the same key under the
  // same QE report, so its second quote skips the QE report's signature check; any changed byte
  // is another entry, checked in full.
  mutable std::map<std::string, std::shared_ptr<EVP_PKEY>, std::less<>> certified_keys;

  // certified_key returns the attestation key of |q| if the QE report that certifies it (under
  // |pck|'s leaf key) verified, or the reason it did not.
  Result<std::shared_ptr<EVP_PKEY>> certified_key(const std::string& chain_key, const PckChain& pck,
                                                  const ParsedQuote& q) const {
    // All parts but the last have fixed sizes, so the concatenation is unambiguous.
    Bytes certified(chain_key.begin(), chain_key.end());
    certified.insert(certified.end(), q.qe_report_raw.begin(), q.qe_report_raw.end());
    certified.insert(certified.end(), q.qe_report_signature.begin(), q.qe_report_signature.end());
    certified.insert(certified.end(), q.attestation_key.begin(), q.attestation_key.end());
    certified.insert(certified.end(), q.qe_auth_data.begin(), q.qe_auth_data.end());
    const auto digest = sha256_digest(certified);
    const std::string id(digest.begin(), digest.end());
    {
      std::scoped_lock lock(mu);
      auto it = certified_keys.find(id);
      if (it != certified_keys.end()) return it->second;
    }
    if (!verify_p256_raw(pck.leaf_key, q.qe_report_raw, q.qe_report_signature)) {
      return deny("QE report signature verification failed");
    }
    Bytes hashed(q.attestation_key.begin(), q.attestation_key.end());
    hashed.insert(hashed.end(), q.qe_auth_data.begin(), q.qe_auth_data.end());
    const auto bound = sha256_digest(hashed);
    if (!std::equal(bound.begin(), bound.end(), q.qe_report.report_data.begin())) {
      return deny("QE report data does not match SHA-256(attestation key ‖ QE auth data)");
    }
    MR_ASSIGN_OR_RETURN(ossl::Ptr<EVP_PKEY> parsed, p256_public_key_from_raw(q.attestation_key));
    std::shared_ptr<EVP_PKEY> key(parsed.release(), ossl::Free<EVP_PKEY>());
    std::scoped_lock lock(mu);
    if (certified_keys.size() >= kMaxCacheEntries) certified_keys.clear();
    certified_keys.emplace(id, key);
    return key;
  }

  PreparedResult get_prepared(const std::shared_ptr<const Collateral>& source) const {
    std::uint64_t id = 0;
    {
      std::scoped_lock lock(mu);
      auto it = prepared.find(source.get());
      if (it != prepared.end()) return it->second.second;
      id = next_prepared_id++;
    }
    PreparedResult r = prepare_collateral(source, roots, id);
    std::scoped_lock lock(mu);
    if (prepared.size() >= kMaxCacheEntries) {
      prepared.clear();
      chain_results.clear();
    }
    prepared.emplace(source.get(), std::make_pair(source, r));
    return r;
  }

  // get_chain parses a PCK chain and checks that it chains to a trusted root (signatures only:
  // CRLs and validity times need the collateral and are checked with it). Cached by |key|.
  Result<std::shared_ptr<const PckChain>> get_chain(const std::string& key,
                                                    std::string_view pem) const {
    {
      std::scoped_lock lock(mu);
      auto it = chains.find(key);
      if (it != chains.end()) return it->second;
    }
    auto r = parse_pck_chain(pem);
    if (r) {
      auto anchored = verify_chain(roots_store.get(), (*r)->chain.leaf(),
                                   (*r)->chain.untrusted.get(), "PCK certificate chain");
      if (!anchored) r = fail(std::move(anchored).error());
    }
    std::scoped_lock lock(mu);
    if (chains.size() >= kMaxCacheEntries) {
      chains.clear();
      chain_results.clear();
    }
    chains.emplace(key, r);
    return r;
  }

  Result<Window> get_chain_result(const std::string& key, const PckChain& chain,
                                  const PreparedCollateral& coll) const {
    {
      std::scoped_lock lock(mu);
      auto it = chain_results.find({key, coll.id});
      if (it != chain_results.end()) return it->second;
    }
    auto r = verify_chain(coll.store.get(), chain.chain.leaf(), chain.chain.untrusted.get(),
                          "PCK certificate chain");
    std::scoped_lock lock(mu);
    if (chain_results.size() >= kMaxCacheEntries) chain_results.clear();
    chain_results.emplace(std::make_pair(key, coll.id), r);
    return r;
  }

  Result<VerifiedQuote> verify(ByteSpan input) const;
};

Result<VerifiedQuote> DcapQuoteVerifier::Impl::verify(ByteSpan input) const {
  MR_ASSIGN_OR_RETURN(ByteSpan raw, strip_oe_header(input));
  MR_ASSIGN_OR_RETURN(ParsedQuote q, parse_quote(raw));
  if (q.header.qe_vendor_id != kIntelQeVendorId) {
    return fail(ErrorCode::kInvalidArgument, "unsupported QE vendor (not Intel's quoting enclave)");
  }

  // The PCK chain: embedded (certification data type 5) or from the collateral.
  std::shared_ptr<const Collateral> collateral;
  std::string_view chain_pem;
  if (q.cert_data_type == kCertDataPckChain) {
    chain_pem =
        std::string_view(reinterpret_cast<const char*>(q.cert_data.data()), q.cert_data.size());
  } else {
    auto c = config.collateral->get(CollateralKey{q.tee_type, "", PckCa::kProcessor});
    if (!c) return fail(std::move(c).error().wrap("getting collateral"));
    collateral = std::move(*c);
    if (collateral->pck_chain.empty()) {
      return failf(ErrorCode::kInvalidArgument,
                   "quote does not embed its PCK chain (certification data type {}) and the "
                   "collateral has none",
                   q.cert_data_type);
    }
    chain_pem = collateral->pck_chain;
  }
  const auto chain_hash = sha256_digest(as_bytes(chain_pem));
  const std::string chain_key(chain_hash.begin(), chain_hash.end());
  MR_ASSIGN_OR_RETURN(std::shared_ptr<const PckChain> pck, get_chain(chain_key, chain_pem));

  // Only now, with the PCK chain anchored in a trusted root, is its FMSPC worth a collateral
  // lookup (which may fetch from the network).
  if (!collateral) {
    auto c = config.collateral->get(CollateralKey{q.tee_type, pck->fmspc_hex, pck->ca});
    if (!c) return fail(std::move(c).error().wrap("getting collateral"));
    collateral = std::move(*c);
  }
  MR_ASSIGN_OR_RETURN(std::shared_ptr<const PreparedCollateral> coll, get_prepared(collateral));
  MR_ASSIGN_OR_RETURN(Window window, get_chain_result(chain_key, *pck, *coll));
  window.narrow(coll->window);

  const UnixTime now = config.clock->now();
  if (now < window.not_before) {
    return failf(ErrorCode::kFailedPrecondition, "collateral is not yet valid (valid from {})",
                 format_rfc3339(window.not_before));
  }
  if (now > window.not_after) {
    return failf(ErrorCode::kFailedPrecondition, "collateral expired at {}",
                 format_rfc3339(window.not_after));
  }

  const TcbInfo& tcb = coll->tcb_info;
  if (tcb.version >= 3 && (tcb.id == "TDX") != (q.tee_type == TeeType::kTdx)) {
    return deny(fmt::format("TCB info is for {}, quote is {}", tcb.id, tee_type_name(q.tee_type)));
  }
  if (tcb.version < 3 && q.tee_type == TeeType::kTdx) return deny("TCB info v2 cannot cover TDX");
  if (tcb.fmspc != pck->ext.fmspc) {
    return deny(fmt::format("FMSPC mismatch: PCK certificate {}, TCB info {}", pck->fmspc_hex,
                            upper_hex(tcb.fmspc)));
  }
  if (tcb.pce_id != pck->ext.pce_id)
    return deny("PCE ID mismatch between PCK certificate and TCB info");
  const std::string_view want_qe = q.tee_type == TeeType::kTdx ? "TD_QE" : "QE";
  if (coll->qe_identity.id != want_qe) {
    return deny(
        fmt::format("QE identity is for {}, quote needs {}", coll->qe_identity.id, want_qe));
  }

  // The attestation key is certified (QE report signed by the PCK key, binding its hash).
  MR_ASSIGN_OR_RETURN(std::shared_ptr<EVP_PKEY> att_key, certified_key(chain_key, *pck, q));
  MR_ASSIGN_OR_RETURN(QeMatch qe, match_qe_identity(coll->qe_identity, q.qe_report));
  if (!verify_p256_raw(att_key.get(), raw.first(q.signed_size), q.signature)) {
    return deny("quote signature verification failed");
  }

  MR_ASSIGN_OR_RETURN(TcbMatch match, match_tcb(tcb, pck->ext, q, qe));

  VerifiedQuote out;
  out.tee_type = q.tee_type;
  out.quote_version = q.header.version;
  out.sgx = std::move(q.sgx);
  out.td = std::move(q.td);
  out.tcb_status = match.status;
  out.advisory_ids = std::move(match.advisory_ids);
  out.platform.fmspc = pck->fmspc_hex;
  out.platform.pce_id = upper_hex(pck->ext.pce_id);
  out.platform.cpu_svn = pck->ext.cpu_svn;
  out.platform.pce_svn = pck->ext.pce_svn;
  out.platform.qe_svn = q.qe_report.isv_svn;
  out.platform.tcb_date = std::move(match.tcb_date);
  out.collateral_expiry = window.not_after;
  return out;
}

Result<std::unique_ptr<DcapQuoteVerifier>> DcapQuoteVerifier::create(DcapVerifierConfig config) {
  if (!config.collateral)
    return fail(ErrorCode::kInvalidArgument, "DCAP verifier needs a collateral provider");
  if (config.clock == nullptr)
    return fail(ErrorCode::kInvalidArgument, "DCAP verifier needs a clock");
  auto impl = std::make_unique<Impl>();
  if (config.trusted_roots.empty()) {
    const ByteSpan intel = intel_sgx_root_ca_der();
    config.trusted_roots.emplace_back(intel.begin(), intel.end());
  }
  for (const Bytes& root : config.trusted_roots) {
    const std::string_view text(reinterpret_cast<const char*>(root.data()), root.size());
    if (text.find("-----BEGIN") != std::string_view::npos) {
      auto certs = parse_pem_certificates(text);
      if (!certs) return fail(std::move(certs).error().wrap("trusted root"));
      for (auto& c : *certs)
        impl->roots.push_back(TrustedRoot{std::move(c)});
    } else {
      auto cert = parse_der_certificate(root);
      if (!cert) return fail(std::move(cert).error().wrap("trusted root"));
      impl->roots.push_back(TrustedRoot{std::move(*cert)});
    }
  }
  impl->roots_store.reset(X509_STORE_new());
  if (!impl->roots_store) return ossl::fail("allocating X509 store");
  for (const TrustedRoot& r : impl->roots) {
    // The roots are shared by every verification, on any thread. OpenSSL caches a certificate's
    // decoded extensions in the X509 on first use, and readers on other threads then read the
    // cached key identifiers without its lock (TSan: IsSafeForConcurrentUse). Fill the cache
    // now, while the verifier is still private to this thread.
    X509_check_purpose(r.cert.get(), -1, 0);
    if (X509_STORE_add_cert(impl->roots_store.get(), r.cert.get()) != 1) {
      return ossl::fail("adding root CA");
    }
  }
  X509_STORE_set_flags(impl->roots_store.get(), X509_V_FLAG_NO_CHECK_TIME);
  impl->config = std::move(config);
  return std::unique_ptr<DcapQuoteVerifier>(new DcapQuoteVerifier(std::move(impl)));
}

DcapQuoteVerifier::DcapQuoteVerifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DcapQuoteVerifier::~DcapQuoteVerifier() = default;

Result<VerifiedQuote> DcapQuoteVerifier::verify(ByteSpan quote) const {
  return impl_->verify(quote);
}

}  // namespace mr::attestation::dcap
