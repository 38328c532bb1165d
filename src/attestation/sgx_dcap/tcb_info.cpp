#include "attestation/sgx_dcap/tcb_info.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/json_depth.h"

namespace mr::attestation::dcap {
namespace {

using nlohmann::json;

// Json wraps field access with errors that name the document and the field.
class Fields {
 public:
  Fields(const json& obj, std::string_view doc) : obj_(obj), doc_(doc) {}

  tl::unexpected<Error> bad(std::string_view what) const {
    return fail(ErrorCode::kInvalidArgument, fmt::format("invalid {}: {}", doc_, what));
  }
  const json* find(std::string_view key) const {
    auto it = obj_.find(std::string(key));
    return it == obj_.end() ? nullptr : &*it;
  }
  Result<const json*> get(std::string_view key) const {
    const json* v = find(key);
    if (v == nullptr) return bad(fmt::format("missing {}", key));
    return v;
  }
  Result<std::string> str(std::string_view key) const {
    MR_ASSIGN_OR_RETURN(const json* v, get(key));
    if (!v->is_string()) return bad(fmt::format("{} is not a string", key));
    return v->get<std::string>();
  }
  Result<std::uint64_t> uint(std::string_view key, std::uint64_t max) const {
    MR_ASSIGN_OR_RETURN(const json* v, get(key));
    if (!v->is_number_unsigned() || v->get<std::uint64_t>() > max) {
      return bad(fmt::format("{} is not an integer in range", key));
    }
    return v->get<std::uint64_t>();
  }
  Result<UnixTime> time(std::string_view key) const {
    MR_ASSIGN_OR_RETURN(std::string s, str(key));
    auto t = parse_rfc3339(s);
    if (!t) return bad(fmt::format("{} is not an RFC 3339 time", key));
    return *t;
  }
  template <std::size_t N>
  Result<std::array<std::uint8_t, N>> hex(std::string_view key) const {
    MR_ASSIGN_OR_RETURN(std::string s, str(key));
    auto b = hex_decode(s);
    if (!b || b->size() != N) return bad(fmt::format("{} is not {} bytes of hex", key, N));
    std::array<std::uint8_t, N> out{};
    std::copy(b->begin(), b->end(), out.begin());
    return out;
  }
  Result<Bytes> hex_bytes(std::string_view key) const {
    MR_ASSIGN_OR_RETURN(std::string s, str(key));
    auto b = hex_decode(s);
    if (!b) return bad(fmt::format("{} is not hex", key));
    return std::move(*b);
  }
  Result<std::vector<std::string>> advisories() const {
    std::vector<std::string> out;
    const json* v = find("advisoryIDs");
    if (v == nullptr) return out;
    if (!v->is_array()) return bad("advisoryIDs is not a list");
    for (const json& e : *v) {
      if (!e.is_string()) return bad("advisoryIDs is not a list of strings");
      out.push_back(e.get<std::string>());
    }
    return out;
  }
  Result<const json*> array(std::string_view key) const {
    MR_ASSIGN_OR_RETURN(const json* v, get(key));
    if (!v->is_array()) return bad(fmt::format("{} is not a list", key));
    return v;
  }
  Result<const json*> object(std::string_view key) const {
    MR_ASSIGN_OR_RETURN(const json* v, get(key));
    if (!v->is_object()) return bad(fmt::format("{} is not an object", key));
    return v;
  }

