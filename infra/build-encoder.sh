#!/usr/bin/env bash
# Builds the libx264 N-API addon (edge-node/media/x264) once; a second run is a no-op.
# Works offline: libx264 comes from Debian apt, Node headers from the installed node.
set -euo pipefail

log() { echo "[build-encoder] $*" >&2; }
die() { echo "[build-encoder] error: $*" >&2; exit 1; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ADDON_DIR="$ROOT/edge-node/media/x264"
OUTPUT="$ADDON_DIR/build/Release/x264_encoder.node"

# --- libx264 headers and library -------------------------------------------
if dpkg -s libx264-dev >/dev/null 2>&1; then
  log "libx264-dev already installed"
elif ! command -v apt-get >/dev/null 2>&1; then
  # Not Debian: accept a libx264 installed some other way, or say what is missing.
  [ -f /usr/include/x264.h ] || [ -f /usr/local/include/x264.h ] \
    || die "libx264 headers not found and apt-get is unavailable: install libx264 (dev package) by hand"
  log "no apt-get; using the libx264 headers already installed"
else
  log "installing libx264-dev with apt"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "not root and sudo is missing: install libx264-dev by hand"
    SUDO="sudo"
  fi
  # The package lists may be absent on a fresh image; update only when the package is unknown.
  if ! apt-cache show libx264-dev >/dev/null 2>&1; then
    $SUDO apt-get update -qq >&2
  fi
  # env after sudo: sudo would drop a DEBIAN_FRONTEND set before it.
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libx264-dev >&2
fi

# --- up to date? -------------------------------------------------------------
if [ -f "$OUTPUT" ] \
  && [ "$OUTPUT" -nt "$ADDON_DIR/x264_encoder.cc" ] \
  && [ "$OUTPUT" -nt "$ADDON_DIR/binding.gyp" ]; then
  log "x264_encoder.node is up to date"
  exit 0
fi

# --- Node headers: use the installed node's, never download them ------------
command -v node >/dev/null 2>&1 || die "node not found on PATH"
NODE_PREFIX="$(dirname "$(dirname "$(command -v node)")")"
if [ -f "$NODE_PREFIX/include/node/node_api.h" ]; then
  NODEDIR="$NODE_PREFIX"
else
  # A node reached through a symlink (nvm, /usr/local/bin -> ...) keeps headers next to the real binary.
  REAL_PREFIX="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  [ -f "$REAL_PREFIX/include/node/node_api.h" ] \
    || die "no Node headers at $NODE_PREFIX/include/node or $REAL_PREFIX/include/node (node-gyp would try to download them)"
  NODEDIR="$REAL_PREFIX"
fi
log "using Node headers from $NODEDIR/include/node"

log "compiling x264_encoder.node (node-gyp rebuild)"
cd "$ROOT"
# stdout of node-gyp goes to stderr too, so callers can capture our stdout cleanly.
npx --no-install node-gyp rebuild --loglevel=warn --directory "$ADDON_DIR" --nodedir="$NODEDIR" >&2

[ -f "$OUTPUT" ] || die "node-gyp finished but $OUTPUT is missing"
log "built $OUTPUT"
