#pragma once
// Test doubles for the client: a scripted HttpTransport and small certificate helpers.

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "client/http_transport.h"
#include "crypto/keys.h"
#include "crypto/x509.h"

namespace mr::client::testing {

// FakeTransport answers from a routing table "GET /path" → response (or error) and records
// every request. Unrouted requests get 405 with an empty JSend error, like the Coordinator's
// catch-all handler.
class FakeTransport final : public HttpTransport {
 public:
  struct Shared {
    std::map<std::string, std::function<Result<HttpResponse>(const HttpRequest&)>> routes;
    std::vector<HttpRequest> requests;
  };
  explicit FakeTransport(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}

  Result<HttpResponse> send(const HttpRequest& r) override {
    shared_->requests.push_back(r);
    std::string key = (r.method == HttpMethod::kGet ? "GET " : "POST ") + r.target;
    auto it = shared_->routes.find(key);
    if (it == shared_->routes.end()) {
      key = key.substr(0, key.find('?'));
      it = shared_->routes.find(key);
    }
    if (it == shared_->routes.end()) return HttpResponse{405, R"({"status":"error","data":null})"};
    return it->second(r);
  }

 private:
  std::shared_ptr<Shared> shared_;
};

// reply returns a route answering |status| with |body|.
inline std::function<Result<HttpResponse>(const HttpRequest&)> reply(int status, std::string body) {
  return [status, body](const HttpRequest&) { return HttpResponse{status, body}; };
}
// success returns a route answering 200 {"status":"success","data":<data_json>}.
inline std::function<Result<HttpResponse>(const HttpRequest&)> success(
    const std::string& data_json) {
  return reply(200, R"({"status":"success","data":)" + data_json + "}\n");
}

struct TestCa {
  crypto::PrivateKey key;
  crypto::Certificate cert;
};

// make_cert issues a P-256 certificate for |cn| with IP SAN 127.0.0.1 and DNS SAN |dns|, signed
// by |parent| (self-signed CA when null).
inline TestCa make_cert(const std::string& cn, const TestCa* parent, bool is_ca,
                        const std::vector<std::string>& dns = {}) {
  auto key = crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP256));
  crypto::CertTemplate t;
  t.subject.common_name = cn;
  const UnixTime now = SystemClock().now();
  t.not_before = now - std::chrono::hours(1);
  t.not_after = now + std::chrono::hours(24);
  t.key_usage = crypto::kKeyUsageDigitalSignature | (is_ca ? crypto::kKeyUsageCertSign : 0u);
  t.ext_key_usage = std::vector<crypto::ExtKeyUsage>{crypto::ExtKeyUsage::kServerAuth,
                                                     crypto::ExtKeyUsage::kClientAuth};
  t.basic_constraints_valid = true;
  t.is_ca = is_ca;
  t.dns_names = dns;
  t.ip_addresses = std::vector<IpAddress>{*IpAddress::parse("127.0.0.1")};
  auto cert = crypto::create_certificate(t, key->public_key(), parent ? &parent->cert : nullptr,
                                         parent ? parent->key : *key);
  return TestCa{*key, *cert};
}

}  // namespace mr::client::testing
