/*
 * virq_order (an EL1 guest for the VM tests, built with the tests/guests
 * runtime): asks its VMM, by HVC 0xC6000050, to inject 12 virtual SPIs with
 * distinct priorities in scrambled order while its IRQs are masked, then
 * unmasks them and records the order its handler sees. There are fewer list
 * registers than interrupts, so the kernel must refill them on maintenance
 * interrupts; PASS when all 12 arrive, each once, highest priority first.
 */
#include "guest.h"

const char guest_name[] = "virq_order";

#define HVC_INJECT_TEST 0xc6000050ul
#define NIRQ            12u

static volatile uint32_t seen[NIRQ + 4];
static volatile unsigned nseen;

static void on_irq(struct guest_frame *f)
{
    (void)f;
    uint32_t intid = guest_gic_ack();
    if (intid >= 1020u) {
        return;
    }
    if (nseen < NIRQ + 4) {
        seen[nseen] = intid;
    }
    nseen = nseen + 1;
    guest_gic_eoi(intid);
}

void guest_main(uint64_t x0, uint64_t x1, uint64_t x2)
{
    (void)x0;
    (void)x1;
    (void)x2;
    guest_gic_init_ppi(GUEST_VTIMER_PPI); /* the CPU interface; the SPIs are virtual only */
    guest_irq_hook = on_irq;
    struct hvc_result r = guest_hvc(HVC_INJECT_TEST, NIRQ, 0, 0, 0, 0);
    guest_puts("virq_order: VMM injected ");
    guest_putdec(r.x[0]);
    guest_puts(" interrupts; the lowest priority value arrives first when expected\n");
    guest_irq_enable();
    for (unsigned spin = 0; spin < 1000000u && nseen < NIRQ; spin++) {
        __asm__ volatile("nop");
    }
    guest_irq_disable();
    guest_puts("virq_order: received");
    for (unsigned i = 0; i < nseen && i < NIRQ + 4; i++) {
        guest_puts(" ");
        guest_putdec(seen[i]);
    }
    guest_puts("\n");
    /* The VMM gave INTID 32 + k the priority 0x10 + 8 * order(k): expected[i]
     * is r.x[1..] packed 4 bits per INTID offset, in delivery order. */
    bool ok = nseen == NIRQ && r.x[0] == NIRQ;
    for (unsigned i = 0; ok && i < NIRQ; i++) {
        uint32_t want = 32u + (uint32_t)((r.x[1] >> (4 * i)) & 0xfu);
        ok = seen[i] == want;
    }
    guest_finish(guest_name, ok);
}
