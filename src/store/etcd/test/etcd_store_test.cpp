// EtcdStore against a real etcd on loopback: two stores on one etcd (two Coordinators), etcd
// stopped and restarted, TLS with a client certificate, and etcd's size limits. The conformance
// suite runs in etcd_conformance_test.cpp.

#include "store/etcd/etcd_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "store/etcd/testing/etcd_server.h"
#include "store/records.h"

namespace mr::store::testing {
namespace {

std::unique_ptr<EtcdServer> start_etcd(EtcdServerOptions options = {}) {
  auto server = EtcdServer::start(options);
  EXPECT_TRUE(server.has_value()) << server.error().message;
  return server ? std::move(*server) : nullptr;
}

std::unique_ptr<EtcdStore> open_store(const EtcdServer& etcd, std::string prefix = "/marblerun/") {
  EtcdStoreConfig config;
  config.endpoints = {etcd.endpoint()};
  config.key_prefix = std::move(prefix);
  config.request_timeout = std::chrono::milliseconds(3000);
  auto store = EtcdStore::open(std::move(config));
  EXPECT_TRUE(store.has_value()) << store.error().message;
  return store ? std::move(*store) : nullptr;
}

Status put_commit(Store& store, std::string_view key, std::string_view value) {
  MR_ASSIGN_OR_RETURN(auto txn, store.begin());
  MR_RETURN_IF_ERROR(put_string(*txn, key, value));
  return txn->commit();
}

std::optional<std::string> read(Store& store, std::string_view key) {
  auto r = store.begin_read();
  EXPECT_TRUE(r.has_value()) << r.error().message;
  if (!r) return std::nullopt;
  auto v = get_string(**r, key);
  EXPECT_TRUE(v.has_value()) << v.error().message;
  return v ? *v : std::nullopt;
}

// log_tail returns the end of etcd's log, for failure messages.
std::string log_tail(const EtcdServer& etcd) {
  const std::string log = etcd.log_for_test();
  return log.size() <= 4000 ? log : log.substr(log.size() - 4000);
}

constexpr std::string_view kAbortMessage = "the state in etcd changed since this transaction began";

TEST(EtcdStoreTest, ConcurrentWritersOnTwoStoresExactlyOneCommits) {
  auto etcd = start_etcd();
  ASSERT_NE(etcd, nullptr);
  auto a = open_store(*etcd);
  auto b = open_store(*etcd);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(put_commit(*a, "k", "0").has_value());

  auto ta = a->begin();
  auto tb = b->begin();  // another store: not serialised with |ta| in this process
  ASSERT_TRUE(ta && tb);
  ASSERT_EQ(*get_string(**ta, "k"), "0");
  ASSERT_EQ(*get_string(**tb, "k"), "0");
  ASSERT_TRUE(put_string(**ta, "k", "a").has_value());
  ASSERT_TRUE(put_string(**tb, "k", "b").has_value());
  ASSERT_TRUE(put_string(**tb, "only-b", "b").has_value());
  ASSERT_TRUE((*ta)->commit().has_value());
  auto st = (*tb)->commit();
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code, ErrorCode::kAborted);
  EXPECT_NE(st.error().message.find(kAbortMessage), std::string::npos) << st.error().message;
  EXPECT_EQ(read(*b, "k"), "a");
  EXPECT_EQ(read(*a, "only-b"), std::nullopt);  // nothing of the aborted commit was written
}

TEST(EtcdStoreTest, KeyReadAsAbsentAndListedPrefixAreChecked) {
  auto etcd = start_etcd();
  ASSERT_NE(etcd, nullptr);
  auto a = open_store(*etcd);
  auto b = open_store(*etcd);
  ASSERT_TRUE(a && b);

  // a reads "x" as absent; b creates it; a's commit must not go through.
  auto ta = a->begin();
  ASSERT_TRUE(ta.has_value());
  ASSERT_EQ(*get_string(**ta, "x"), std::nullopt);
  ASSERT_TRUE(put_commit(*b, "x", "b").has_value());
  ASSERT_TRUE(put_string(**ta, "x", "a").has_value());
  auto st = (*ta)->commit();
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code, ErrorCode::kAborted);
  EXPECT_EQ(read(*a, "x"), "b");

