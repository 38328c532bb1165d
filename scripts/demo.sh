#!/usr/bin/env bash
# The Marble demo, end to end: a Coordinator with a fresh state directory, the manifest
# samples/demo/manifest.json set with curl, then demo-server and demo-client started through
# marblerun-premain. They talk mutual TLS with nothing but the certificates the Coordinator gave
# them and check each other's messages with a shared key from the manifest. Finally an impostor
# Marble is refused. Prints what happened; exits 0 on success, non-zero on any failure. Cleans
# up after itself (processes and the temporary directory).
#
# Usage: scripts/demo.sh
#   DEMO_ATTESTATION=simulation      (default) Coordinator in simulation mode (OE_SIMULATION=1):
#                                    Marbles send empty quotes, nothing is attested
#   DEMO_ATTESTATION=simulated-dcap  a simulated DCAP test PKI: Marbles send signed SGX quotes
#                                    over their TLS certificate, which the Coordinator verifies
#                                    against the manifest's package (SignerID, ProductID, SVN)
#   BUILD_DIR=build                  build tree to use (configured with CMake + Ninja if missing)
#   DEMO_SKIP_BUILD=1                use the binaries already in BUILD_DIR (ctest does this)
#   JOBS=<n>                         parallel build jobs (default: nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD_DIR=${BUILD_DIR:-build}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
BIN=$BUILD_DIR/bin
MANIFEST=$ROOT/samples/demo/manifest.json

ATTESTATION=${DEMO_ATTESTATION:-simulation}
case $ATTESTATION in simulation | simulated-dcap) ;; *)
  echo "demo.sh: DEMO_ATTESTATION must be simulation or simulated-dcap" >&2
  exit 2
  ;;
esac
# The measurements of the demo "enclave" in simulated-dcap mode: what the manifest's package asks for.
DEMO_SIGNER=cd8eefb4c3f352e0098025c9b43bcb6f758483007be085f1e2fe0fa1603f4f95

say() { printf '\n== %s\n' "$*"; }
fail() { printf '\ndemo.sh: FAILED: %s\n' "$*" >&2; exit 1; }

if [ "${DEMO_SKIP_BUILD:-0}" != 1 ]; then
  say "Building the Coordinator, marblerun-premain and the demo apps in $BUILD_DIR"
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja >/dev/null
  fi
  cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}" \
    --target marblerun-coordinator-sim marblerun-premain demo-server demo-client demo-simulated-pki >/dev/null
fi
# The development build of the Coordinator: the production build has no simulation mode.
for b in marblerun-coordinator-sim marblerun-premain demo-server demo-client demo-simulated-pki; do
  [ -x "$BIN/$b" ] || fail "$BIN/$b is missing (build it, or unset DEMO_SKIP_BUILD)"
done
command -v curl >/dev/null || fail "curl is needed"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/marblerun-demo.XXXXXX")
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# wait_for <seconds> <command...>: retries the command every 0.1 s.
wait_for() {
  local tries=$(($1 * 10))
  shift
  while ! "$@" 2>/dev/null; do
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || return 1
    sleep 0.1
  done
}

# show <file> <label>: prints a log file, indented.
show() { sed 's/^/    /' "$1"; }

# ---------------------------------------------------------------------------------------------
# Each Marble runs in its own directory: the manifest's relative Files land there.
mkdir -p "$WORK/server" "$WORK/client" "$WORK/impostor"
if [ "$ATTESTATION" = simulation ]; then
  COORDINATOR_ENV=(OE_SIMULATION=1)
  QUOTE_ENV=()
  say "Starting the Coordinator in SIMULATION MODE (no quotes checked; state in $WORK/state)"
else
  "$BIN/demo-simulated-pki" "$WORK/pki.json"
  COORDINATOR_ENV=(OE_SIMULATION=0 EDG_COORDINATOR_SIMULATED_DCAP_PKI="$WORK/pki.json")
  QUOTE_ENV=(EDG_MARBLE_SIMULATED_DCAP_PKI="$WORK/pki.json" EDG_MARBLE_SIMULATED_MRSIGNER=$DEMO_SIGNER
             EDG_MARBLE_SIMULATED_PRODUCT_ID=1 EDG_MARBLE_SIMULATED_SVN=1)
  say "Starting the Coordinator with a SIMULATED DCAP PKI (Marble quotes are verified; state in $WORK/state)"
