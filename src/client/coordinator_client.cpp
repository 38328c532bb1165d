#include "client/coordinator_client.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

#include "base/encoding.h"
#include "base/strings.h"
#include "client/jsend.h"
#include "gojson/encode.h"
#include "gojson/go_json.h"

namespace mr::client {
namespace {

using gojson::Json;

std::string_view method_name(HttpMethod m) {
  return m == HttpMethod::kGet ? "GET" : "POST";
}

// Answer is the data of a successful call and whether the legacy (v1) path produced it.
struct Answer {
  Json data;
  bool legacy = false;
};

Result<Json> call(HttpTransport& transport, const HttpRequest& request) {
  MR_ASSIGN_OR_RETURN(HttpResponse response, transport.send(request));
  if (response.status == 405) {
    return failf(ErrorCode::kUnimplemented, "the Coordinator does not serve {} {} (HTTP 405)",
                 method_name(request.method), request.target);
  }
  return jsend_data(response);
}

// call_v2 sends |v2| and, when the Coordinator answers 405 and |v1| is given, |v1| instead.
Result<Answer> call_v2(HttpTransport& transport, const HttpRequest& v2,
                       const std::optional<HttpRequest>& v1) {
  auto data = call(transport, v2);
  if (data) return Answer{std::move(*data), false};
  if (data.error().code != ErrorCode::kUnimplemented || !v1) return fail(std::move(data).error());
  MR_ASSIGN_OR_RETURN(Json legacy, call(transport, *v1));
  return Answer{std::move(legacy), true};
}

// Shape checks on the data of an answer; |what| names the request for messages.
class Reader {
 public:
  Reader(const Json& data, std::string what) : data_(data), what_(std::move(what)) {}

  [[nodiscard]] Error bad(std::string_view reason) const {
    return Error{ErrorCode::kInternal,
                 fmt::format("unexpected answer from the Coordinator to {}: {}", what_, reason)};
  }
  [[nodiscard]] Status object() const {
    if (!data_.is_object()) return fail(bad("data is not a JSON object"));
    return ok();
  }
  [[nodiscard]] const Json* field(std::string_view name) const {
    if (!data_.is_object()) return nullptr;
    const Json* v = gojson::find_field(data_, name);
    return (v == nullptr || v->is_null()) ? nullptr : v;
  }
  [[nodiscard]] Result<std::string> string(std::string_view name, bool required = true) const {
    const Json* v = field(name);
    if (v == nullptr) {
      if (required) return fail(bad(fmt::format("\"{}\" is missing", name)));
      return std::string();
    }
    if (!v->is_string()) return fail(bad(fmt::format("\"{}\" is not a string", name)));
    return v->get<std::string>();
  }
  [[nodiscard]] Result<std::int64_t> integer(std::string_view name, bool required = true) const {
    const Json* v = field(name);
    if (v == nullptr) {
      if (required) return fail(bad(fmt::format("\"{}\" is missing", name)));
      return 0;
    }
    if (!v->is_number_integer()) return fail(bad(fmt::format("\"{}\" is not an integer", name)));
    return v->get<std::int64_t>();
  }
  [[nodiscard]] Result<bool> boolean(std::string_view name) const {
    const Json* v = field(name);
    if (v == nullptr) return false;
    if (!v->is_boolean()) return fail(bad(fmt::format("\"{}\" is not a boolean", name)));
    return v->get<bool>();
  }
  // bytes decodes a base64 string; nullopt for null or absent.
  [[nodiscard]] Result<std::optional<Bytes>> bytes(std::string_view name) const {
    const Json* v = field(name);
    if (v == nullptr) return std::optional<Bytes>();
    if (!v->is_string()) return fail(bad(fmt::format("\"{}\" is not a base64 string", name)));
    auto decoded = base64_decode(v->get_ref<const std::string&>());
    if (!decoded) return fail(bad(fmt::format("\"{}\": {}", name, decoded.error().message)));
    return std::optional<Bytes>(std::move(*decoded));
  }
  [[nodiscard]] Result<std::vector<std::string>> strings(std::string_view name) const {
    std::vector<std::string> out;
    const Json* v = field(name);
    if (v == nullptr) return out;
    if (!v->is_array()) return fail(bad(fmt::format("\"{}\" is not a list", name)));
    for (const Json& e : *v) {
      if (!e.is_string()) return fail(bad(fmt::format("\"{}\" holds a non-string", name)));
      out.push_back(e.get<std::string>());
    }
    return out;
  }
  // recovery_secrets decodes {"<name>": "<base64>"}; nullopt when absent or null.
  [[nodiscard]] Result<std::optional<RecoverySecrets>> recovery_secrets(
      std::string_view name) const {
    const Json* v = field(name);
    if (v == nullptr) return std::optional<RecoverySecrets>();
    if (!v->is_object()) return fail(bad(fmt::format("\"{}\" is not an object", name)));
    RecoverySecrets out;
    for (const auto& [key, value] : v->items()) {
      if (!value.is_string()) return fail(bad(fmt::format("\"{}\" holds a non-string", name)));
      auto decoded = base64_decode(value.get_ref<const std::string&>());
      if (!decoded) return fail(bad(fmt::format("\"{}\": {}", name, decoded.error().message)));
      out[key] = std::move(*decoded);
    }
    return std::optional<RecoverySecrets>(std::move(out));
  }

