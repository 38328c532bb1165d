#include "attestation/sgx_dcap/collateral.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <system_error>

#include "base/encoding.h"
#include "base/json_depth.h"
#include "crypto/pem.h"

namespace mr::attestation::dcap {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

tl::unexpected<Error> invalid(std::string_view what) {
  return fail(ErrorCode::kInvalidArgument, fmt::format("invalid collateral: {}", what));
}

// check_depth refuses JSON nested deeper than kMaxJsonDepth before nlohmann builds a DOM.
Status check_depth(std::string_view text) {
  if (auto depth = check_json_depth(text); !depth) return invalid(depth.error().message);
  return ok();
}

Result<std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(p, ec))
      return failf(ErrorCode::kNotFound, "collateral file {} not found", p.string());
    return failf(ErrorCode::kInvalidArgument, "cannot read collateral file {}", p.string());
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool is_hex_text(std::string_view s) {
  if (s.empty() || s.size() % 2 != 0) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.back())) || s.back() == '\0')) {
    s.remove_suffix(1);
  }
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// skip_json_value advances |i| past one JSON value in |s| (strings, nesting and escapes aware).
bool skip_json_value(std::string_view s, std::size_t& i) {
  int depth = 0;
  bool in_string = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
        if (depth == 0) {
          ++i;
          return true;
        }
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return true;  // end of the enclosing container: scalar ended
      if (--depth == 0) {
        ++i;
        return true;
      }
    } else if (depth == 0 && (c == ',')) {
      return true;
    }
  }
  return depth == 0 && !in_string;
}

Result<std::string> get_string(const json& doc, const char* key, bool required) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) {
    if (required) return invalid(fmt::format("missing {}", key));
    return std::string();
  }
  if (!it->is_string()) return invalid(fmt::format("{} is not a string", key));
  return it->get<std::string>();
}

}  // namespace

std::string_view pck_ca_name(PckCa ca) {
  return ca == PckCa::kPlatform ? "platform" : "processor";
}

Result<Bytes> decode_crl(ByteSpan data) {
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  if (text.find("-----BEGIN") != std::string_view::npos) {
    for (const crypto::PemBlock& b : crypto::pem_decode_all(text)) {
      if (b.type == "X509 CRL") return b.der;
    }
    return fail(ErrorCode::kInvalidArgument, "PEM data holds no X509 CRL block");
  }
  const std::string_view t = trim(text);
  if (is_hex_text(t)) {
    auto der = hex_decode(t);
    if (der) return std::move(*der);
  }
  if (!data.empty() && data[0] == 0x30) return Bytes(data.begin(), data.end());
  return fail(ErrorCode::kInvalidArgument, "CRL is neither DER, PEM nor hex-encoded DER");
}

Result<std::string> decode_issuer_chain(std::string_view text) {
  std::string out;
  if (text.find("-----BEGIN") == std::string_view::npos &&
      text.find('%') != std::string_view::npos) {
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
          hex_value(text[i + 2]) >= 0) {
        out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
        i += 2;
      } else {
        out += text[i] == '+' ? ' ' : text[i];
      }
    }
  } else {
    out.assign(text);
  }
  if (crypto::pem_decode_all(out).empty()) {
    return fail(ErrorCode::kInvalidArgument, "issuer chain holds no PEM certificate");
  }
  return out;
}

Result<std::pair<std::string, Bytes>> split_signed_body(std::string_view body,
                                                        std::string_view key) {
  MR_RETURN_IF_ERROR(check_depth(body));
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return invalid("signed body is not a JSON object");
  auto sig_it = doc.find("signature");
  if (sig_it == doc.end() || !sig_it->is_string()) return invalid("signed body has no signature");
  auto sig = hex_decode(sig_it->get<std::string>());
  if (!sig) return invalid("signature is not hex");
  if (doc.find(std::string(key)) == doc.end()) {
    return invalid(fmt::format("signed body has no {}", key));
  }

  // Find the top-level member |key| and return its value's exact text.
  std::size_t i = body.find('{');
  if (i == std::string_view::npos) return invalid("signed body is not a JSON object");
  ++i;
  while (i < body.size()) {
    while (i < body.size() && (std::isspace(static_cast<unsigned char>(body[i])) || body[i] == ','))
      ++i;
    if (i >= body.size() || body[i] != '"') break;
    const std::size_t name_start = i;
    std::size_t j = i;
    if (!skip_json_value(body, j)) break;
    const std::string_view name_text = body.substr(name_start, j - name_start);
    MR_RETURN_IF_ERROR(check_depth(name_text));  // a string token: depth 0, checked all the same
    const json name = json::parse(name_text, nullptr, false);
    i = j;
    while (i < body.size() && std::isspace(static_cast<unsigned char>(body[i])))
      ++i;
    if (i >= body.size() || body[i] != ':') break;
    ++i;
    while (i < body.size() && std::isspace(static_cast<unsigned char>(body[i])))
      ++i;
    const std::size_t value_start = i;
    if (!skip_json_value(body, i)) break;
    if (name.is_string() && name.get<std::string>() == key) {
      return std::make_pair(std::string(body.substr(value_start, i - value_start)),
                            std::move(*sig));
    }
  }
  return invalid(fmt::format("cannot locate {} in the signed body", key));
}

