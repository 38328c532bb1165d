#pragma once
// A minimal DER reader and writer for the structures DCAP needs (PCK certificate SGX extensions).
// Single-byte tags only; lengths up to 2^32-1; every read is bounds-checked.
//
//   DerReader r(ext_value);
//   MR_ASSIGN_OR_RETURN(DerTlv seq, r.expect(der::kSequence));
//   DerReader items(seq.value);
//   while (!items.done()) { MR_ASSIGN_OR_RETURN(DerTlv item, items.next()); ... }

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace mr::attestation::dcap {

namespace der {
inline constexpr std::uint8_t kBoolean = 0x01;
inline constexpr std::uint8_t kInteger = 0x02;
inline constexpr std::uint8_t kOctetString = 0x04;
inline constexpr std::uint8_t kOid = 0x06;
inline constexpr std::uint8_t kEnumerated = 0x0a;
inline constexpr std::uint8_t kSequence = 0x30;
}  // namespace der

// DerTlv is one element: its tag and a view of its contents.
struct DerTlv {
  std::uint8_t tag = 0;
  ByteSpan value;
};

// DerReader walks a sequence of DER elements in a buffer it does not own.
class DerReader {
 public:
  explicit DerReader(ByteSpan data) : data_(data) {}
  // done reports whether every byte has been consumed.
  [[nodiscard]] bool done() const { return pos_ >= data_.size(); }
  // next reads the next element. kInvalidArgument if it is truncated or uses an unsupported
  // (multi-byte) tag or an indefinite/oversized length.
  [[nodiscard]] Result<DerTlv> next();
  // expect reads the next element and checks its tag (kInvalidArgument on a mismatch).
  [[nodiscard]] Result<DerTlv> expect(std::uint8_t tag);

 private:
  ByteSpan data_;
  std::size_t pos_ = 0;
};

// der_oid_to_string decodes OID contents to dotted decimal. kInvalidArgument if malformed.
[[nodiscard]] Result<std::string> der_oid_to_string(ByteSpan contents);
// der_to_uint decodes non-negative INTEGER/ENUMERATED contents. kInvalidArgument if negative,
// empty or above |max|.
[[nodiscard]] Result<std::uint64_t> der_to_uint(ByteSpan contents, std::uint64_t max);

// der_encode returns tag ‖ length ‖ contents.
[[nodiscard]] Bytes der_encode(std::uint8_t tag, ByteSpan contents);
// der_encode_oid encodes a dotted-decimal OID (which must be well-formed: an invariant).
[[nodiscard]] Bytes der_encode_oid(std::string_view dotted);
// der_encode_uint encodes a non-negative INTEGER (or ENUMERATED with |tag|).
[[nodiscard]] Bytes der_encode_uint(std::uint64_t v, std::uint8_t tag = der::kInteger);

}  // namespace mr::attestation::dcap
