#include "attestation/sgx_dcap/pcs_fetcher.h"

#include <fmt/format.h>
#include <httplib.h>

#include <utility>

namespace mr::attestation::dcap {
namespace {

// Url splits "scheme://host[:port][/path]" into what httplib::Client wants and a path prefix.
struct Url {
  std::string scheme_host_port;
  std::string path;
};

Result<Url> split_url(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return fail(ErrorCode::kInvalidArgument, "collateral service URL needs http:// or https://");
  }
  const std::string_view scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return fail(ErrorCode::kInvalidArgument, "collateral service URL needs http:// or https://");
  }
  const std::size_t path_start = url.find('/', scheme_end + 3);
  Url out;
  out.scheme_host_port = std::string(url.substr(0, path_start));
  if (path_start != std::string_view::npos) out.path = std::string(url.substr(path_start));
  while (!out.path.empty() && out.path.back() == '/')
    out.path.pop_back();
  return out;
}

struct Response {
  std::string body;
  httplib::Headers headers;
};

Result<Response> http_get(const PcsConfig& cfg, std::string_view url) {
  MR_ASSIGN_OR_RETURN(Url u, split_url(url));
  httplib::Client client(u.scheme_host_port);
  client.set_connection_timeout(cfg.timeout);
  client.set_read_timeout(cfg.timeout);
  client.set_follow_location(true);
  client.enable_server_certificate_verification(cfg.verify_tls);
  if (!cfg.ca_bundle_path.empty()) client.set_ca_cert_path(cfg.ca_bundle_path);
  httplib::Headers headers;
  if (!cfg.api_key.empty()) headers.emplace("Ocp-Apim-Subscription-Key", cfg.api_key);
  const std::string path = u.path.empty() ? "/" : u.path;
  auto res = client.Get(path.c_str(), headers);
  if (!res) {
    return failf(ErrorCode::kUnavailable, "fetching collateral from {}: {}", u.scheme_host_port,
                 httplib::to_string(res.error()));
  }
  if (res->status != 200) {
    return failf(ErrorCode::kUnavailable, "fetching collateral from {}: HTTP status {}",
                 u.scheme_host_port, res->status);
  }
  return Response{std::move(res->body), std::move(res->headers)};
}

Result<std::string> issuer_chain_header(const Response& r,
                                        std::initializer_list<const char*> names) {
  for (const char* name : names) {
    auto it = r.headers.find(name);
    if (it != r.headers.end()) return decode_issuer_chain(it->second).map_error(Wrap(name));
  }
  return failf(ErrorCode::kInvalidArgument, "collateral response lacks the {} header",
               *names.begin());
}

}  // namespace

Result<Collateral> PcsFetcher::fetch(const CollateralKey& key) const {
  std::string base = config_.base_url;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  const std::string tee = key.tee == TeeType::kTdx ? "tdx" : "sgx";
  const std::string v = config_.api_version;
  Collateral c;

  {
    MR_ASSIGN_OR_RETURN(
        Response r, http_get(config_, fmt::format("{}/{}/certification/{}/tcb?fmspc={}", base, tee,
                                                  v, key.fmspc)));
    MR_ASSIGN_OR_RETURN(auto split, split_signed_body(r.body, "tcbInfo"));
    c.tcb_info = std::move(split.first);
    c.tcb_info_signature = std::move(split.second);
    MR_ASSIGN_OR_RETURN(
        c.tcb_info_issuer_chain,
        issuer_chain_header(r, {"TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain"}));
  }
  {
    MR_ASSIGN_OR_RETURN(
        Response r,
        http_get(config_, fmt::format("{}/{}/certification/{}/qe/identity", base, tee, v)));
    auto split = split_signed_body(r.body, "enclaveIdentity");
    if (!split) split = split_signed_body(r.body, "qeIdentity");
    if (!split) return fail(split.error());
    c.qe_identity = std::move(split->first);
    c.qe_identity_signature = std::move(split->second);
    MR_ASSIGN_OR_RETURN(c.qe_identity_issuer_chain,
                        issuer_chain_header(r, {"SGX-Enclave-Identity-Issuer-Chain",
                                                "Enclave-Identity-Issuer-Chain"}));
  }
  {
    MR_ASSIGN_OR_RETURN(
        Response r,
        http_get(config_, fmt::format("{}/sgx/certification/{}/pckcrl?ca={}&encoding=der", base, v,
                                      pck_ca_name(key.ca))));
    MR_ASSIGN_OR_RETURN(c.pck_crl, decode_crl(as_bytes(r.body)));
    MR_ASSIGN_OR_RETURN(c.pck_crl_issuer_chain,
                        issuer_chain_header(r, {"SGX-PCK-CRL-Issuer-Chain"}));
  }
  {
    std::string url = config_.root_ca_crl_url;
    if (url.empty()) {
      url = base.find("trustedservices.intel.com") != std::string::npos
                ? std::string(kIntelRootCaCrlUrl)
                : fmt::format("{}/sgx/certification/{}/rootcacrl", base, v);
    }
    MR_ASSIGN_OR_RETURN(Response r, http_get(config_, url));
    MR_ASSIGN_OR_RETURN(c.root_ca_crl, decode_crl(as_bytes(r.body)));
  }
  return c;
}

}  // namespace mr::attestation::dcap
