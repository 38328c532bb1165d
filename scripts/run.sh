#!/usr/bin/env bash
# Installs what is missing, builds, and starts a Coordinator on the embedded store (SQLite in
# the state directory). In a TEE it runs the production build (build/bin/marblerun-coordinator);
# without one, the development build in simulation mode (build/bin/marblerun-coordinator-sim),
# and says so.
# Usage: scripts/run.sh [state-dir]      (default ./data; settings: <program> --help)
set -euo pipefail
cd "$(dirname "$0")/.."

STATE_DIR=${1:-${EDG_COORDINATOR_SEAL_DIR:-./data}}

scripts/deps.sh
cmake -S . -B build -G Ninja >/dev/null
cmake --build build -j "$(nproc)" --target marblerun-coordinator marblerun-coordinator-sim marblerun

PROGRAM=build/bin/marblerun-coordinator
if [ ! -e /dev/attestation/quote ]; then
  echo "run.sh: no TEE on this machine (/dev/attestation/quote is missing):"
  echo "run.sh: starting the DEVELOPMENT build in SIMULATION MODE (OE_SIMULATION=1): no attestation,"
  echo "run.sh: the seal key is a plain file. Never use this in production."
  export OE_SIMULATION=${OE_SIMULATION:-1}
  PROGRAM=build/bin/marblerun-coordinator-sim
fi
export EDG_COORDINATOR_SEAL_DIR="$STATE_DIR"
CLIENT_ADDR=${EDG_COORDINATOR_CLIENT_ADDR:-:4433}
echo "run.sh: state in $STATE_DIR; client API (HTTPS) on $CLIENT_ADDR"
echo "run.sh: try: curl -k https://localhost:${CLIENT_ADDR##*:}/api/v2/status"
exec "$PROGRAM"
