#include "attestation/sgx_dcap/quote.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace mr::attestation::dcap {
namespace {

tl::unexpected<Error> malformed(std::string_view what) {
  return fail(ErrorCode::kInvalidArgument, fmt::format("malformed quote: {}", what));
}

// Cursor reads little-endian fields from a bounded buffer; every read checks the remaining size.
class Cursor {
 public:
  explicit Cursor(ByteSpan data) : data_(data) {}
  [[nodiscard]] std::size_t pos() const { return pos_; }
  [[nodiscard]] std::size_t remaining() const { return data_.size() - pos_; }

  Result<ByteSpan> take(std::size_t n, std::string_view what) {
    if (n > remaining()) return malformed(fmt::format("truncated {}", what));
    ByteSpan out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  template <std::size_t N>
  Status copy(std::array<std::uint8_t, N>& dst, std::string_view what) {
    MR_ASSIGN_OR_RETURN(ByteSpan b, take(N, what));
    std::copy(b.begin(), b.end(), dst.begin());
    return ok();
  }
  Result<std::uint64_t> le(std::size_t n, std::string_view what) {
    MR_ASSIGN_OR_RETURN(ByteSpan b, take(n, what));
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i)
      v |= static_cast<std::uint64_t>(b[i]) << (8 * i);
    return v;
  }

 private:
  ByteSpan data_;
  std::size_t pos_ = 0;
};

std::uint64_t load_le(ByteSpan b, std::size_t off, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i)
    v |= static_cast<std::uint64_t>(b[off + i]) << (8 * i);
  return v;
}

template <std::size_t N>
void copy_at(ByteSpan src, std::size_t off, std::array<std::uint8_t, N>& dst) {
  std::copy(src.begin() + static_cast<std::ptrdiff_t>(off),
            src.begin() + static_cast<std::ptrdiff_t>(off + N), dst.begin());
}

template <std::size_t N>
void put_at(std::array<std::uint8_t, kSgxReportBodySize>& out, std::size_t off,
            const std::array<std::uint8_t, N>& src) {
  std::copy(src.begin(), src.end(), out.begin() + static_cast<std::ptrdiff_t>(off));
}

