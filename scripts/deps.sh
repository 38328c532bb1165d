#!/usr/bin/env bash
# Installs every Debian package MarbleRun C++ needs to build, test and run.
# Skips what is already present; runs `apt-get update` once, only if something is missing.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake ninja-build pkg-config git ca-certificates
  # libraries
  libssl-dev libexpected-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libcli11-dev libcpp-httplib-dev libsqlite3-dev prometheus-cpp-dev
  libyaml-cpp-dev  # YAML manifests in the CLI
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libboost-dev  # header-only Boost.Beast and Boost.Asio (the HTTPS servers)
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # black-box test peers and tools
  openssl curl etcd-server etcd-client
  valgrind  # bench.sh: instructions per activation (bench/activation_instructions.sh)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node (for black-box gRPC tests): any node+npm will do; some machines carry a vendor build whose
# bundled npm conflicts with Debian's npm package, so look for the commands, not the packages.
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "deps: missing packages (${missing[*]}) and not root; install them or run as root" >&2
    exit 1
  fi
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
