#include "core/records.h"

#include "base/encoding.h"
#include "gojson/go_json.h"
#include "manifest/json_codec.h"

namespace mr::core {

using gojson::Json;

namespace {

Json bytes_or_null(const Bytes& b) {
  return b.empty() ? Json(nullptr) : Json(base64_encode(b));
}

Json strings_or_null(const std::vector<std::string>& v) {
  return v.empty() ? Json(nullptr) : Json(v);
}

template <class T>
Result<T> decode_with(std::string_view text,
                      const std::function<void(gojson::Decoder&, const Json&, T&)>& fn) {
  auto j = gojson::parse(text);
  if (!j) return fail(ErrorCode::kDataLoss, "corrupt record: " + j.error().message);
  gojson::Decoder d;
  T out{};
  fn(d, *j, out);
  if (d.failed()) return fail(ErrorCode::kDataLoss, "corrupt record: " + d.take_error().message);
  return out;
}

}  // namespace

std::string encode_secret(const manifest::Secret& s) {
  Json j = Json::object();
  j["Type"] = s.type;
  j["Size"] = s.size;
  j["Shared"] = s.shared;
  j["UserDefined"] = s.user_defined;
  j["Cert"] = bytes_or_null(s.cert_der);
  j["ValidFor"] = s.valid_for;
  j["Private"] = bytes_or_null(s.private_key);
  j["Public"] = bytes_or_null(s.public_key);
  return j.dump();
}

Result<manifest::Secret> decode_secret(std::string_view json) {
  return decode_with<manifest::Secret>(json,
                                       [](gojson::Decoder& d, const Json& j, manifest::Secret& s) {
                                         manifest::decode_secret(d, j, s);
                                       });
}

std::string encode_package(const manifest::PackageProperties& p) {
  Json j = Json::object();
  j["Debug"] = p.debug;
  j["UniqueID"] = p.unique_id;
  j["SignerID"] = p.signer_id;
  j["ProductID"] = p.product_id ? Json(*p.product_id) : Json(nullptr);
  j["SecurityVersion"] = p.security_version ? Json(*p.security_version) : Json(nullptr);
  j["AcceptedTCBStatuses"] = strings_or_null(p.accepted_tcb_statuses);
  j["AcceptedAdvisories"] = strings_or_null(p.accepted_advisories);
  return j.dump();
}

Result<manifest::PackageProperties> decode_package(std::string_view json) {
  auto j = gojson::parse(json);
  if (!j) return fail(ErrorCode::kDataLoss, "corrupt package record");
  // Reuse the manifest parser: a one-package manifest.
  Json wrapper = Json::object();
  wrapper["Packages"] = Json::object();
  wrapper["Packages"]["p"] = std::move(*j);
  auto m = manifest::Manifest::parse(wrapper.dump());
  if (!m || !m->packages.contains("p")) return fail(ErrorCode::kDataLoss, "corrupt package record");
  return m->packages.at("p");
}

}  // namespace mr::core
