#!/usr/bin/env bash
# Brings a clone to a runnable state and is quick when it already is: system packages,
# node modules, the mediasoup worker, the x264 encoder binding, the web client bundle.
# `--test` also installs what the test suite needs (redis-server, Debian's chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

apt_install() {
  local missing=() pkg
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  ((${#missing[@]})) || return 0
  local sudo=""
  [[ $EUID -eq 0 ]] || sudo=sudo
  log "installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

apt_install g++ make python3 pkg-config
[[ "${1:-}" == "--test" ]] && apt_install redis-server chromium ffmpeg
# taskset, for the CPU priority test (util-linux, present on nearly every Debian system).
[[ "${1:-}" == "--test" ]] && apt_install util-linux
# The impaired-link harness (test/support/impaired-link): iptables loss, its NFQUEUE delay listener.
[[ "${1:-}" == "--test" ]] && apt_install iproute2 iptables gcc libnetfilter-queue-dev
# The checker service (npm run checker) plays nodes through the player page in Debian's chromium.
[[ "${1:-}" == "--checker" ]] && apt_install chromium
# Edge node: the games' sandbox, and the x11 runtime (virtual display, capture, input, sound).
apt_install bubblewrap xvfb xdotool ffmpeg pulseaudio pulseaudio-utils
# A real Debian game packaged as a build by the x11 tests and benchmark.
[[ "${1:-}" == "--test" ]] && apt_install lbreakout2

if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  log "installing node modules"
  # mediasoup's postinstall would try a GitHub download, then a networked build; build-worker.sh covers both cases offline.
  MEDIASOUP_WORKER_BIN=skip npm ci --no-audit --no-fund --loglevel=error
fi

# A failing command inside $(...) in a log argument does not stop set -e: assign first, so a
# failed worker build fails the setup, and name the path it was to print.
worker_bin=$(bash infra/mediasoup/build-worker.sh | tail -n1) || { log "FAILED: building the mediasoup worker (infra/mediasoup/build-worker.sh)"; exit 1; }
[[ -x "$worker_bin" ]] || { log "FAILED: the mediasoup worker build printed no runnable binary ('$worker_bin')"; exit 1; }
log "mediasoup worker: $worker_bin"
bash infra/build-encoder.sh
npm run --silent build >&2
