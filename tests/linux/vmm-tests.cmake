# Linux guests under Bulkhead (issue 5, label linux): the root task
# userland/tests/linux/linux_rt.c builds one VM partition per guest-kernel
# component, each served by its own VMM (userland/vmm). The payloads exist only
# after the linux_payloads fixture ran, so the images are assembled by a test
# (fixture linux_vmm_images) instead of at build time.
set(LRT ${BH_TARGET_DIR}/userland/tests/linux/test_linux_rt.elf)
set(LVMM ${BH_TARGET_DIR}/userland/vmm/vmm.elf)

# bh_linux_image(NAME COMPONENTS...): a test that assembles NAME.img from the
# kernel, linux_rt, the VMM and the given components (fixture linux_vmm_images).
function(bh_linux_image name)
    add_test(NAME linux_image_${name} COMMAND bh-mkimage --kernel ${BH_KERNEL_ELF}
        -o ${BH_IMAGE_DIR}/${name}.img roottask:roottask:${LRT} vmm:vmm:${LVMM} ${ARGN})
    set_tests_properties(linux_image_${name} PROPERTIES LABELS linux TIMEOUT 120
        FIXTURES_SETUP linux_vmm_images FIXTURES_REQUIRED linux_payloads)
endfunction()

# Guest names select their shape in linux_rt.c (vCPUs, RAM, command line).
bh_linux_image(linux_vm guest-kernel:linux:${L}/Image guest-initrd:linux:${L}/initrd.cpio.gz)
bh_linux_image(linux_vm_smp2
    guest-kernel:linux2:${L}/Image guest-initrd:linux2:${L}/initrd.cpio.gz)
bh_linux_image(linux_vm_two guest-kernel:lxa:${L}/Image guest-initrd:lxa:${L}/initrd.cpio.gz
    guest-kernel:lxb:${L}/Image guest-initrd:lxb:${L}/initrd.cpio.gz)
bh_linux_image(linux_vm_disk guest-kernel:disk:${L}/Image guest-initrd:disk:${L}/initrd.cpio.gz
    guest-disk:disk:${L}/rootfs.img)
bh_linux_image(linux_vm_reboot
    guest-kernel:reboot:${L}/Image guest-initrd:reboot:${L}/initrd.cpio.gz)
bh_linux_image(linux_vm_isolation guest-kernel:hb:${L}/Image guest-initrd:hb:${L}/initrd.cpio.gz
    guest-kernel:crash:${L}/Image guest-initrd:crash:${L}/initrd.cpio.gz)
# Benchmarks only (docs/BENCHMARKS.md): boot to the init marker, PL011 output.
bh_linux_image(linux_vm_marker
    guest-kernel:marker:${L}/Image guest-initrd:marker:${L}/initrd.cpio.gz)
bh_linux_image(linux_vm_uart guest-kernel:uart:${L}/Image guest-initrd:uart:${L}/initrd.cpio.gz)

set(LINUX_REJECT "Kernel panic" "Oops" "BUG:" "linux_rt: FAIL" "faulted" "stopping the guest")

# One guest: banner, init, uname, timer interrupts counting (a zero count is
# rejected), clean SYSTEM_OFF.
bh_qemu_test(linux_vm IMAGE linux_vm LABELS linux TIMEOUT 240 MEM 1024
    EXPECT "[linux] [    0.000000] Linux version 6."
           "[linux] bulkhead-guest: init running"
           "[linux] Linux (none) 6."
           "arch_timer"
           "[linux] MemTotal:"
           "vmm: linux: guest powered off (PSCI SYSTEM_OFF)"
           "linux_rt: linux powered off cleanly"
           "linux_rt: all guests done (0 failures)"
    REJECT ${LINUX_REJECT} ":          0     GICv3  27 Level     arch_timer")
set_tests_properties(linux_vm PROPERTIES TIMEOUT 300
    FIXTURES_REQUIRED "linux_payloads;linux_vmm_images")

