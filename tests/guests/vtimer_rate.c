/*
 * vtimer_rate: takes virtual timer interrupts (PPI 27) through the GICv3 CPU
 * interface at PERIOD_US for RUN_MS, then prints how many it took and the mean
 * period between them. Each deadline is the previous one plus the period, so
 * a late interrupt does not stretch the ones after it.
 */
#include "guest.h"

const char guest_name[] = "vtimer_rate";

#define PERIOD_US 1000u
#define RUN_MS    100u

static volatile uint64_t irq_count;
static volatile uint64_t first_at;
static volatile uint64_t last_at;
static volatile uint64_t next_deadline;
static volatile uint64_t spurious;
static uint64_t period_ticks;

static void on_irq(struct guest_frame *f)
{
    (void)f;
    uint32_t intid = guest_gic_ack();
    if (intid != GUEST_VTIMER_PPI) {
        if (intid < 1020u) {
            guest_gic_eoi(intid);
        }
        spurious = spurious + 1;
        return;
    }
    uint64_t now = guest_cntvct();
    if (irq_count == 0) {
        first_at = now;
    }
    last_at = now;
    irq_count = irq_count + 1;
    next_deadline = next_deadline + period_ticks;
    guest_vtimer_at(next_deadline);
    guest_gic_eoi(intid);
}

void guest_main(uint64_t x0, uint64_t x1, uint64_t x2)
{
    (void)x0;
    (void)x1;
    (void)x2;
    uint64_t frq = guest_cntfrq();
    if (frq == 0) {
        guest_puts("vtimer_rate: CNTFRQ_EL0 is 0\n");
        guest_finish(guest_name, false);
    }
    period_ticks = frq * PERIOD_US / 1000000u;
    guest_gic_init_ppi(GUEST_VTIMER_PPI);
    guest_irq_hook = on_irq;
    guest_puts("vtimer_rate: period ");
    guest_putdec(PERIOD_US);
    guest_puts(" us (");
    guest_putdec(period_ticks);
    guest_puts(" ticks) for ");
    guest_putdec(RUN_MS);
    guest_puts(" ms\n");

    uint64_t start = guest_cntvct();
    uint64_t stop = start + frq / 1000u * RUN_MS;
    next_deadline = start + period_ticks;
    guest_vtimer_at(next_deadline);
    guest_irq_enable();
    while (guest_cntvct() < stop) {
        guest_wfi();
    }
    guest_irq_disable();
    guest_vtimer_off();

    uint64_t n = irq_count;
    guest_puts("vtimer_rate: ");
    guest_putdec(n);
    guest_puts(" interrupts in ");
    guest_putdec((guest_cntvct() - start) * 1000u / frq);
    guest_puts(" ms, ");
    guest_putdec(spurious);
    guest_puts(" other\n");
    uint64_t mean_ns = 0;
    if (n >= 2) {
        mean_ns = (last_at - first_at) * 1000u / (n - 1) * 1000000u / frq;
    }
    guest_puts("vtimer_rate: measured period ");
    guest_putdec(mean_ns / 1000u);
    guest_puts(".");
    guest_putdec(mean_ns % 1000u / 100u);
    guest_puts(" us\n");
    uint64_t expect = RUN_MS * 1000u / PERIOD_US;
    /* The first interrupt may come late and the rest catch up: allow half to double. */
    bool ok = n >= expect * 8u / 10u && n <= expect + 1u && mean_ns >= PERIOD_US * 500u &&
              mean_ns <= PERIOD_US * 2000u && spurious == 0;
    guest_finish(guest_name, ok);
}
