#!/usr/bin/env bash
# Provide a mediasoup-worker binary and print its path on the last stdout line;
# progress goes to stderr. Point MEDIASOUP_WORKER_BIN at that path.
#
# mediasoup's own install downloads a prebuilt worker or builds one with meson
# wraps fetched from the network. Where neither works, this builds the worker
# from node_modules/mediasoup/worker against Debian bookworm's system libraries
# (see worker-system-libs.patch) and caches the result under
# ${EDGEPLAY_CACHE_DIR:-$HOME/.cache/edgeplay}/mediasoup-worker/<version>-<hash>/.
#
# flatbuffers: upstream pins 24.3.25, bookworm ships 2.0.8. The headers that
# flatc generates static_assert the exact runtime version, and Debian's flatc
# and libflatbuffers-dev come from the same source package, so they always
# agree; the worker's own code compiles against the 2.0.8 API unchanged. The
# wire format is stable across versions, so the Node side (flatbuffers from
# npm) talks to this worker without any change.
set -euo pipefail

# Anything a tool prints on stdout must not end up after the path we print.
exec 3>&1 1>&2

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
mediasoup_dir="$repo_root/node_modules/mediasoup"

apt_packages=(
  g++ pkg-config meson ninja-build patch
  flatbuffers-compiler libflatbuffers-dev
  libssl-dev libuv1-dev libsrtp2-dev libusrsctp-dev libabsl-dev
)

log() { printf 'build-worker: %s\n' "$*" >&2; }

# Without MEDIASOUP_VERSION the worker exits 41 before touching anything, which
# proves the binary and all of its shared libraries load on this machine.
worker_runs() {
  [[ -x $1 ]] || return 1
  local rc=0
  env -u MEDIASOUP_VERSION "$1" </dev/null >/dev/null 2>&1 || rc=$?
  [[ $rc -eq 41 ]]
}

found() {
  log "using $1"
  printf '%s\n' "$1" >&3
  exit 0
}

[[ -d $mediasoup_dir/worker ]] || { log "missing $mediasoup_dir/worker (run npm install first)"; exit 1; }

prebuilt="$mediasoup_dir/worker/out/Release/mediasoup-worker"
if worker_runs "$prebuilt"; then
  found "$prebuilt"
fi

version=$(node -p "require(process.argv[1]).version" "$mediasoup_dir/package.json")
recipe_hash=$(cat "$script_dir"/*.patch "$script_dir/build-worker.sh" | sha256sum | cut -c1-12)
cache_dir="${EDGEPLAY_CACHE_DIR:-$HOME/.cache/edgeplay}/mediasoup-worker/$version-$recipe_hash"
cached="$cache_dir/mediasoup-worker"
if worker_runs "$cached"; then
  found "$cached"
fi

missing=()
for pkg in "${apt_packages[@]}"; do
  [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) == 'install ok installed' ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  sudo=()
  [[ $EUID -eq 0 ]] || sudo=(sudo)
  # A fresh image has no package lists, so install would find nothing.
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

build_root=$(mktemp -d "${TMPDIR:-/tmp}/mediasoup-worker-build.XXXXXX")
cleanup() {
  if [[ $? -eq 0 ]]; then
    rm -rf "$build_root"
  else
    log "build failed; sources and logs kept in $build_root"
  fi
}
trap cleanup EXIT

src="$build_root/worker"
log "building mediasoup-worker $version in $src"
mkdir "$src"
# out/ holds whatever mediasoup's own install left behind (pip meson, wraps,
# objects); it can be large and is never needed here.
tar -C "$mediasoup_dir/worker" --exclude=./out -cf - . | tar -C "$src" -xf -
cd "$src"
patch -p1 --no-backup-if-mismatch --forward <"$script_dir/worker-system-libs.patch"
# The wraps point at source tarballs on the network; without them a missing
# system library fails at configure time instead of attempting a download.
rm -f subprojects/*.wrap

start=$SECONDS
meson setup build --buildtype release -Db_ndebug=true --wrap-mode=nodownload
# meson.build does not make mediasoup-worker depend on the flatc target, so the
# FBS/ headers it includes have to be generated first.
meson compile -C build flatbuffers-generator
ninja -C build -j "$(nproc)" mediasoup-worker
log "compiled in $((SECONDS - start))s"

worker_runs build/mediasoup-worker || { log "the built worker does not start"; exit 1; }

mkdir -p "$cache_dir"
tmp_bin=$(mktemp "$cache_dir/.mediasoup-worker.XXXXXX")
cp build/mediasoup-worker "$tmp_bin"
chmod 755 "$tmp_bin"
# rename(2) so concurrent readers never see a partially written binary.
mv -f "$tmp_bin" "$cached"

found "$cached"