Result<Collateral> parse_collateral_json(std::string_view text) {
  MR_RETURN_IF_ERROR(check_depth(text));
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return invalid("not a JSON object");
  Collateral c;
  try {
    MR_ASSIGN_OR_RETURN(c.tcb_info, get_string(doc, "tcb_info", true));
    MR_ASSIGN_OR_RETURN(c.qe_identity, get_string(doc, "qe_identity", true));
    MR_ASSIGN_OR_RETURN(c.tcb_info_issuer_chain, get_string(doc, "tcb_info_issuer_chain", true));
    MR_ASSIGN_OR_RETURN(c.qe_identity_issuer_chain,
                        get_string(doc, "qe_identity_issuer_chain", true));
    MR_ASSIGN_OR_RETURN(c.pck_crl_issuer_chain, get_string(doc, "pck_crl_issuer_chain", true));
    MR_ASSIGN_OR_RETURN(c.pck_chain, get_string(doc, "pck_certificate_chain", false));
    if (c.pck_chain.empty()) {
      MR_ASSIGN_OR_RETURN(c.pck_chain, get_string(doc, "pck_chain", false));
    }
    for (auto [key, out] : {std::pair{"tcb_info_signature", &c.tcb_info_signature},
                            std::pair{"qe_identity_signature", &c.qe_identity_signature}}) {
      MR_ASSIGN_OR_RETURN(std::string hex, get_string(doc, key, true));
      auto b = hex_decode(hex);
      if (!b) return invalid(fmt::format("{} is not hex", key));
      *out = std::move(*b);
    }
    for (auto [key, out] :
         {std::pair{"pck_crl", &c.pck_crl}, std::pair{"root_ca_crl", &c.root_ca_crl}}) {
      MR_ASSIGN_OR_RETURN(std::string crl, get_string(doc, key, true));
      auto der = decode_crl(as_bytes(crl));
      if (!der) return invalid(fmt::format("{}: {}", key, der.error().message));
      *out = std::move(*der);
    }
  } catch (const std::exception&) {
    return invalid("unexpected value");
  }
  return c;
}

std::string to_collateral_json(const Collateral& c) {
  json doc = {
      {"tcb_info_issuer_chain", c.tcb_info_issuer_chain},
      {"tcb_info", c.tcb_info},
      {"tcb_info_signature", hex_encode(c.tcb_info_signature)},
      {"qe_identity_issuer_chain", c.qe_identity_issuer_chain},
      {"qe_identity", c.qe_identity},
      {"qe_identity_signature", hex_encode(c.qe_identity_signature)},
      {"pck_crl_issuer_chain", c.pck_crl_issuer_chain},
      {"root_ca_crl", hex_encode(c.root_ca_crl)},
      {"pck_crl", hex_encode(c.pck_crl)},
  };
  if (!c.pck_chain.empty()) doc["pck_certificate_chain"] = c.pck_chain;
  return doc.dump(1);
}

Result<Collateral> load_collateral_dir(const fs::path& dir) {
  Collateral c;
  {
    MR_ASSIGN_OR_RETURN(std::string body, read_file(dir / "tcb_info.json"));
    MR_ASSIGN_OR_RETURN(auto split, split_signed_body(body, "tcbInfo"));
    c.tcb_info = std::move(split.first);
    c.tcb_info_signature = std::move(split.second);
  }
  {
    MR_ASSIGN_OR_RETURN(std::string body, read_file(dir / "qe_identity.json"));
    auto split = split_signed_body(body, "enclaveIdentity");
    if (!split) split = split_signed_body(body, "qeIdentity");  // PCS API v2 name
    if (!split) return fail(split.error());
    c.qe_identity = std::move(split->first);
    c.qe_identity_signature = std::move(split->second);
  }
  auto read_crl = [&](std::string_view stem) -> Result<Bytes> {
    for (const char* ext : {".der", ".pem", ".crl", ".hex"}) {
      const fs::path p = dir / (std::string(stem) + ext);
      std::error_code ec;
      if (!fs::exists(p, ec)) continue;
      MR_ASSIGN_OR_RETURN(std::string data, read_file(p));
      return decode_crl(as_bytes(data)).map_error(Wrap(p.filename().string()));
    }
    return failf(ErrorCode::kNotFound, "collateral file {}.der not found", (dir / stem).string());
  };
  MR_ASSIGN_OR_RETURN(c.pck_crl, read_crl("pck_crl"));
  MR_ASSIGN_OR_RETURN(c.root_ca_crl, read_crl("root_ca_crl"));
  auto read_chain = [&](const char* name) -> Result<std::string> {
    MR_ASSIGN_OR_RETURN(std::string text, read_file(dir / name));
    return decode_issuer_chain(text).map_error(Wrap(name));
  };
  MR_ASSIGN_OR_RETURN(c.tcb_info_issuer_chain, read_chain("tcb_info_issuer_chain.pem"));
  MR_ASSIGN_OR_RETURN(c.qe_identity_issuer_chain, read_chain("qe_identity_issuer_chain.pem"));
  MR_ASSIGN_OR_RETURN(c.pck_crl_issuer_chain, read_chain("pck_crl_issuer_chain.pem"));
  std::error_code ec;
  if (fs::exists(dir / "pck_chain.pem", ec)) {
    MR_ASSIGN_OR_RETURN(c.pck_chain, read_chain("pck_chain.pem"));
  }
  return c;
}

Result<Collateral> load_collateral(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return load_collateral_dir(path);
  MR_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return parse_collateral_json(text);
}

}  // namespace mr::attestation::dcap
