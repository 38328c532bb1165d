#pragma once
// FaultInjectingStore: a Store decorator that fails the Nth counted operation, to test that the
// Coordinator never leaves a half-done state when it dies between two steps.
//
//   store::MemoryStore inner;                        // holds the "old" state
//   store::testing::FaultInjectingStore faulty(inner);
//   faulty.set_plan({.fail_at = n});                 // op n and every later one fail
//   auto st = coordinator_step(faulty);              // e.g. a manifest POST
//   if (!faulty.fault_triggered()) ...               // the operation needs fewer than n ops
//   // inner now holds either the old or the new state, never a mix
//
// Counted operations are begin(), put, erase, erase_prefix and commit (select them with |ops|),
// across every transaction of the store. Reads are never counted or failed.

#include <chrono>
#include <cstdint>
#include <memory>

#include "store/store.h"

namespace mr::store::testing {

enum FaultOp : unsigned {
  kFaultBegin = 1U << 0,
  kFaultPut = 1U << 1,
  kFaultErase = 1U << 2,
  kFaultErasePrefix = 1U << 3,
  kFaultCommit = 1U << 4,
  kFaultAllOps = (1U << 5) - 1,
};

enum class FaultTiming {
  kBefore,  // the failing operation is not performed
  kAfter,   // it is performed on the inner store, then reported as failed (e.g. a commit that
            // became durable just before the process died)
};

enum class FaultRepeat {
  kSticky,  // the Nth and every later counted operation fail (a process that died)
  kOnce,    // only the Nth fails (a transient error)
};

struct FaultPlan {
  std::uint64_t fail_at = 0;  // 1-based index among counted operations; 0 never fails
  unsigned ops = kFaultAllOps;
  FaultTiming timing = FaultTiming::kBefore;
  FaultRepeat repeat = FaultRepeat::kSticky;
  // Every commit waits this long before reaching the inner store (a slow fsync).
  std::chrono::milliseconds commit_delay{0};
};

class FaultInjectingStore final : public Store {
 public:
  // The injected error's code.
  static constexpr ErrorCode kInjectedCode = ErrorCode::kUnavailable;

  // FaultInjectingStore wraps |inner|, which must outlive it and its transactions. It starts with
  // an empty plan (nothing fails).
  explicit FaultInjectingStore(Store& inner);
  ~FaultInjectingStore() override;

  // set_plan replaces the plan and resets the operation counter and the triggered flag.
  void set_plan(FaultPlan plan);
  // operations returns how many counted operations were attempted since set_plan.
  [[nodiscard]] std::uint64_t operations() const;
  // fault_triggered reports whether an operation has been failed since set_plan.
  [[nodiscard]] bool fault_triggered() const;

  // begin counts as kFaultBegin; the transaction's writes count as their ops.
  [[nodiscard]] Result<std::unique_ptr<Transaction>> begin() override;
  // begin_read is passed through, never failed.
  [[nodiscard]] Result<std::unique_ptr<ReadTransaction>> begin_read() override;

  struct State;  // plan and counters shared with transactions; defined in the .cpp

 private:
  Store& inner_;
  std::shared_ptr<State> state_;
};

}  // namespace mr::store::testing