  // a lists "p:"; b adds a key under it; a's commit (of another key) must not go through.
  ta = a->begin();
  ASSERT_TRUE(ta.has_value());
  ASSERT_TRUE((*ta)->list("p:").has_value());
  ASSERT_TRUE(put_commit(*b, "p:1", "b").has_value());
  ASSERT_TRUE(put_string(**ta, "count", "0").has_value());
  st = (*ta)->commit();
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code, ErrorCode::kAborted);
  EXPECT_EQ(read(*a, "count"), std::nullopt);

  // A write to a key nobody read does not conflict.
  ta = a->begin();
  ASSERT_TRUE(ta.has_value());
  ASSERT_EQ(*get_string(**ta, "x"), "b");
  ASSERT_TRUE(put_commit(*b, "unrelated", "b").has_value());
  ASSERT_TRUE(put_string(**ta, "x", "a").has_value());
  EXPECT_TRUE((*ta)->commit().has_value());
  EXPECT_EQ(read(*b, "x"), "a");
}

TEST(EtcdStoreTest, DeletionInAListedPrefixIsSeenOnlyThroughAKeyEveryWriterUpdates) {
  auto etcd = start_etcd();
  ASSERT_NE(etcd, nullptr);
  auto a = open_store(*etcd);
  auto b = open_store(*etcd);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(put_commit(*a, "p:1", "x").has_value());
  ASSERT_TRUE(put_commit(*a, "root", "1").has_value());

  // The documented gap: a range compare sees no deletion.
  auto ta = a->begin();
  ASSERT_TRUE(ta.has_value());
  ASSERT_EQ((*ta)->list("p:")->size(), 1U);
  {
    auto tb = b->begin();
    ASSERT_TRUE(tb.has_value());
    ASSERT_TRUE((*tb)->erase("p:1").has_value());
    ASSERT_TRUE((*tb)->commit().has_value());
  }
  ASSERT_TRUE(put_string(**ta, "other", "y").has_value());
  EXPECT_TRUE((*ta)->commit().has_value());

  // Closed by reading a key that every writer updates.
  ASSERT_TRUE(put_commit(*a, "p:1", "x").has_value());
  ta = a->begin();
  ASSERT_TRUE(ta.has_value());
  ASSERT_EQ((*ta)->list("p:")->size(), 1U);
  ASSERT_TRUE(get_string(**ta, "root").has_value());
  {
    auto tb = b->begin();
    ASSERT_TRUE(tb.has_value());
    ASSERT_TRUE((*tb)->erase("p:1").has_value());
    ASSERT_TRUE(put_string(**tb, "root", "2").has_value());
    ASSERT_TRUE((*tb)->commit().has_value());
  }
  ASSERT_TRUE(put_string(**ta, "root", "3").has_value());
  auto st = (*ta)->commit();
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code, ErrorCode::kAborted);
}