 private:
  const Json& data_;
  std::string what_;
};

HttpRequest get(std::string target) {
  return HttpRequest{HttpMethod::kGet, std::move(target), {}};
}
HttpRequest post(std::string target, std::string body) {
  return HttpRequest{HttpMethod::kPost, std::move(target), std::move(body)};
}

std::string manifest_body(std::string_view raw) {
  Json body = Json::object();
  body["manifest"] = base64_encode(as_bytes(raw));
  return gojson::dump(body);
}

// query_escape is Go's url.QueryEscape.
std::string query_escape(std::string_view s) {
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// parse_v1_acknowledgement reads upstream's v1 answer: "All ..." → 0, "<n> user(s) ..." → n.
Result<AcknowledgeResult> parse_v1_acknowledgement(const Json& data, const Reader& reader) {
  if (!data.is_string()) return fail(reader.bad("data is not a string"));
  AcknowledgeResult r;
  r.message = data.get<std::string>();
  const std::string_view text = r.message;
  const std::string_view first = text.substr(0, text.find(' '));
  if (first == "All") return r;
  int n = 0;
  auto [ptr, ec] = std::from_chars(first.data(), first.data() + first.size(), n);
  if (ec != std::errc() || ptr != first.data() + first.size() || n < 0) {
    return fail(reader.bad("cannot read the number of missing acknowledgements"));
  }
  r.missing_acknowledgments = n;
  for (int i = 0; i < n; ++i)
    r.missing_users.push_back(fmt::format("User{}", i));
  return r;
}

Result<Secret> parse_secret(const Json& v, const Reader& outer, const std::string& name) {
  if (!v.is_object()) return fail(outer.bad(fmt::format("secret {} is not an object", name)));
  const Reader r(v, fmt::format("secret {}", name));
  Secret s;
  MR_ASSIGN_OR_RETURN(s.type, r.string("Type", false));
  MR_ASSIGN_OR_RETURN(std::int64_t size, r.integer("Size", false));
  s.size = static_cast<std::uint64_t>(size);
  MR_ASSIGN_OR_RETURN(s.shared, r.boolean("Shared"));
  MR_ASSIGN_OR_RETURN(s.user_defined, r.boolean("UserDefined"));
  MR_ASSIGN_OR_RETURN(s.cert, r.bytes("Cert"));
  MR_ASSIGN_OR_RETURN(std::int64_t valid_for, r.integer("ValidFor", false));
  s.valid_for = static_cast<std::uint64_t>(valid_for);
  MR_ASSIGN_OR_RETURN(std::optional<Bytes> priv, r.bytes("Private"));
  if (priv) s.private_key = SecretBytes(std::move(*priv));
  MR_ASSIGN_OR_RETURN(s.public_key, r.bytes("Public"));
  return s;
}

}  // namespace

Result<CoordinatorStatus> CoordinatorClient::status() {
  MR_ASSIGN_OR_RETURN(Answer a, call_v2(*transport_, get("/api/v2/status"), get("/status")));
  const Reader r(a.data, a.legacy ? "GET /status" : "GET /api/v2/status");
  MR_RETURN_IF_ERROR(r.object());
  CoordinatorStatus s;
  MR_ASSIGN_OR_RETURN(std::int64_t code, r.integer(a.legacy ? "StatusCode" : "code"));
  s.code = static_cast<int>(code);
  MR_ASSIGN_OR_RETURN(s.message, r.string(a.legacy ? "StatusMessage" : "message", false));
  return s;
}

Result<CoordinatorVersion> CoordinatorClient::version() {
  MR_ASSIGN_OR_RETURN(Answer a, call_v2(*transport_, get("/api/v2/version"), std::nullopt));
  const Reader r(a.data, "GET /api/v2/version");
  MR_RETURN_IF_ERROR(r.object());
  CoordinatorVersion v;
  MR_ASSIGN_OR_RETURN(v.version, r.string("version", false));
  MR_ASSIGN_OR_RETURN(v.commit, r.string("commit", false));
  return v;
}

Result<CoordinatorQuote> CoordinatorClient::quote(ByteSpan nonce) {
  std::string target = "/api/v2/quote";
  if (!nonce.empty()) target += "?nonce=" + base64url_encode(nonce);
  std::optional<HttpRequest> legacy;
  if (nonce.empty()) legacy = get("/quote");
  auto a = call_v2(*transport_, get(target), legacy);
  if (!a && a.error().code == ErrorCode::kUnimplemented && !nonce.empty()) {
    return fail(ErrorCode::kUnimplemented,
                "the Coordinator has no /api/v2 API, so it cannot quote a nonce");
  }
  if (!a) return fail(std::move(a).error());
  const Reader r(a->data, a->legacy ? "GET /quote" : "GET /api/v2/quote");
  MR_RETURN_IF_ERROR(r.object());
  CoordinatorQuote q;
  MR_ASSIGN_OR_RETURN(q.cert_chain_pem, r.string("Cert"));
  MR_ASSIGN_OR_RETURN(std::optional<Bytes> quote, r.bytes("Quote"));
  if (quote) q.quote = std::move(*quote);
  return q;
}

Result<ManifestInfo> CoordinatorClient::manifest() {
  MR_ASSIGN_OR_RETURN(Answer a, call_v2(*transport_, get("/api/v2/manifest"), get("/manifest")));
  const Reader r(a.data, a.legacy ? "GET /manifest" : "GET /api/v2/manifest");
  MR_RETURN_IF_ERROR(r.object());
  ManifestInfo m;
  MR_ASSIGN_OR_RETURN(std::optional<Bytes> manifest, r.bytes("Manifest"));
  if (manifest) m.manifest = std::move(*manifest);
  MR_ASSIGN_OR_RETURN(m.fingerprint,
                      r.string(a.legacy ? "ManifestSignature" : "manifestFingerprint", false));
  MR_ASSIGN_OR_RETURN(std::optional<Bytes> sig, r.bytes("ManifestSignatureRootECDSA"));
  if (sig) m.signature = std::move(*sig);
  return m;
}

Result<RecoverySecrets> CoordinatorClient::set_manifest(std::string_view raw_manifest) {
  MR_ASSIGN_OR_RETURN(Answer a,
                      call_v2(*transport_, post("/api/v2/manifest", manifest_body(raw_manifest)),
                              post("/manifest", std::string(raw_manifest))));
  const Reader r(a.data, a.legacy ? "POST /manifest" : "POST /api/v2/manifest");
  if (a.data.is_null()) return RecoverySecrets{};
  MR_RETURN_IF_ERROR(r.object());
  MR_ASSIGN_OR_RETURN(std::optional<RecoverySecrets> secrets,
                      r.recovery_secrets("RecoverySecrets"));
  return secrets.value_or(RecoverySecrets{});
}

Result<std::vector<std::string>> CoordinatorClient::update_log() {
  MR_ASSIGN_OR_RETURN(Answer a, call_v2(*transport_, get("/api/v2/update"), get("/update")));
  if (a.legacy) {
    const Reader r(a.data, "GET /update");
    if (!a.data.is_string()) return fail(r.bad("data is not a string"));
    std::vector<std::string> lines;
    for (const std::string& line : split(trim_space(a.data.get<std::string>()), "\n")) {
      if (!line.empty()) lines.push_back(line);
    }
    return lines;
  }
  const Reader r(a.data, "GET /api/v2/update");
  MR_RETURN_IF_ERROR(r.object());
  return r.strings("updateLog");
}

Result<UpdateResult> CoordinatorClient::apply_update(std::string_view raw_manifest) {
  MR_ASSIGN_OR_RETURN(Answer a,
                      call_v2(*transport_, post("/api/v2/update", manifest_body(raw_manifest)),
                              post("/update", std::string(raw_manifest))));
  UpdateResult u;
  if (a.data.is_null()) return u;
  const Reader r(a.data, "POST /api/v2/update");
  MR_RETURN_IF_ERROR(r.object());
  MR_ASSIGN_OR_RETURN(std::int64_t missing, r.integer("missingAcknowledgments", false));
  u.missing_acknowledgments = static_cast<int>(missing);
  MR_ASSIGN_OR_RETURN(u.missing_users, r.strings("missingUsers"));
  MR_ASSIGN_OR_RETURN(u.recovery_secrets, r.recovery_secrets("recoverySecrets"));
  return u;
}

Result<PendingUpdate> CoordinatorClient::pending_update() {
  MR_ASSIGN_OR_RETURN(
      Answer a, call_v2(*transport_, get("/api/v2/update-manifest"), get("/update-manifest")));
  const Reader r(a.data, a.legacy ? "GET /update-manifest" : "GET /api/v2/update-manifest");
  MR_RETURN_IF_ERROR(r.object());
  PendingUpdate p;
  MR_ASSIGN_OR_RETURN(std::optional<Bytes> manifest, r.bytes("manifest"));
  if (manifest) p.manifest = std::move(*manifest);
  MR_ASSIGN_OR_RETURN(p.message, r.string("message", false));
  MR_ASSIGN_OR_RETURN(p.missing_users, r.strings("missingUsers"));
  return p;
}

Result<AcknowledgeResult> CoordinatorClient::acknowledge_update(std::string_view raw_manifest) {
  MR_ASSIGN_OR_RETURN(
      Answer a, call_v2(*transport_, post("/api/v2/update-manifest", manifest_body(raw_manifest)),
                        post("/update-manifest", std::string(raw_manifest))));
  if (a.legacy) return parse_v1_acknowledgement(a.data, Reader(a.data, "POST /update-manifest"));
  const Reader r(a.data, "POST /api/v2/update-manifest");
  MR_RETURN_IF_ERROR(r.object());
  AcknowledgeResult ack;
  MR_ASSIGN_OR_RETURN(ack.message, r.string("message", false));
  MR_ASSIGN_OR_RETURN(std::int64_t missing, r.integer("missingAcknowledgments", false));
  ack.missing_acknowledgments = static_cast<int>(missing);
  MR_ASSIGN_OR_RETURN(ack.missing_users, r.strings("missingUsers"));
  MR_ASSIGN_OR_RETURN(ack.recovery_secrets, r.recovery_secrets("recoverySecrets"));
  return ack;
}

Result<std::string> CoordinatorClient::cancel_update() {
  MR_ASSIGN_OR_RETURN(Answer a, call_v2(*transport_, post("/api/v2/update-cancel", ""),
                                        post("/update-cancel", "")));
  if (a.legacy) {
    if (!a.data.is_string())
      return fail(Reader(a.data, "POST /update-cancel").bad("data is not a string"));
    return a.data.get<std::string>();
  }
  const Reader r(a.data, "POST /api/v2/update-cancel");
  MR_RETURN_IF_ERROR(r.object());
  return r.string("message", false);
}

Result<std::map<std::string, Secret>> CoordinatorClient::secrets(
    const std::vector<std::string>& names) {
  if (names.empty()) return fail(ErrorCode::kInvalidArgument, "no secret names given");
  std::string query;
  for (const std::string& name : names) {
    query += (query.empty() ? "?s=" : "&s=") + query_escape(name);
  }
  MR_ASSIGN_OR_RETURN(
      Answer a, call_v2(*transport_, get("/api/v2/secrets" + query), get("/secrets" + query)));
  const Reader outer(a.data, a.legacy ? "GET /secrets" : "GET /api/v2/secrets");
  MR_RETURN_IF_ERROR(outer.object());
  const Json* map = &a.data;
  if (!a.legacy) {
    map = outer.field("secrets");
    if (map == nullptr) return std::map<std::string, Secret>{};
    if (!map->is_object()) return fail(outer.bad("\"secrets\" is not an object"));
  }
  std::map<std::string, Secret> out;
  for (const auto& [name, value] : map->items()) {
    MR_ASSIGN_OR_RETURN(out[name], parse_secret(value, outer, name));
  }
  return out;
}

Status CoordinatorClient::set_secrets(std::string_view secrets_json) {
  auto parsed = gojson::parse(secrets_json);
  if (!parsed || !parsed->is_object()) {
    return fail(ErrorCode::kInvalidArgument,
                "the secrets must be a JSON object mapping secret names to secrets");
  }
  const std::string v2_body = "{\"secrets\":" + std::string(trim_space(secrets_json)) + "}";
  MR_ASSIGN_OR_RETURN(Answer a, call_v2(*transport_, post("/api/v2/secrets", v2_body),
                                        post("/secrets", std::string(secrets_json))));
  (void)a;
  return ok();
}

Result<RecoverResult> CoordinatorClient::recover(ByteSpan secret, ByteSpan signature) {
  Json body = Json::object();
  body["recoverySecret"] = base64_encode(secret);
  body["recoverySecretSignature"] = base64_encode(signature);
  MR_ASSIGN_OR_RETURN(
      Answer a, call_v2(*transport_, post("/api/v2/recover", gojson::dump(body)), std::nullopt));
  const Reader r(a.data, "POST /api/v2/recover");
  MR_RETURN_IF_ERROR(r.object());
  RecoverResult out;
  MR_ASSIGN_OR_RETURN(std::int64_t remaining, r.integer("remaining", false));
  out.remaining = static_cast<int>(remaining);
  MR_ASSIGN_OR_RETURN(out.message, r.string("message", false));
  return out;
}

Result<Bytes> CoordinatorClient::recovery_public_key() {
  MR_ASSIGN_OR_RETURN(Answer a,
                      call_v2(*transport_, get("/api/v2/recover/public-key"), std::nullopt));
  const Reader r(a.data, "GET /api/v2/recover/public-key");
  MR_RETURN_IF_ERROR(r.object());
  MR_ASSIGN_OR_RETURN(std::string algorithm, r.string("algorithm", false));
  if (!algorithm.empty() && algorithm != "RSA") {
    return fail(r.bad(fmt::format("unsupported key algorithm \"{}\"", algorithm)));
  }
  MR_ASSIGN_OR_RETURN(std::optional<Bytes> key, r.bytes("ephemeralPublicKey"));
  if (!key || key->empty()) return fail(r.bad("\"ephemeralPublicKey\" is missing"));
  return std::move(*key);
}

}  // namespace mr::client
