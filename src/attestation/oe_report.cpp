#include "attestation/oe_report.h"

namespace mr::attestation {
namespace {

std::uint64_t load_le(ByteSpan b, std::size_t off, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i)
    v |= static_cast<std::uint64_t>(b[off + i]) << (8 * i);
  return v;
}

void store_le(Bytes& out, std::uint64_t v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

}  // namespace

Bytes oe_wrap_sgx_quote(ByteSpan quote) {
  Bytes out;
  out.reserve(kOeHeaderSize + quote.size());
  store_le(out, kOeHeaderVersion, 4);
  store_le(out, kOeReportTypeSgxRemote, 4);
  store_le(out, quote.size(), 8);
  out.insert(out.end(), quote.begin(), quote.end());
  return out;
}

bool has_oe_header(ByteSpan data) {
  return data.size() >= kOeHeaderSize && load_le(data, 0, 4) == kOeHeaderVersion &&
         load_le(data, 8, 8) == data.size() - kOeHeaderSize;
}

Result<ByteSpan> oe_unwrap(ByteSpan framed) {
  if (framed.size() < kOeHeaderSize) {
    return fail(ErrorCode::kInvalidArgument, "report is shorter than the OE header");
  }
  if (load_le(framed, 0, 4) != kOeHeaderVersion) {
    return fail(ErrorCode::kInvalidArgument, "unsupported OE report header version");
  }
  if (load_le(framed, 4, 4) != kOeReportTypeSgxRemote) {
    return fail(ErrorCode::kInvalidArgument, "OE report is not an SGX remote report");
  }
  if (load_le(framed, 8, 8) != framed.size() - kOeHeaderSize) {
    return fail(ErrorCode::kInvalidArgument, "OE report length does not match its header");
  }
  return framed.subspan(kOeHeaderSize);
}

Result<ByteSpan> strip_oe_header(ByteSpan data) {
  // A DCAP quote starts with u16 version 3..5 and a u16 key type, so its first u32 is never 1.
  if (data.size() >= 4 && load_le(data, 0, 4) == kOeHeaderVersion) return oe_unwrap(data);
  return data;
}

bool is_raw_sgx_quote(ByteSpan data) {
  if (data.size() < 48) return false;
  return load_le(data, 0, 2) == 3 && load_le(data, 2, 2) <= 3 && load_le(data, 4, 4) == 0 &&
         load_le(data, 8, 2) != 0 && load_le(data, 10, 2) != 0;
}

}  // namespace mr::attestation
