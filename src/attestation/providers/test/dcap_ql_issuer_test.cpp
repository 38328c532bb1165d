#include "attestation/providers/dcap_ql_issuer.h"

#include <gtest/gtest.h>

namespace mr::attestation::providers {
namespace {

TEST(DcapQlQuoteIssuer, AbsentLibraryMeansNoTee) {
  bool called = false;
  DcapQlQuoteIssuer issuer(
      [&](ByteSpan, ByteSpan) -> Result<Bytes> {
        called = true;
        return Bytes(432, 0);
      },
      "libsgx_dcap_ql_not_installed_here.so.1");
  auto q = issuer.issue(Bytes(32, 1));
  ASSERT_FALSE(q);
  EXPECT_TRUE(is_no_tee(q.error()));
  EXPECT_EQ(
      q.error().message.rfind("OE_UNSUPPORTED: cannot load libsgx_dcap_ql_not_installed_here", 0),
      0u)
      << q.error().message;
  EXPECT_FALSE(called);
  // A second attempt reports the same, without crashing or caching a broken handle.
  EXPECT_TRUE(is_no_tee(issuer.issue(Bytes(32, 1)).error()));
  EXPECT_EQ(issuer.issue(Bytes(65, 1)).error().code, ErrorCode::kInvalidArgument);
}

TEST(DcapQlQuoteIssuer, DefaultLibraryIsReportedCleanlyWhenMissing) {
  // On this machine (no SGX) the real library is not installed; if it were, the quoting enclave
  // would still fail without /dev/sgx, which is reported as an error rather than a crash.
  DcapQlQuoteIssuer issuer([](ByteSpan, ByteSpan) -> Result<Bytes> {
    return fail(ErrorCode::kUnavailable, "no enclave");
  });
  auto q = issuer.issue(Bytes(32, 1));
  ASSERT_FALSE(q);
}

TEST(TdxAttestQuoteIssuer, AbsentLibraryMeansNoTee) {
  TdxAttestQuoteIssuer issuer("libtdx_attest_not_installed_here.so.1");
  auto q = issuer.issue(Bytes(64, 1));
  ASSERT_FALSE(q);
  EXPECT_TRUE(is_no_tee(q.error()));
}

TEST(SharedLibrary, MissingSymbolIsUnimplemented) {
  auto libc = SharedLibrary::open("libc.so.6");
  ASSERT_TRUE(libc) << libc.error().message;
  EXPECT_TRUE((*libc)->symbol("strlen"));
  auto missing = (*libc)->symbol("sgx_qe_get_quote");
  ASSERT_FALSE(missing);
  EXPECT_TRUE(is_no_tee(missing.error()));
}

}  // namespace
}  // namespace mr::attestation::providers
