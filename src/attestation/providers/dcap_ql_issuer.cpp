#include "attestation/providers/dcap_ql_issuer.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <array>
#include <cstdint>

#include "attestation/oe_report.h"

namespace mr::attestation::providers {
namespace {

constexpr std::size_t kTargetInfoSize = 512;  // sgx_target_info_t
constexpr std::size_t kReportSize = 432;      // sgx_report_t
constexpr std::uint32_t kQuoteOk = 0;         // SGX_QL_SUCCESS / TDX_ATTEST_SUCCESS

// Signatures from Intel's sgx_dcap_ql_wrapper.h and tdx_attest.h (C ABI).
using GetTargetInfoFn = std::uint32_t (*)(void* target_info);
using GetQuoteSizeFn = std::uint32_t (*)(std::uint32_t* size);
using GetQuoteFn = std::uint32_t (*)(const void* report, std::uint32_t size, std::uint8_t* quote);
using TdxGetQuoteFn = std::uint32_t (*)(const void* report_data, const void* key_ids,
                                        std::uint32_t list_size, void* key_id, std::uint8_t** quote,
                                        std::uint32_t* quote_size, std::uint32_t flags);
using TdxFreeQuoteFn = std::uint32_t (*)(std::uint8_t* quote);

template <class Fn>
Result<Fn> lookup(const SharedLibrary& lib, const char* name) {
  MR_ASSIGN_OR_RETURN(void* sym, lib.symbol(name));
  return reinterpret_cast<Fn>(sym);
}

Status ensure_loaded(std::unique_ptr<SharedLibrary>& lib, const std::string& name) {
  if (lib) return ok();
  MR_ASSIGN_OR_RETURN(lib, SharedLibrary::open(name));
  return ok();
}

}  // namespace

Result<std::unique_ptr<SharedLibrary>> SharedLibrary::open(const std::string& name) {
  dlerror();
  void* handle = ::dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return failf(ErrorCode::kUnimplemented, "{}: cannot load {}: {}", kNoTeeMessage, name,
                 why != nullptr ? why : "unknown error");
  }
  return std::unique_ptr<SharedLibrary>(new SharedLibrary(handle, name));
}

SharedLibrary::~SharedLibrary() {
  if (handle_ != nullptr) ::dlclose(handle_);
}

Result<void*> SharedLibrary::symbol(const char* name) const {
  dlerror();
  void* sym = ::dlsym(handle_, name);
  if (sym == nullptr) {
    return failf(ErrorCode::kUnimplemented, "{}: {} lacks {}", kNoTeeMessage, name_, name);
  }
  return sym;
}

Result<Bytes> DcapQlQuoteIssuer::issue(ByteSpan report_data) {
  if (report_data.size() > kMaxReportDataSize) {
    return fail(ErrorCode::kInvalidArgument, "report data exceeds 64 bytes");
  }
  std::scoped_lock lock(mu_);
  MR_RETURN_IF_ERROR(ensure_loaded(library_, library_name_));
  MR_ASSIGN_OR_RETURN(auto get_target_info,
                      lookup<GetTargetInfoFn>(*library_, "sgx_qe_get_target_info"));
  MR_ASSIGN_OR_RETURN(auto get_quote_size,
                      lookup<GetQuoteSizeFn>(*library_, "sgx_qe_get_quote_size"));
  MR_ASSIGN_OR_RETURN(auto get_quote, lookup<GetQuoteFn>(*library_, "sgx_qe_get_quote"));

  alignas(512) std::array<std::uint8_t, kTargetInfoSize> target_info{};
  if (const std::uint32_t rc = get_target_info(target_info.data()); rc != kQuoteOk) {
    return failf(ErrorCode::kUnavailable, "sgx_qe_get_target_info failed: {:#x}", rc);
  }
  std::array<std::uint8_t, kMaxReportDataSize> padded{};
  std::copy(report_data.begin(), report_data.end(), padded.begin());
  MR_ASSIGN_OR_RETURN(Bytes report, make_report_(target_info, padded));
  if (report.size() != kReportSize) {
    return fail(ErrorCode::kInternal, "enclave report must be 432 bytes");
  }
  std::uint32_t size = 0;
  if (const std::uint32_t rc = get_quote_size(&size); rc != kQuoteOk || size == 0) {
    return failf(ErrorCode::kUnavailable, "sgx_qe_get_quote_size failed: {:#x}", rc);
  }
  Bytes quote(size);
  if (const std::uint32_t rc = get_quote(report.data(), size, quote.data()); rc != kQuoteOk) {
    return failf(ErrorCode::kUnavailable, "sgx_qe_get_quote failed: {:#x}", rc);
  }
  return oe_wrap_sgx_quote(quote);
}

Result<Bytes> TdxAttestQuoteIssuer::issue(ByteSpan report_data) {
  if (report_data.size() > kMaxReportDataSize) {
    return fail(ErrorCode::kInvalidArgument, "report data exceeds 64 bytes");
  }
  std::scoped_lock lock(mu_);
  MR_RETURN_IF_ERROR(ensure_loaded(library_, library_name_));
  MR_ASSIGN_OR_RETURN(auto get_quote, lookup<TdxGetQuoteFn>(*library_, "tdx_att_get_quote"));
  MR_ASSIGN_OR_RETURN(auto free_quote, lookup<TdxFreeQuoteFn>(*library_, "tdx_att_free_quote"));
  std::array<std::uint8_t, kMaxReportDataSize> padded{};
  std::copy(report_data.begin(), report_data.end(), padded.begin());
  std::array<std::uint8_t, 16> key_id{};
  std::uint8_t* quote = nullptr;
  std::uint32_t size = 0;
  const std::uint32_t rc = get_quote(padded.data(), nullptr, 0, key_id.data(), &quote, &size, 0);
  if (rc != kQuoteOk || quote == nullptr || size == 0) {
    if (quote != nullptr) free_quote(quote);
    return failf(ErrorCode::kUnavailable, "tdx_att_get_quote failed: {:#x}", rc);
  }
  Bytes out(quote, quote + size);
  free_quote(quote);
  return out;
}

}  // namespace mr::attestation::providers