TEST(EtcdStoreTest, CounterAcrossTwoStoresLosesNoUpdate) {
  auto etcd = start_etcd();
  ASSERT_NE(etcd, nullptr);
  auto a = open_store(*etcd);
  auto b = open_store(*etcd);
  ASSERT_TRUE(a && b);
  constexpr int kThreads = 6;
  constexpr int kIncrements = 10;
  std::atomic<int> errors{0};
  std::atomic<int> aborts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    Store& store = t % 2 == 0 ? static_cast<Store&>(*a) : *b;
    threads.emplace_back([&store, &errors, &aborts] {
      for (int i = 0; i < kIncrements; ++i) {
        for (;;) {
          auto txn = store.begin();
          if (!txn) {
            ++errors;
            break;
          }
          auto cur = get_string(**txn, "counter");
          if (!cur) {
            ++errors;
            break;
          }
          const int n = *cur ? std::stoi(**cur) : 0;
          if (!put_string(**txn, "counter", std::to_string(n + 1))) {
            ++errors;
            break;
          }
          auto st = (*txn)->commit();
          if (st) break;
          if (st.error().code != ErrorCode::kAborted) {
            ++errors;
            break;
          }
          ++aborts;  // retry the whole increment
        }
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(read(*a, "counter"), std::to_string(kThreads * kIncrements));
  RecordProperty("aborts", aborts.load());
}

TEST(EtcdStoreTest, ErasePrefixThenPutInsideItIsOneTxn) {
  // etcd refuses a Txn that puts a key inside a range it deletes; the store deletes the keys the
  // range held instead, one by one.
  auto etcd = start_etcd();
  ASSERT_NE(etcd, nullptr);
  auto store = open_store(*etcd);
  ASSERT_NE(store, nullptr);
  {
    auto txn = store->begin();
    ASSERT_TRUE(txn.has_value());
    for (const char* k : {"a:1", "a:2", "a:2:x", "a:3", "a:4", "a;", "b"})
      ASSERT_TRUE(put_string(**txn, k, "old").has_value());
    ASSERT_TRUE((*txn)->commit().has_value());
  }
  auto txn = store->begin();
  ASSERT_TRUE(txn.has_value());
  ASSERT_TRUE((*txn)->erase_prefix("a:2").has_value());
  ASSERT_TRUE((*txn)->erase_prefix("a:").has_value());  // covers the first
  ASSERT_TRUE(put_string(**txn, "a:2", "new").has_value());
  ASSERT_TRUE(put_string(**txn, "a:4", "new").has_value());
  ASSERT_TRUE((*txn)->erase("a:9").has_value());  // inside the erased range: no operation
  ASSERT_TRUE(put_string(**txn, "b", "new").has_value());
  ASSERT_TRUE((*txn)->commit().has_value());
  auto snap = store->begin_read();
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(*(*snap)->list(""), (std::vector<std::string>{"a:2", "a:4", "a;", "b"}));
  EXPECT_EQ(read(*store, "a:2"), "new");
  EXPECT_EQ(read(*store, "a;"), "old");
}

// An erased prefix is exactly what it held when the transaction began: a key another writer
// creates in it meanwhile makes the commit abort (it would otherwise survive the erase).
TEST(EtcdStoreTest, AKeyCreatedInAnErasedPrefixMeanwhileAbortsTheCommit) {
  auto etcd = start_etcd();
  ASSERT_NE(etcd, nullptr);
  auto a = open_store(*etcd);
  auto b = open_store(*etcd);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(put_commit(*a, "p:old", "1"));
  auto txn = a->begin();
  ASSERT_TRUE(txn.has_value());
  ASSERT_TRUE((*txn)->erase_prefix("p:").has_value());
  ASSERT_TRUE(put_string(**txn, "p:kept", "2").has_value());
  ASSERT_TRUE(put_commit(*b, "p:planted", "3"));
  auto committed = (*txn)->commit();
  ASSERT_FALSE(committed.has_value());
  EXPECT_EQ(committed.error().code, ErrorCode::kAborted);
  txn->reset();
  EXPECT_EQ(read(*a, "p:old"), "1");
  EXPECT_EQ(read(*a, "p:planted"), "3");
  EXPECT_EQ(read(*a, "p:kept"), std::nullopt);
  // Begun again, it erases both and keeps only what it puts: one put and two deletes.
  auto again = a->begin();
  ASSERT_TRUE(again.has_value());
  ASSERT_TRUE((*again)->erase_prefix("p:").has_value());
  ASSERT_TRUE(put_string(**again, "p:kept", "2").has_value());
  ASSERT_TRUE((*again)->commit().has_value());
  auto snap = a->begin_read();
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(*(*snap)->list("p:"), (std::vector<std::string>{"p:kept"}));
}

TEST(EtcdStoreTest, FailsOverToTheNextEndpoint) {
  auto dead = start_etcd();
  auto live = start_etcd();
  ASSERT_TRUE(dead && live);
  dead->stop();
  EtcdStoreConfig config;
  config.endpoints = {dead->endpoint(), live->endpoint()};
  config.request_timeout = std::chrono::milliseconds(2000);
  auto store = EtcdStore::open(std::move(config));
  ASSERT_TRUE(store.has_value()) << store.error().message;
  ASSERT_TRUE(put_commit(**store, "k", "v").has_value());
  EXPECT_EQ(read(**store, "k"), "v");
}

TEST(EtcdStoreTest, PrefixesSeparateStates) {
  auto etcd = start_etcd();
  ASSERT_NE(etcd, nullptr);
  auto a = open_store(*etcd, "/one/");
  auto b = open_store(*etcd, "/two/");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(put_commit(*a, "k", "a").has_value());
  EXPECT_EQ(read(*b, "k"), std::nullopt);
  auto txn = b->begin();
  ASSERT_TRUE(txn.has_value());
  ASSERT_TRUE((*txn)->erase_prefix("").has_value());
  ASSERT_TRUE((*txn)->commit().has_value());
  EXPECT_EQ(read(*a, "k"), "a");
}

TEST(EtcdStoreTest, EtcdStoppedFailsCleanlyAndRecoversWithoutReopening) {
  auto etcd = start_etcd();
  ASSERT_NE(etcd, nullptr);
  auto store = open_store(*etcd);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(put_commit(*store, "before", "1").has_value());

  auto txn = store->begin();
  ASSERT_TRUE(txn.has_value());
  ASSERT_TRUE(put_string(**txn, "during", "2").has_value());
  etcd->stop();
  const std::string unavailable = "etcd at " + etcd->endpoint() + " is unavailable";
  auto st = (*txn)->commit();
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(st.error().message.find(unavailable), std::string::npos) << st.error().message;
  txn->reset();

  auto begun = store->begin();
  ASSERT_FALSE(begun.has_value());
  EXPECT_EQ(begun.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(begun.error().message.find(unavailable), std::string::npos) << begun.error().message;
  auto snap = store->begin_read();
  ASSERT_FALSE(snap.has_value());
  EXPECT_EQ(snap.error().code, ErrorCode::kUnavailable);

  ASSERT_TRUE(etcd->restart().has_value());
  // gRPC reconnects within its backoff (at most 1 s here); the same store object carries on.
  Status again = fail(ErrorCode::kUnknown, "not tried");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!again && std::chrono::steady_clock::now() < deadline) {
    again = put_commit(*store, "after", "3");
    if (!again) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(again.has_value()) << again.error().message << "\netcd's log:\n" << log_tail(*etcd);
  EXPECT_EQ(read(*store, "before"), "1");
  EXPECT_EQ(read(*store, "after"), "3");
  EXPECT_EQ(read(*store, "during"), std::nullopt);
}

TEST(EtcdStoreTest, OpenFailsClearlyWhenEtcdIsNotThere) {
  auto etcd = start_etcd();
  ASSERT_NE(etcd, nullptr);
  const std::string endpoint = etcd->endpoint();
  etcd->stop();
  EtcdStoreConfig config;
  config.endpoints = {endpoint};
  config.request_timeout = std::chrono::milliseconds(1000);
  auto store = EtcdStore::open(std::move(config));
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(store.error().message.find("etcd at " + endpoint + " is unavailable"),
            std::string::npos)
      << store.error().message;
}

TEST(EtcdStoreTest, OpenRefusesMalformedConfiguration) {
  const auto code_of = [](EtcdStoreConfig config) {
    auto store = EtcdStore::open(std::move(config));
    return store ? ErrorCode::kOk : store.error().code;
  };
  EtcdStoreConfig none;
  none.endpoints = {};
  EXPECT_EQ(code_of(std::move(none)), ErrorCode::kInvalidArgument);
  for (const char* bad : {"127.0.0.1:2379", "ftp://127.0.0.1:2379", "http://127.0.0.1",
                          "http://127.0.0.1:x", "http://:2379", "http://h:1/path"}) {
    EtcdStoreConfig config;
    config.endpoints = {bad};
    EXPECT_EQ(code_of(std::move(config)), ErrorCode::kInvalidArgument) << bad;
  }
  EtcdStoreConfig https;
  https.endpoints = {"https://127.0.0.1:2379"};
  EXPECT_EQ(code_of(std::move(https)), ErrorCode::kInvalidArgument);  // no TLS configuration
  EtcdStoreConfig mixed;
  mixed.endpoints = {"http://127.0.0.1:2379", "https://127.0.0.1:2380"};
  mixed.tls = EtcdTls{};
  EXPECT_EQ(code_of(std::move(mixed)), ErrorCode::kInvalidArgument);
  EtcdStoreConfig empty_prefix;
  empty_prefix.endpoints = {"http://127.0.0.1:2379"};
  empty_prefix.key_prefix = "";
  EXPECT_EQ(code_of(std::move(empty_prefix)), ErrorCode::kInvalidArgument);
}

TEST(EtcdStoreTest, TlsWithClientCertificate) {
  EtcdServerOptions options;
  options.tls = true;
  auto etcd = start_etcd(options);
  ASSERT_NE(etcd, nullptr);
  const auto config = [&](bool with_client_cert) {
    EtcdStoreConfig c;
    c.endpoints = {etcd->endpoint()};
    c.request_timeout = std::chrono::milliseconds(2000);
    EtcdTls tls;
    tls.ca_pem = etcd->ca_pem();
    if (with_client_cert) {
      tls.client_cert_pem = etcd->client_cert_pem();
      tls.client_key_pem = SecretBytes(as_bytes(etcd->client_key_pem()));
    }
    c.tls = std::move(tls);
    return c;
  };
  auto store = EtcdStore::open(config(true));
  ASSERT_TRUE(store.has_value()) << store.error().message << "\n" << log_tail(*etcd);
  ASSERT_TRUE(put_commit(**store, "k", "v").has_value());
  EXPECT_EQ(read(**store, "k"), "v");

  // etcd refuses a client without a certificate (--client-cert-auth).
  auto anonymous = EtcdStore::open(config(false));
  ASSERT_FALSE(anonymous.has_value());
  EXPECT_EQ(anonymous.error().code, ErrorCode::kUnavailable);  // gRPC: a failed TLS handshake
  EXPECT_NE(anonymous.error().message.find("etcd at " + etcd->endpoint()), std::string::npos)
      << anonymous.error().message;

  // An http:// endpoint of a TLS etcd is not silently accepted either.
  EtcdStoreConfig plain;
  plain.endpoints = {"http://" + etcd->endpoint().substr(std::string_view("https://").size())};
  plain.request_timeout = std::chrono::milliseconds(1000);
  EXPECT_FALSE(EtcdStore::open(std::move(plain)).has_value());
}

TEST(EtcdStoreTest, EtcdLimitsAreReportedWithTheFlagToRaise) {
  EtcdServerOptions options;
  options.max_txn_ops = 8;
  options.max_request_bytes = 64 << 10;
  auto etcd = start_etcd(options);
  ASSERT_NE(etcd, nullptr);
  auto store = open_store(*etcd);
  ASSERT_NE(store, nullptr);

  auto txn = store->begin();
  ASSERT_TRUE(txn.has_value());
  for (int i = 0; i < 9; ++i)
    ASSERT_TRUE(put_string(**txn, "k" + std::to_string(i), "v").has_value());
  auto st = (*txn)->commit();
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(st.error().message.find("--max-txn-ops"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("0 compares and 9 operations"), std::string::npos)
      << st.error().message;

  txn = store->begin();
  ASSERT_TRUE(txn.has_value());
  ASSERT_TRUE((*txn)->put("big", Bytes(100 << 10, 0x42)).has_value());
  st = (*txn)->commit();
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(st.error().message.find("--max-request-bytes"), std::string::npos)
      << st.error().message;
  EXPECT_EQ(st.error().message.find("BBBB"), std::string::npos) << "no value in the message";

  // Within the limits the store works.
  EXPECT_TRUE(put_commit(*store, "small", "v").has_value());
  EXPECT_EQ(read(*store, "k0"), std::nullopt);
}

}  // namespace
}  // namespace mr::store::testing
