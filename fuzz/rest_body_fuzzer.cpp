// Fuzz target: every REST request body, through the real route handlers of client_routes()
// over a real Core (memory stores, file seal key, simulation mode, fixed clock). The first byte
// picks the route (POSTs: manifest v1/v2, recover v1/v2, update v1/v2, update-manifest,
// update-cancel, secrets v1/v2; GETs get the rest as their query string), the second the
// Coordinator's state (accepting a manifest, or running samples/full.json) and the calling user
// (alice or bob of that manifest). Handlers are called directly, so an exception escapes and
// aborts. A handler that succeeded may have changed the state: its Core is rebuilt before the
// next input, so every input meets the same fixture.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api/rest/body.h"
#include "api/rest/client_routes.h"
#include "api/rest/path.h"
#include "attestation/quote_issuer.h"
#include "base/clock.h"
#include "base/testing/temp_dir.h"
#include "core/client_api.h"
#include "core/core.h"
#include "core/secret_api.h"
#include "core/update_api.h"
#include "fuzz_util.h"
#include "seal/file_seal_key_provider.h"
#include "store/memory/memory_store.h"

namespace {

namespace rest = mr::api::rest;

class FixedClock final : public mr::Clock {
 public:
  [[nodiscard]] mr::UnixTime now() const override {
    return *mr::parse_rfc3339("2026-01-01T00:00:00Z");
  }
};

class NoTeeIssuer final : public mr::attestation::QuoteIssuer {
 public:
  mr::Result<mr::Bytes> issue(mr::ByteSpan) override {
    return mr::fail(mr::ErrorCode::kUnimplemented, "no TEE");
  }
};

// World is one Coordinator with its route table.
struct World {
  explicit World(bool running) {
    seal = std::make_unique<mr::seal::FileSealKeyProvider>(dir.path() / "seal");
    auto c = mr::core::Core::start(
        mr::core::CoreDeps{&clock, &persistent, &volatile_store, seal.get(), &issuer},
        mr::core::CoreConfig{.simulation = true});
    MR_FUZZ_CHECK(c.has_value(), "Core::start failed: " + c.error().message);
    core = std::move(*c);
    client = std::make_unique<mr::core::ClientApi>(*core);
    secrets = std::make_unique<mr::core::SecretApi>(*core);
    updates = std::make_unique<mr::core::UpdateApi>(*core);
    routes = rest::client_routes(rest::ClientServices{*client, *secrets, *updates});
    if (running) {
      auto set = client->set_manifest(mr::fuzz::source_file("samples/full.json"));
      MR_FUZZ_CHECK(set.has_value(), "setting samples/full.json failed: " + set.error().message);
    }
  }
  ~World() {
    routes.clear();
    updates.reset();
    secrets.reset();
    client.reset();
    core.reset();
  }
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  mr::testing::TempDir dir;
  FixedClock clock;
  mr::store::MemoryStore persistent;
  mr::store::MemoryStore volatile_store;
  std::unique_ptr<mr::seal::FileSealKeyProvider> seal;
  NoTeeIssuer issuer;
  std::unique_ptr<mr::core::Core> core;
  std::unique_ptr<mr::core::ClientApi> client;
  std::unique_ptr<mr::core::SecretApi> secrets;
  std::unique_ptr<mr::core::UpdateApi> updates;
  std::vector<rest::Route> routes;
};

std::unique_ptr<World> worlds[2];

World& world(bool running) {
  auto& w = worlds[running ? 1 : 0];
  if (!w) w = std::make_unique<World>(running);
  return *w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mr::fuzz::Input in(data, size);
  const std::uint8_t route_byte = in.byte();
  const std::uint8_t world_byte = in.byte();
  std::string_view body = in.rest();

  // The body decoder on its own: Go's first-value semantics.
  if (auto j = rest::decode_json_body(body); !j) {
    MR_FUZZ_CHECK(!j.error().message.empty(), "body error without a message");
  }

  const bool running = (world_byte & 1) != 0;
  World& w = world(running);
  const rest::Route& route = w.routes[route_byte % w.routes.size()];
  rest::RequestContext ctx;
  if (route.method == rest::Method::kPost) {
    ctx.body = body;
  } else {
    ctx.query = rest::parse_query(body);
  }
  ctx.user = (world_byte & 2) != 0 ? "bob" : "alice";
  rest::HandlerResult r = route.handler(ctx);
  if (!r) {
    if (r.error().kind == rest::Failure::kInput) {
      MR_FUZZ_CHECK(!r.error().error.message.empty(), "input error without a message");
    }
  } else if (route.method == rest::Method::kPost) {
    worlds[running ? 1 : 0].reset();  // the state may have changed
  }
  return 0;
}
