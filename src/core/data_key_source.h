#pragma once
// DataKeySource: where a Coordinator that shares its store with others (etcd) gets the data key
// of a state it cannot unseal with its own seal key: from a running peer, after attesting it
// (spec 2b, 13). The composition root implements it (peer discovery, the key server client);
// the Core only asks.

#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"

namespace mr::core {

// PeerKey is a peer's answer: the data key, and the commit counter of the shared state as that
// peer last committed or verified it (the store must hold at least that commit).
struct PeerKey {
  SecretBytes key;
  std::uint64_t counter = 0;
};

class DataKeySource {
 public:
  virtual ~DataKeySource() = default;
  // fetch returns the data key held by the other Coordinators, with the highest commit counter
  // any of them reported. kUnavailable when no peer answers
  // or none holds a key (the cluster is then in recovery); other codes name the peer and why
  // it was refused. The key is only a candidate: the Core uses it only if it verifies the state.
  [[nodiscard]] virtual Result<PeerKey> fetch() = 0;
};

}  // namespace mr::core