fi
env "${COORDINATOR_ENV[@]}" EDG_COORDINATOR_SEAL_DIR="$WORK/state" \
  EDG_COORDINATOR_CLIENT_ADDR=127.0.0.1:0 EDG_COORDINATOR_MESH_ADDR=127.0.0.1:0 \
  EDG_COORDINATOR_PROMETHEUS_ADDR=127.0.0.1:0 \
  "$BIN/marblerun-coordinator-sim" >"$WORK/coordinator.log" 2>&1 &
PIDS+=($!)
COORDINATOR_PID=$!
port_of() { grep -o "\"msg\":\"$1\".*\"port\":[0-9]*" "$WORK/coordinator.log" | head -n1 | grep -o '[0-9]*$'; }
listening() { port_of "client API listening" >/dev/null && port_of "Marble API listening" >/dev/null &&
  port_of "metrics listening" >/dev/null; }
if ! wait_for 30 listening; then
  show "$WORK/coordinator.log"
  kill -0 "$COORDINATOR_PID" 2>/dev/null || fail "the Coordinator exited"
  fail "the Coordinator did not report both listeners within 30 s"
fi
CLIENT_PORT=$(port_of "client API listening")
MESH_PORT=$(port_of "Marble API listening")
METRICS_PORT=$(port_of "metrics listening")
echo "    client API https://127.0.0.1:$CLIENT_PORT, Marble API 127.0.0.1:$MESH_PORT"
echo "    status: $(curl -sk "https://127.0.0.1:$CLIENT_PORT/api/v2/status")"

say "Setting the manifest $MANIFEST"
BODY=$WORK/manifest-body.json
printf '{"manifest":"%s"}' "$(base64 -w0 "$MANIFEST")" >"$BODY"
HTTP=$(curl -sk -o "$WORK/manifest-answer.json" -w '%{http_code}' -X POST --data-binary "@$BODY" \
  "https://127.0.0.1:$CLIENT_PORT/api/v2/manifest")
[ "$HTTP" = 200 ] || { cat "$WORK/manifest-answer.json"; fail "POST /api/v2/manifest answered $HTTP"; }
echo "    status: $(curl -sk "https://127.0.0.1:$CLIENT_PORT/api/v2/status")"

MARBLE_ENV=(EDG_MARBLE_COORDINATOR_ADDR="127.0.0.1:$MESH_PORT" EDG_MARBLE_DNS_NAMES=localhost
            EDG_MARBLE_ATTESTATION_DIR="$WORK/no-tee" "${QUOTE_ENV[@]}")

say "Starting demo-server through marblerun-premain (program given after --)"
(cd "$WORK/server" && exec env "${MARBLE_ENV[@]}" EDG_MARBLE_TYPE=demo-server \
  EDG_MARBLE_UUID_FILE="$WORK/server/uuid" DEMO_PORT_FILE="$WORK/server.port" \
  timeout 90 "$BIN/marblerun-premain" -- "$BIN/demo-server") >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
if ! wait_for 30 test -s "$WORK/server.port"; then
  show "$WORK/server.log"
  fail "demo-server did not start listening"
fi
SERVER_PORT=$(cat "$WORK/server.port")

say "Starting demo-client through marblerun-premain (program from the manifest's Argv)"
CLIENT_RC=0
(cd "$WORK/client" && exec env "${MARBLE_ENV[@]}" EDG_MARBLE_TYPE=demo-client \
  EDG_MARBLE_UUID_FILE="$WORK/client/uuid" DEMO_SERVER_ADDR="127.0.0.1:$SERVER_PORT" \
  PATH="$BIN:$PATH" timeout 60 "$BIN/marblerun-premain") >"$WORK/client.log" 2>&1 || CLIENT_RC=$?
SERVER_RC=0
wait "$SERVER_PID" || SERVER_RC=$?

