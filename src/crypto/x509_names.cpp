#include <fmt/format.h>

#include "crypto/keys.h"
#include "crypto/x509.h"

namespace mr::crypto {

Curve curve_for_bits(unsigned bits) {
  switch (bits) {
    case 224: return Curve::kP224;
    case 256: return Curve::kP256;
    case 384: return Curve::kP384;
    case 521: return Curve::kP521;
    default: return Curve::kNone;
  }
}

bool DistinguishedName::empty() const {
  return country.empty() && organization.empty() && organizational_unit.empty() &&
         locality.empty() && province.empty() && street_address.empty() && postal_code.empty() &&
         serial_number.empty() && common_name.empty() && extra_names.empty();
}

std::string DistinguishedName::to_string() const {
  std::vector<std::string> parts;
  auto add = [&](const char* key, const std::vector<std::string>& values) {
    for (const auto& v : values) parts.push_back(fmt::format("{}={}", key, v));
  };
  // RFC 2253 order is the reverse of the encoding order, as Go's pkix.Name.String() prints.
  for (auto it = extra_names.rbegin(); it != extra_names.rend(); ++it) {
    parts.push_back(fmt::format("{}={}", it->type, it->value));
  }
  if (!common_name.empty()) parts.push_back("CN=" + common_name);
  if (!serial_number.empty()) parts.push_back("SERIALNUMBER=" + serial_number);
  add("POSTALCODE", postal_code);
  add("STREET", street_address);
  add("ST", province);
  add("L", locality);
  add("OU", organizational_unit);
  add("O", organization);
  add("C", country);
  return fmt::format("{}", fmt::join(parts, ","));
}

}  // namespace mr::crypto
