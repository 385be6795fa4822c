/*
 * vm_bench (an EL1 guest, built with the tests/guests runtime): instruction
 * counts of exits, the same code under Bulkhead and bare on QEMU. Run with
 * -icount shift=0: one instruction per nanosecond of virtual time, so a
 * CNTVCT delta (62.5 MHz) converts to instructions as ticks * 1e9 / CNTFRQ.
 * The CPU stays busy throughout (no WFI), so icount never skips idle time.
 *   hvc    N x PSCI_VERSION through HVC (bare: QEMU's PSCI; Bulkhead: the VMM)
 *   mmio   N x 32-bit load of the PL011 flag register (bare: QEMU's PL011;
 *          Bulkhead: a stage-2 fault emulated by the VMM)
 *   vtimer virtual timer expiry to the first instruction of the IRQ hook,
 *          measured from CNTV_CVAL, averaged over M expiries
 */
#include "guest.h"

const char guest_name[] = "vm_bench";

#define N 1000u
#define M 100u

static uint64_t frq;
static volatile uint64_t irq_at;
static volatile unsigned irqs;

static uint64_t to_instructions(uint64_t ticks)
{
    return ticks * 1000000000u / frq;
}

static void report(const char *what, uint64_t ticks, unsigned count)
{
    guest_puts("vm_bench: ");
    guest_puts(what);
    guest_puts(": ");
    guest_putdec(to_instructions(ticks) / count);
    guest_puts(" instructions each (");
    guest_putdec(count);
    guest_puts(" runs)\n");
}

static void on_irq(struct guest_frame *f)
{
    (void)f;
    uint64_t now;
    __asm__ volatile("mrs %0, cntvct_el0" : "=r"(now));
    irq_at = now;
    uint32_t intid = guest_gic_ack();
    guest_vtimer_off();
    if (intid < 1020u) {
        guest_gic_eoi(intid);
    }
    irqs = irqs + 1;
}

void guest_main(uint64_t x0, uint64_t x1, uint64_t x2)
{
    (void)x0;
    (void)x1;
    (void)x2;
    frq = guest_cntfrq();
    guest_gic_init_ppi(GUEST_VTIMER_PPI);
    guest_irq_hook = on_irq;

    /* Loop overhead alone, to subtract. */
    uint64_t t0 = guest_cntvct();
    for (unsigned i = 0; i < N; i++) {
        __asm__ volatile("" ::: "memory");
    }
    uint64_t empty = guest_cntvct() - t0;

    t0 = guest_cntvct();
    for (unsigned i = 0; i < N; i++) {
        (void)guest_hvc(PSCI_VERSION, 0, 0, 0, 0, 0);
    }
    report("hvc round trip", guest_cntvct() - t0 - empty, N);

    t0 = guest_cntvct();
    for (unsigned i = 0; i < N; i++) {
        (void)*(volatile uint32_t *)(GUEST_UART_BASE + 0x18u);
    }
    report("mmio load round trip", guest_cntvct() - t0 - empty, N);

    uint64_t total = 0;
    guest_irq_enable();
    for (unsigned k = 0; k < M; k++) {
        unsigned before = irqs;
        uint64_t cval = guest_cntvct() + 2000u;
        guest_vtimer_at(cval);
        while (irqs == before) {
            __asm__ volatile("nop");
        }
        total += irq_at - cval;
    }
    guest_irq_disable();
    report("virtual timer expiry to handler", total, M);
    guest_finish(guest_name, true);
}
