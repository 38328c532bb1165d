#include "crypto/openssl/library_config.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "base/testing/temp_dir.h"

namespace mr::crypto {
namespace {

// What a hostile host could put in OPENSSL_CONF: weaker TLS, and session tickets on.
constexpr char kHostileConfig[] = R"(
openssl_conf = init
[init]
ssl_conf = ssl
[ssl]
system_default = sys
[sys]
MinProtocol = TLSv1
CipherString = ALL:@SECLEVEL=0
NumTickets = 5
)";

// One test in this binary: OpenSSL reads its configuration once per process.
TEST(OpensslConfiguration, TheHostsFileIsIgnoredAndServerContextsSendNoTickets) {
  mr::testing::TempDir dir;
  const auto path = dir.path() / "hostile.cnf";
  std::ofstream(path) << kHostileConfig;
  ASSERT_EQ(setenv("OPENSSL_CONF", path.c_str(), 1), 0);

  // Control, in a child process: without configure_openssl the host's file takes effect (so the
  // checks below can fail).
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    const bool hostile =
        ctx != nullptr && SSL_CTX_get_num_tickets(ctx) == 5 && SSL_CTX_get_security_level(ctx) == 0;
    _exit(hostile ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << "the hostile configuration did not apply in the control";

  ASSERT_TRUE(configure_openssl());
  SSL_CTX* server = SSL_CTX_new(TLS_server_method());
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(SSL_CTX_get_num_tickets(server), 0u);
  EXPECT_GE(SSL_CTX_get_security_level(server), 1);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(server), 0);  // the library default, not TLSv1
  SSL_CTX_free(server);
  // A second call changes nothing and does not fail.
  EXPECT_TRUE(configure_openssl());
}

}  // namespace
}  // namespace mr::crypto
