// proto ⇄ domain conversion, Error → grpc::Status, peer PEM → DER and listen addresses.
#include "api/grpc/conversion.h"

#include <gtest/gtest.h>

#include "api/grpc/marble_server.h"
#include "crypto/pem.h"

namespace mr::api::grpc {
namespace {

TEST(Conversion, RequestFieldsAreCopiedVerbatim) {
  rpc::ActivationReq req;
  req.set_quote(std::string("\x00\x01quote", 7));
  req.set_csr("csr-der");
  req.set_marbletype("backend");
  req.set_uuid("{6BA7B810-9DAD-11D1-80B4-00C04FD430C8}");  // as sent; the Core parses it
  const core::ActivationRequest r = to_activation_request(req, to_bytes("peer"));
  EXPECT_EQ(r.quote, to_bytes(std::string("\x00\x01quote", 7)));
  EXPECT_EQ(r.csr_der, to_bytes("csr-der"));
  EXPECT_EQ(r.marble_type, "backend");
  EXPECT_EQ(r.uuid, "{6BA7B810-9DAD-11D1-80B4-00C04FD430C8}");
  EXPECT_EQ(r.peer_cert_der, to_bytes("peer"));
}

TEST(Conversion, ResponseCarriesFilesEnvAndArgvInOrder) {
  core::Activation a;
  a.files["/a/b"] = std::string("\x00\xff", 2);
  a.env["X"] = "1";
  a.env["MARBLE_PREDEFINED_ROOT_CA"] = "pem";
  a.argv = {"z", "a", ""};
  rpc::ActivationResp resp;
  to_activation_resp(a, resp);
  ASSERT_TRUE(resp.has_parameters());
  const rpc::Parameters& p = resp.parameters();
  EXPECT_EQ(p.files().size(), 1u);
  EXPECT_EQ(p.files().at("/a/b"), std::string("\x00\xff", 2));
  EXPECT_EQ(p.env().size(), 2u);
  EXPECT_EQ(p.env().at("X"), "1");
  ASSERT_EQ(p.argv_size(), 3);
  EXPECT_EQ(p.argv(0), "z");
  EXPECT_EQ(p.argv(1), "a");
  EXPECT_EQ(p.argv(2), "");
}

TEST(Conversion, EmptyActivationStillHasParameters) {
  rpc::ActivationResp resp;
  to_activation_resp(core::Activation{}, resp);
  EXPECT_TRUE(resp.has_parameters());  // upstream always sets Parameters
}

TEST(Conversion, ErrorsKeepTheirCodeNumberAndMessage) {
  for (int code = 1; code <= 16; ++code) {
    const ::grpc::Status s = to_grpc_status(Error{static_cast<ErrorCode>(code), "why"});
    EXPECT_EQ(static_cast<int>(s.error_code()), code);
    EXPECT_EQ(s.error_message(), "why");
  }
  const ::grpc::Status s = to_grpc_status(Error{
      ErrorCode::kPermissionDenied, "marble verification failed: unknown marble type requested"});
  EXPECT_EQ(s.error_code(), ::grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(s.error_message(), "marble verification failed: unknown marble type requested");
}

TEST(Conversion, AnOkErrorNeverBecomesOk) {
  EXPECT_EQ(to_grpc_status(Error{ErrorCode::kOk, "bug"}).error_code(), ::grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(to_grpc_status(Error{static_cast<ErrorCode>(99), "bug"}).error_code(),
            ::grpc::StatusCode::UNKNOWN);
}

TEST(Conversion, LeafDerIsTheFirstCertificateBlock) {
  const Bytes leaf = to_bytes("leaf der");
  const Bytes ca = to_bytes("ca der");
  const std::string chain = crypto::pem_encode("EC PRIVATE KEY", to_bytes("not a cert")) +
                            crypto::pem_encode("CERTIFICATE", leaf) +
                            crypto::pem_encode("CERTIFICATE", ca);
  EXPECT_EQ(leaf_der_from_pem(chain), leaf);
  EXPECT_TRUE(leaf_der_from_pem("").empty());
  EXPECT_TRUE(leaf_der_from_pem("garbage").empty());
}

TEST(ListenAddress, GoFormsBecomeGrpcForms) {
  EXPECT_EQ(*grpc_listen_address(":2001"), "[::]:2001");
  EXPECT_EQ(*grpc_listen_address("0.0.0.0:2001"), "0.0.0.0:2001");
  EXPECT_EQ(*grpc_listen_address("127.0.0.1:0"), "127.0.0.1:0");
  EXPECT_EQ(*grpc_listen_address("[::1]:5"), "[::1]:5");
  EXPECT_EQ(*grpc_listen_address("localhost:2001"), "localhost:2001");
  for (const char* bad :
       {"2001", "::1:80", "[::1:80", "host:", "host:65536", "host:-1", "host:1x"}) {
    auto r = grpc_listen_address(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("invalid listen address"), std::string::npos);
  }
}

}  // namespace
}  // namespace mr::api::grpc
