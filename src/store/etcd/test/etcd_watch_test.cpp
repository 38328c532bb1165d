// EtcdStore::watch against a real etcd on loopback: changes made through another store, prefix
// scoping, etcd stopped and restarted under a watch, and stopping a watch while etcd is down.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "store/etcd/etcd_store.h"
#include "store/etcd/testing/etcd_server.h"
#include "store/records.h"

namespace mr::store::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

std::unique_ptr<EtcdServer> start_etcd() {
  auto server = EtcdServer::start();
  EXPECT_TRUE(server.has_value()) << server.error().message;
  return server ? std::move(*server) : nullptr;
}

std::unique_ptr<EtcdStore> open_store(const EtcdServer& etcd, std::string prefix = "/marblerun/",
                                      milliseconds timeout = milliseconds(3000)) {
  EtcdStoreConfig config;
  config.endpoints = {etcd.endpoint()};
  config.key_prefix = std::move(prefix);
  config.request_timeout = timeout;
  auto store = EtcdStore::open(std::move(config));
  EXPECT_TRUE(store.has_value()) << store.error().message;
  return store ? std::move(*store) : nullptr;
}

Status put_commit(Store& store, std::string_view key, std::string_view value) {
  MR_ASSIGN_OR_RETURN(auto txn, store.begin());
  MR_RETURN_IF_ERROR(put_string(*txn, key, value));
  return txn->commit();
}

// Calls counts on_change calls and waits for them.
class Calls {
 public:
  std::function<void()> callback() {
    return [this] {
      std::scoped_lock lock(mu_);
      ++count_;
      cv_.notify_all();
    };
  }
  // wait_for_more waits up to |timeout| for a call after the last take(); true if one came.
  bool wait_for_more(milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return count_ > taken_; });
  }
  // take marks every call so far as seen.
  void take() {
    std::scoped_lock lock(mu_);
    taken_ = count_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;  // guarded by mu_
  int taken_ = 0;  // guarded by mu_
};

TEST(EtcdWatchTest, ChangesThroughAnotherStoreAreSeenWithinASecond) {
  auto etcd = start_etcd();
  ASSERT_TRUE(etcd);
  auto watcher = open_store(*etcd);
  auto writer = open_store(*etcd);
  ASSERT_TRUE(watcher && writer);
  Calls calls;
  auto watch = watcher->watch("", calls.callback());
  ASSERT_TRUE(watch.has_value()) << watch.error().message;

  ASSERT_TRUE(put_commit(*writer, "state", "1"));
  EXPECT_TRUE(calls.wait_for_more(milliseconds(1000))) << "a put was not reported";

  calls.take();
  auto txn = writer->begin();
  ASSERT_TRUE(txn.has_value());
  ASSERT_TRUE((*txn)->erase("state"));
  ASSERT_TRUE((*txn)->commit());
  EXPECT_TRUE(calls.wait_for_more(milliseconds(1000))) << "a delete was not reported";
}

TEST(EtcdWatchTest, ChangesOutsideTheWatchedPrefixAreNotReported) {
  auto etcd = start_etcd();
  ASSERT_TRUE(etcd);
  auto watcher = open_store(*etcd);
  auto writer = open_store(*etcd);
  // Another state in the same etcd whose prefix shares the first characters.
  auto other_state = open_store(*etcd, "/marblerun2/");
  ASSERT_TRUE(watcher && writer && other_state);
  Calls calls;
  auto watch = watcher->watch("a/", calls.callback());
  ASSERT_TRUE(watch.has_value()) << watch.error().message;

  ASSERT_TRUE(put_commit(*writer, "b/x", "1"));
  ASSERT_TRUE(put_commit(*writer, "a", "1"));
  ASSERT_TRUE(put_commit(*other_state, "a/x", "1"));
  EXPECT_FALSE(calls.wait_for_more(milliseconds(500))) << "a change outside \"a/\" was reported";

  ASSERT_TRUE(put_commit(*writer, "a/x", "1"));
  EXPECT_TRUE(calls.wait_for_more(milliseconds(1000)));
}

TEST(EtcdWatchTest, ResumesAfterEtcdRestart) {
  auto etcd = start_etcd();
  ASSERT_TRUE(etcd);
  auto watcher = open_store(*etcd);
  auto writer = open_store(*etcd);
  ASSERT_TRUE(watcher && writer);
  Calls calls;
  auto watch = watcher->watch("", calls.callback());
  ASSERT_TRUE(watch.has_value()) << watch.error().message;

  etcd->stop();
  std::this_thread::sleep_for(milliseconds(300));
  calls.take();
  ASSERT_TRUE(etcd->restart());
  // Reconnected: one call, since something may have changed while the watch was down.
  EXPECT_TRUE(calls.wait_for_more(milliseconds(5000))) << "no call after reconnecting";

  calls.take();
  Status put = put_commit(*writer, "state", "after restart");
  ASSERT_TRUE(put) << put.error().message;
  EXPECT_TRUE(calls.wait_for_more(milliseconds(1000))) << "a put after the restart was missed";
}

TEST(EtcdWatchTest, DestroyingWhileEtcdIsDownIsPrompt) {
  auto etcd = start_etcd();
  ASSERT_TRUE(etcd);
  auto watcher = open_store(*etcd);
  ASSERT_TRUE(watcher);
  Calls calls;
  auto watch = watcher->watch("", calls.callback());
  ASSERT_TRUE(watch.has_value()) << watch.error().message;
  etcd->stop();
  std::this_thread::sleep_for(milliseconds(700));  // the watch is now reconnecting
  const auto start = Clock::now();
  watch->reset();
  EXPECT_LT(Clock::now() - start, milliseconds(500));
}

TEST(EtcdWatchTest, FailsWhenEtcdIsDownAtStart) {
  auto etcd = start_etcd();
  ASSERT_TRUE(etcd);
  auto watcher = open_store(*etcd, "/marblerun/", milliseconds(800));
  ASSERT_TRUE(watcher);
  etcd->stop();
  Calls calls;
  const auto start = Clock::now();
  auto watch = watcher->watch("", calls.callback());
  ASSERT_FALSE(watch.has_value());
  EXPECT_EQ(watch.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(watch.error().message.find(etcd->endpoint()), std::string::npos)
      << watch.error().message;
  EXPECT_LT(Clock::now() - start, milliseconds(2000));
}

}  // namespace
}  // namespace mr::store::testing
