#!/usr/bin/env bash
# Builds the Linux guest payloads from Debian's arm64 packages into DEST:
#   DEST/linux/Image            the cloud-arm64 kernel (uncompressed arm64 Image)
#   DEST/linux/initrd.cpio.gz   busybox-static initramfs with the test /init
#   DEST/linux/rootfs.img       small ext2 disk for the virtio-blk tests
#   DEST/linux/VERSIONS         the package versions they came from
# Downloads are cached in DEST/cache. Idempotent: when the resolved versions and
# this script are unchanged and the outputs exist, nothing is rebuilt.
#
# The /init baked into the initramfs prints "bulkhead-guest: init running" and
# the guest's uptime, then runs what the kernel command line asks for:
#   bhrun=NAME        run the baked script /etc/bulkhead/NAME (smoke, marker)
#   bhcmd="A; B"      run these shell commands
# then powers off; with neither it starts a shell on the console.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 DEST" >&2
    exit 64
fi
DEST=$1
mkdir -p "$DEST/linux" "$DEST/cache"
DEST=$(cd "$DEST" && pwd)
CACHE=$DEST/cache
OUT=$DEST/linux

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

log() {
    echo "fetch-payloads: $*"
}

# Host tools this script runs.
need=()
for p in cpio gzip e2fsprogs gcc-aarch64-linux-gnu; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        need+=("$p")
    fi
done
if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

updated=0
apt_update() {
    if [ $updated -eq 0 ]; then
        log "apt-get update"
        # Offline with cached payloads is fine: go on with the lists there are.
        $sudo apt-get update -qq || log "apt-get update failed; using the existing lists"
        updated=1
    fi
}

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    log "adding the arm64 architecture to dpkg"
    $sudo dpkg --add-architecture arm64
    apt_update
fi

candidate() {
    apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}'
}

# The metapackage names the current ABI's kernel package.
kernel_pkg() {
    apt-cache depends linux-image-cloud-arm64:arm64 2>/dev/null |
        awk '/Depends: linux-image-[0-9].*-cloud-arm64/ {sub(/:arm64$/, "", $2); print $2; exit}'
}
resolve() {
    kpkg=$(kernel_pkg)
    kver=""
    if [ -n "$kpkg" ]; then
        kver=$(candidate "$kpkg:arm64")
    fi
    bbver=$(candidate busybox-static:arm64)
    [ -n "$kpkg" ] && [ -n "$kver" ] && [ "$kver" != "(none)" ] &&
        [ -n "$bbver" ] && [ "$bbver" != "(none)" ]
}
# "Current" means lists refreshed by this script within a day.
if [ -z "$(find "$CACHE/.apt-updated" -mtime -1 2>/dev/null)" ]; then
    apt_update
    touch "$CACHE/.apt-updated"
fi
if ! resolve; then
    apt_update
    if ! resolve; then
        echo "fetch-payloads: cannot resolve linux-image-cloud-arm64:arm64 and busybox-static:arm64" >&2
        exit 1
    fi
fi
log "kernel $kpkg $kver"
log "busybox-static:arm64 $bbver"

# The counter helper for the boot benchmarks (tests/linux/bh-cntvct.c).
helper_src=$(cd "$(dirname "$0")/.." && pwd)/tests/linux/bh-cntvct.c
self_sum=$(cat "$0" "$helper_src" | sha256sum | cut -d' ' -f1)
stamp="$kpkg $kver busybox-static $bbver script $self_sum"
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$stamp" ] &&
    [ -s "$OUT/Image" ] && [ -s "$OUT/initrd.cpio.gz" ] && [ -s "$OUT/rootfs.img" ]; then
    log "payloads in $OUT are up to date"
    exit 0
fi

