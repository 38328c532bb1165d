#!/usr/bin/env bash
# cmake --install into a temporary prefix puts the three programs (the production Coordinator,
# without simulation mode), libmarble with its headers, the systemd unit and the example
# environment file in place, and a program built only against the installed files links and runs.
set -euo pipefail
BUILD_DIR=$1
SOURCE_DIR=$2
SANITIZE_FLAGS=${3:-}  # a sanitizer build's libmarble needs its runtime in the consumer too
PREFIX=$(mktemp -d)
trap 'rm -rf "$PREFIX"' EXIT
cmake --install "$BUILD_DIR" --prefix "$PREFIX" >/dev/null
for f in bin/marblerun bin/marblerun-coordinator bin/marblerun-premain lib/libmarble.so \
         include/marblerun/marble/activation.h include/marblerun/base/result.h \
         lib/systemd/system/marblerun-coordinator.service share/doc/marblerun/coordinator.env.example; do
  [ -e "$PREFIX/$f" ] || { echo "missing after install: $f"; exit 1; }
done
grep -q "ExecStart=$PREFIX/bin/marblerun-coordinator" "$PREFIX/lib/systemd/system/marblerun-coordinator.service" ||
  { echo "the unit does not start the installed binary"; exit 1; }
# Only the production Coordinator is installed, and it has no simulation mode.
[ ! -e "$PREFIX/bin/marblerun-coordinator-sim" ] || { echo "the development build was installed"; exit 1; }
if OE_SIMULATION=1 "$PREFIX/bin/marblerun-coordinator" >"$PREFIX/sim.out" 2>&1; then
  echo "the installed Coordinator accepted OE_SIMULATION=1"; exit 1
fi
grep -q "OE_SIMULATION (--simulation) is refused" "$PREFIX/sim.out" ||
  { echo "the installed Coordinator did not explain the refusal:"; cat "$PREFIX/sim.out"; exit 1; }
"$PREFIX/bin/marblerun" manifest check "$SOURCE_DIR/samples/minimal.json"
g++ -std=c++20 $SANITIZE_FLAGS -I"$PREFIX/include/marblerun" "$SOURCE_DIR/tests/install/consumer.cpp" -o "$PREFIX/consumer" \
  -L"$PREFIX/lib" -lmarble -lfmt -Wl,-rpath,"$PREFIX/lib"
"$PREFIX/consumer" "$PREFIX/uuid"
echo "install test passed"
