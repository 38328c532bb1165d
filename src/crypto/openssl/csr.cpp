// PKCS#10 certificate requests (Go's CreateCertificateRequest / ParseCertificateRequest +
// CheckSignature).

#include "crypto/openssl/der.h"
#include "crypto/openssl/impl.h"

namespace mr::crypto {
namespace {

// Owning stack of extensions (X509_REQ_get_extensions hands over elements and stack).
struct ExtensionStackFree {
  void operator()(STACK_OF(X509_EXTENSION) * s) const noexcept {
    sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free);
  }
};
using ExtensionStack = std::unique_ptr<STACK_OF(X509_EXTENSION), ExtensionStackFree>;

tl::unexpected<Error> parse_error(std::string_view reason) {
  ossl::clear_errors();
  return fail(ErrorCode::kInvalidArgument, fmt::format("parsing CSR: {}", reason));
}

tl::unexpected<Error> bad_signature() {
  ossl::clear_errors();
  return fail(ErrorCode::kPermissionDenied, "signature over CSR is invalid");
}

}  // namespace

Result<Bytes> create_csr(const PrivateKey& key, const DistinguishedName& subject,
                         const std::vector<std::string>& dns_names,
                         const std::vector<IpAddress>& ip_addresses) {
  MR_ASSIGN_OR_RETURN(Bytes subject_der, detail::encode_name(subject));
  const unsigned char* p = subject_der.data();
  ossl::Ptr<X509_NAME> name(d2i_X509_NAME(nullptr, &p, static_cast<long>(subject_der.size())));
  ossl::Ptr<X509_REQ> req(X509_REQ_new());
  if (!name || !req || X509_REQ_set_version(req.get(), 0) != 1 ||
      X509_REQ_set_subject_name(req.get(), name.get()) != 1) {
    return ossl::fail("building CSR");
  }
  MR_RETURN_IF_ERROR(detail::set_spki(X509_REQ_get_X509_PUBKEY(req.get()), key.public_key()));
  if (!dns_names.empty() || !ip_addresses.empty()) {
    MR_ASSIGN_OR_RETURN(Bytes sans, detail::encode_sans(dns_names, {}, ip_addresses, {}));
    MR_ASSIGN_OR_RETURN(
        auto ext, detail::make_extension(Extension{Oid(detail::kOidSubjectAltName), false, sans}));
    // A non-owning stack: |ext| keeps the element alive; X509_REQ_add_extensions copies it.
    ossl::Ptr<STACK_OF(X509_EXTENSION)> exts(sk_X509_EXTENSION_new_null());
    if (!exts || sk_X509_EXTENSION_push(exts.get(), ext.get()) <= 0 ||
        X509_REQ_add_extensions(req.get(), exts.get()) != 1) {
      return ossl::fail("adding CSR extension request");
    }
  }
  MR_ASSIGN_OR_RETURN(detail::SigAlg alg, detail::resolve_sig_alg(key.public_key(), 0));
  MR_ASSIGN_OR_RETURN(auto ctx, detail::sign_ctx(key, alg));
  if (X509_REQ_sign_ctx(req.get(), ctx.get()) <= 0) return ossl::fail("signing CSR");
  Bytes der = ossl::to_der<X509_REQ>(i2d_X509_REQ, req.get());
  if (der.empty()) return ossl::fail("encoding CSR");
  return der;
}

Result<CsrInfo> parse_csr(ByteSpan der) {
  // Parsed without decoding its key (a decoder chain per CSR on OpenSSL 3.0, a few percent of an
  // activation); the common key, a point on a named curve, is then imported directly. Any other
  // key is judged by a normal parse.
  const unsigned char* p = der.data();
  ossl::Ptr<X509_REQ> req(reinterpret_cast<X509_REQ*>(
      ASN1_item_d2i_ex(nullptr, &p, static_cast<long>(der.size()), ASN1_ITEM_rptr(X509_REQ),
                       detail::keyless_libctx(), nullptr)));
  if (!req || der.empty()) return parse_error("malformed certificate request");
  if (p != der.data() + der.size()) return parse_error("trailing data");

  std::optional<PublicKey> imported =
      detail::public_key_from_named_curve_spki(X509_REQ_get_X509_PUBKEY(req.get()));
  if (!imported) {
    p = der.data();
    req.reset(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
    if (!req) return parse_error("malformed certificate request");
  }
  auto pub = imported ? Result<PublicKey>(std::move(*imported))
                      : detail::public_key_from_spki(X509_REQ_get_X509_PUBKEY(req.get()));
  if (!pub) return parse_error(pub.error().message);

  const Bytes subject_der =
      ossl::to_der<X509_NAME>(i2d_X509_NAME, X509_REQ_get_subject_name(req.get()));
  auto subject = detail::parse_name(subject_der);
  if (!subject) return parse_error(subject.error().message);

  CsrInfo info{std::move(*subject), {}, {}, {}, {}, std::move(*pub)};
  ExtensionStack exts(X509_REQ_get_extensions(req.get()));
  ossl::clear_errors();  // a CSR without an extension request leaves a harmless error behind
  for (int i = 0; exts && i < sk_X509_EXTENSION_num(exts.get()); ++i) {
    const Extension e = detail::read_extension(sk_X509_EXTENSION_value(exts.get(), i));
    if (e.id != detail::kOidSubjectAltName) continue;
    auto sans = detail::parse_sans(e.value);
    if (!sans) return parse_error(sans.error().message);
    info.dns_names = std::move(sans->dns);
    info.ip_addresses = std::move(sans->ips);
    info.email_addresses = std::move(sans->emails);
    info.uris = std::move(sans->uris);
  }

  // Go's CheckSignature refuses insecure and unknown algorithms before verifying.
  const X509_ALGOR* sig_alg = nullptr;
  X509_REQ_get0_signature(req.get(), nullptr, &sig_alg);
  const int alg = detail::sig_alg_from_der(ossl::to_der<X509_ALGOR>(i2d_X509_ALGOR, sig_alg));
  if (alg == 0 || detail::is_insecure_signature_algorithm(alg)) return bad_signature();
  // The default library context: |req| may have been parsed in the keyless one.
  if (X509_REQ_verify_ex(req.get(), info.public_key.impl().pkey.get(), nullptr, nullptr) != 1) {
    return bad_signature();
  }
  return info;
}

}  // namespace mr::crypto
