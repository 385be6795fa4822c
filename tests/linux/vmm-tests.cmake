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
bh_linux_image(linux_vm_blkbench guest-kernel:blkbench:${L}/Image
    guest-initrd:blkbench:${L}/initrd.cpio.gz guest-disk:blkbench:${L}/rootfs.img)
# Console input and virtio-console (two guests), channels (two guests).
bh_linux_image(linux_vm_console guest-kernel:cin:${L}/Image guest-initrd:cin:${L}/initrd.cpio.gz
    guest-kernel:cinb:${L}/Image guest-initrd:cinb:${L}/initrd.cpio.gz)
bh_linux_image(linux_vm_hvc_input
    guest-kernel:hvcin:${L}/Image guest-initrd:hvcin:${L}/initrd.cpio.gz)
bh_linux_image(linux_vm_channel guest-kernel:cha:${L}/Image guest-initrd:cha:${L}/initrd.cpio.gz
    guest-kernel:chb:${L}/Image guest-initrd:chb:${L}/initrd.cpio.gz)

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
# SMP 2: linux_rt pins vCPU n to physical CPU n (SET_AFFINITY).
bh_qemu_test(linux_vm_smp2 IMAGE linux_vm_smp2 LABELS linux TIMEOUT 240 MEM 1024 SMP 2
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

# Console input reaches the chosen guest only: cin reads the line typed on the
# serial port and runs it (the tty echoes it first); cinb, which has no console
# input, times out on its own read. cinb's /dev/hvc0 output (virtio-console)
# arrives whole-line and prefixed like the PL011's.
bh_qemu_test(linux_vm_console IMAGE linux_vm_console LABELS linux TIMEOUT 240 MEM 1024
    EXPECT "vmm: cin: console input goes to the guest's PL011"
           "[cin] echo typed-$((6*7))"
           "[cin] typed-42"
           "[cinb] hvc-42"
           "[cinb] cinb-read::end"
           "linux_rt: cin powered off cleanly"
           "linux_rt: cinb powered off cleanly"
           "linux_rt: all guests done (0 failures)"
    SEND "echo typed-$((6*7))\\r"
    AFTER "[cin] cin-ready"
    REJECT ${LINUX_REJECT} "[cinb] typed-42" "cinb-read:echo" "vmm: cinb: console input")
set_tests_properties(linux_vm_console PROPERTIES TIMEOUT 300
    FIXTURES_REQUIRED "linux_payloads;linux_vmm_images")

# Console input into virtio-console: with console=hvc0 last on its command
# line the guest reads /dev/console from hvc0, so the VMM feeds virtio-console's
# receiveq instead of the PL011; the tty on hvc0 echoes the line (through the
# transmitq) and the shell runs it with its output on hvc0. That output makes
# the echo deterministic: n_tty wakes the reader at the newline before it
# writes the echo, and only a write to the same tty flushes a pending echo
# (the command's output once went to ttyAMA0, and the echo was sometimes
# still pending at power-off).
bh_qemu_test(linux_vm_hvc_input IMAGE linux_vm_hvc_input LABELS linux TIMEOUT 240 MEM 1024
    EXPECT "vmm: hvcin: console input goes to the guest's virtio-console (hvc0)"
           "[hvcin] echo typed-$((6*7))"
           "[hvcin] typed-42"
           "linux_rt: hvcin powered off cleanly"
    SEND "echo typed-$((6*7))\\r"
    AFTER "[hvcin] hvc-ready"
    REJECT ${LINUX_REJECT})
set_tests_properties(linux_vm_hvc_input PROPERTIES TIMEOUT 300
    FIXTURES_REQUIRED "linux_payloads;linux_vmm_images")

# A channel between two guests, driven with busybox devmem: cha writes the
# shared page and rings the doorbell; chb sees RX_COUNT rise, reads the page,
# writes an answer and rings back; cha reads it. FLAGS: can-notify | writable.
bh_qemu_test(linux_vm_channel IMAGE linux_vm_channel LABELS linux TIMEOUT 240 MEM 1024
    EXPECT "[chb] chb-rx=0x00000001 shm=0x00002A2A flags=0x00000003"
           "[cha] cha-rx=0x00000001 reply=0x00004242 tx=0x00000001 magic=0x4348414E"
           "linux_rt: cha powered off cleanly"
           "linux_rt: chb powered off cleanly"
           "linux_rt: all guests done (0 failures)"
    REJECT ${LINUX_REJECT})
set_tests_properties(linux_vm_channel PROPERTIES TIMEOUT 300
    FIXTURES_REQUIRED "linux_payloads;linux_vmm_images")

# Benchmark (label bench, docs/BENCHMARKS.md): the guest reads its whole 16 MiB
# virtio-blk disk with dd under -icount shift=0; the log has the guest's
# counter before and after (instructions), /sys/block/vda/stat before and
# after (requests) and the VMM's exits by kind.
bh_qemu_test(bench_linux_virtio_blk IMAGE linux_vm_blkbench LABELS bench ICOUNT TIMEOUT 300
    MEM 1024
    EXPECT "[blkbench] 16+0 records out"
           "vmm: blkbench: guest powered off (PSCI SYSTEM_OFF)"
           "linux_rt: all guests done (0 failures)"
    REJECT ${LINUX_REJECT})
set_tests_properties(bench_linux_virtio_blk PROPERTIES TIMEOUT 400
    FIXTURES_REQUIRED "linux_payloads;linux_vmm_images")
