#include "base/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace mr {
namespace {

TEST(ThreadPool, RunsEveryJobAndDrainsOnStop) {
  std::atomic<int> done{0};
  ThreadPool pool(2, 1000);
  for (int i = 0; i < 500; ++i)
    ASSERT_TRUE(pool.try_submit([&] { ++done; }));
  pool.stop();
  EXPECT_EQ(done, 500);
  EXPECT_FALSE(pool.try_submit([] {}));
}

TEST(ThreadPool, RefusesWhenTheQueueIsFull) {
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  ThreadPool pool(1, 2);
  std::atomic<int> started{0};
  ASSERT_TRUE(pool.try_submit([&] {
    ++started;
    gate.wait();
  }));
  while (started == 0)
    std::this_thread::yield();  // the worker holds the first job
  EXPECT_TRUE(pool.try_submit([] {}));
  EXPECT_TRUE(pool.try_submit([] {}));
  EXPECT_FALSE(pool.try_submit([] {}));  // two wait already
  release.set_value();
  pool.stop();
}

TEST(ThreadPool, SubmitWaitBlocksUntilThereIsRoom) {
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  ThreadPool pool(1, 1);
  std::atomic<int> done{0};
  pool.submit_wait([&] {
    gate.wait();
    ++done;
  });
  pool.submit_wait([&] { ++done; });
  auto waiter = std::async(std::launch::async, [&] { pool.submit_wait([&] { ++done; }); });
  EXPECT_EQ(waiter.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  release.set_value();
  waiter.get();
  pool.stop();
  EXPECT_EQ(done, 3);
}

}  // namespace
}  // namespace mr
