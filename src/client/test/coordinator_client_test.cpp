#include "client/coordinator_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/encoding.h"
#include "client/test/fakes.h"
#include "gojson/go_json.h"

namespace mr::client {
namespace {

using ::testing::ElementsAre;
using testing::FakeTransport;
using ::testing::HasSubstr;
using testing::reply;
using testing::success;

class CoordinatorClientTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeTransport::Shared> fake_ = std::make_shared<FakeTransport::Shared>();
  CoordinatorClient client_{std::make_unique<FakeTransport>(fake_)};

  std::vector<std::string> targets() const {
    std::vector<std::string> out;
    for (const auto& r : fake_->requests) {
      out.push_back((r.method == HttpMethod::kGet ? "GET " : "POST ") + r.target);
    }
    return out;
  }
};

TEST_F(CoordinatorClientTest, StatusV2) {
  fake_->routes["GET /api/v2/status"] =
      success(R"({"code":2,"message":"Coordinator is ready to accept a manifest."})");
  auto s = client_.status();
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->code, 2);
  EXPECT_EQ(s->message, "Coordinator is ready to accept a manifest.");
  EXPECT_THAT(targets(), ElementsAre("GET /api/v2/status"));
}

TEST_F(CoordinatorClientTest, StatusFallsBackToV1On405) {
  fake_->routes["GET /status"] = success(R"({"StatusCode":3,"StatusMessage":"running"})");
  auto s = client_.status();
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->code, 3);
  EXPECT_EQ(s->message, "running");
  EXPECT_THAT(targets(), ElementsAre("GET /api/v2/status", "GET /status"));
}

TEST_F(CoordinatorClientTest, NoFallbackOnOtherErrors) {
  fake_->routes["GET /api/v2/status"] = reply(
      500, R"({"status":"error","data":null,"message":"cannot determine coordinator status"})");
  auto s = client_.status();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "cannot determine coordinator status");
  EXPECT_THAT(targets(), ElementsAre("GET /api/v2/status"));
}

TEST_F(CoordinatorClientTest, BothVersionsMissingIsReported) {
  auto s = client_.status();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kUnimplemented);
  EXPECT_EQ(s.error().message, "the Coordinator does not serve GET /status (HTTP 405)");
}

TEST_F(CoordinatorClientTest, QuoteWithNonceUsesPaddedBase64Url) {
  fake_->routes["GET /api/v2/quote"] = success(R"({"cert":"PEM","quote":"AQID"})");
  const Bytes nonce = {0xfb, 0xff};
  auto q = client_.quote(nonce);
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->cert_chain_pem, "PEM");
  EXPECT_EQ(q->quote, (Bytes{1, 2, 3}));
  EXPECT_THAT(targets(), ElementsAre("GET /api/v2/quote?nonce=-_8="));
}

TEST_F(CoordinatorClientTest, QuoteNullIsEmptyAndV1KeysWork) {
  fake_->routes["GET /quote"] = success(R"({"Cert":"PEM","Quote":null})");
  auto q = client_.quote({});
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_TRUE(q->quote.empty());
  EXPECT_THAT(targets(), ElementsAre("GET /api/v2/quote", "GET /quote"));
}

TEST_F(CoordinatorClientTest, QuoteWithNonceHasNoV1Fallback) {
  const Bytes nonce = {1};
  auto q = client_.quote(nonce);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, ErrorCode::kUnimplemented);
  EXPECT_THAT(q.error().message, HasSubstr("cannot quote a nonce"));
  EXPECT_EQ(fake_->requests.size(), 1u);
}

TEST_F(CoordinatorClientTest, ManifestV2AndV1) {
  fake_->routes["GET /api/v2/manifest"] = success(
      R"({"manifestSignatureRootECDSA":"AAE=","manifestFingerprint":"abc","manifest":"e30="})");
  auto m = client_.manifest();
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(to_string(m->manifest), "{}");
  EXPECT_EQ(m->fingerprint, "abc");
  EXPECT_EQ(m->signature, (Bytes{0, 1}));

  fake_->routes.clear();
  fake_->routes["GET /manifest"] =
      success(R"({"ManifestSignatureRootECDSA":null,"ManifestSignature":"","Manifest":null})");
  auto v1 = client_.manifest();
  ASSERT_TRUE(v1) << v1.error().message;
  EXPECT_TRUE(v1->manifest.empty());
  EXPECT_EQ(v1->fingerprint, "");
}

TEST_F(CoordinatorClientTest, SetManifestSendsBase64AndDecodesRecoverySecrets) {
  fake_->routes["POST /api/v2/manifest"] = success(R"({"RecoverySecrets":{"a":"AQI="}})");
  auto r = client_.set_manifest("{\"x\":1}");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->at("a"), (Bytes{1, 2}));
  EXPECT_EQ(fake_->requests[0].body,
            "{\"manifest\":\"" + base64_encode(as_bytes("{\"x\":1}")) + "\"}");
}

TEST_F(CoordinatorClientTest, SetManifestV1SendsTheRawManifest) {
  fake_->routes["POST /manifest"] = success("null");
  auto r = client_.set_manifest("{\"x\":1}");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(fake_->requests.back().body, "{\"x\":1}");
}

TEST_F(CoordinatorClientTest, UpdateLogV1IsSplitIntoLines) {
  fake_->routes["GET /update"] = success(R"("{\"a\":1}\n{\"b\":2}\n")");
  auto log = client_.update_log();
  ASSERT_TRUE(log) << log.error().message;
  EXPECT_THAT(*log, ElementsAre("{\"a\":1}", "{\"b\":2}"));
}

TEST_F(CoordinatorClientTest, ApplyUpdateNullMeansApplied) {
  fake_->routes["POST /api/v2/update"] = success("null");
  auto u = client_.apply_update("{}");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->missing_acknowledgments, 0);
  EXPECT_FALSE(u->recovery_secrets);
}

