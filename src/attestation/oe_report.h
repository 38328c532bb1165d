#pragma once
// Open Enclave's remote-report framing (spec 2.3) and the raw-quote heuristic of sign-quote
// (spec 3.6):
//
//   Bytes framed = oe_wrap_sgx_quote(raw_dcap_quote);       // what Marbles send
//   MR_ASSIGN_OR_RETURN(ByteSpan raw, oe_unwrap(framed));   // the DCAP quote inside
//   if (is_raw_sgx_quote(body)) body = oe_wrap_sgx_quote(body);

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"

namespace mr::attestation {

// The 16-byte header: u32 LE version (1), u32 LE report type, u64 LE length of what follows.
inline constexpr std::size_t kOeHeaderSize = 16;
inline constexpr std::uint32_t kOeHeaderVersion = 1;
inline constexpr std::uint32_t kOeReportTypeSgxLocal = 1;
inline constexpr std::uint32_t kOeReportTypeSgxRemote = 2;

// oe_wrap_sgx_quote returns the OE header (version 1, type 2 = SGX remote) followed by |quote|.
[[nodiscard]] Bytes oe_wrap_sgx_quote(ByteSpan quote);

// has_oe_header reports whether |data| starts with a version-1 OE header whose length field
// equals the number of bytes that follow.
[[nodiscard]] bool has_oe_header(ByteSpan data);

// oe_unwrap returns the report that follows a valid OE header in |framed| (a view into it).
// kInvalidArgument when the input is shorter than the header, the version is not 1, the type is
// not SGX remote, or the length field does not match the remaining size.
[[nodiscard]] Result<ByteSpan> oe_unwrap(ByteSpan framed);

// strip_oe_header returns the DCAP quote inside |data| if it is OE-framed, else |data| itself.
// Fails like oe_unwrap when a version-1 header is present but inconsistent.
[[nodiscard]] Result<ByteSpan> strip_oe_header(ByteSpan data);

// is_raw_sgx_quote is sign-quote's heuristic for an SGX quote without the OE header: at least
// 48 bytes, LE u16 version == 3, LE u16 attestation key type <= 3, LE u32 TEE type == 0, and the
// LE u16 QE SVN (offset 8) and PCE SVN (offset 10) both non-zero.
[[nodiscard]] bool is_raw_sgx_quote(ByteSpan data);

}  // namespace mr::attestation
