#!/usr/bin/env bash
# fetch-libfdt.sh DEST
# Puts libfdt's C sources in DEST so the kernel and user level can build it
# freestanding. Debian ships libfdt only as a host library; its C sources come
# inside the linux-source package (scripts/dtc/libfdt), which we download once
# and cache as the extracted directory. Nothing is committed.
set -euo pipefail
dest=$1
if [ -f "$dest/fdt_ro.c" ] && [ -f "$dest/.complete" ]; then
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

resolve() {
    apt-cache depends linux-source 2>/dev/null | awk '/Depends: linux-source-/{print $2; exit}'
}
pkg=$(resolve || true)
if [ -z "$pkg" ] || ! apt-get download "$pkg" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    pkg=$(resolve)
    apt-get download "$pkg" >/dev/null
fi
echo "libfdt: extracting from $(ls ./*.deb)"
dpkg-deb --fsys-tarfile ./*.deb |
    tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
    tar -xJ --wildcards '*/scripts/dtc/libfdt/*'
rm -rf "$dest"
mkdir -p "$dest"
cp linux-source-*/scripts/dtc/libfdt/* "$dest/"
echo "$pkg" >"$dest/.complete"
