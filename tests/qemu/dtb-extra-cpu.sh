#!/bin/sh
# Writes OUT: QEMU virt's device tree for -smp SMP with one more CPU node whose
# MPIDR (0x7f) no CPU of the machine has, so PSCI CPU_ON refuses it and the
# kernel must report it and leave it out (test smp_cpu_left_out).
# Usage: dtb-extra-cpu.sh QEMU DTC SMP OUT
set -eu
qemu="$1"
dtc="$2"
smp="$3"
out="$4"
tmp="${out}.tmp"
"$qemu" -M "virt,virtualization=on,gic-version=3,dumpdtb=${tmp}.dtb" -cpu cortex-a72 \
    -smp "$smp" -m 1024M -display none >/dev/null 2>&1
"$dtc" -q -I dtb -O dts -o "${tmp}.dts" "${tmp}.dtb"
# A sibling of cpu@0, before it in the cpus node (device tree order).
awk '/^\t\tcpu@0 \{/ && !done {
        print "\t\tcpu@7f {";
        print "\t\t\tdevice_type = \"cpu\";";
        print "\t\t\tcompatible = \"arm,cortex-a72\";";
        print "\t\t\treg = <0x7f>;";
        print "\t\t\tenable-method = \"psci\";";
        print "\t\t};";
        done = 1
     }
     { print }' "${tmp}.dts" >"${tmp}2.dts"
grep -q 'cpu@7f' "${tmp}2.dts"
"$dtc" -q -I dts -O dtb -o "$out" "${tmp}2.dts"
rm -f "${tmp}.dtb" "${tmp}.dts" "${tmp}2.dts"
