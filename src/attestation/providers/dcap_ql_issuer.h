#pragma once
// Quote providers that load Intel's DCAP libraries at run time (dlopen), so binaries build and
// run on machines without them:
//
//   // SGX: libsgx_dcap_ql turns an enclave REPORT targeted at the quoting enclave into a quote.
//   // Creating that REPORT (EREPORT) happens inside the enclave: the caller supplies it.
//   DcapQlQuoteIssuer sgx(make_report);             // "libsgx_dcap_ql.so.1"
//   // TDX: libtdx_attest does everything from inside the TD.
//   TdxAttestQuoteIssuer tdx;                        // "libtdx_attest.so.1"
//
// When the library (or a symbol) is missing, issue() fails with kUnimplemented
// ("OE_UNSUPPORTED: ..."): the process has no usable TEE and runs in simulation mode.

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "attestation/quote_issuer.h"

namespace mr::attestation::providers {

inline constexpr const char* kDcapQlLibrary = "libsgx_dcap_ql.so.1";
inline constexpr const char* kTdxAttestLibrary = "libtdx_attest.so.1";

// SharedLibrary is a dlopen handle closed on destruction.
class SharedLibrary {
 public:
  // open loads |name| (RTLD_NOW | RTLD_LOCAL). kUnimplemented "OE_UNSUPPORTED: cannot load
  // <name>: <dlerror>" when it is absent. The result is owned by the caller.
  [[nodiscard]] static Result<std::unique_ptr<SharedLibrary>> open(const std::string& name);
  ~SharedLibrary();
  SharedLibrary(const SharedLibrary&) = delete;
  SharedLibrary& operator=(const SharedLibrary&) = delete;
  // symbol looks up |name|. kUnimplemented if the library lacks it.
  [[nodiscard]] Result<void*> symbol(const char* name) const;

 private:
  explicit SharedLibrary(void* handle, std::string name)
      : handle_(handle), name_(std::move(name)) {}
  void* handle_;
  std::string name_;
};

// MakeReport creates, inside the enclave, the 432-byte sgx_report_t for the 512-byte
// |target_info| of the quoting enclave and the 64-byte |report_data|.
using MakeReport = std::function<Result<Bytes>(ByteSpan target_info, ByteSpan report_data)>;

// DcapQlQuoteIssuer produces OE-framed SGX quotes with libsgx_dcap_ql (in-process quoting).
class DcapQlQuoteIssuer final : public QuoteIssuer {
 public:
  explicit DcapQlQuoteIssuer(MakeReport make_report, std::string library = kDcapQlLibrary)
      : make_report_(std::move(make_report)), library_name_(std::move(library)) {}
  // issue: see QuoteIssuer::issue. kUnimplemented when the library is absent; kUnavailable with
  // the quote3_error_t code when the library fails; errors of |make_report| are passed on.
  [[nodiscard]] Result<Bytes> issue(ByteSpan report_data) override;

 private:
  MakeReport make_report_;
  std::string library_name_;
  std::mutex mu_;                           // guards library_
  std::unique_ptr<SharedLibrary> library_;  // loaded on first use
};

// TdxAttestQuoteIssuer produces raw TDX quotes (v4/v5) with libtdx_attest.
class TdxAttestQuoteIssuer final : public QuoteIssuer {
 public:
  explicit TdxAttestQuoteIssuer(std::string library = kTdxAttestLibrary)
      : library_name_(std::move(library)) {}
  // issue: see QuoteIssuer::issue. kUnimplemented when the library is absent; kUnavailable with
  // the tdx_attest_error_t code when it fails.
  [[nodiscard]] Result<Bytes> issue(ByteSpan report_data) override;

 private:
  std::string library_name_;
  std::mutex mu_;                           // guards library_
  std::unique_ptr<SharedLibrary> library_;  // loaded on first use
};

}  // namespace mr::attestation::providers