# Two vCPUs: the second comes up through PSCI CPU_ON, IPIs are trapped SGIs.
# (This test found arch_vcpu_enter re-writing SCTLR_EL1 from a stale copy when
# re-entering a vCPU straight from guest mode, turning a secondary's fresh MMU
# off again about 1 boot in 4.)
bh_qemu_test(linux_vm_smp2 IMAGE linux_vm_smp2 LABELS linux TIMEOUT 240 MEM 1024
    EXPECT "[linux2] [    0.000000] Linux version 6."
           "[linux2] [    0.000000] psci: PSCIv1.1 detected in firmware."
           "[linux2] cpus=2"
           "[linux2] bulkhead-guest: init running"
           "vmm: linux2: guest powered off (PSCI SYSTEM_OFF)"
           "linux_rt: all guests done (0 failures)"
    REJECT ${LINUX_REJECT})
set_tests_properties(linux_vm_smp2 PROPERTIES TIMEOUT 300
    FIXTURES_REQUIRED "linux_payloads;linux_vmm_images")

# Two guests at once, each with its own VMM, console prefix and memory size
# (192 MiB and 128 MiB: the kernel's own count of its RAM, read from userland).
bh_qemu_test(linux_vm_two IMAGE linux_vm_two LABELS linux TIMEOUT 240 MEM 1024
    EXPECT "[lxa] bulkhead-guest: init running"
           "[lxb] bulkhead-guest: init running"
           "[lxa] K/196608K available"
           "[lxb] K/131072K available"
           "linux_rt: lxa powered off cleanly"
           "linux_rt: lxb powered off cleanly"
           "linux_rt: all guests done (0 failures)"
    REJECT ${LINUX_REJECT} "[lxa] K/131072K" "[lxb] K/196608K")
set_tests_properties(linux_vm_two PROPERTIES TIMEOUT 300
    FIXTURES_REQUIRED "linux_payloads;linux_vmm_images")

# virtio-blk: the smoke script mounts /dev/vda, writes, syncs, remounts, reads back.
bh_qemu_test(linux_vm_disk IMAGE linux_vm_disk LABELS linux TIMEOUT 240 MEM 1024
    EXPECT "[disk] bulkhead-guest: init running"
           "[disk] bulkhead-disk: hello from the rootfs image"
           "[disk] bulkhead-guest: DISK OK (read back what it wrote)"
           "[disk] bulkhead-guest: SMOKE DONE"
           "linux_rt: all guests done (0 failures)"
    REJECT ${LINUX_REJECT} "DISK FAIL")
set_tests_properties(linux_vm_disk PROPERTIES TIMEOUT 300
    FIXTURES_REQUIRED "linux_payloads;linux_vmm_images")

# PSCI SYSTEM_RESET: the guest runs "reboot -f" every time; the VMM reloads it
# from its staged images. A third boot proves the second reached init again.
bh_qemu_test(linux_vm_reboot IMAGE linux_vm_reboot LABELS linux TIMEOUT 240 MEM 1024
    EXPECT "[reboot] bulkhead-guest: init running"
           "vmm: reboot: PSCI SYSTEM_RESET: rebooting the guest from its images"
           "vmm: reboot: boot 2: starting vCPU 0"
           "vmm: reboot: boot 3: starting vCPU 0"
    REJECT ${LINUX_REJECT})
set_tests_properties(linux_vm_reboot PROPERTIES TIMEOUT 300
    FIXTURES_REQUIRED "linux_payloads;linux_vmm_images")

# A guest that panics does not disturb the other one: crash panics through
# sysrq after a second (and then spins in its panic loop); hb keeps printing
# its heartbeat to 30 and powers off cleanly.
bh_qemu_test(linux_vm_isolation IMAGE linux_vm_isolation LABELS linux TIMEOUT 240 MEM 1024
    EXPECT "Kernel panic - not syncing: sysrq triggered crash"
           "[hb] heartbeat 30"
           "linux_rt: hb powered off cleanly"
    REJECT "linux_rt: FAIL" "faulted" "stopping the guest" "Oops")
set_tests_properties(linux_vm_isolation PROPERTIES TIMEOUT 300
    FIXTURES_REQUIRED "linux_payloads;linux_vmm_images")
