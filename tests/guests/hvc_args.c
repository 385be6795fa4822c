/*
 * hvc_args: HVC #0 with chosen x0..x5, printing what comes back in x0..x3.
 * First PSCI_VERSION (answered by the VMM under Bulkhead, by QEMU's PSCI on
 * bare QEMU), then a vendor-specific hypervisor call (SMCCC owner 6), function
 * 0xC6000042, whose result the test checks (a VMM that does not know it must
 * return NOT_SUPPORTED, -1, in x0).
 */
#include "guest.h"

const char guest_name[] = "hvc_args";

#define HVC_TEST_FN 0xc6000042ul

static void put_result(const char *what, struct hvc_result r)
{
    guest_puts("hvc_args: ");
    guest_puts(what);
    for (unsigned i = 0; i < 4; i++) {
        guest_puts(i == 0 ? " returned x0=" : " x");
        if (i != 0) {
            guest_putdec(i);
            guest_puts("=");
        }
        guest_puthex(r.x[i]);
    }
    guest_puts("\n");
}

void guest_main(uint64_t x0, uint64_t x1, uint64_t x2)
{
    (void)x0;
    (void)x1;
    (void)x2;
    struct hvc_result v = guest_hvc(PSCI_VERSION, 0, 0, 0, 0, 0);
    put_result("PSCI_VERSION", v);
    uint64_t major = (v.x[0] >> 16) & 0x7fffu;
    guest_puts("hvc_args: PSCI ");
    guest_putdec(major);
    guest_puts(".");
    guest_putdec(v.x[0] & 0xffffu);
    guest_puts("\n");

    guest_puts("hvc_args: calling x0=0xc6000042 x1=0x1111 x2=0x2222 x3=0x3333 x4=0x4444 "
               "x5=0x5555\n");
    struct hvc_result r = guest_hvc(HVC_TEST_FN, 0x1111, 0x2222, 0x3333, 0x4444, 0x5555);
    put_result("test call", r);
    /* Bit 31 of x0 clear means PSCI 0.2 or later answered. */
    guest_finish(guest_name, major >= 1 && (v.x[0] >> 31) == 0);
}
