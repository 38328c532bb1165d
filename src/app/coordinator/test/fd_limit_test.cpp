#include "app/coordinator/fd_limit.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace mr::app {
namespace {

rlimit current() {
  rlimit lim{};
  EXPECT_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
  return lim;
}

// A process that starts with soft < hard ends up with soft == hard; the hard limit is untouched.
TEST(OpenFilesLimit, RaisesTheSoftLimitToTheHardLimit) {
  rlimit lim = current();
  ASSERT_GT(lim.rlim_max, 64u) << "the hard limit of this test process is too low to lower";
  const rlim_t hard = lim.rlim_max;
  lim.rlim_cur = 64;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lim), 0);

  auto r = raise_open_files_limit();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->soft_before, 64u);
  EXPECT_EQ(r->soft, hard);
  EXPECT_EQ(r->hard, hard);
  EXPECT_EQ(current().rlim_cur, hard);
  EXPECT_EQ(current().rlim_max, hard);

  // Already at the hard limit: nothing to do.
  r = raise_open_files_limit();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->soft_before, hard);
  EXPECT_EQ(r->soft, hard);
}

}  // namespace
}  // namespace mr::app
