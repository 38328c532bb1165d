#!/usr/bin/env bash
# Builds (Release) and runs the benchmarks, printing the figures the issues set targets for.
# Usage: scripts/bench.sh [benchmark-filter]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DMR_BUILD_TESTS=OFF >/dev/null
cmake --build build-bench -j "$(nproc)" --target attestation_bench store_bench activation_bench \
  marblerun-coordinator-sim
FILTER=${1:-.}
echo "== DCAP quote verification (target: <= 0.5 ms per SGX quote with cached collateral)"
build-bench/bin/attestation_bench --benchmark_filter="$FILTER" --benchmark_min_time=0.5
echo "== Sealed state store (SQLite, fsync'd commits; target: a commit at 100k records within 1.2x of 1k)"
STORE_JSON=$(mktemp)
build-bench/bin/store_bench --benchmark_filter="$FILTER" --benchmark_min_time=0.5 \
  --benchmark_out="$STORE_JSON" --benchmark_out_format=json
python3 bench/store_ratios.py "$STORE_JSON"
rm -f "$STORE_JSON"
echo "== Marble activation through the core (simulation, in-memory stores)"
build-bench/bin/activation_bench --benchmark_filter="$FILTER" --benchmark_min_time=0.5
echo "== Client API under 1000 idle and 200 slow-header clients (target: status p99 < 100 ms, RSS < 100 MB)"
python3 bench/rest_slow_clients.py build-bench
