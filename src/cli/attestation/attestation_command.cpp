#include "cli/attestation/attestation_command.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>

#include "attestation/claims.h"
#include "attestation/sgx_dcap/collateral.h"
#include "attestation/sgx_dcap/collateral_cache.h"
#include "attestation/sgx_dcap/dcap_verifier.h"
#include "attestation/sgx_dcap/pcs_fetcher.h"
#include "base/clock.h"
#include "base/encoding.h"

namespace mr::cli {
namespace {

using attestation::SgxReportBody;
using attestation::TdReportBody;
using attestation::VerifiedQuote;
using json = nlohmann::ordered_json;
namespace dcap = attestation::dcap;

constexpr int kExitVerified = 0;
constexpr int kExitNotVerified = 1;
constexpr int kExitBadInput = 2;

class FixedClock final : public Clock {
 public:
  explicit FixedClock(UnixTime t) : t_(t) {}
  [[nodiscard]] UnixTime now() const override { return t_; }

 private:
  UnixTime t_;
};

Result<Bytes> read_file(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return failf(ErrorCode::kInvalidArgument, "cannot read {} file {}", what, path);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// quote_bytes accepts binary quotes and hex text (as printed by many tools).
Bytes quote_bytes(Bytes data) {
  std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  if (text.size() >= 96 && text.size() % 2 == 0 &&
      std::all_of(text.begin(), text.end(),
                  [](unsigned char c) { return std::isxdigit(c) != 0; })) {
    if (auto decoded = hex_decode(text)) return std::move(*decoded);
  }
  return data;
}

json sgx_json(const SgxReportBody& r) {
  return {
      {"mrenclave", hex_encode(r.mr_enclave)},
      {"mrsigner", hex_encode(r.mr_signer)},
      {"isvProdID", r.isv_prod_id},
      {"isvSvn", r.isv_svn},
      {"debug", r.debug()},
      {"attributes", hex_encode(r.attributes)},
      {"miscSelect", r.misc_select},
      {"cpuSvn", hex_encode(r.cpu_svn)},
      {"configSvn", r.config_svn},
      {"configID", hex_encode(r.config_id)},
      {"isvExtProdID", hex_encode(r.isv_ext_prod_id)},
      {"isvFamilyID", hex_encode(r.isv_family_id)},
  };
}

json td_json(const TdReportBody& r) {
  json j = {
      {"mrtd", hex_encode(r.mr_td)},
      {"rtmr0", hex_encode(r.rtmr[0])},
      {"rtmr1", hex_encode(r.rtmr[1])},
      {"rtmr2", hex_encode(r.rtmr[2])},
      {"rtmr3", hex_encode(r.rtmr[3])},
      {"mrseam", hex_encode(r.mr_seam)},
      {"mrsignerseam", hex_encode(r.mr_signer_seam)},
      {"seamAttributes", hex_encode(r.seam_attributes)},
      {"tdAttributes", hex_encode(r.td_attributes)},
      {"xfam", hex_encode(r.xfam)},
      {"mrConfigID", hex_encode(r.mr_config_id)},
      {"mrOwner", hex_encode(r.mr_owner)},
      {"mrOwnerConfig", hex_encode(r.mr_owner_config)},
      {"teeTcbSvn", hex_encode(r.tee_tcb_svn)},
      {"debug", r.debug()},
  };
  if (r.tee_tcb_svn2) j["teeTcbSvn2"] = hex_encode(*r.tee_tcb_svn2);
  if (r.mr_service_td) j["mrServiceTD"] = hex_encode(*r.mr_service_td);
  return j;
}

json quote_json(const VerifiedQuote& q, UnixTime at) {
  json j = {
      {"verified", true},
      {"verifiedAt", format_rfc3339(at)},
      {"tee", attestation::tee_type_name(q.tee_type)},
      {"quoteVersion", q.quote_version},
      {"tcbStatus", attestation::tcb_status_name(q.tcb_status)},
      {"advisoryIDs", q.advisory_ids},
      {"collateralExpiry", format_rfc3339(q.collateral_expiry)},
      {"platform",
       {{"fmspc", q.platform.fmspc},
        {"pceID", q.platform.pce_id},
        {"pceSvn", q.platform.pce_svn},
        {"cpuSvn", hex_encode(q.platform.cpu_svn)},
        {"qeSvn", q.platform.qe_svn},
        {"tcbDate", q.platform.tcb_date}}},
      {"reportData", hex_encode(q.report_data())},
  };
  if (q.sgx) j["sgx"] = sgx_json(*q.sgx);
  if (q.td) j["td"] = td_json(*q.td);
  return j;
}

int report_failure(std::ostream& out, std::ostream& err, const Error& e, int code) {
  out << json{{"verified", false}, {"error", e.message}}.dump(2) << "\n";
  err << "attestation verify: " << e.message << "\n";
  return code;
}

}  // namespace

int run_attestation_verify(const AttestationVerifyOptions& o, std::ostream& out,
                           std::ostream& err) {
  auto bad_input = [&](const Error& e) { return report_failure(out, err, e, kExitBadInput); };

  SystemClock system_clock;
  UnixTime at = system_clock.now();
  if (!o.at.empty()) {
    auto t = parse_rfc3339(o.at);
    if (!t) return bad_input(Error{ErrorCode::kInvalidArgument, "--at must be an RFC 3339 time"});
    at = *t;
  }
  const FixedClock clock(at);

  auto quote = read_file(o.quote_path, "quote");
  if (!quote) return bad_input(quote.error());

  std::shared_ptr<const dcap::CollateralProvider> provider;
  if (!o.collateral_path.empty()) {
    auto c = dcap::load_collateral(o.collateral_path);
    if (!c) return bad_input(c.error());
    provider = std::make_shared<dcap::StaticCollateralProvider>(std::move(*c));
  } else {
    dcap::PcsConfig pcs;
    if (!o.pccs_url.empty()) pcs.base_url = o.pccs_url;
    dcap::CollateralCacheConfig cache;
    cache.fetcher = std::make_shared<dcap::PcsFetcher>(pcs);
    cache.clock = &clock;
    auto p = dcap::CachingCollateralProvider::create(cache);
    if (!p) return bad_input(p.error());
    provider = std::move(*p);
  }

  std::vector<Bytes> roots;
  if (!o.root_ca_path.empty()) {
    auto root = read_file(o.root_ca_path, "root CA");
    if (!root) return bad_input(root.error());
    roots.push_back(std::move(*root));
  }
  auto verifier = dcap::DcapQuoteVerifier::create({provider, &clock, std::move(roots)});
  if (!verifier) return bad_input(verifier.error());

  auto verified = (*verifier)->verify(quote_bytes(std::move(*quote)));
  if (!verified) {
    const ErrorCode code = verified.error().code;
    const bool refused =
        code == ErrorCode::kPermissionDenied || code == ErrorCode::kFailedPrecondition;
    return report_failure(out, err, verified.error(), refused ? kExitNotVerified : kExitBadInput);
  }
  out << quote_json(*verified, at).dump(2) << "\n";
  return kExitVerified;
}

void add_attestation_commands(CLI::App& app, int& exit_code) {
  auto* group = app.add_subcommand("attestation", "Verify SGX and TDX attestation evidence");
  group->require_subcommand(1);
  auto* verify = group->add_subcommand(
      "verify", "Verify a DCAP quote (SGX v3, TDX v4/v5) offline and print its claims as JSON");
  auto options = std::make_shared<AttestationVerifyOptions>();
  verify->add_option("--quote", options->quote_path, "Quote file (binary, OE-framed or hex)")
      ->required();
  verify->add_option("--collateral", options->collateral_path,
                     "Collateral: directory of Intel PCS files or single JSON file "
                     "(default: fetch from --pccs-url)");
  verify->add_option("--root-ca", options->root_ca_path,
                     "Trusted root CA, DER or PEM (default: Intel SGX Root CA)");
  verify->add_option("--at", options->at, "Verification time, RFC 3339 (default: now)");
  verify->add_option("--pccs-url", options->pccs_url,
                     "PCCS or Intel PCS base URL for fetching collateral (default: Intel PCS)");
  verify->callback([options, &exit_code] {
    exit_code = run_attestation_verify(*options, std::cout, std::cerr);
  });
}

}  // namespace mr::cli
