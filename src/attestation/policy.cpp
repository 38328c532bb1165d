#include "attestation/policy.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "base/encoding.h"
#include "base/log.h"
#include "base/strings.h"
#include "crypto/hash.h"
#include "gojson/go_json.h"

namespace mr::attestation {
namespace {

const log::Logger kLog("attestation");

tl::unexpected<Error> deny(std::string message) {
  return fail(ErrorCode::kPermissionDenied, std::move(message));
}

bool contains_exact(const std::vector<std::string>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

bool contains_fold(const std::vector<std::string>& list, std::string_view s) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& x) { return equal_fold(x, s); });
}

}  // namespace

Status check_tcb_status(TcbVerdict verdict, TcbStatus status,
                        const std::vector<std::string>& accepted) {
  const std::vector<std::string>& list = accepted.empty() ? kDefaultAcceptedTcbStatuses : accepted;
  const std::string_view name = tcb_status_name(status);
  if (verdict == TcbVerdict::kOk) {
    if (status == TcbStatus::kUpToDate) return ok();
    if (status != TcbStatus::kSWHardeningNeeded) {
      return deny(fmt::format("unexpected: got no error, but TCB status is {}", name));
    }
  } else if (status == TcbStatus::kUpToDate) {
    return deny("unexpected: got ErrTCBLevelInvalid, but TCB status is UpToDate");
  }
  if (!contains_exact(list, name)) return deny(fmt::format("TCB level invalid: {}", name));
  return ok();
}

Status check_advisories(TcbStatus status, const std::optional<std::vector<std::string>>& advisories,
                        const std::vector<std::string>& accepted) {
  if (status != TcbStatus::kSWHardeningNeeded || accepted.empty()) return ok();
  if (!advisories) return deny("no valid TCB advisory list in report");
  std::vector<std::string> refused;
  for (const std::string& id : *advisories) {
    if (!contains_fold(accepted, id)) refused.push_back(id);
  }
  if (!refused.empty()) {
    return deny(fmt::format("TCB status {} contains advisories not accepted by configuration: [{}]",
                            tcb_status_name(status), join(refused, " ")));
  }
  return ok();
}

Status check_report_data(const ReportData& report_data, ByteSpan cert_der) {
  const crypto::Sha256Digest hash = crypto::sha256(cert_der);
  if (!std::equal(hash.begin(), hash.end(), report_data.begin())) {
    return deny("hash(cert) != report.Data");
  }
  return ok();
}

Status check_package(const VerifiedQuote& quote, const PackagePolicy& pkg) {
  if (!quote.sgx) return deny("package properties not compliant: quote is not from an SGX enclave");
  const SgxReportBody& r = *quote.sgx;
  if (pkg.debug != r.debug()) {
    return deny(fmt::format("package properties not compliant: Debug is {}, package requires {}",
                            r.debug(), pkg.debug));
  }
  if (!pkg.unique_id.empty() && !equal_fold(pkg.unique_id, hex_encode(r.mr_enclave))) {
    return deny("package properties not compliant: UniqueID does not match");
  }
  if (!pkg.signer_id.empty() && !equal_fold(pkg.signer_id, hex_encode(r.mr_signer))) {
    return deny("package properties not compliant: SignerID does not match");
  }
  if (pkg.product_id && *pkg.product_id != r.isv_prod_id) {
    return deny(
        fmt::format("package properties not compliant: ProductID is {}, package requires {}",
                    r.isv_prod_id, *pkg.product_id));
  }
  if (pkg.security_version && r.isv_svn < *pkg.security_version) {
    return deny(fmt::format(
        "package properties not compliant: SecurityVersion is {}, package requires at least {}",
        r.isv_svn, *pkg.security_version));
  }
  return ok();
}

Result<VerifiedQuote> verify_marble_quote(const QuoteVerifier& verifier, ByteSpan quote,
                                          ByteSpan peer_cert_der, const PackagePolicy& pkg) {
  MR_ASSIGN_OR_RETURN(VerifiedQuote q, verifier.verify(quote));
  MR_RETURN_IF_ERROR(check_tcb_status(q.verdict(), q.tcb_status, pkg.accepted_tcb_statuses));
  if (q.tcb_status != TcbStatus::kUpToDate) {
    kLog.warn(
        "accepting quote with non-UpToDate TCB status",
        {{"tcbStatus", tcb_status_name(q.tcb_status)}, {"advisories", join(q.advisory_ids, ",")}});
  }
  MR_RETURN_IF_ERROR(check_advisories(q.tcb_status, q.advisory_ids, pkg.accepted_advisories));
  MR_RETURN_IF_ERROR(check_report_data(q.report_data(), peer_cert_der));
  MR_RETURN_IF_ERROR(check_package(q, pkg));
  return q;
}

