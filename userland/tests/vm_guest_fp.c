/*
 * fpcheck (an EL1 guest, built with the tests/guests runtime): fills all 32
 * FP/SIMD registers and FPCR with values from its own seed (x1 at entry),
 * sleeps in WFI on its virtual timer so another vCPU runs, and checks them
 * after every wake-up. Two of these side by side show that vCPU switches
 * keep each guest's FP/SIMD state (docs/ARCHITECTURE.md, FP policy).
 */
#include "guest.h"

const char guest_name[] = "fpcheck";

#define ROUNDS 20u

void fp_fill(uint64_t seed);
uint64_t fp_check(uint64_t seed);

void guest_main(uint64_t x0, uint64_t x1, uint64_t x2)
{
    (void)x0;
    (void)x2;
    __asm__ volatile("msr cpacr_el1, %0; isb" : : "r"(3ul << 20)); /* FPEN: no traps */
    guest_gic_init_ppi(GUEST_VTIMER_PPI);
    uint64_t period = guest_cntfrq() / 1000u * 5u;
    uint64_t bad = 0;
    for (unsigned round = 0; round < ROUNDS; round++) {
        uint64_t seed = x1 + round * 0x100u;
        fp_fill(seed);
        guest_vtimer_sleep_until(guest_cntvct() + period);
        bad += fp_check(seed);
    }
    guest_puts("fpcheck: seed ");
    guest_puthex(x1);
    guest_puts(": ");
    guest_putdec(ROUNDS);
    guest_puts(" rounds across vCPU switches, ");
    guest_putdec(bad);
    guest_puts(" FP/SIMD mismatches\n");
    guest_finish(guest_name, bad == 0);
}
