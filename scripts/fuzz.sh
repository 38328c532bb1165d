#!/usr/bin/env bash
# Builds and runs one libFuzzer target of fuzz/ (Debian's clang-16, ASan+UBSan) in its own build
# folder, build-fuzz. Not part of scripts/test.sh or CI; the seed and regression corpora are
# replayed there by the fuzz_replay_* tests instead.
#
#   scripts/fuzz.sh list                    # the targets
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]
#
# The run starts from fuzz/corpus/TARGET (copied to build-fuzz/corpus/TARGET, which keeps what
# the fuzzer adds, outside git). A crash, leak, timeout or sanitizer report is copied to
# fuzz/regression/TARGET/ (commit it, with the fix) and the script exits non-zero.
# Environment: JOBS (build parallelism, default 2), BUILD_DIR (default build-fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."

targets() { sed -n 's/^mr_add_fuzz_target(\([a-z_0-9]*\) .*/\1/p' fuzz/CMakeLists.txt; }

if [ "${1:-}" = "list" ]; then targets; exit 0; fi
if [ $# -lt 2 ]; then
  echo "usage: scripts/fuzz.sh list | scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]" >&2
  exit 2
fi
TARGET=$1; SECONDS_TO_RUN=$2; shift 2
if ! targets | grep -qx "$TARGET"; then
  echo "unknown fuzz target '$TARGET'; scripts/fuzz.sh list shows them" >&2
  exit 2
fi

# Debian's clang and its runtime libraries (libFuzzer, sanitizers). clang 16, not bookworm's
# default 14: the code uses C++20 parenthesised aggregate initialisation (e.g. Wrap("context")),
# which clang supports from 16 on.
CLANG_VERSION=${CLANG_VERSION:-16}
if ! command -v "clang++-$CLANG_VERSION" >/dev/null ||
   ! compgen -G "/usr/lib/llvm-$CLANG_VERSION/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    "clang-$CLANG_VERSION" "libclang-rt-$CLANG_VERSION-dev"
fi
scripts/deps.sh

BUILD_DIR=${BUILD_DIR:-build-fuzz}
JOBS=${JOBS:-2}
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  CC="clang-$CLANG_VERSION" CXX="clang++-$CLANG_VERSION" cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMR_FUZZ=ON -DMR_BUILD_TESTS=OFF -DMR_BUILD_BENCH=OFF -DMR_DEVELOPMENT_COORDINATOR=OFF
fi
nice -n 15 cmake --build "$BUILD_DIR" -j "$JOBS" --target "fuzz_$TARGET"

WORK="$BUILD_DIR/corpus/$TARGET"
ARTIFACTS="$BUILD_DIR/artifacts/$TARGET"
mkdir -p "$WORK" "$ARTIFACTS"
cp -n fuzz/corpus/"$TARGET"/* "$WORK"/ 2>/dev/null || true
if [ -d "fuzz/regression/$TARGET" ]; then cp -n fuzz/regression/"$TARGET"/* "$WORK"/ 2>/dev/null || true; fi
DICT=()
if [ -f "fuzz/dict/$TARGET.dict" ]; then DICT=("-dict=fuzz/dict/$TARGET.dict"); fi

# Symbolised stacks: the sanitizer runtime of clang-16 does not find Debian's llvm-symbolizer
# (a link to llvm-14's) by itself; any version reads clang-16's debug information.
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
  for s in "/usr/lib/llvm-$CLANG_VERSION/bin/llvm-symbolizer" "$(command -v "llvm-symbolizer-$CLANG_VERSION" || true)" \
           "$(command -v llvm-symbolizer || true)"; do
    if [ -n "$s" ] && [ -x "$s" ]; then
      export ASAN_SYMBOLIZER_PATH=$s UBSAN_SYMBOLIZER_PATH=$s
      break
    fi
  done
fi

set +e
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  nice -n 15 "$BUILD_DIR/fuzz/fuzz_$TARGET" -max_total_time="$SECONDS_TO_RUN" -timeout=60 \
  -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 -artifact_prefix="$ARTIFACTS/" \
  "${DICT[@]}" "$@" "$WORK"
rc=$?
set -e

shopt -s nullglob
found=("$ARTIFACTS"/crash-* "$ARTIFACTS"/leak-* "$ARTIFACTS"/timeout-* "$ARTIFACTS"/oom-*)
if [ ${#found[@]} -gt 0 ]; then
  mkdir -p "fuzz/regression/$TARGET"
  for f in "${found[@]}"; do
    cp "$f" "fuzz/regression/$TARGET/"
    echo "fuzz.sh: $TARGET: $(basename "$f") copied to fuzz/regression/$TARGET/" >&2
  done
  rm -f "${found[@]}"
  exit 1
fi
if [ $rc -ne 0 ]; then echo "fuzz.sh: $TARGET exited $rc" >&2; exit $rc; fi
echo "fuzz.sh: $TARGET ran ${SECONDS_TO_RUN}s without a crash"
