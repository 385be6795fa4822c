/*
 * control: the bare-metal control guest of examples/default.dts. It wakes on
 * its virtual timer every PERIOD_MS and prints "tick N: period P us", P being
 * the time since the previous tick measured on the virtual counter, so its
 * budget (2 ms every 10 ms) and Linux next to it can be seen not to disturb
 * its timing. It runs until the system stops.
 */
#include "guest.h"

const char guest_name[] = "control";

#define PERIOD_MS 250u

void guest_main(uint64_t x0, uint64_t x1, uint64_t x2)
{
    (void)x0;
    (void)x1;
    (void)x2;
    guest_gic_init_ppi(GUEST_VTIMER_PPI);
    uint64_t freq = guest_cntfrq();
    uint64_t period = freq / 1000u * PERIOD_MS;
    uint64_t last = guest_cntvct();
    uint64_t deadline = last;
    guest_puts("timer ");
    guest_putdec(freq / 1000u);
    guest_puts(" kHz, a tick every ");
    guest_putdec(PERIOD_MS);
    guest_puts(" ms\n");
    for (uint64_t n = 1;; n++) {
        deadline += period;
        guest_vtimer_sleep_until(deadline);
        uint64_t now = guest_cntvct();
        guest_puts("tick ");
        guest_putdec(n);
        guest_puts(": period ");
        guest_putdec((now - last) * 1000000u / freq);
        guest_puts(" us\n");
        last = now;
    }
}