say "demo-server output (exit status $SERVER_RC)"
show "$WORK/server.log"
say "demo-client output (exit status $CLIENT_RC)"
show "$WORK/client.log"

# Check what must have happened, not just the exit codes.
grep -q 'received: "Hello, demo-server!' "$WORK/server.log" || fail "the server did not get the message"
grep -q 'received: "Hello, demo-client!' "$WORK/client.log" || fail "the client did not get the reply"
grep -q 'marble type "demo-client" (verified' "$WORK/server.log" || fail "the server did not verify the client"
grep -q 'marble type "demo-server" (verified' "$WORK/client.log" || fail "the client did not verify the server"
[ "$SERVER_RC" = 0 ] && [ "$CLIENT_RC" = 0 ] || fail "a Marble exited with an error"
for m in server client; do
  [ "$(stat -c %a "$WORK/$m/secrets")" = 700 ] || fail "$m: secrets/ is not mode 0700"
  [ "$(stat -c %a "$WORK/$m/secrets/shared.key")" = 600 ] || fail "$m: shared.key is not mode 0600"
  [ "$(stat -c %a "$WORK/$m/uuid")" = 600 ] || fail "$m: uuid is not mode 0600"
done
cmp -s "$WORK/server/secrets/shared.key" "$WORK/client/secrets/shared.key" || fail "the shared keys differ"

# An impostor: in simulation mode a Marble type the manifest does not know; with the simulated
# PKI a real demo-client type whose enclave has a lower security version than the manifest asks.
if [ "$ATTESTATION" = simulation ]; then
  say "An impostor: a Marble type the manifest does not list"
  IMPOSTOR_ENV=(EDG_MARBLE_TYPE=intruder)
else
  say "An impostor: a demo-client enclave with security version 0 (the manifest asks for 1)"
  IMPOSTOR_ENV=(EDG_MARBLE_TYPE=demo-client EDG_MARBLE_SIMULATED_SVN=0)
fi
IMPOSTOR_RC=0
(cd "$WORK/impostor" && exec env "${MARBLE_ENV[@]}" "${IMPOSTOR_ENV[@]}" \
  EDG_MARBLE_UUID_FILE="$WORK/impostor/uuid" timeout 60 "$BIN/marblerun-premain" -- /bin/echo \
  "the impostor's app must never run") >"$WORK/impostor.log" 2>&1 || IMPOSTOR_RC=$?
show "$WORK/impostor.log"
echo "    (exit status $IMPOSTOR_RC)"
[ "$IMPOSTOR_RC" = 1 ] || fail "the impostor was not refused"
grep -q 'refused the activation (PERMISSION_DENIED)' "$WORK/impostor.log" || fail "unexpected refusal"
if grep -q "must never run" "$WORK/impostor.log"; then fail "the impostor's app ran"; fi
[ ! -e "$WORK/impostor/secrets" ] || fail "the impostor got files"

say "Metrics (curl http://127.0.0.1:$METRICS_PORT/metrics), activation series only:"
curl -s "http://127.0.0.1:$METRICS_PORT/metrics" >"$WORK/metrics.txt" || fail "no metrics"
grep '^coordinator_marble_activation' "$WORK/metrics.txt" | grep -v '_bucket' | sed 's/^/    /'
for m in demo-server demo-client; do
  grep -q "^coordinator_marble_activations_success_total{type=\"$m\"} 1" "$WORK/metrics.txt" ||
    fail "metrics: no successful activation of $m"
  grep -q "^coordinator_marble_activation_duration_seconds_count{type=\"$m\"}" "$WORK/metrics.txt" ||
    fail "metrics: no latency histogram for $m"
done
grep -q 'coordinator_marble_activations_by_outcome_total{outcome="permission_denied"' "$WORK/metrics.txt" ||
  fail "metrics: the refused impostor is not counted"

say "Demo succeeded ($ATTESTATION): both Marbles were activated by the Coordinator and talked"
echo "    mutual TLS using only MARBLE_PREDEFINED_* certificates and the manifest's shared key;"
echo "    the impostor was refused before its app started."
