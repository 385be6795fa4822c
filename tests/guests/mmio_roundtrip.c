/*
 * mmio_roundtrip: a 32-bit store to an emulated-device IPA, then a load from
 * it, printing what came back. Under Bulkhead the VMM emulates a test device
 * there and supplies the value; on bare QEMU nothing answers at this IPA, so
 * both accesses abort and the guest reports the aborts instead.
 */
#include "guest.h"

const char guest_name[] = "mmio_roundtrip";

/* Outside RAM and outside QEMU virt's own devices. */
#define TEST_DEV_IPA 0x0a100000ul
#define TEST_VALUE   0xb01dface

void guest_main(uint64_t x0, uint64_t x1, uint64_t x2)
{
    (void)x0;
    (void)x1;
    (void)x2;
    uint64_t esr = 0;
    uint64_t far = 0;
    uint32_t v = 0;

    guest_puts("mmio_roundtrip: storing 0xb01dface to ");
    guest_puthex(TEST_DEV_IPA);
    guest_puts("\n");
    bool wfault = guest_probe_write32(TEST_DEV_IPA, TEST_VALUE, &esr, &far);
    if (wfault) {
        guest_puts("mmio_roundtrip: store aborted: ");
        guest_put_abort(esr, far);
    }
    bool rfault = guest_probe_read32(TEST_DEV_IPA, &v, &esr, &far);
    if (rfault) {
        guest_puts("mmio_roundtrip: load aborted: ");
        guest_put_abort(esr, far);
    } else {
        guest_puts("mmio_roundtrip: load returned ");
        guest_puthex(v);
        guest_puts("\n");
    }
    if (wfault || rfault) {
        guest_puts("mmio_roundtrip: NO DEVICE (the accesses aborted)\n");
        guest_poweroff();
    }
    guest_finish(guest_name, true);
}
