#!/usr/bin/env bash
# Starts etcd and three Coordinators sharing one state in it, all on loopback, in simulation
# mode (development build; no TEE, no attestation: the data key is handed between the
# Coordinators without attestation, see EDG_COORDINATOR_ACCEPT_SIMULATED_PEERS). Prints their
# addresses and stops everything on Ctrl-C.
# Usage: scripts/cluster.sh [work-dir]   (default ./cluster; etcd data and seal directories)
# Ports: etcd 23790; Coordinator N (1..3): client API 4433+10(N-1), Marble API 2001+10(N-1),
# key server 5433+10(N-1). Override the base with CLUSTER_PORT_OFFSET (added to every port).
set -euo pipefail
cd "$(dirname "$0")/.."

WORK=$(realpath -m "${1:-./cluster}")
OFFSET=${CLUSTER_PORT_OFFSET:-0}
ETCD_PORT=$((23790 + OFFSET))

scripts/deps.sh
cmake -S . -B build -G Ninja >/dev/null
cmake --build build -j "$(nproc)" --target marblerun-coordinator-sim marblerun

mkdir -p "$WORK"
PIDS=()
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "cluster.sh: stopping"
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all INT TERM EXIT

# SetManifest writes the whole state in one etcd Txn: about one operation per record (a manifest
# with 120 secrets: ~530). etcd's defaults (128 operations, 1.5 MiB) fit samples/full.json only.
etcd --name cluster-sh --data-dir "$WORK/etcd" \
  --max-txn-ops 4096 --max-request-bytes 16777216 \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
  --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
  --initial-cluster "cluster-sh=http://127.0.0.1:$((ETCD_PORT + 1))" \
  >"$WORK/etcd.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do
  if grep -q "ready to serve client requests" "$WORK/etcd.log" 2>/dev/null; then break; fi
  sleep 0.2
done
grep -q "ready to serve client requests" "$WORK/etcd.log" || {
  echo "cluster.sh: etcd did not start; see $WORK/etcd.log" >&2
  exit 1
}

echo "cluster.sh: SIMULATION MODE: no TEE, no attestation; seal keys are plain files. Development only."
for n in 1 2 3; do
  step=$(((n - 1) * 10 + OFFSET))
  OE_SIMULATION=1 \
    EDG_COORDINATOR_SEAL_DIR="$WORK/coordinator$n" \
    EDG_COORDINATOR_STORE="etcd:http://127.0.0.1:$ETCD_PORT" \
    EDG_COORDINATOR_ACCEPT_SIMULATED_PEERS=1 \
    EDG_COORDINATOR_CLIENT_ADDR="127.0.0.1:$((4433 + step))" \
    EDG_COORDINATOR_MESH_ADDR="127.0.0.1:$((2001 + step))" \
    EDG_COORDINATOR_KEY_SERVER_ADDR="127.0.0.1:$((5433 + step))" \
    EDG_COORDINATOR_PEER_ADDR="127.0.0.1:$((5433 + step))" \
    EDG_LOG_FORMAT=text \
    build/bin/marblerun-coordinator-sim >"$WORK/coordinator$n.log" 2>&1 &
  PIDS+=($!)
done
sleep 1
echo "cluster.sh: etcd            http://127.0.0.1:$ETCD_PORT (log $WORK/etcd.log)"
for n in 1 2 3; do
  step=$(((n - 1) * 10 + OFFSET))
  echo "cluster.sh: coordinator $n   client API https://localhost:$((4433 + step))  Marble API localhost:$((2001 + step))  (log $WORK/coordinator$n.log)"
done
echo "cluster.sh: try: build/bin/marblerun manifest set samples/minimal.json localhost:$((4433 + OFFSET)) --accept-simulation"
echo "cluster.sh:      build/bin/marblerun status localhost:$((4443 + OFFSET)) --accept-simulation"
echo "cluster.sh: Ctrl-C stops everything."
wait -n || true
echo "cluster.sh: a process exited; see the logs in $WORK" >&2