# apt-get download names files NAME_VERSION_ARCH.deb with ':' escaped as %3a.
deb_path() {
    local name=${1%%:*}
    local ver=${2//:/%3a}
    echo "$CACHE/${name}_${ver}_arm64.deb"
}
download() {
    local pkg=$1 ver=$2
    local f
    f=$(deb_path "$pkg" "$ver")
    if [ -s "$f" ]; then
        return 0
    fi
    log "downloading $pkg=$ver"
    # Stale package lists give 404s: refresh them and start again, once.
    if ! (cd "$CACHE" && apt-get download -q "$pkg=$ver" >/dev/null 2>&1); then
        if [ -n "${BH_FETCH_RETRIED:-}" ]; then
            echo "fetch-payloads: cannot download $pkg=$ver" >&2
            exit 1
        fi
        apt_update
        BH_FETCH_RETRIED=1 exec bash "$0" "$DEST"
    fi
    [ -s "$f" ] || {
        echo "fetch-payloads: download of $pkg gave no $f" >&2
        exit 1
    }
}
download "$kpkg:arm64" "$kver"
download busybox-static:arm64 "$bbver"
kdeb=$(deb_path "$kpkg" "$kver")
bbdeb=$(deb_path busybox-static "$bbver")

work=$(mktemp -d "$CACHE/work.XXXXXX")
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$kdeb" "$work/kernel"
dpkg-deb -x "$bbdeb" "$work/busybox"

# Kernel: arm64 Image ("ARM\x64" at offset 56), possibly gzip-compressed.
vmlinuz=$(find "$work/kernel/boot" -name 'vmlinuz-*' | head -n 1)
if [ -z "$vmlinuz" ]; then
    echo "fetch-payloads: $kpkg has no boot/vmlinuz-*" >&2
    exit 1
fi
kabi=${vmlinuz##*/vmlinuz-}
magic_at() {
    od -An -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'
}
if [ "$(magic_at "$vmlinuz" 0 2)" = "1f8b" ]; then
    gzip -dc "$vmlinuz" >"$work/Image"
else
    cp "$vmlinuz" "$work/Image"
fi
if [ "$(magic_at "$work/Image" 56 4)" != "41524d64" ]; then
    echo "fetch-payloads: $vmlinuz is not an arm64 Image" >&2
    exit 1
fi

# Initramfs root.
root=$work/root
mkdir -p "$root"/{bin,proc,sys,dev,etc/bulkhead,mnt,tmp,root,lib/modules}
ln -s bin "$root/sbin"
mkdir -p "$root/usr"
ln -s ../bin "$root/usr/bin"
ln -s ../bin "$root/usr/sbin"
cp "$work/busybox/bin/busybox" "$root/bin/busybox"
# The applet names are busybox's packed name table ("[", "[[", "acpid", ...):
# read them from the binary, since an arm64 busybox cannot run here.
tr '\0' '\n' <"$root/bin/busybox" >"$work/strings"
awk 'p && $0 == "" {exit} p {print} prev == "[" && $0 == "[[" {p = 1; print "["; print "[["} {prev = $0}' \
    "$work/strings" >"$work/applets"
napplets=$(grep -c -x -E '[][a-z0-9_.-]+' "$work/applets" || true)
if [ "$napplets" -lt 50 ] || [ "$napplets" -ne "$(wc -l <"$work/applets")" ]; then
    echo "fetch-payloads: could not read the applet list from busybox" >&2
    exit 1
fi
while read -r a; do
    if [ "$a" != busybox ]; then
        ln -sf busybox "$root/bin/$a"
    fi
done <"$work/applets"
aarch64-linux-gnu-gcc -O2 -ffreestanding -nostdlib -static -no-pie -fno-pie -mgeneral-regs-only \
    -Wall -Wextra -Werror -Wl,--build-id=none -s -o "$root/bin/bh-cntvct" "$helper_src"
if [ "$(id -u)" -eq 0 ]; then
    # The kernel opens /dev/console for init before devtmpfs is mounted.
    mknod -m 600 "$root/dev/console" c 5 1
fi

# virtio is modular in the cloud flavour: bake in virtio-mmio, -blk, -net and -console
# with their dependencies, in load order (read from each module's .modinfo).
mods=$work/kernel/lib/modules/$kabi
moddeps() {
    local f
    f=$(find "$mods/kernel" -name "$1.ko" | head -n 1)
    tr '\0' '\n' <"$f" | sed -n 's/^depends=//p' | tr ',' ' '
}
order=()
add_mod() {
    local m=$1 d
    for d in "${order[@]}"; do
        if [ "$d" = "$m" ]; then
            return 0
        fi
    done
    for d in $(moddeps "$m"); do
        add_mod "$d"
    done
    order+=("$m")
}
for m in virtio_mmio virtio_blk virtio_net virtio_console; do
    add_mod "$m"
done
: >"$root/etc/bulkhead/modules"
for m in "${order[@]}"; do
    cp "$(find "$mods/kernel" -name "$m.ko" | head -n 1)" "$root/lib/modules/"
    echo "$m" >>"$root/etc/bulkhead/modules"
done

cat >"$root/init" <<'EOF'
#!/bin/sh
# Bulkhead test guest init (built by tools/fetch-payloads.sh).
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
# First thing on the console: the benchmarks time and count up to this line.
echo "bulkhead-guest: init running"
/bin/bh-cntvct
read up idle </proc/uptime
echo "bulkhead-guest: uptime $up s, idle $idle s"
for m in $(cat /etc/bulkhead/modules); do
    insmod /lib/modules/$m.ko 2>/dev/null
done
mkdir -p /dev/pts /dev/shm
cmdline=$(cat /proc/cmdline)
run=$(echo "$cmdline" | sed -n 's/.*bhrun=\([A-Za-z0-9_-]*\).*/\1/p')
cmd=$(echo "$cmdline" | sed -n 's/.*bhcmd="\([^"]*\)".*/\1/p')
if [ -n "$run" ] && [ -f "/etc/bulkhead/$run" ]; then
    echo "bulkhead-guest: running script $run"
    sh "/etc/bulkhead/$run"
    echo "bulkhead-guest: script $run exited with status $?"
elif [ -n "$cmd" ]; then
    echo "bulkhead-guest: running: $cmd"
    sh -c "$cmd"
    echo "bulkhead-guest: commands exited with status $?"
else
    echo "bulkhead-guest: no bhrun= or bhcmd= given; starting a shell"
    setsid cttyhack sh
fi
echo "bulkhead-guest: powering off"
sync
poweroff -f
EOF
chmod 755 "$root/init"

cat >"$root/etc/bulkhead/marker" <<'EOF'
# Nothing beyond the init marker (boot benchmarks).
true
EOF

cat >"$root/etc/bulkhead/smoke" <<'EOF'
# The Linux guest smoke test: identity, interrupts, CPUs, then the disk.
set -u
uname -a
cat /proc/interrupts
cat /proc/cpuinfo
cat /proc/meminfo | head -n 3
if [ -b /dev/vda ]; then
    mount -t ext2 /dev/vda /mnt || { echo "bulkhead-guest: DISK FAIL mount"; exit 1; }
    cat /mnt/hello.txt
    stamp="written by the guest at uptime $(cut -d' ' -f1 /proc/uptime)"
    echo "$stamp" >/mnt/guest.txt
    sync
    umount /mnt
    mount -t ext2 -o ro /dev/vda /mnt || { echo "bulkhead-guest: DISK FAIL remount"; exit 1; }
    if [ "$(cat /mnt/guest.txt)" = "$stamp" ]; then
        echo "bulkhead-guest: DISK OK (read back what it wrote)"
    else
        echo "bulkhead-guest: DISK FAIL read back"
    fi
    umount /mnt
else
    echo "bulkhead-guest: no virtio disk"
fi
echo "bulkhead-guest: SMOKE DONE"
EOF

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -9n >"$work/initrd.cpio.gz"

# Disk: ext2 filled on the host (mke2fs -d needs no root and no loop device).
mkdir -p "$work/disk"
echo "bulkhead-disk: hello from the rootfs image" >"$work/disk/hello.txt"
truncate -s 16M "$work/rootfs.img"
mke2fs -q -t ext2 -F -L bulkhead -d "$work/disk" "$work/rootfs.img"

mv "$work/Image" "$OUT/Image"
mv "$work/initrd.cpio.gz" "$OUT/initrd.cpio.gz"
mv "$work/rootfs.img" "$OUT/rootfs.img"
printf '%s %s\nbusybox-static:arm64 %s\nkernel-release %s\n' "$kpkg" "$kver" "$bbver" "$kabi" \
    >"$OUT/VERSIONS"
echo "$stamp" >"$OUT/.stamp"
log "built $OUT/Image, initrd.cpio.gz, rootfs.img ($kabi)"