 private:
  const json& obj_;
  std::string_view doc_;
};

constexpr std::string_view kTcbInfoDoc = "TCB info";
constexpr std::string_view kQeIdentityDoc = "QE identity";

Result<std::array<std::uint8_t, 16>> parse_components(const json& list, const Fields& parent,
                                                      std::string_view key) {
  if (!list.is_array() || list.size() != 16)
    return parent.bad(fmt::format("{} must list 16 components", key));
  std::array<std::uint8_t, 16> out{};
  for (std::size_t i = 0; i < 16; ++i) {
    if (!list[i].is_object()) return parent.bad(fmt::format("{} entry is not an object", key));
    Fields c(list[i], kTcbInfoDoc);
    MR_ASSIGN_OR_RETURN(std::uint64_t svn, c.uint("svn", 255));
    out[i] = static_cast<std::uint8_t>(svn);
  }
  return out;
}

Result<TcbLevel> parse_tcb_level(const json& j, int version) {
  if (!j.is_object()) return Fields(j, kTcbInfoDoc).bad("TCB level is not an object");
  Fields f(j, kTcbInfoDoc);
  TcbLevel level;
  MR_ASSIGN_OR_RETURN(const json* tcb_json, f.object("tcb"));
  Fields tcb(*tcb_json, kTcbInfoDoc);
  if (version >= 3) {
    MR_ASSIGN_OR_RETURN(const json* sgx, tcb.array("sgxtcbcomponents"));
    MR_ASSIGN_OR_RETURN(level.sgx_components, parse_components(*sgx, tcb, "sgxtcbcomponents"));
    if (const json* tdx = tcb.find("tdxtcbcomponents")) {
      MR_ASSIGN_OR_RETURN(level.tdx_components, parse_components(*tdx, tcb, "tdxtcbcomponents"));
    }
  } else {
    for (std::size_t i = 0; i < 16; ++i) {
      MR_ASSIGN_OR_RETURN(std::uint64_t svn,
                          tcb.uint(fmt::format("sgxtcbcomp{:02}svn", i + 1), 255));
      level.sgx_components[i] = static_cast<std::uint8_t>(svn);
    }
  }
  MR_ASSIGN_OR_RETURN(std::uint64_t pce_svn, tcb.uint("pcesvn", 0xffff));
  level.pce_svn = static_cast<std::uint16_t>(pce_svn);
  MR_ASSIGN_OR_RETURN(level.tcb_date, f.str("tcbDate"));
  MR_ASSIGN_OR_RETURN(level.status, f.str("tcbStatus"));
  MR_ASSIGN_OR_RETURN(level.advisory_ids, f.advisories());
  return level;
}

Result<TdxModuleIdentity> parse_tdx_module(const json& j, bool with_levels) {
  if (!j.is_object()) return Fields(j, kTcbInfoDoc).bad("TDX module is not an object");
  Fields f(j, kTcbInfoDoc);
  TdxModuleIdentity m;
  if (with_levels) {
    MR_ASSIGN_OR_RETURN(m.id, f.str("id"));
  }
  MR_ASSIGN_OR_RETURN(m.mr_signer, f.hex_bytes("mrsigner"));
  MR_ASSIGN_OR_RETURN(m.attributes, f.hex<8>("attributes"));
  MR_ASSIGN_OR_RETURN(m.attributes_mask, f.hex<8>("attributesMask"));
  if (!with_levels) return m;
  MR_ASSIGN_OR_RETURN(const json* levels, f.array("tcbLevels"));
  for (const json& l : *levels) {
    if (!l.is_object()) return f.bad("TDX module TCB level is not an object");
    Fields lf(l, kTcbInfoDoc);
    TdxModuleTcbLevel level;
    MR_ASSIGN_OR_RETURN(const json* tcb_json, lf.object("tcb"));
    MR_ASSIGN_OR_RETURN(std::uint64_t svn, Fields(*tcb_json, kTcbInfoDoc).uint("isvsvn", 255));
    level.isv_svn = static_cast<std::uint8_t>(svn);
    MR_ASSIGN_OR_RETURN(level.tcb_date, lf.str("tcbDate"));
    MR_ASSIGN_OR_RETURN(level.status, lf.str("tcbStatus"));
    MR_ASSIGN_OR_RETURN(level.advisory_ids, lf.advisories());
    m.tcb_levels.push_back(std::move(level));
  }
  return m;
}

Result<TcbInfo> parse_tcb_info_object(const json& doc) {
  Fields f(doc, kTcbInfoDoc);
  TcbInfo info;
  MR_ASSIGN_OR_RETURN(std::uint64_t version, f.uint("version", 100));
  info.version = static_cast<int>(version);
  if (info.version != 2 && info.version != 3)
    return f.bad(fmt::format("unsupported version {}", version));
  if (info.version == 3) {
    MR_ASSIGN_OR_RETURN(info.id, f.str("id"));
    if (info.id != "SGX" && info.id != "TDX") return f.bad("unknown id");
  }
  MR_ASSIGN_OR_RETURN(info.issue_date, f.time("issueDate"));
  MR_ASSIGN_OR_RETURN(info.next_update, f.time("nextUpdate"));
  MR_ASSIGN_OR_RETURN(info.fmspc, f.hex<6>("fmspc"));
  MR_ASSIGN_OR_RETURN(info.pce_id, f.hex<2>("pceId"));
  MR_ASSIGN_OR_RETURN(std::uint64_t tcb_type, f.uint("tcbType", 100));
  info.tcb_type = static_cast<int>(tcb_type);
  MR_ASSIGN_OR_RETURN(info.tcb_evaluation_data_number,
                      f.uint("tcbEvaluationDataNumber", UINT32_MAX));
  if (const json* m = f.find("tdxModule")) {
    MR_ASSIGN_OR_RETURN(info.tdx_module, parse_tdx_module(*m, /*with_levels=*/false));
  }
  if (const json* ids = f.find("tdxModuleIdentities")) {
    if (!ids->is_array()) return f.bad("tdxModuleIdentities is not a list");
    for (const json& id : *ids) {
      MR_ASSIGN_OR_RETURN(TdxModuleIdentity m, parse_tdx_module(id, /*with_levels=*/true));
      info.tdx_module_identities.push_back(std::move(m));
    }
  }
  MR_ASSIGN_OR_RETURN(const json* levels, f.array("tcbLevels"));
  for (const json& l : *levels) {
    MR_ASSIGN_OR_RETURN(TcbLevel level, parse_tcb_level(l, info.version));
    info.tcb_levels.push_back(std::move(level));
  }
  if (info.tcb_levels.empty()) return f.bad("no TCB levels");
  if (info.id == "TDX") {
    if (!info.tdx_module) return f.bad("TDX TCB info without tdxModule");
    for (const TcbLevel& l : info.tcb_levels) {
      if (!l.tdx_components) return f.bad("TDX TCB level without tdxtcbcomponents");
    }
  }
  return info;
}

Result<QeIdentity> parse_qe_identity_object(const json& doc) {
  Fields f(doc, kQeIdentityDoc);
  QeIdentity id;
  MR_ASSIGN_OR_RETURN(std::uint64_t version, f.uint("version", 100));
  id.version = static_cast<int>(version);
  if (id.version != 2) return f.bad(fmt::format("unsupported version {}", version));
  MR_ASSIGN_OR_RETURN(id.id, f.str("id"));
  MR_ASSIGN_OR_RETURN(id.issue_date, f.time("issueDate"));
  MR_ASSIGN_OR_RETURN(id.next_update, f.time("nextUpdate"));
  MR_ASSIGN_OR_RETURN(id.tcb_evaluation_data_number, f.uint("tcbEvaluationDataNumber", UINT32_MAX));
  MR_ASSIGN_OR_RETURN(id.miscselect, f.hex<4>("miscselect"));
  MR_ASSIGN_OR_RETURN(id.miscselect_mask, f.hex<4>("miscselectMask"));
  MR_ASSIGN_OR_RETURN(id.attributes, f.hex<16>("attributes"));
  MR_ASSIGN_OR_RETURN(id.attributes_mask, f.hex<16>("attributesMask"));
  MR_ASSIGN_OR_RETURN(id.mr_signer, f.hex<32>("mrsigner"));
  MR_ASSIGN_OR_RETURN(std::uint64_t prod, f.uint("isvprodid", 0xffff));
  id.isv_prod_id = static_cast<std::uint16_t>(prod);
  MR_ASSIGN_OR_RETURN(const json* levels, f.array("tcbLevels"));
  for (const json& l : *levels) {
    if (!l.is_object()) return f.bad("TCB level is not an object");
    Fields lf(l, kQeIdentityDoc);
    QeTcbLevel level;
    MR_ASSIGN_OR_RETURN(const json* tcb_json, lf.object("tcb"));
    MR_ASSIGN_OR_RETURN(std::uint64_t svn,
                        Fields(*tcb_json, kQeIdentityDoc).uint("isvsvn", 0xffff));
    level.isv_svn = static_cast<std::uint16_t>(svn);
    MR_ASSIGN_OR_RETURN(level.tcb_date, lf.str("tcbDate"));
    MR_ASSIGN_OR_RETURN(level.status, lf.str("tcbStatus"));
    MR_ASSIGN_OR_RETURN(level.advisory_ids, lf.advisories());
    id.tcb_levels.push_back(std::move(level));
  }
  return id;
}

template <class T, class F>
Result<T> parse_json_doc(std::string_view text, std::string_view doc_name, F&& parse) {
  if (auto depth = check_json_depth(text); !depth) {
    return failf(ErrorCode::kInvalidArgument, "invalid {}: {}", doc_name, depth.error().message);
  }
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return failf(ErrorCode::kInvalidArgument, "invalid {}: not a JSON object", doc_name);
  }
  try {
    return parse(doc);
  } catch (const std::exception&) {
    return failf(ErrorCode::kInvalidArgument, "invalid {}: unexpected value", doc_name);
  }
}

void add_unique(std::vector<std::string>& out, const std::vector<std::string>& ids) {
  for (const std::string& id : ids) {
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
}

// Intel QVL's convergence of a platform status with a QE / TDX module status.
TcbStatus converge(TcbStatus platform, TcbStatus other) {
  if (other == TcbStatus::kOutOfDate) {
    if (platform == TcbStatus::kUpToDate || platform == TcbStatus::kSWHardeningNeeded) {
      return TcbStatus::kOutOfDate;
    }
    if (platform == TcbStatus::kConfigurationNeeded ||
        platform == TcbStatus::kConfigurationAndSWHardeningNeeded) {
      return TcbStatus::kOutOfDateConfigurationNeeded;
    }
  }
  if (other == TcbStatus::kRevoked) return TcbStatus::kRevoked;
  return platform;
}

Result<TcbStatus> status_of(const std::string& s) {
  auto st = parse_tcb_status(s);
  if (!st || *st == TcbStatus::kUnknown) {
    return fail(ErrorCode::kInvalidArgument, "invalid TCB info: unrecognised TCB status");
  }
  return *st;
}

bool sgx_level_matches(const TcbLevel& level, const PckExtensions& pck) {
  for (std::size_t i = 0; i < 16; ++i) {
    if (pck.tcb_components[i] < level.sgx_components[i]) return false;
  }
  return pck.pce_svn >= level.pce_svn;
}

bool tdx_level_matches(const TcbLevel& level, const std::array<std::uint8_t, 16>& tee_tcb_svn) {
  if (!level.tdx_components) return false;
  // With a TDX module version (byte 1) the first two bytes are checked against the module
  // identity instead.
  const std::size_t first = tee_tcb_svn[1] > 0 ? 2 : 0;
  for (std::size_t i = first; i < 16; ++i) {
    if (tee_tcb_svn[i] < (*level.tdx_components)[i]) return false;
  }
  return true;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

// not_supported refuses a platform that no TCB level covers (Intel QVL: STATUS_TCB_NOT_SUPPORTED).
tl::unexpected<Error> not_supported(std::string_view why) {
  return fail(ErrorCode::kPermissionDenied,
              fmt::format("TCB not supported: no matching TCB level found ({})", why));
}

struct ModuleResult {
  TcbStatus status = TcbStatus::kUpToDate;
  std::vector<std::string> advisory_ids;
};

Result<ModuleResult> check_tdx_module(const TcbInfo& info, const ParsedQuote& quote) {
  const TdReportBody& td = *quote.td;
  const std::uint8_t module_version = td.tee_tcb_svn[1];
  const std::uint8_t module_svn = td.tee_tcb_svn[0];
  auto deny = [](std::string_view what) {
    return fail(ErrorCode::kPermissionDenied, fmt::format("TDX module mismatch: {}", what));
  };

  const TdxModuleIdentity* identity = nullptr;
  const std::string wanted = fmt::format("TDX_{:02X}", module_version);
  if (module_version > 0) {
    for (const TdxModuleIdentity& m : info.tdx_module_identities) {
      if (upper(m.id) == wanted) identity = &m;
    }
    if (identity == nullptr) return deny(fmt::format("no identity {} in TCB info", wanted));
  }
  const TdxModuleIdentity& expected = identity != nullptr ? *identity : *info.tdx_module;
  if (!std::equal(expected.mr_signer.begin(), expected.mr_signer.end(), td.mr_signer_seam.begin(),
                  td.mr_signer_seam.end())) {
    return deny("MRSIGNERSEAM");
  }
  for (std::size_t i = 0; i < 8; ++i) {
    if (td.seam_attributes[i] != 0 || td.seam_attributes[i] != expected.attributes[i]) {
      return deny("SEAM attributes");
    }
  }
  ModuleResult out;
  if (identity == nullptr) return out;  // module version 0: no identity levels to check
  const TdxModuleTcbLevel* level = nullptr;
  for (const TdxModuleTcbLevel& l : identity->tcb_levels) {
    if (module_svn >= l.isv_svn) {
      level = &l;
      break;
    }
  }
  if (level == nullptr) {
    return not_supported(
        fmt::format("the TDX module's SVN {} is below every TCB level of TDX module identity {}",
                    module_svn, identity->id));
  }
  MR_ASSIGN_OR_RETURN(out.status, status_of(level->status));
  out.advisory_ids = level->advisory_ids;
  return out;
}

}  // namespace

Result<TcbInfo> parse_tcb_info(std::string_view text) {
  return parse_json_doc<TcbInfo>(text, kTcbInfoDoc, parse_tcb_info_object);
}

Result<QeIdentity> parse_qe_identity(std::string_view text) {
  return parse_json_doc<QeIdentity>(text, kQeIdentityDoc, parse_qe_identity_object);
}

Result<QeMatch> match_qe_identity(const QeIdentity& identity, const SgxReportBody& r) {
  auto deny = [](std::string_view what) {
    return fail(ErrorCode::kPermissionDenied, fmt::format("QE identity mismatch: {}", what));
  };
  for (std::size_t i = 0; i < 4; ++i) {
    const auto report_byte = static_cast<std::uint8_t>(r.misc_select >> (8 * i));
    if ((report_byte & identity.miscselect_mask[i]) != identity.miscselect[i]) {
      return deny("MISCSELECT");
    }
  }
  for (std::size_t i = 0; i < 16; ++i) {
    if ((r.attributes[i] & identity.attributes_mask[i]) != identity.attributes[i]) {
      return deny("attributes");
    }
  }
  if (r.mr_signer != identity.mr_signer) return deny("MRSIGNER");
  if (r.isv_prod_id != identity.isv_prod_id) return deny("ISVPRODID");
  QeMatch out;
  for (const QeTcbLevel& l : identity.tcb_levels) {
    if (r.isv_svn >= l.isv_svn) {
      auto st = parse_tcb_status(l.status);
      if (!st || (*st != TcbStatus::kUpToDate && *st != TcbStatus::kOutOfDate &&
                  *st != TcbStatus::kRevoked)) {
        return fail(ErrorCode::kInvalidArgument, "invalid QE identity: unrecognised TCB status");
      }
      out.status = *st;
      out.advisory_ids = l.advisory_ids;
      return out;
    }
  }
  return not_supported(
      fmt::format("the quoting enclave's ISVSVN {} is below every TCB level of the {} identity",
                  r.isv_svn, identity.id.empty() ? "QE" : identity.id));
}

Result<TcbMatch> match_tcb(const TcbInfo& info, const PckExtensions& pck, const ParsedQuote& quote,
                           const QeMatch& qe) {
  const bool tdx_info = info.version >= 3 && info.id == "TDX";
  const bool tdx_quote = quote.tee_type == TeeType::kTdx;
  if (tdx_info != tdx_quote) {
    return fail(ErrorCode::kInvalidArgument,
                tdx_quote ? "TCB info is not for TDX" : "TCB info is for TDX, quote is SGX");
  }

  TcbMatch out;
  const TcbLevel* sgx_level = nullptr;
  const TcbLevel* tdx_level = nullptr;
  for (const TcbLevel& level : info.tcb_levels) {
    if (!sgx_level_matches(level, pck)) continue;
    if (sgx_level == nullptr) sgx_level = &level;
    if (!tdx_quote) break;
    if (tdx_level_matches(level, quote.td->tee_tcb_svn)) {
      tdx_level = &level;
      break;
    }
  }
  if (sgx_level == nullptr) {
    return not_supported(fmt::format(
        "the PCK certificate's TCB components and PCESVN are below every TCB level of the {} TCB "
        "info for FMSPC {}",
        tdx_info ? "TDX" : "SGX", upper(hex_encode(info.fmspc))));
  }
  const TcbLevel* selected = tdx_quote ? tdx_level : sgx_level;
  if (selected == nullptr) {
    return not_supported(fmt::format(
        "the TD's TEE TCB SVN is below every TCB level of the TDX TCB info for FMSPC {} that its "
        "PCK certificate reaches",
        upper(hex_encode(info.fmspc))));
  }
  MR_ASSIGN_OR_RETURN(TcbStatus status, status_of(selected->status));
  out.tcb_date = selected->tcb_date;
  add_unique(out.advisory_ids, selected->advisory_ids);
  if (tdx_quote) {
    MR_ASSIGN_OR_RETURN(ModuleResult module, check_tdx_module(info, quote));
    status = converge(status, module.status);
    add_unique(out.advisory_ids, module.advisory_ids);
  }
  out.status = converge(status, qe.status);
  add_unique(out.advisory_ids, qe.advisory_ids);
  return out;
}

}  // namespace mr::attestation::dcap
