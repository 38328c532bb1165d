// Fuzz target: DCAP quote parsing and verification with collateral, at a fixed time when the
// sample collateral is valid (2025-07-01). The first byte picks what the rest is:
//   0: an SGX quote, verified with the real SGX collateral of tests/testdata/dcap;
//   1: a TDX quote, verified with the real TDX collateral;
//   2: a collateral JSON (single-file layout), used to verify the real SGX quote;
//   3: a collateral JSON, used to verify the real TDX quote.
// Intel's production root is the trust anchor. The real quote with its real collateral must
// verify (a fixture check, so that the target never silently fuzzes a broken setup).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "attestation/oe_report.h"
#include "attestation/sgx_dcap/collateral.h"
#include "attestation/sgx_dcap/dcap_verifier.h"
#include "attestation/sgx_dcap/quote.h"
#include "base/clock.h"
#include "fuzz_util.h"

namespace {

namespace dcap = mr::attestation::dcap;

class FixedClock final : public mr::Clock {
 public:
  [[nodiscard]] mr::UnixTime now() const override {
    return *mr::parse_rfc3339("2025-07-01T00:00:00Z");
  }
};

struct Fixture {
  std::string sgx_quote = mr::fuzz::source_file("tests/testdata/dcap/sgx_quote");
  std::string tdx_quote = mr::fuzz::source_file("tests/testdata/dcap/tdx_quote");
  std::string sgx_collateral =
      mr::fuzz::source_file("tests/testdata/dcap/sgx_quote_collateral.json");
  std::string tdx_collateral =
      mr::fuzz::source_file("tests/testdata/dcap/tdx_quote_collateral.json");
  FixedClock clock;
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

mr::ByteSpan span(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// verify verifies |quote| with |collateral_json|; nullopt-like false if the collateral does not
// parse. Returns whether the quote verified.
bool verify(std::string_view quote, std::string_view collateral_json) {
  auto c = dcap::parse_collateral_json(collateral_json);
  if (!c) {
    MR_FUZZ_CHECK(!c.error().message.empty(), "collateral error without a message");
    return false;
  }
  auto v = dcap::DcapQuoteVerifier::create(
      {std::make_shared<dcap::StaticCollateralProvider>(std::move(*c)), &fixture().clock, {}});
  MR_FUZZ_CHECK(v.has_value(), "verifier creation failed: " + v.error().message);
  auto q = (*v)->verify(span(quote));
  if (!q) {
    MR_FUZZ_CHECK(!q.error().message.empty(), "verify error without a message");
    return false;
  }
  // A verified quote has a body of its TEE type and a status.
  MR_FUZZ_CHECK(q->sgx.has_value() != q->td.has_value(), "verified quote with no single body");
  (void)q->report_data();
  (void)q->debug();
  (void)q->verdict();
  // A raw quote's OE-framed form (what Marbles send) verifies identically.
  if (q->sgx && dcap::parse_quote(span(quote))) {
    auto framed = (*v)->verify(mr::attestation::oe_wrap_sgx_quote(span(quote)));
    MR_FUZZ_CHECK(framed.has_value(), "OE-framed quote does not verify");
    MR_FUZZ_CHECK(framed->sgx == q->sgx, "OE-framed quote verifies differently");
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Fixture& f = fixture();
  mr::fuzz::Input in(data, size);
  const int mode = in.byte() % 4;
  std::string_view rest = in.rest();
  switch (mode) {
    case 0:
    case 1: {
      auto parsed = dcap::parse_quote(span(rest));
      if (parsed) MR_FUZZ_CHECK(parsed->signed_size <= rest.size(), "signed_size past the end");
      const bool ok = verify(rest, mode == 0 ? f.sgx_collateral : f.tdx_collateral);
      if (rest == (mode == 0 ? f.sgx_quote : f.tdx_quote)) {
        MR_FUZZ_CHECK(ok, "the real quote does not verify with its collateral");
      }
      break;
    }
    default: {
      const bool ok = verify(mode == 2 ? f.sgx_quote : f.tdx_quote, rest);
      if (rest == (mode == 2 ? f.sgx_collateral : f.tdx_collateral)) {
        MR_FUZZ_CHECK(ok, "the real quote does not verify with its collateral");
      }
      if (auto c = dcap::parse_collateral_json(rest)) {
        // The single-JSON layout round-trips.
        auto again = dcap::parse_collateral_json(dcap::to_collateral_json(*c));
        MR_FUZZ_CHECK(again.has_value(), "to_collateral_json output does not parse");
        MR_FUZZ_CHECK(*again == *c, "collateral JSON does not round-trip");
      }
      break;
    }
  }
  return 0;
}
