/*
 * bad_ipa: loads from, then stores to, an IPA outside its RAM and outside
 * every device, and reports the synchronous data abort each one receives
 * (under Bulkhead the VMM injects it; on bare QEMU the bus reports an
 * external abort). Passes when both accesses aborted with the right FAR.
 */
#include "guest.h"

const char guest_name[] = "bad_ipa";

/* In QEMU virt's hole between the virtio-mmio transports and the platform bus. */
#define BAD_IPA 0x0b000000ul

void guest_main(uint64_t x0, uint64_t x1, uint64_t x2)
{
    (void)x0;
    (void)x1;
    (void)x2;
    uint64_t esr = 0;
    uint64_t far = 0;
    uint32_t v = 0;
    bool ok = true;

    guest_puts("bad_ipa: reading ");
    guest_puthex(BAD_IPA);
    guest_puts("\n");
    if (guest_probe_read32(BAD_IPA, &v, &esr, &far)) {
        guest_puts("bad_ipa: read aborted: ");
        guest_put_abort(esr, far);
        ok = ok && far == BAD_IPA && ((esr >> 26) & 0x3fu) == 0x25 && (esr & (1u << 6)) == 0;
    } else {
        guest_puts("bad_ipa: read did not abort, value ");
        guest_puthex(v);
        guest_puts("\n");
        ok = false;
    }

    guest_puts("bad_ipa: writing ");
    guest_puthex(BAD_IPA + 4);
    guest_puts("\n");
    if (guest_probe_write32(BAD_IPA + 4, 0xbad1bad1u, &esr, &far)) {
        guest_puts("bad_ipa: write aborted: ");
        guest_put_abort(esr, far);
        ok = ok && far == BAD_IPA + 4 && ((esr >> 26) & 0x3fu) == 0x25 && (esr & (1u << 6)) != 0;
    } else {
        guest_puts("bad_ipa: write did not abort\n");
        ok = false;
    }
    guest_finish(guest_name, ok);
}
