#!/usr/bin/env bash
# Linux guest boot on bare QEMU (no hypervisor), the baseline for the Bulkhead
# boot benchmark (docs/BENCHMARKS.md). Boots PAYLOADS/linux/{Image,initrd.cpio.gz}
#  - RUNS times under plain TCG, timing the wall clock from QEMU's start to the
#    line "bulkhead-guest: init running";
#  - once under -icount shift=0,sleep=off, where the guest's virtual counter at
#    that line (printed by bh-cntvct in /init) counts the instructions since reset.
# usage: tests/linux/bench-baseline.sh PAYLOADS [RUNS]
set -euo pipefail
P=${1:?usage: $0 PAYLOADS [RUNS]}/linux
RUNS=${2:-5}
MARK="bulkhead-guest: init running"
# shellcheck disable=SC2054 # commas belong to QEMU options
base=(qemu-system-aarch64 -M virt,gic-version=3 -cpu cortex-a72 -smp 1 -m 1024
    -display none -monitor none -serial stdio -no-reboot
    -kernel "$P/Image" -initrd "$P/initrd.cpio.gz" -append "console=ttyAMA0 bhrun=marker")

# Prints the seconds from QEMU's start to the marker, and the guest's counter line.
boot_once() {
    local start line t=""
    start=$(date +%s.%N)
    while IFS= read -r line; do
        case $line in
        *"$MARK"*) t=$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN {print a - b}') ;;
        *"bulkhead-guest: cntvct"*) echo "${line#*cntvct }" ;;
        esac
    done < <(timeout 300 "${base[@]}" "$@" </dev/null 2>&1)
    printf 'wall %.3f\n' "$t"
}

echo "qemu: $(qemu-system-aarch64 --version | head -n 1)"
echo "payloads: $(tr '\n' ';' <"$P/VERSIONS")"
walls=()
for i in $(seq 1 "$RUNS"); do
    w=$(boot_once | awk '/^wall/ {print $2}')
    echo "run $i: ${w} s to the init marker (TCG, no icount)"
    walls+=("$w")
done
printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR] = $1} END {
    printf "wall to init marker: min %.3f s, median %.3f s, max %.3f s (%d runs)\n",
        a[1], a[int((NR + 1) / 2)], a[NR], NR}'
out=$(boot_once -icount shift=0,sleep=off)
cnt=$(echo "$out" | awk '/cntfrq/ {print $5}')
w=$(echo "$out" | awk '/^wall/ {print $2}')
echo "icount shift=0,sleep=off: ${cnt} ns of virtual time = instructions to the init marker (wall ${w} s)"
