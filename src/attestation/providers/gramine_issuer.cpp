#include "attestation/providers/gramine_issuer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <string>
#include <system_error>

#include "attestation/oe_report.h"
#include "base/file_util.h"

namespace mr::attestation::providers {
namespace {

using file::Fd;

Result<Bytes> read_all(const std::filesystem::path& p) {
  Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return failf(ErrorCode::kUnavailable, "cannot open {}", p.string());
  Bytes out;
  std::array<std::uint8_t, 4096> buf;
  while (true) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) return failf(ErrorCode::kUnavailable, "cannot read {}", p.string());
    if (n == 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + n);
  }
  return out;
}

std::string trimmed(const Bytes& b) {
  std::string s(b.begin(), b.end());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0' || s.back() == ' '))
    s.pop_back();
  return s;
}

}  // namespace

Result<Bytes> GramineQuoteIssuer::issue(ByteSpan report_data) {
  if (report_data.size() > kMaxReportDataSize) {
    return fail(ErrorCode::kInvalidArgument, "report data exceeds 64 bytes");
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(root_, ec)) {
    return failf(ErrorCode::kUnimplemented, "{}: {} not available", kNoTeeMessage, root_.string());
  }
  if (std::filesystem::exists(root_ / "attestation_type", ec)) {
    MR_ASSIGN_OR_RETURN(Bytes type, read_all(root_ / "attestation_type"));
    if (trimmed(type) != "dcap") {
      return failf(ErrorCode::kUnimplemented, "{}: Gramine attestation type is not dcap",
                   kNoTeeMessage);
    }
  }

  std::array<std::uint8_t, kMaxReportDataSize> padded{};
  std::copy(report_data.begin(), report_data.end(), padded.begin());

  std::scoped_lock lock(mu_);
  {
    const auto path = root_ / "user_report_data";
    Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (fd.get() < 0) return failf(ErrorCode::kUnavailable, "cannot open {}", path.string());
    if (::write(fd.get(), padded.data(), padded.size()) != static_cast<ssize_t>(padded.size())) {
      return failf(ErrorCode::kUnavailable, "cannot write {}", path.string());
    }
  }
  MR_ASSIGN_OR_RETURN(Bytes quote, read_all(root_ / "quote"));
  if (quote.empty()) return fail(ErrorCode::kUnavailable, "Gramine returned an empty quote");
  return oe_wrap_sgx_quote(quote);
}

}  // namespace mr::attestation::providers
