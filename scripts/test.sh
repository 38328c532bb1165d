#!/usr/bin/env bash
# Installs what is missing, builds (warnings are errors), checks the include graph and runs the
# whole test suite. Usage: scripts/test.sh [extra ctest args]   (MR_SANITIZE=1 or address for
# ASan/UBSan; MR_SANITIZE=thread runs scripts/tsan.sh, the concurrency tests under TSan, instead)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${MR_SANITIZE:-0}" = "thread" ]; then exec scripts/tsan.sh; fi

scripts/deps.sh
# Node packages of the black-box Marble API client (tests/node), reinstalled when the lock changes.
if [ ! -f tests/node/node_modules/.package-lock.json ] || [ tests/node/package-lock.json -nt tests/node/node_modules/.package-lock.json ]; then (cd tests/node && npm ci --no-audit --no-fund); fi

BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
SANITIZE=OFF
case "${MR_SANITIZE:-0}" in
  1|ON|on|address) SANITIZE=ON; BUILD_DIR=${BUILD_DIR}-asan ;;
esac

cmake -S . -B "$BUILD_DIR" -G Ninja -DMR_WERROR=ON -DMR_SANITIZE=$SANITIZE
cmake --build "$BUILD_DIR" -j "$JOBS"
python3 tools/check_deps.py
ctest --test-dir "$BUILD_DIR" -LE tee --output-on-failure -j "$JOBS" "$@"
