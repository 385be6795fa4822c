# Bare-QEMU tests of the EL1 test guests (label qemu), registered from the host
# build: include(${CMAKE_SOURCE_DIR}/tests/guests/host-tests.cmake) in
# tests/CMakeLists.txt. The guests come from the target build
# (tests/guests/CMakeLists.txt). QEMU starts an ELF at EL1 when the machine has
# no virtualization, so each guest runs directly on QEMU's GIC, timer and PL011.
if(NOT BH_WITH_TARGET)
    return()
endif()
set(BH_GUEST_DIR ${BH_TARGET_DIR}/tests/guests)

# Device trees that carry memprobe's range in /chosen/bootargs.
find_program(BH_DTC dtc REQUIRED)
set(BH_GUEST_DTBS)
foreach(d memprobe-hole memprobe-ram)
    add_custom_command(OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/${d}.dtb
        COMMAND ${BH_DTC} -q -O dtb -o ${CMAKE_CURRENT_BINARY_DIR}/${d}.dtb
                ${CMAKE_CURRENT_LIST_DIR}/${d}.dts
        DEPENDS ${CMAKE_CURRENT_LIST_DIR}/${d}.dts VERBATIM)
    list(APPEND BH_GUEST_DTBS ${CMAKE_CURRENT_BINARY_DIR}/${d}.dtb)
endforeach()
add_custom_target(guest-test-dtbs ALL DEPENDS ${BH_GUEST_DTBS})

# bh_guest_test(NAME GUEST guest [ICOUNT] [EXPECT_FAIL] [DTB name] EXPECT text...
#               [REJECT text...])
# Boots GUEST.elf; DTB loads NAME.dtb at the RAM base, where the guests look
# for one when x0 is 0. A guest's FAIL line fails the test unless EXPECT_FAIL.
function(bh_guest_test name)
    cmake_parse_arguments(G "ICOUNT;EXPECT_FAIL" "GUEST;DTB" "EXPECT;REJECT" ${ARGN})
    set(args --image ${BH_GUEST_DIR}/${G_GUEST}.elf --machine virt,gic-version=3 --cpu cortex-a72
        --timeout 30 --quiet --log ${CMAKE_CURRENT_BINARY_DIR}/${name}.log)
    if(G_ICOUNT)
        list(APPEND args --icount)
    endif()
    foreach(e ${G_EXPECT})
        list(APPEND args --expect ${e})
    endforeach()
    set(rejects ${G_REJECT} "unexpected")
    if(NOT G_EXPECT_FAIL)
        list(APPEND rejects ": FAIL")
    endif()
    foreach(r ${rejects})
        list(APPEND args --reject ${r})
    endforeach()
    if(G_DTB)
        list(APPEND args -- -device
            loader,file=${CMAKE_CURRENT_BINARY_DIR}/${G_DTB}.dtb,addr=0x40000000)
    endif()
    add_test(NAME ${name} COMMAND bh-qemu-run ${args})
    set_tests_properties(${name} PROPERTIES LABELS qemu TIMEOUT 60)
endfunction()

# Nothing answers at 0x0a100000 on bare QEMU: both accesses abort.
bh_guest_test(guest_mmio_roundtrip GUEST mmio_roundtrip
    EXPECT "mmio_roundtrip: store aborted: ESR_EL1 0x96000050: EC 0x25 (data abort at the current EL), DFSC 0x10 (synchronous external abort), write, FAR_EL1 0xa100000"
           "mmio_roundtrip: load aborted: ESR_EL1 0x96000010: EC 0x25 (data abort at the current EL), DFSC 0x10 (synchronous external abort), read, FAR_EL1 0xa100000"
           "mmio_roundtrip: NO DEVICE")
# QEMU's PSCI answers the HVCs: version 1.1, NOT_SUPPORTED for the test call.
bh_guest_test(guest_hvc_args GUEST hvc_args
    EXPECT "hvc_args: PSCI_VERSION returned x0=0x10001"
           "hvc_args: test call returned x0=0xffffffffffffffff"
           "hvc_args: PASS")
# The timer guests run under -icount so a busy host cannot stretch their time.
bh_guest_test(guest_wfi_idle GUEST wfi_idle ICOUNT
    EXPECT "wfi_idle: wait 9: " "acked INTID 27" "wfi_idle: PASS")
bh_guest_test(guest_vtimer_rate GUEST vtimer_rate ICOUNT
    EXPECT "vtimer_rate: period 1000 us (62500 ticks)" "vtimer_rate: PASS")
bh_guest_test(guest_bad_ipa GUEST bad_ipa
    EXPECT "bad_ipa: read aborted: ESR_EL1 0x96000010: EC 0x25 (data abort at the current EL), DFSC 0x10 (synchronous external abort), read, FAR_EL1 0xb000000"
           "bad_ipa: write aborted: ESR_EL1 0x96000050: EC 0x25 (data abort at the current EL), DFSC 0x10 (synchronous external abort), write, FAR_EL1 0xb000004"
           "bad_ipa: PASS")
bh_guest_test(guest_memprobe GUEST memprobe
    EXPECT "memprobe: 64/64 reads and 64/64 writes faulted" "memprobe: PASS"
    REJECT "ACCESSIBLE")
bh_guest_test(guest_heartbeat GUEST heartbeat ICOUNT
    EXPECT "heartbeat 0" "heartbeat 5")
bh_guest_test(guest_memprobe_bootargs GUEST memprobe DTB memprobe-hole
    EXPECT "memprobe: probing 8 pages from 0xb100000 (range from bootargs)"
           "memprobe: 8/8 reads and 8/8 writes faulted" "memprobe: PASS"
    REJECT "ACCESSIBLE")
# The negative case: its own RAM is open, and memprobe must say so.
bh_guest_test(guest_memprobe_open GUEST memprobe DTB memprobe-ram EXPECT_FAIL
    EXPECT "memprobe: probing 4 pages from 0x48000000 (range from bootargs)"
           "memprobe: 0/4 reads and 0/4 writes faulted"
           "memprobe: ACCESSIBLE page at 0x48000000" "memprobe: FAIL"
    REJECT "memprobe: PASS")
