#include "manifest/manifest.h"

#include <fmt/format.h>

#include "base/encoding.h"
#include "base/strings.h"
#include "crypto/x509.h"
#include "gojson/go_json.h"
#include "manifest/json_codec.h"

namespace mr::manifest {

using gojson::Decoder;
using gojson::Json;

std::string_view encoding_name(Encoding e) {
  switch (e) {
    case Encoding::kString:
      return "string";
    case Encoding::kBase64:
      return "base64";
    case Encoding::kHex:
      return "hex";
  }
  return "string";
}

bool is_cert_type(std::string_view type) {
  return type == kSecretCertRsa || type == kSecretCertEcdsa || type == kSecretCertEd25519;
}

Result<SealMode> parse_seal_mode(std::string_view text) {
  if (text.empty() || text == "ProductKey") return SealMode::kProductKey;
  if (text == "UniqueKey") return SealMode::kUniqueKey;
  if (text == "Disabled") return SealMode::kDisabled;
  return failf(ErrorCode::kInvalidArgument, "unknown seal mode: {}", text);
}

std::string_view seal_mode_name(SealMode m) {
  switch (m) {
    case SealMode::kProductKey:
      return "ProductKey";
    case SealMode::kUniqueKey:
      return "UniqueKey";
    case SealMode::kDisabled:
      return "Disabled";
  }
  return "ProductKey";
}

namespace {

template <class T>
void decode_map(Decoder& d, const Json& v, std::string_view go_type, NameMap<T>& out,
                const std::function<void(const Json&, T&)>& element) {
  d.map(
      v, go_type,
      [&](const std::string& key, const Json& value) {
        T item{};
        element(value, item);
        out.insert_or_assign(key, std::move(item));
      },
      [&] { out.clear(); });
}

// File accepts a plain string or {"Data","Encoding","NoTemplates"} (spec 5.4).
void decode_file(Decoder& d, const Json& v, File& f) {
  if (v.is_null()) return;
  if (v.is_string()) {
    f = File{v.get<std::string>(), Encoding::kString, false};
    return;
  }
  if (!v.is_object()) return d.type_error(v, "manifest.File");
  std::string data, encoding;
  d.object(v, "File",
           {{"Data", [&](const Json& x) { d.string(x, data); }},
            {"Encoding", [&](const Json& x) { d.string(x, encoding); }},
            {"NoTemplates", [&](const Json& x) { d.boolean(x, f.no_templates); }}});
  if (d.failed()) return;
  const std::string enc = ascii_lower(encoding);
  if (enc.empty() || enc == "string") {
    f.encoding = Encoding::kString;
    f.data = std::move(data);
  } else if (enc == "base64") {
    auto raw = base64_decode(data);
    if (!raw) return d.error(raw.error().message);
    f.encoding = Encoding::kBase64;
    f.data = to_string(*raw);
  } else if (enc == "hex") {
    auto raw = hex_decode(data);
    if (!raw) return d.error("encoding/hex: " + raw.error().message);
    f.encoding = Encoding::kHex;
    f.data = to_string(*raw);
  } else {
    d.error(fmt::format("unknown encoding type: {}", encoding));
  }
}

void decode_package(Decoder& d, const Json& v, PackageProperties& p) {
  d.object(
      v, "PackageProperties",
      {{"Debug", [&](const Json& x) { d.boolean(x, p.debug); }},
       {"UniqueID", [&](const Json& x) { d.string(x, p.unique_id); }},
       {"SignerID", [&](const Json& x) { d.string(x, p.signer_id); }},
       {"ProductID",
        [&](const Json& x) { d.optional_uint(x, "uint64", UINT64_MAX, p.product_id); }},
       {"SecurityVersion",
        [&](const Json& x) { d.optional_uint(x, "uint", UINT64_MAX, p.security_version); }},
       {"AcceptedTCBStatuses", [&](const Json& x) { d.string_list(x, p.accepted_tcb_statuses); }},
       {"AcceptedAdvisories", [&](const Json& x) { d.string_list(x, p.accepted_advisories); }}});
}

void decode_infrastructure(Decoder& d, const Json& v, InfrastructureProperties& p) {
  auto u16 = [&](const Json& x, std::optional<std::uint16_t>& out) {
    std::optional<std::uint64_t> n;
    d.optional_uint(x, "uint16", UINT16_MAX, n);
    if (n) {
      out = static_cast<std::uint16_t>(*n);
    } else if (x.is_null()) {
      out.reset();
    }
  };
  d.object(v, "InfrastructureProperties",
           {{"CPUSVN", [&](const Json& x) { d.bytes(x, p.cpu_svn); }},
            {"QESVN", [&](const Json& x) { u16(x, p.qe_svn); }},
            {"PCESVN", [&](const Json& x) { u16(x, p.pce_svn); }},
            {"RootCA", [&](const Json& x) { d.bytes(x, p.root_ca); }}});
}

void decode_marble(Decoder& d, const Json& v, Marble& m) {
  d.object(
      v, "Marble",
      {{"Package", [&](const Json& x) { d.string(x, m.package); }},
       {"MaxActivations", [&](const Json& x) { d.uint64(x, m.max_activations); }},
       {"Parameters",
        [&](const Json& x) {
          d.object(x, "Parameters",
                   {{"Files",
                     [&](const Json& y) {
                       decode_map<File>(d, y, "map[string]manifest.File", m.parameters.files,
                                        [&](const Json& e, File& f) { decode_file(d, e, f); });
                     }},
                    {"Env",
                     [&](const Json& y) {
                       decode_map<File>(d, y, "map[string]manifest.File", m.parameters.env,
                                        [&](const Json& e, File& f) { decode_file(d, e, f); });
                     }},
                    {"Argv", [&](const Json& y) { d.string_list(y, m.parameters.argv); }}});
        }},
       {"TLS", [&](const Json& x) { d.string_list(x, m.tls); }},
       {"DisableSecretBinding", [&](const Json& x) { d.boolean(x, m.disable_secret_binding); }}});
}

void decode_user(Decoder& d, const Json& v, User& u) {
  d.object(v, "User",
           {{"Certificate", [&](const Json& x) { d.string(x, u.certificate); }},
            {"Roles", [&](const Json& x) { d.string_list(x, u.roles); }}});
}

void decode_role(Decoder& d, const Json& v, Role& r) {
  d.object(v, "Role",
           {{"ResourceType", [&](const Json& x) { d.string(x, r.resource_type); }},
            {"ResourceNames", [&](const Json& x) { d.string_list(x, r.resource_names); }},
            {"Actions", [&](const Json& x) { d.string_list(x, r.actions); }}});
}

void decode_tls_entries(Decoder& d, const Json& v, std::vector<TlsTagEntry>& out) {
  d.array(
      v, "[]manifest.TLSTagEntry",
      [&](std::size_t, const Json& e) {
        TlsTagEntry t;
        d.object(
            e, "TLSTagEntry",
            {{"Port", [&](const Json& x) { d.string(x, t.port); }},
             {"Addr", [&](const Json& x) { d.string(x, t.addr); }},
             {"Cert", [&](const Json& x) { d.string(x, t.cert); }},
             {"DisableClientAuth", [&](const Json& x) { d.boolean(x, t.disable_client_auth); }}});
        out.push_back(std::move(t));
      },
      [&] { out.clear(); });
}

void decode_tls_tag(Decoder& d, const Json& v, TlsTag& t) {
  d.object(v, "TLStag",
           {{"Outgoing", [&](const Json& x) { decode_tls_entries(d, x, t.outgoing); }},
            {"Incoming", [&](const Json& x) { decode_tls_entries(d, x, t.incoming); }}});
}

void decode_config(Decoder& d, const Json& v, Config& c) {
  d.object(v, "Config",
           {{"SealMode", [&](const Json& x) { d.string(x, c.seal_mode); }},
            {"FeatureGates", [&](const Json& x) { d.string_list(x, c.feature_gates); }},
            {"UpdateThreshold", [&](const Json& x) { d.uint64(x, c.update_threshold); }},
            {"RecoveryThreshold", [&](const Json& x) { d.uint64(x, c.recovery_threshold); }},
            {"RotateRootSecret", [&](const Json& x) { d.boolean(x, c.rotate_root_secret); }}});
}

}  // namespace

// decode_secret is shared with user-secret uploads (secret values use the same JSON shape).
void decode_secret(Decoder& d, const Json& v, Secret& s) {
  d.object(v, "Secret",
           {{"Type", [&](const Json& x) { d.string(x, s.type); }},
            {"Size", [&](const Json& x) { d.uint64(x, s.size); }},
            {"Shared", [&](const Json& x) { d.boolean(x, s.shared); }},
            {"UserDefined", [&](const Json& x) { d.boolean(x, s.user_defined); }},
            {"Cert",
             [&](const Json& x) {
               if (x.is_null()) return;
               if (x.is_string()) {
                 // A string is a base64 DER certificate; invalid base64 is ignored (as upstream).
                 auto der = base64_decode(x.get<std::string>());
                 if (!der || der->empty()) return;
                 auto cert = crypto::Certificate::from_der(*der);
                 if (!cert) return d.error("parsing certificate: " + cert.error().message);
                 s.cert = cert->to_template();
                 s.cert_der = std::move(*der);
                 return;
               }
               decode_cert_template(d, x, s.cert);
             }},
            {"ValidFor", [&](const Json& x) { d.uint64(x, s.valid_for); }},
            {"Private", [&](const Json& x) { d.bytes(x, s.private_key); }},
            {"Public", [&](const Json& x) { d.bytes(x, s.public_key); }}});
}

Result<Manifest> Manifest::parse(std::string raw) {
  MR_ASSIGN_OR_RETURN(Json j, gojson::parse(raw));
  Manifest m;
  Decoder d;
  d.object(
      j, "Manifest",
      {{"Packages",
        [&](const Json& v) {
          decode_map<PackageProperties>(
              d, v, "map[string]quote.PackageProperties", m.packages,
              [&](const Json& e, PackageProperties& p) { decode_package(d, e, p); });
        }},
       {"Infrastructures",
        [&](const Json& v) {
          decode_map<InfrastructureProperties>(
              d, v, "map[string]quote.InfrastructureProperties", m.infrastructures,
              [&](const Json& e, InfrastructureProperties& p) { decode_infrastructure(d, e, p); });
        }},
       {"Marbles",
        [&](const Json& v) {
          decode_map<Marble>(d, v, "map[string]manifest.Marble", m.marbles,
                             [&](const Json& e, Marble& x) { decode_marble(d, e, x); });
        }},
       {"Users",
        [&](const Json& v) {
          decode_map<User>(d, v, "map[string]manifest.User", m.users,
                           [&](const Json& e, User& x) { decode_user(d, e, x); });
        }},
       {"Secrets",
        [&](const Json& v) {
          decode_map<Secret>(d, v, "map[string]manifest.Secret", m.secrets,
                             [&](const Json& e, Secret& x) { decode_secret(d, e, x); });
        }},
       {"RecoveryKeys",
        [&](const Json& v) {
          decode_map<std::string>(d, v, "map[string]string", m.recovery_keys,
                                  [&](const Json& e, std::string& x) { d.string(e, x); });
        }},
       {"Roles",
        [&](const Json& v) {
          decode_map<Role>(d, v, "map[string]manifest.Role", m.roles,
                           [&](const Json& e, Role& x) { decode_role(d, e, x); });
        }},
       {"TLS",
        [&](const Json& v) {
          decode_map<TlsTag>(d, v, "map[string]manifest.TLStag", m.tls,
                             [&](const Json& e, TlsTag& x) { decode_tls_tag(d, e, x); });
        }},
       {"Config", [&](const Json& v) { decode_config(d, v, m.config); }}});
  if (d.failed()) return fail(d.take_error());
  m.raw_ = std::move(raw);
  return m;
}

bool Manifest::has_feature(std::string_view gate) const {
  for (const auto& g : config.feature_gates) {
    if (equal_fold(g, gate)) return true;
  }
  return false;
}

bool Manifest::is_package_update() const {
  return infrastructures.empty() && marbles.empty() && users.empty() && recovery_keys.empty() &&
         roles.empty() && secrets.empty() && tls.empty();
}

}  // namespace mr::manifest
