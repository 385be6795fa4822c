/*
 * heartbeat: prints "heartbeat N" every PERIOD_MS forever, sleeping in WFI on
 * its virtual timer in between (IRQs masked: the pending interrupt only ends
 * the WFI). Other VMs' failures must not stop it.
 */
#include "guest.h"

const char guest_name[] = "heartbeat";

#define PERIOD_MS 100u

void guest_main(uint64_t x0, uint64_t x1, uint64_t x2)
{
    (void)x0;
    (void)x1;
    (void)x2;
    guest_gic_init_ppi(GUEST_VTIMER_PPI);
    uint64_t period = guest_cntfrq() / 1000u * PERIOD_MS;
    uint64_t deadline = guest_cntvct();
    for (uint64_t n = 0;; n++) {
        guest_puts("heartbeat ");
        guest_putdec(n);
        guest_puts("\n");
        deadline += period;
        guest_vtimer_sleep_until(deadline);
    }
}