namespace {

tl::unexpected<Error> invalid_config(std::string_view what) {
  return fail(ErrorCode::kInvalidArgument, fmt::format("invalid era config: {}", what));
}

}  // namespace

Status check_accepted_tcb_statuses(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    const auto status = parse_tcb_status(name);
    if (status && *status != TcbStatus::kUnknown) continue;
    std::string hint;
    std::vector<std::string_view> known;
    for (TcbStatus s : kIntelTcbStatuses) {
      known.push_back(tcb_status_name(s));
      if (equal_fold(known.back(), name)) hint = fmt::format("did you mean \"{}\"? ", known.back());
    }
    return failf(ErrorCode::kInvalidArgument,
                 "AcceptedTCBStatuses value {:?} is not a TCB status ({}names are case-sensitive: "
                 "{})",
                 name, hint, fmt::join(known, ", "));
  }
  return ok();
}

Result<EraConfig> parse_era_config(std::string_view text) {
  auto doc = gojson::parse(text);
  if (!doc) return invalid_config(doc.error().message);
  EraConfig cfg;
  std::uint64_t product_id = 0;
  gojson::Decoder d;
  d.object(*doc, "VerifyOptions",
           {{"SecurityVersion", [&](const gojson::Json& v) { d.uint64(v, cfg.security_version); }},
            {"UniqueID", [&](const gojson::Json& v) { d.string(v, cfg.unique_id); }},
            {"SignerID", [&](const gojson::Json& v) { d.string(v, cfg.signer_id); }},
            {"ProductID",
             [&](const gojson::Json& v) { d.unsigned_int(v, "uint16", 0xffff, product_id); }},
            {"Debug", [&](const gojson::Json& v) { d.boolean(v, cfg.debug); }},
            {"InsecureSkipVerify",
             [&](const gojson::Json& v) { d.boolean(v, cfg.insecure_skip_verify); }},
            {"AcceptedTCBStatuses",
             [&](const gojson::Json& v) { d.string_list(v, cfg.accepted_tcb_statuses); }},
            {"AcceptedAdvisories",
             [&](const gojson::Json& v) { d.string_list(v, cfg.accepted_advisories); }},
            {"Nonce", [&](const gojson::Json& v) { d.bytes(v, cfg.nonce); }}});
  if (d.failed()) return invalid_config(d.take_error().message);
  if (auto names = check_accepted_tcb_statuses(cfg.accepted_tcb_statuses); !names) {
    return invalid_config(names.error().message);
  }
  cfg.product_id = static_cast<std::uint16_t>(product_id);
  return cfg;
}

Status check_coordinator_quote(const VerifiedQuote& quote, ByteSpan root_der, ByteSpan nonce,
                               const EraConfig& cfg) {
  if (!quote.sgx) return deny("Coordinator quote is not from an SGX enclave");
  const SgxReportBody& r = *quote.sgx;

  crypto::Sha256 h;
  h.update(root_der);
  h.update(nonce);
  const crypto::Sha256Digest expected = h.finish();
  if (!std::equal(expected.begin(), expected.end(), r.report_data.begin())) {
    return deny("report data does not match the Coordinator's certificate");
  }

  Bytes unique_id, signer_id;
  if (!cfg.unique_id.empty()) {
    auto b = hex_decode(cfg.unique_id);
    if (!b) return invalid_config("UniqueID is not hex");
    unique_id = std::move(*b);
  }
  if (!cfg.signer_id.empty()) {
    auto b = hex_decode(cfg.signer_id);
    if (!b) return invalid_config("SignerID is not hex");
    signer_id = std::move(*b);
  }
  if (unique_id.empty()) {
    if (cfg.security_version == 0) return invalid_config("missing SecurityVersion");
    if (cfg.product_id == 0) return invalid_config("missing ProductID");
  }
  if (r.isv_svn < cfg.security_version) {
    return deny(fmt::format("invalid SecurityVersion: {}, want at least {}", r.isv_svn,
                            cfg.security_version));
  }
  if (r.isv_prod_id != cfg.product_id) {
    return deny(fmt::format("invalid ProductID: {}, want {}", r.isv_prod_id, cfg.product_id));
  }
  if (r.debug() && !cfg.debug) return deny("debug enclave not allowed");
  if (!unique_id.empty() &&
      !std::equal(unique_id.begin(), unique_id.end(), r.mr_enclave.begin(), r.mr_enclave.end())) {
    return deny("invalid UniqueID");
  }
  if (!signer_id.empty() &&
      !std::equal(signer_id.begin(), signer_id.end(), r.mr_signer.begin(), r.mr_signer.end())) {
    return deny("invalid SignerID");
  }
  MR_RETURN_IF_ERROR(
      check_tcb_status(quote.verdict(), quote.tcb_status, cfg.accepted_tcb_statuses));
  return check_advisories(quote.tcb_status, quote.advisory_ids, cfg.accepted_advisories);
}

}  // namespace mr::attestation
