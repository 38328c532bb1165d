#include "attestation/sgx_dcap/der.h"

#include <charconv>
#include <vector>

#include "base/assert.h"

namespace mr::attestation::dcap {
namespace {

tl::unexpected<Error> malformed(std::string_view what) {
  return fail(ErrorCode::kInvalidArgument, std::string("malformed DER: ") + std::string(what));
}

void append_base128(Bytes& out, std::uint64_t v) {
  std::uint8_t tmp[10];
  int n = 0;
  do {
    tmp[n++] = static_cast<std::uint8_t>(v & 0x7f);
    v >>= 7;
  } while (v != 0);
  while (n > 0) {
    --n;
    out.push_back(static_cast<std::uint8_t>(tmp[n] | (n > 0 ? 0x80 : 0)));
  }
}

}  // namespace

Result<DerTlv> DerReader::next() {
  if (pos_ + 2 > data_.size()) return malformed("truncated element");
  const std::uint8_t tag = data_[pos_];
  if ((tag & 0x1f) == 0x1f) return malformed("multi-byte tag");
  std::size_t p = pos_ + 1;
  std::uint64_t len = data_[p++];
  if (len & 0x80) {
    const std::size_t n = len & 0x7f;
    if (n == 0 || n > 4) return malformed("unsupported length");
    if (p + n > data_.size()) return malformed("truncated length");
    len = 0;
    for (std::size_t i = 0; i < n; ++i)
      len = (len << 8) | data_[p++];
  }
  if (len > data_.size() - p) return malformed("element exceeds its container");
  DerTlv tlv{tag, data_.subspan(p, static_cast<std::size_t>(len))};
  pos_ = p + static_cast<std::size_t>(len);
  return tlv;
}

Result<DerTlv> DerReader::expect(std::uint8_t tag) {
  MR_ASSIGN_OR_RETURN(DerTlv tlv, next());
  if (tlv.tag != tag) return malformed("unexpected tag");
  return tlv;
}

Result<std::string> der_oid_to_string(ByteSpan c) {
  if (c.empty()) return malformed("empty OID");
  std::vector<std::uint64_t> arcs;
  std::uint64_t v = 0;
  bool pending = false;
  for (std::uint8_t b : c) {
    if (v > (UINT64_MAX >> 7)) return malformed("OID arc too large");
    v = (v << 7) | (b & 0x7f);
    pending = (b & 0x80) != 0;
    if (!pending) {
      if (arcs.empty()) {
        const std::uint64_t first = v < 80 ? v / 40 : 2;
        arcs.push_back(first);
        arcs.push_back(v - first * 40);
      } else {
        arcs.push_back(v);
      }
      v = 0;
    }
  }
  if (pending) return malformed("truncated OID");
  std::string out;
  for (std::size_t i = 0; i < arcs.size(); ++i) {
    if (i) out += '.';
    out += std::to_string(arcs[i]);
  }
  return out;
}

Result<std::uint64_t> der_to_uint(ByteSpan c, std::uint64_t max) {
  if (c.empty()) return malformed("empty integer");
  if (c[0] & 0x80) return malformed("negative integer");
  std::size_t i = 0;
  while (i + 1 < c.size() && c[i] == 0)
    ++i;  // leading zero octets
  if (c.size() - i > 8) return malformed("integer out of range");
  std::uint64_t v = 0;
  for (; i < c.size(); ++i)
    v = (v << 8) | c[i];
  if (v > max) return malformed("integer out of range");
  return v;
}

Bytes der_encode(std::uint8_t tag, ByteSpan contents) {
  Bytes out{tag};
  const std::size_t n = contents.size();
  if (n < 0x80) {
    out.push_back(static_cast<std::uint8_t>(n));
  } else {
    std::uint8_t tmp[8];
    int k = 0;
    for (std::size_t m = n; m != 0; m >>= 8)
      tmp[k++] = static_cast<std::uint8_t>(m & 0xff);
    out.push_back(static_cast<std::uint8_t>(0x80 | k));
    while (k > 0)
      out.push_back(tmp[--k]);
  }
  out.insert(out.end(), contents.begin(), contents.end());
  return out;
}

Bytes der_encode_oid(std::string_view dotted) {
  std::vector<std::uint64_t> arcs;
  std::size_t start = 0;
  while (start <= dotted.size()) {
    const std::size_t dot = dotted.find('.', start);
    const std::string_view part =
        dotted.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    std::uint64_t v = 0;
    const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    MR_ASSERT(ec == std::errc() && ptr == part.data() + part.size());
    arcs.push_back(v);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  MR_ASSERT(arcs.size() >= 2);
  Bytes contents;
  append_base128(contents, arcs[0] * 40 + arcs[1]);
  for (std::size_t i = 2; i < arcs.size(); ++i)
    append_base128(contents, arcs[i]);
  return der_encode(der::kOid, contents);
}

Bytes der_encode_uint(std::uint64_t v, std::uint8_t tag) {
  Bytes be;
  do {
    be.insert(be.begin(), static_cast<std::uint8_t>(v & 0xff));
    v >>= 8;
  } while (v != 0);
  if (be[0] & 0x80) be.insert(be.begin(), 0);
  return der_encode(tag, be);
}

}  // namespace mr::attestation::dcap
