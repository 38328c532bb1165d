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

# The test binaries whose code runs threads: thread pool, live store, sealed store, the Core's
# concurrent callers, the REST and gRPC servers, the collateral cache, the TLS transport.
TESTS=(base_test core_test coordinator_core_test seal_test store_test sqlite_store_test
       marble_api_test api_rest_server_test api_rest_client_api_test api_grpc_server_test
       attestation_dcap_test client_test metrics_test)
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
