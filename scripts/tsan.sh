#!/usr/bin/env bash
# Builds the concurrency tests with ThreadSanitizer (gcc, -fsanitize=thread) in build-tsan and
# runs them. Not part of CI (it rebuilds most of the tree); `MR_SANITIZE=thread scripts/test.sh`
# runs this script.
#
#   scripts/tsan.sh                     # every concurrency test binary below
#   scripts/tsan.sh core_test base_test # only these
#
# Reports inside Debian's uninstrumented libraries (gRPC, protobuf, OpenSSL) are suppressed by
# tools/tsan.supp, one commented entry each; a report in project code fails the run.
# Environment: JOBS (build parallelism, default 2), BUILD_DIR (default build-tsan).
set -euo pipefail
cd "$(dirname "$0")/.."

# The test binaries whose code runs threads: thread pool, live store, sealed store, the store and
# quote-verifier conformance suites (concurrent readers and writers), the Core's concurrent
# callers, the REST and metrics servers, the collateral cache and fetcher, the TLS transport and
# the TLS policy probe. The e2e tests run processes and are not here.
# Not here: the gRPC tests (api_grpc_server_test, marble_grpc_test). Debian's gRPC and Abseil are
# not instrumented and hand every call between their threads (poller, executor, our handler pool's
# completion) through their own atomics, which TSan cannot see: a run reports about 1 500 races
# on objects that gRPC passes along (call objects, protobuf messages, even a test's condition
# variable destroyed after the call that used it returned). Silencing them would need
# suppressions matching every stack that passes through gRPC, our handlers included, so they are
# left out instead. Core::activate's concurrency is covered without gRPC by marble_api_test.
TESTS=(base_test core_test coordinator_core_test seal_test seal_conformance_test store_test
       store_conformance_test sqlite_store_test marble_api_test api_rest_server_test
       api_rest_client_api_test attestation_dcap_test attestation_simulated_test client_test
       crypto_tls_policy_test metrics_test api_rest_server_limits_test)
if [ $# -gt 0 ]; then TESTS=("$@"); fi

scripts/deps.sh
BUILD_DIR=${BUILD_DIR:-build-tsan}
JOBS=${JOBS:-2}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMR_SANITIZE=thread \
  -DMR_BUILD_BENCH=OFF >/dev/null
nice -n 15 cmake --build "$BUILD_DIR" -j "$JOBS" --target "${TESTS[@]}"

export TSAN_OPTIONS="suppressions=$PWD/tools/tsan.supp halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
failed=()
for t in "${TESTS[@]}"; do
  echo "== $t"
  # Each binary runs alone from its own folder (tests use temp dirs and port 0).
  if ! (cd "$BUILD_DIR/tests" && timeout 1800 "./$t" --gtest_brief=1); then failed+=("$t"); fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "tsan.sh: failed: ${failed[*]}" >&2
  exit 1
fi
echo "tsan.sh: ${#TESTS[@]} test binaries clean under ThreadSanitizer"
