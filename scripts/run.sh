#!/usr/bin/env bash
# Installs what is missing, builds, and starts a Coordinator on the embedded store (SQLite in
# the state directory). Without a TEE it runs in simulation mode, and says so.
# Usage: scripts/run.sh [state-dir]      (default ./data; settings: build/bin/marblerun-coordinator --help)
set -euo pipefail
cd "$(dirname "$0")/.."

STATE_DIR=${1:-${EDG_COORDINATOR_SEAL_DIR:-./data}}

scripts/deps.sh
cmake -S . -B build -G Ninja >/dev/null
cmake --build build -j "$(nproc)" --target marblerun-coordinator marblerun

if [ ! -e /dev/attestation/quote ] && [ -z "${OE_SIMULATION:-}" ]; then
  echo "run.sh: no TEE on this machine (/dev/attestation/quote is missing):"
  echo "run.sh: starting in SIMULATION MODE (OE_SIMULATION=1): no attestation, development only."
  export OE_SIMULATION=1
fi
export EDG_COORDINATOR_SEAL_DIR="$STATE_DIR"
CLIENT_ADDR=${EDG_COORDINATOR_CLIENT_ADDR:-:4433}
echo "run.sh: state in $STATE_DIR; client API (HTTPS) on $CLIENT_ADDR"
echo "run.sh: try: curl -k https://localhost:${CLIENT_ADDR##*:}/api/v2/status"
exec build/bin/marblerun-coordinator
