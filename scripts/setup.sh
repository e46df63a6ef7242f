#!/usr/bin/env bash
# One-command setup for a fresh Debian machine (run as root, or with sudo available):
#   1. Debian packages: libtorch (the tensor engine's C++ core) and the pthread OpenBLAS it needs
#      to run at full speed (without it libtorch falls back to the reference BLAS, ~47x slower).
#   2. npm ci (skipped when node_modules already matches package-lock.json).
#   3. The libtorch addon (native/, node-gyp; `npm ci` builds it through the install script).
#   4. The TypeScript build into dist/.
# Idempotent: anything already present is skipped. Set LIBTORCH=/path/to/libtorch to use an
# official libtorch directory (CPU or CUDA) instead of Debian's package.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

apt_packages=(libopenblas0-pthread)
if [[ -z "${LIBTORCH:-}" ]]; then
  apt_packages+=(libtorch-dev)
else
  log "LIBTORCH=$LIBTORCH: using that libtorch instead of Debian's libtorch-dev"
fi
if [[ "${R1_SETUP_BENCH:-0}" == "1" ]]; then
  # The reference side of bench/: PyTorch from Debian, same libtorch version.
  apt_packages+=(python3-torch)
fi

missing=()
for pkg in "${apt_packages[@]}"; do
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    log "Debian package present: $pkg"
  else
    missing+=("$pkg")
  fi
done

if ((${#missing[@]})); then
  if ! command -v apt-get >/dev/null 2>&1; then
    log "error: missing ${missing[*]} and apt-get is not available; install them, or set LIBTORCH"
    exit 1
  fi
  sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
      log "error: installing ${missing[*]} needs root; rerun as root or install them yourself"
      exit 1
    fi
  fi
  log "apt-get update"
  "${sudo[@]}" apt-get update -q
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "${missing[@]}"
fi

if [[ -f node_modules/.package-lock.json && node_modules/.package-lock.json -nt package-lock.json ]]; then
  log "node_modules is up to date with package-lock.json (skipping npm ci)"
else
  log "npm ci"
  npm ci --no-audit --no-fund
fi

if [[ -f native/build/Release/r1_engine.node && native/build/Release/r1_engine.node -nt native/engine.cc ]]; then
  log "libtorch addon is built (native/build/Release/r1_engine.node)"
else
  log "npm run build:native"
  npm run build:native --silent
fi

log "npm run build"
npm run build --silent
log "done"
