/*
 * wfi_idle: arms its EL1 virtual timer for WAIT_MS and sleeps in WFI until it
 * fires, WAITS times, counting how often WFI returned and printing the virtual
 * counter delta of each wait. IRQs stay masked at PSTATE: a pending timer
 * interrupt at the GIC CPU interface still ends WFI, and no handler is needed.
 * Passes when every wait lasted at least WAIT_MS and ended with the timer
 * fired and INTID 27 pending at the CPU interface.
 */
#include "guest.h"

const char guest_name[] = "wfi_idle";

#define WAIT_MS 10u
#define WAITS   10u
/* Bound on WFI returns per wait: more means WFI is not idling at all. */
#define MAX_WAKEUPS 1000000u

void guest_main(uint64_t x0, uint64_t x1, uint64_t x2)
{
    (void)x0;
    (void)x1;
    (void)x2;
    guest_gic_init_ppi(GUEST_VTIMER_PPI);
    uint64_t frq = guest_cntfrq();
    uint64_t ticks = frq / 1000u * WAIT_MS;
    guest_puts("wfi_idle: counter ");
    guest_putdec(frq);
    guest_puts(" Hz; ");
    guest_putdec(WAITS);
    guest_puts(" waits of ");
    guest_putdec(WAIT_MS);
    guest_puts(" ms (");
    guest_putdec(ticks);
    guest_puts(" ticks)\n");
    bool ok = frq != 0;
    uint64_t total_wakeups = 0;
    uint64_t t_begin = guest_cntvct();
    for (unsigned w = 0; w < WAITS && ok; w++) {
        uint64_t start = guest_cntvct();
        guest_vtimer_at(start + ticks);
        uint64_t wakeups = 0;
        while (!guest_vtimer_fired() && wakeups < MAX_WAKEUPS) {
            guest_wfi();
            wakeups++;
        }
        uint64_t end = guest_cntvct();
        bool fired = guest_vtimer_fired();
        /* Acknowledge before masking the timer: proves the GIC delivered it. */
        uint32_t intid = guest_gic_ack();
        guest_vtimer_off();
        if (intid < 1020u) {
            guest_gic_eoi(intid);
        }
        total_wakeups += wakeups;
        guest_puts("wfi_idle: wait ");
        guest_putdec(w);
        guest_puts(": ");
        guest_putdec(wakeups);
        guest_puts(" wakeup(s), counter delta ");
        guest_putdec(end - start);
        guest_puts(" ticks (");
        guest_putdec((end - start) * 1000000u / frq);
        guest_puts(" us)");
        guest_puts(fired ? ", timer fired" : ", TIMER DID NOT FIRE");
        guest_puts(intid == GUEST_VTIMER_PPI ? ", acked INTID 27\n" : ", no INTID 27 pending\n");
        ok = fired && end - start >= ticks && intid == GUEST_VTIMER_PPI;
    }
    uint64_t t_total = guest_cntvct() - t_begin;
    guest_puts("wfi_idle: total ");
    guest_putdec(total_wakeups);
    guest_puts(" wakeups, virtual counter delta ");
    guest_putdec(t_total);
    guest_puts(" ticks (");
    guest_putdec(t_total * 1000u / frq);
    guest_puts(" ms)\n");
    guest_finish(guest_name, ok);
}
