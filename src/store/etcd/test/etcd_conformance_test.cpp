// The Store conformance suite against EtcdStore on a real etcd (a fresh one per test, on
// loopback).

#include <gtest/gtest.h>

#include "store/etcd/etcd_store.h"
#include "store/etcd/testing/etcd_server.h"
#include "store/testing/store_conformance.h"

namespace mr::store::testing {
namespace {

struct EtcdFactory {
  static constexpr const char* kName = "Etcd";
  std::unique_ptr<EtcdServer> etcd = start();
  std::unique_ptr<Store> make() {
    if (!etcd) return nullptr;
    EtcdStoreConfig config;
    config.endpoints = {etcd->endpoint()};
    config.key_prefix = "/marblerun/";
    auto store = EtcdStore::open(std::move(config));
    EXPECT_TRUE(store.has_value()) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }

  static std::unique_ptr<EtcdServer> start() {
    auto server = EtcdServer::start();
    EXPECT_TRUE(server.has_value()) << server.error().message;
    return server ? std::move(*server) : nullptr;
  }
};

using Impls = ::testing::Types<EtcdFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(Store, StoreConformanceTest, Impls, FactoryName);

}  // namespace
}  // namespace mr::store::testing
