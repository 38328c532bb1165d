#!/usr/bin/env bash
# Instructions per Marble activation (issue 13), counted by callgrind: the same for the same
# binaries and inputs whatever else the machine does, unlike CPU time on this virtual machine
# (whose speed moves in steps of up to 1.5x within seconds). Prints, for each Marble type given:
#
#   coord_minstr_per_activation_<type>  the Coordinator (marblerun-coordinator-sim under
#       callgrind, every thread, startup excluded: the difference between a run of N1 and a run
#       of N2 activations, 4 at a time, divided by N2 - N1)
#   floor_minstr_per_activation_<type>  crypto_floor --only <type> the same way (its operations
#       alone: the three TLS primitives, CSR check, key generation, signatures, quote)
#   instructions_ratio_to_floor_<type>  floor / Coordinator
#
# Instructions are not time: code that waits on memory or the kernel costs more time per
# instruction than the floor's arithmetic, and callgrind counts no kernel work. Under valgrind,
# OpenSSL also sees fewer CPU features and picks other (longer) big-number routines; both sides
# use the same ones. A change that removes work shows here without the noise.
#
#   bench/activation_instructions.sh BUILD_DIR [plain|secrets|counted ...] [--quotes]
set -euo pipefail

BUILD=${1:?usage: activation_instructions.sh BUILD_DIR [TYPE ...] [--quotes]}
shift
TYPES=()
QUOTES=()
for a in "$@"; do
  if [ "$a" = --quotes ]; then QUOTES=(--quotes); else TYPES+=("$a"); fi
done
if [ "${#TYPES[@]}" = 0 ]; then TYPES=(plain); fi
BIN=$BUILD/bin
VALGRIND=$(command -v valgrind) || {
  echo "activation_instructions: valgrind is not installed" >&2
  exit 1
}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
N1=40
N2=120
ulimit -n 20000 2>/dev/null || true

# total FILE: the instruction total of a callgrind output file.
total() { sed -n 's/^summary: //p' "$1" | head -n 1; }
# per ONE TWO COUNT: (TWO - ONE) / COUNT in millions.
per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.2f", (b - a) / n / 1e6 }'; }

for type in "${TYPES[@]}"; do
  for n in $N1 $N2; do
    if ! "$BIN"/activation_load --coordinator "$BIN"/marblerun-coordinator-sim --n "$n" \
      --warmup 4 --concurrency 4 --marble-type "$type" "${QUOTES[@]}" \
      --wrap "$VALGRIND --tool=callgrind --callgrind-out-file=$TMP/coord.$n.%p" \
      >"$TMP/load.$n.txt" 2>&1; then
      echo "activation_instructions: the load run of $n failed:" >&2
      cat "$TMP/load.$n.txt" >&2
      exit 1
    fi
  done
  coord=$(per "$(total "$TMP"/coord.$N1.*)" "$(total "$TMP"/coord.$N2.*)" $((N2 - N1)))
  rm -f "$TMP"/coord.*
  floor_type=$type
  if [ "${#QUOTES[@]}" = 1 ]; then floor_type=${type}_quotes; fi
  for n in 10 30; do
    "$VALGRIND" --tool=callgrind --callgrind-out-file="$TMP/floor.$n" \
      "$BIN"/crypto_floor --only "$floor_type" --iterations "$n" >/dev/null 2>&1
  done
  floor=$(per "$(total "$TMP"/floor.10)" "$(total "$TMP"/floor.30)" 20)
  echo "coord_minstr_per_activation_$floor_type=$coord"
  echo "floor_minstr_per_activation_$floor_type=$floor"
  echo "instructions_ratio_to_floor_$floor_type=$(awk -v a="$floor" -v b="$coord" \
    'BEGIN { printf "%.3f", a / b }')"
done