void put_le(std::array<std::uint8_t, kSgxReportBodySize>& out, std::size_t off, std::uint64_t v,
            std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    out[off + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

Result<TdReportBody> parse_td_report(ByteSpan b) {
  if (b.size() != kTdReport10Size && b.size() != kTdReport15Size) {
    return malformed("TD report has the wrong size");
  }
  TdReportBody r;
  copy_at(b, 0, r.tee_tcb_svn);
  copy_at(b, 16, r.mr_seam);
  copy_at(b, 64, r.mr_signer_seam);
  copy_at(b, 112, r.seam_attributes);
  copy_at(b, 120, r.td_attributes);
  copy_at(b, 128, r.xfam);
  copy_at(b, 136, r.mr_td);
  copy_at(b, 184, r.mr_config_id);
  copy_at(b, 232, r.mr_owner);
  copy_at(b, 280, r.mr_owner_config);
  for (std::size_t i = 0; i < 4; ++i)
    copy_at(b, 328 + 48 * i, r.rtmr[i]);
  copy_at(b, 520, r.report_data);
  if (b.size() == kTdReport15Size) {
    r.tee_tcb_svn2.emplace();
    copy_at(b, 584, *r.tee_tcb_svn2);
    r.mr_service_td.emplace();
    copy_at(b, 600, *r.mr_service_td);
  }
  return r;
}

// parse_qe_part reads QE report, its signature, QE auth data and the inner certification data.
Status parse_qe_part(Cursor& c, ParsedQuote& q) {
  MR_RETURN_IF_ERROR(c.copy(q.qe_report_raw, "QE report"));
  MR_ASSIGN_OR_RETURN(q.qe_report, parse_sgx_report_body(q.qe_report_raw));
  MR_RETURN_IF_ERROR(c.copy(q.qe_report_signature, "QE report signature"));
  MR_ASSIGN_OR_RETURN(std::uint64_t auth_size, c.le(2, "QE auth data size"));
  MR_ASSIGN_OR_RETURN(ByteSpan auth, c.take(auth_size, "QE auth data"));
  q.qe_auth_data.assign(auth.begin(), auth.end());
  MR_ASSIGN_OR_RETURN(std::uint64_t type, c.le(2, "certification data type"));
  MR_ASSIGN_OR_RETURN(std::uint64_t size, c.le(4, "certification data size"));
  MR_ASSIGN_OR_RETURN(ByteSpan data, c.take(size, "certification data"));
  q.cert_data_type = static_cast<std::uint16_t>(type);
  q.cert_data.assign(data.begin(), data.end());
  return ok();
}

}  // namespace

Result<SgxReportBody> parse_sgx_report_body(ByteSpan b) {
  if (b.size() != kSgxReportBodySize) return malformed("SGX report body has the wrong size");
  SgxReportBody r;
  copy_at(b, 0, r.cpu_svn);
  r.misc_select = static_cast<std::uint32_t>(load_le(b, 16, 4));
  copy_at(b, 32, r.isv_ext_prod_id);
  copy_at(b, 48, r.attributes);
  copy_at(b, 64, r.mr_enclave);
  copy_at(b, 128, r.mr_signer);
  copy_at(b, 192, r.config_id);
  r.isv_prod_id = static_cast<std::uint16_t>(load_le(b, 256, 2));
  r.isv_svn = static_cast<std::uint16_t>(load_le(b, 258, 2));
  r.config_svn = static_cast<std::uint16_t>(load_le(b, 260, 2));
  copy_at(b, 304, r.isv_family_id);
  copy_at(b, 320, r.report_data);
  return r;
}

std::array<std::uint8_t, kSgxReportBodySize> encode_sgx_report_body(const SgxReportBody& r) {
  std::array<std::uint8_t, kSgxReportBodySize> out{};
  put_at(out, 0, r.cpu_svn);
  put_le(out, 16, r.misc_select, 4);
  put_at(out, 32, r.isv_ext_prod_id);
  put_at(out, 48, r.attributes);
  put_at(out, 64, r.mr_enclave);
  put_at(out, 128, r.mr_signer);
  put_at(out, 192, r.config_id);
  put_le(out, 256, r.isv_prod_id, 2);
  put_le(out, 258, r.isv_svn, 2);
  put_le(out, 260, r.config_svn, 2);
  put_at(out, 304, r.isv_family_id);
  put_at(out, 320, r.report_data);
  return out;
}

Result<ParsedQuote> parse_quote(ByteSpan raw) {
  ParsedQuote q;
  Cursor c(raw);
  if (raw.size() < kQuoteHeaderSize) return malformed("truncated header");
  MR_ASSIGN_OR_RETURN(std::uint64_t version, c.le(2, "header"));
  MR_ASSIGN_OR_RETURN(std::uint64_t key_type, c.le(2, "header"));
  MR_ASSIGN_OR_RETURN(std::uint64_t tee_type, c.le(4, "header"));
  MR_ASSIGN_OR_RETURN(std::uint64_t qe_svn, c.le(2, "header"));
  MR_ASSIGN_OR_RETURN(std::uint64_t pce_svn, c.le(2, "header"));
  q.header.version = static_cast<std::uint16_t>(version);
  q.header.attestation_key_type = static_cast<std::uint16_t>(key_type);
  q.header.tee_type = static_cast<std::uint32_t>(tee_type);
  q.header.qe_svn = static_cast<std::uint16_t>(qe_svn);
  q.header.pce_svn = static_cast<std::uint16_t>(pce_svn);
  MR_RETURN_IF_ERROR(c.copy(q.header.qe_vendor_id, "header"));
  MR_RETURN_IF_ERROR(c.copy(q.header.user_data, "header"));

  if (version < 3 || version > 5) {
    return failf(ErrorCode::kInvalidArgument, "unsupported quote version {}", version);
  }
  if (key_type != kAttestationKeyEcdsaP256) {
    return failf(ErrorCode::kInvalidArgument, "unsupported attestation key type {}", key_type);
  }
  if (tee_type == kTeeTypeSgx) {
    q.tee_type = TeeType::kSgx;
  } else if (tee_type == kTeeTypeTdx && version >= 4) {
    q.tee_type = TeeType::kTdx;
  } else {
    return failf(ErrorCode::kInvalidArgument, "unsupported TEE type {:#x} for quote version {}",
                 tee_type, version);
  }

  ByteSpan body;
  if (version <= 4) {
    q.body_type = q.tee_type == TeeType::kSgx ? kBodyTypeSgx : kBodyTypeTd10;
    MR_ASSIGN_OR_RETURN(
        body,
        c.take(q.tee_type == TeeType::kSgx ? kSgxReportBodySize : kTdReport10Size, "report body"));
  } else {
    MR_ASSIGN_OR_RETURN(std::uint64_t body_type, c.le(2, "body descriptor"));
    MR_ASSIGN_OR_RETURN(std::uint64_t body_size, c.le(4, "body descriptor"));
    const bool sgx_body = body_type == kBodyTypeSgx && body_size == kSgxReportBodySize;
    const bool td10 = body_type == kBodyTypeTd10 && body_size == kTdReport10Size;
    const bool td15 = body_type == kBodyTypeTd15 && body_size == kTdReport15Size;
    if (!sgx_body && !td10 && !td15) return malformed("unknown body type or size");
    if (sgx_body != (q.tee_type == TeeType::kSgx)) {
      return malformed("body type does not match the TEE type");
    }
    q.body_type = static_cast<std::uint16_t>(body_type);
    MR_ASSIGN_OR_RETURN(body, c.take(body_size, "report body"));
  }
  if (q.tee_type == TeeType::kSgx) {
    MR_ASSIGN_OR_RETURN(q.sgx, parse_sgx_report_body(body));
  } else {
    MR_ASSIGN_OR_RETURN(q.td, parse_td_report(body));
  }
  q.signed_size = c.pos();

  MR_ASSIGN_OR_RETURN(std::uint64_t sig_size, c.le(4, "signature data size"));
  MR_ASSIGN_OR_RETURN(ByteSpan sig_data, c.take(sig_size, "signature data"));
  Cursor s(sig_data);
  MR_RETURN_IF_ERROR(s.copy(q.signature, "quote signature"));
  MR_RETURN_IF_ERROR(s.copy(q.attestation_key, "attestation key"));
  if (version == 3) {
    MR_RETURN_IF_ERROR(parse_qe_part(s, q));
  } else {
    MR_ASSIGN_OR_RETURN(std::uint64_t type, s.le(2, "certification data type"));
    MR_ASSIGN_OR_RETURN(std::uint64_t size, s.le(4, "certification data size"));
    MR_ASSIGN_OR_RETURN(ByteSpan outer, s.take(size, "certification data"));
    if (type != kCertDataQeReport) {
      return failf(ErrorCode::kInvalidArgument, "unsupported certification data type {}", type);
    }
    Cursor inner(outer);
    MR_RETURN_IF_ERROR(parse_qe_part(inner, q));
    if (inner.remaining() != 0) return malformed("QE report certification data size mismatch");
  }
  if (s.remaining() != 0) return malformed("signature data size mismatch");
  return q;
}

}  // namespace mr::attestation::dcap
