#include "store/testing/fault_injecting_store.h"

#include <fmt/format.h>

#include <mutex>
#include <string>
#include <thread>

namespace mr::store::testing {

struct FaultInjectingStore::State {
  enum class Decision { kProceed, kFailBefore, kFailAfter };
  struct Verdict {
    Decision decision;
    std::uint64_t index;  // the operation's 1-based index (0 if not counted)
  };

  mutable std::mutex mu;  // guards every member below
  FaultPlan plan;
  std::uint64_t count = 0;
  bool triggered = false;

  Verdict decide(FaultOp op) {
    std::scoped_lock lock(mu);
    if ((plan.ops & op) == 0) return {Decision::kProceed, 0};
    ++count;
    if (plan.fail_at == 0 || count < plan.fail_at) return {Decision::kProceed, count};
    if (count > plan.fail_at) {
      if (plan.repeat == FaultRepeat::kOnce) return {Decision::kProceed, count};
      return {Decision::kFailBefore, count};
    }
    triggered = true;
    return {plan.timing == FaultTiming::kBefore ? Decision::kFailBefore : Decision::kFailAfter,
            count};
  }

  std::uint64_t current() const {
    std::scoped_lock lock(mu);
    return count;
  }

  std::chrono::milliseconds commit_delay() const {
    std::scoped_lock lock(mu);
    return plan.commit_delay;
  }
};

namespace {

using Decision = FaultInjectingStore::State::Decision;

Error injected(std::uint64_t n, std::string_view what) {
  return Error{FaultInjectingStore::kInjectedCode,
               fmt::format("injected fault at operation {} ({})", n, what)};
}

class FaultTransaction final : public Transaction {
 public:
  FaultTransaction(std::shared_ptr<FaultInjectingStore::State> state,
                   std::unique_ptr<Transaction> inner)
      : state_(std::move(state)), inner_(std::move(inner)) {}

  Result<std::optional<Bytes>> get(std::string_view key) override { return inner_->get(key); }
  Result<std::vector<std::string>> list(std::string_view prefix) override {
    return inner_->list(prefix);
  }

  Status put(std::string_view key, ByteSpan value) override {
    return guarded(kFaultPut, fmt::format("put \"{}\"", key),
                   [&] { return inner_->put(key, value); });
  }
  Status erase(std::string_view key) override {
    return guarded(kFaultErase, fmt::format("erase \"{}\"", key),
                   [&] { return inner_->erase(key); });
  }
  Status erase_prefix(std::string_view prefix) override {
    return guarded(kFaultErasePrefix, fmt::format("erase_prefix \"{}\"", prefix),
                   [&] { return inner_->erase_prefix(prefix); });
  }
  Status commit() override {
    const std::chrono::milliseconds delay = state_->commit_delay();
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    return guarded(kFaultCommit, "commit", [&] { return inner_->commit(); });
  }

 private:
  template <class F>
  Status guarded(FaultOp op, std::string_view what, F&& f) {
    auto v = state_->decide(op);
    if (v.decision == Decision::kFailBefore) return fail(injected(v.index, what));
    Status st = f();
    if (v.decision == Decision::kFailAfter && st) return fail(injected(v.index, what));
    return st;
  }

  std::shared_ptr<FaultInjectingStore::State> state_;
  std::unique_ptr<Transaction> inner_;
};

}  // namespace

FaultInjectingStore::FaultInjectingStore(Store& inner)
    : inner_(inner), state_(std::make_shared<State>()) {}
FaultInjectingStore::~FaultInjectingStore() = default;

void FaultInjectingStore::set_plan(FaultPlan plan) {
  std::scoped_lock lock(state_->mu);
  state_->plan = plan;
  state_->count = 0;
  state_->triggered = false;
}

std::uint64_t FaultInjectingStore::operations() const {
  return state_->current();
}

bool FaultInjectingStore::fault_triggered() const {
  std::scoped_lock lock(state_->mu);
  return state_->triggered;
}

Result<std::unique_ptr<Transaction>> FaultInjectingStore::begin() {
  auto v = state_->decide(kFaultBegin);
  if (v.decision == Decision::kFailBefore) return fail(injected(v.index, "begin"));
  MR_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> inner, inner_.begin());
  if (v.decision == Decision::kFailAfter) return fail(injected(v.index, "begin"));
  return std::unique_ptr<Transaction>(std::make_unique<FaultTransaction>(state_, std::move(inner)));
}

Result<std::unique_ptr<ReadTransaction>> FaultInjectingStore::begin_read() {
  return inner_.begin_read();
}

}  // namespace mr::store::testing