TEST_F(CoordinatorClientTest, ApplyUpdatePending) {
  fake_->routes["POST /api/v2/update"] =
      success(R"({"missingAcknowledgments":1,"missingUsers":["bob","carol"]})");
  auto u = client_.apply_update("{}");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->missing_acknowledgments, 1);
  EXPECT_THAT(u->missing_users, ElementsAre("bob", "carol"));
}

TEST_F(CoordinatorClientTest, AcknowledgeV1ParsesTheFirstWord) {
  fake_->routes["POST /update-manifest"] =
      success(R"("2 users still need to acknowledge the update manifest")");
  auto a = client_.acknowledge_update("{}");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->missing_acknowledgments, 2);
  EXPECT_THAT(a->missing_users, ElementsAre("User0", "User1"));

  fake_->routes["POST /update-manifest"] =
      success(R"("All users have acknowledged the update manifest. Update successfully applied")");
  auto all = client_.acknowledge_update("{}");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->missing_acknowledgments, 0);
}

TEST_F(CoordinatorClientTest, PendingUpdateNotFound) {
  fake_->routes["GET /api/v2/update-manifest"] =
      reply(404, R"({"status":"error","data":null,"message":"no update in progress"})");
  auto p = client_.pending_update();
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(p.error().message, "no update in progress");
}

TEST_F(CoordinatorClientTest, CancelV2AndV1) {
  fake_->routes["POST /api/v2/update-cancel"] =
      success(R"({"message":"Update successfully cancelled"})");
  EXPECT_EQ(*client_.cancel_update(), "Update successfully cancelled");
  fake_->routes.clear();
  fake_->routes["POST /update-cancel"] = success(R"("Update successfully cancelled")");
  EXPECT_EQ(*client_.cancel_update(), "Update successfully cancelled");
}

TEST_F(CoordinatorClientTest, SecretsQueryAndShape) {
  fake_->routes["GET /api/v2/secrets"] = success(
      R"({"secrets":{"a b":{"Type":"plain","Size":0,"Shared":false,"UserDefined":true,"Cert":null,"ValidFor":0,"Private":"aGk=","Public":"aGk="}}})");
  auto s = client_.secrets({"a b", "c&d"});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_THAT(targets(), ElementsAre("GET /api/v2/secrets?s=a+b&s=c%26d"));
  const Secret& secret = s->at("a b");
  EXPECT_EQ(secret.type, "plain");
  EXPECT_TRUE(secret.user_defined);
  EXPECT_FALSE(secret.cert);
  ASSERT_TRUE(secret.private_key);
  EXPECT_EQ(secret.private_key->view(), "hi");
}

TEST_F(CoordinatorClientTest, SecretsV1IsTheMapItself) {
  fake_->routes["GET /secrets"] =
      success(R"({"k":{"Type":"symmetric-key","Size":128,"Private":"AAE="}})");
  auto s = client_.secrets({"k"});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->at("k").size, 128u);
}

TEST_F(CoordinatorClientTest, SetSecretsWrapsTheMapForV2) {
  fake_->routes["POST /api/v2/secrets"] = success("null");
  ASSERT_TRUE(client_.set_secrets(R"({"token":{"Key":"AAE="}})"));
  EXPECT_EQ(fake_->requests[0].body, R"({"secrets":{"token":{"Key":"AAE="}}})");
  auto bad = client_.set_secrets("[1]");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(fake_->requests.size(), 1u);
}

TEST_F(CoordinatorClientTest, UnauthorizedUser) {
  fake_->routes["POST /api/v2/secrets"] = reply(
      401,
      R"({"status":"fail","data":null,"message":"unauthorized user: client certificate did not match any MarbleRun users"})");
  auto r = client_.set_secrets("{}");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  EXPECT_THAT(r.error().message, HasSubstr("authorizing user: unauthorized user"));
}

TEST_F(CoordinatorClientTest, RecoverIsV2Only) {
  auto r = client_.recover(Bytes{1}, Bytes{2});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnimplemented);
  EXPECT_THAT(targets(), ElementsAre("POST /api/v2/recover"));

  fake_->routes["POST /api/v2/recover"] = success(
      R"({"remaining":1,"message":"Secret was processed successfully. Upload the next secret. Remaining secrets: 1"})");
  auto ok = client_.recover(Bytes{1}, Bytes{2});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->remaining, 1);
  auto body = gojson::parse(fake_->requests.back().body);
  ASSERT_TRUE(body);
  EXPECT_EQ((*body)["recoverySecret"], "AQ==");
  EXPECT_EQ((*body)["recoverySecretSignature"], "Ag==");
}

TEST_F(CoordinatorClientTest, RecoveryPublicKey) {
  fake_->routes["GET /api/v2/recover/public-key"] =
      success(R"({"algorithm":"RSA","ephemeralPublicKey":"AQID"})");
  auto k = client_.recovery_public_key();
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_EQ(*k, (Bytes{1, 2, 3}));
}

TEST_F(CoordinatorClientTest, MalformedDataIsReported) {
  fake_->routes["GET /api/v2/status"] = success(R"({"code":"three"})");
  auto s = client_.status();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message,
            "unexpected answer from the Coordinator to GET /api/v2/status: \"code\" is not an "
            "integer");
}

TEST_F(CoordinatorClientTest, TransportErrorsPassThrough) {
  fake_->routes["GET /api/v2/status"] = [](const HttpRequest&) -> Result<HttpResponse> {
    return fail(ErrorCode::kUnavailable, "cannot connect");
  };
  auto s = client_.status();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(fake_->requests.size(), 1u);
}

}  // namespace
}  // namespace mr::client
