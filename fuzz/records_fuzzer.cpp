// Fuzz target: the JSON records the Coordinator decodes from its stores and from users: secrets
// (core/records.h), package properties, a pending manifest update (core/pending_update.h),
// recovery data (core/recovery.h, stored unsealed) and uploaded user secrets
// (core::parse_user_secrets, the body of POST /api/v2/secrets). The first byte picks the
// decoder; whatever decodes must encode to a form that decodes and encodes to itself.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/pending_update.h"
#include "core/records.h"
#include "core/recovery.h"
#include "core/secret_api.h"
#include "fuzz_util.h"
#include "gojson/go_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mr::fuzz::Input in(data, size);
  const int mode = in.byte() % 5;
  std::string_view text = in.rest();
  switch (mode) {
    case 0:
      if (auto s = mr::core::decode_secret(text)) {
        // What is stored is encode_secret's form: it must decode and encode to itself.
        const std::string stored = mr::core::encode_secret(*s);
        auto again = mr::core::decode_secret(stored);
        MR_FUZZ_CHECK(again.has_value(),
                      "encoded secret does not decode: " + again.error().message);
        MR_FUZZ_CHECK(mr::core::encode_secret(*again) == stored, "secret does not round-trip");
      }
      break;
    case 1:
      if (auto p = mr::core::decode_package(text)) {
        const std::string stored = mr::core::encode_package(*p);
        auto again = mr::core::decode_package(stored);
        MR_FUZZ_CHECK(again.has_value(), "encoded package does not decode");
        MR_FUZZ_CHECK(mr::core::encode_package(*again) == stored, "package does not round-trip");
      }
      break;
    case 2:
      if (auto p = mr::core::decode_pending_update(text)) {
        const std::string stored = mr::core::encode_pending_update(*p);
        auto again = mr::core::decode_pending_update(stored);
        MR_FUZZ_CHECK(again.has_value(), "encoded pending update does not decode");
        MR_FUZZ_CHECK(*again == *p, "pending update does not round-trip");
        (void)p->missing_users();
      }
      break;
    case 3:
      if (auto r = mr::core::decode_recovery_data(text)) {
        auto again = mr::core::decode_recovery_data(mr::core::encode_recovery_data(*r));
        MR_FUZZ_CHECK(again.has_value(), "encoded recovery data does not decode");
        // Stored sorted (as upstream's map); the order read back does not matter.
        std::sort(r->begin(), r->end());
        std::sort(again->begin(), again->end());
        MR_FUZZ_CHECK(*again == *r, "recovery data does not round-trip");
      }
      break;
    default:
      if (auto j = mr::gojson::parse(text)) {
        auto secrets = mr::core::parse_user_secrets(*j);
        if (!secrets) MR_FUZZ_CHECK(!secrets.error().message.empty(), "error without a message");
      }
      break;
  }
  return 0;
}
