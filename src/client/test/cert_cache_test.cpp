#include "client/cert_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "base/testing/temp_dir.h"
#include "client/test/fakes.h"

namespace mr::client {
namespace {

using ::testing::HasSubstr;
using testing::make_cert;
using testing::TestCa;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(DefaultCertCachePath, FollowsGosUserConfigDir) {
  EXPECT_EQ(*default_cert_cache_path(std::string("/x/cfg"), std::string("/home/u")),
            "/x/cfg/marblerun/coordinator-cert.pem");
  EXPECT_EQ(*default_cert_cache_path(std::string(""), std::string("/home/u")),
            "/home/u/.config/marblerun/coordinator-cert.pem");
  EXPECT_EQ(*default_cert_cache_path(std::nullopt, std::string("/home/u")),
            "/home/u/.config/marblerun/coordinator-cert.pem");
  auto relative = default_cert_cache_path(std::string("cfg"), std::string("/home/u"));
  ASSERT_FALSE(relative);
  EXPECT_THAT(relative.error().message, HasSubstr("relative"));
  auto none = default_cert_cache_path(std::nullopt, std::nullopt);
  ASSERT_FALSE(none);
  EXPECT_THAT(none.error().message, HasSubstr("--coordinator-cert"));
}

class CertCacheTest : public ::testing::Test {
 protected:
  mr::testing::TempDir dir_;
  TestCa root_ = make_cert("MarbleRun Coordinator", nullptr, true);
  TestCa intermediate_ = make_cert("MarbleRun Coordinator - Intermediate CA", &root_, true);
  CoordinatorCertificates certs() const { return {intermediate_.cert.der(), root_.cert.der()}; }
};

TEST_F(CertCacheTest, MissingFileIsNoEntry) {
  CertificateCache cache(dir_ / "none.pem");
  auto c = cache.load();
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_FALSE(*c);
}

TEST_F(CertCacheTest, StoreWritesIntermediateThenRootAndLoadsBack) {
  CertificateCache cache(dir_ / "config" / "marblerun" / "coordinator-cert.pem");
  ASSERT_TRUE(cache.store(certs()));
  EXPECT_EQ(read_file(cache.path()), intermediate_.cert.pem() + root_.cert.pem());
  struct stat st {};
  ASSERT_EQ(stat((dir_ / "config" / "marblerun").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto c = cache.load();
  ASSERT_TRUE(c && *c);
  EXPECT_EQ(**c, certs());
  // Overwriting replaces the file (no temporary left behind).
  ASSERT_TRUE(cache.store(certs()));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(cache.path().parent_path()),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_F(CertCacheTest, ASingleCertificateIsTheRoot) {
  const auto path = dir_ / "root.pem";
  std::ofstream(path) << root_.cert.pem();
  auto c = CertificateCache(path).load();
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->root_der, root_.cert.der());
  EXPECT_TRUE((*c)->intermediate_der.empty());
}

TEST_F(CertCacheTest, GarbageIsDataLossWithAHint) {
  const auto path = dir_ / "bad.pem";
  std::ofstream(path) << "not a certificate";
  auto c = CertificateCache(path).load();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kDataLoss);
  EXPECT_THAT(c.error().message, HasSubstr("remove it"));
}

TEST_F(CertCacheTest, RootChangedErrorNamesTheFileAndFingerprints) {
  const TestCa other = make_cert("MarbleRun Coordinator", nullptr, true);
  const Error e = root_changed_error("/c/cert.pem", root_.cert.der(), other.cert.der());
  EXPECT_EQ(e.code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(e.message, HasSubstr("the Coordinator's root certificate changed"));
  EXPECT_THAT(e.message, HasSubstr("remove /c/cert.pem if this is expected"));
  EXPECT_THAT(e.message, HasSubstr(certificate_fingerprint(root_.cert.der())));
  EXPECT_THAT(e.message, HasSubstr(certificate_fingerprint(other.cert.der())));
}

}  // namespace
}  // namespace mr::client
