#include <fmt/format.h>

#include "crypto/keys.h"
#include "crypto/x509.h"

namespace mr::crypto {

Curve curve_for_bits(unsigned bits) {
  switch (bits) {
    case 224:
      return Curve::kP224;
    case 256:
      return Curve::kP256;
    case 384:
      return Curve::kP384;
    case 521:
      return Curve::kP521;
    default:
      return Curve::kNone;
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
    for (const auto& v : values)
      parts.push_back(fmt::format("{}={}", key, v));
  };
  // Go's pkix.Name.String(): the RDN sequence (C, ST, L, STREET, POSTALCODE, O, OU, CN,
  // SERIALNUMBER, extra names) printed in reverse, as RFC 2253 prescribes.
  for (auto it = extra_names.rbegin(); it != extra_names.rend(); ++it) {
    parts.push_back(fmt::format("{}={}", it->type, it->value));
  }
  if (!serial_number.empty()) parts.push_back("SERIALNUMBER=" + serial_number);
  if (!common_name.empty()) parts.push_back("CN=" + common_name);
  add("OU", organizational_unit);
  add("O", organization);
  add("POSTALCODE", postal_code);
  add("STREET", street_address);
  add("L", locality);
  add("ST", province);
  add("C", country);
  return fmt::format("{}", fmt::join(parts, ","));
}

}  // namespace mr::crypto
