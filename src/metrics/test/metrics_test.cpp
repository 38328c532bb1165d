#include "metrics/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "base/testing/fake_clock.h"
#include "gojson/go_json.h"
#include "metrics/metrics_server.h"

namespace mr::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class MetricsTest : public ::testing::Test {
 protected:
  mr::testing::FakeClock clock_{*parse_rfc3339("2026-11-23T12:00:00Z")};
  int state_ = 3;
  CoordinatorMetrics metrics_{{"0.1.0", "abc"}, [this] { return state_; }, clock_};
  core::ActivationRequest request_{
      {0x01, 0x02}, {}, "web", "6ba7b810-9dad-11d1-80b4-00c04fd430c8", {}};
};

TEST_F(MetricsTest, ActivationsByTypeAndOutcomeWithoutUuidLabels) {
  metrics_.on_activation(request_, "web", ok(), 0.004);
  metrics_.on_activation(request_, "web", fail(ErrorCode::kPermissionDenied, "no"), 0.002);
  metrics_.on_activation(request_, "unknown", fail(ErrorCode::kPermissionDenied, "no"), 0.001);
  const std::string text = metrics_.serialize();
  EXPECT_THAT(text, HasSubstr("coordinator_marble_activations_total{type=\"web\"} 2"));
  EXPECT_THAT(text, HasSubstr("coordinator_marble_activations_total{type=\"unknown\"} 1"));
  EXPECT_THAT(text, HasSubstr("coordinator_marble_activations_success_total{type=\"web\"} 1"));
  EXPECT_THAT(text, HasSubstr("coordinator_marble_activations_by_outcome_total{outcome="
                              "\"permission_denied\",type=\"web\"} 1"));
  EXPECT_THAT(
      text,
      HasSubstr("coordinator_marble_activations_by_outcome_total{outcome=\"ok\",type=\"web\"} 1"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "coordinator_marble_activation_duration_seconds_bucket{type=\"web\",le=\"0.005\"} 2"));
  EXPECT_THAT(text,
              HasSubstr("coordinator_marble_activation_duration_seconds_count{type=\"web\"} 2"));
  EXPECT_THAT(text, HasSubstr("coordinator_state 3"));
  EXPECT_THAT(text, HasSubstr("coordinator_version_info{commit=\"abc\",version=\"0.1.0\"} 0"));
  EXPECT_THAT(text, Not(HasSubstr("uuid")));
}

TEST_F(MetricsTest, HttpRequestsByRoute) {
  metrics_.started("/api/v2/status");
  metrics_.finished({"GET", "/api/v2/status", 200, 0.01, 0, 90});
  metrics_.started("other");
  metrics_.finished({"GET", "other", 405, 0.001, 0, 31});
  const std::string text = metrics_.serialize();
  EXPECT_THAT(text, HasSubstr("server_client_api_http_request_total{code=\"200\",method=\"GET\","
                              "path=\"/api/v2/status\"} 1"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "server_client_api_http_request_total{code=\"405\",method=\"GET\",path=\"other\"} 1"));
  EXPECT_THAT(text,
              HasSubstr("server_client_api_http_in_flight_requests{path=\"/api/v2/status\"} 0"));
  EXPECT_THAT(text, HasSubstr("server_client_api_http_response_size_histogram_bytes_bucket{path=\"/"
                              "api/v2/status\",le=\"100\"} 1"));
}

TEST_F(MetricsTest, EventLogHoldsSuccessfulActivationsOnly) {
  EXPECT_EQ(metrics_.events_json(), "null");
  metrics_.on_activation(request_, "web", fail(ErrorCode::kPermissionDenied, "no"), 0.001);
  EXPECT_EQ(metrics_.events_json(), "null");
  metrics_.on_activation(request_, "web", ok(), 0.001);
  auto j = gojson::Json::parse(metrics_.events_json());
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["time"], "2026-11-23T12:00:00Z");
  EXPECT_EQ(j[0]["activation"]["marbleType"], "web");
  EXPECT_EQ(j[0]["activation"]["uuid"], request_.uuid);
  EXPECT_EQ(j[0]["activation"]["quote"], "AQI=");
  for (std::size_t i = 0; i < CoordinatorMetrics::kMaxEvents + 5; ++i)
    metrics_.on_activation(request_, "web", ok(), 0);
  EXPECT_EQ(gojson::Json::parse(metrics_.events_json()).size(), CoordinatorMetrics::kMaxEvents);
}

TEST_F(MetricsTest, ServerAnswersMetricsAndEvents) {
  metrics_.on_activation(request_, "web", ok(), 0.001);
  auto server = MetricsServer::start("127.0.0.1:0", metrics_);
  ASSERT_TRUE(server) << server.error().message;
  httplib::Client client("127.0.0.1", (*server)->port());
  auto m = client.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_THAT(m->body, HasSubstr("coordinator_marble_activations_total{type=\"web\"} 1"));
  EXPECT_THAT(m->get_header_value("Content-Type"), HasSubstr("text/plain"));
  auto e = client.Get("/events");
  ASSERT_TRUE(e);
  EXPECT_EQ(gojson::Json::parse(e->body).size(), 1u);
  EXPECT_EQ(client.Get("/nope")->status, 404);
}

}  // namespace
}  // namespace mr::metrics
