/*
 * sgi_pair: a two-vCPU guest. vCPU 0 starts vCPU 1 with PSCI CPU_ON, then
 *  1. both meet at a spin barrier in guest memory. vCPU 0's thread has a
 *     higher priority than vCPU 1's (the VMM sets it up so): on one physical
 *     CPU vCPU 0's spinning would starve vCPU 1 and the barrier would time
 *     out, so meeting proves the two vCPUs run on two physical CPUs at once;
 *  2. they exchange ROUNDS SGIs: vCPU 0 sends SGI 1 to vCPU 1 (ICC_SGI1R_EL1,
 *     trapped to the VMM, which injects it), vCPU 1 waits for it in WFI,
 *     acknowledges it at its virtual CPU interface and answers with SGI 2.
 * vCPU 1 reports through guest memory; only vCPU 0 prints. Passes when the
 * barrier was met and every SGI arrived, in order, at the right vCPU.
 */
#include "guest.h"

const char guest_name[] = "sgi_pair";

#define PSCI_CPU_ON  0xc4000003ul
#define ROUNDS       100u
#define SGI_PING     1u
#define SGI_PONG     2u
#define BARRIER_SPIN 200000000ull /* counter ticks vCPU 0 waits before giving up */

static volatile uint64_t arrived[2];
static volatile uint64_t pings_seen; /* by vCPU 1 */
static volatile uint64_t wrong_seen; /* unexpected INTIDs, either vCPU */
static volatile uint64_t vcpu1_mpidr;
static volatile uint64_t vcpu1_done;
static uint8_t stack1[8192] __attribute__((aligned(16)));

void sgi_secondary(void);
void secondary_main(void);

/* PSCI entry for vCPU 1: x0 = its stack top (the context id). */
__asm__(".text\n"
        ".globl sgi_secondary\n"
        "sgi_secondary:\n"
        "    mov sp, x0\n"
        "    ldr x9, =guest_vectors\n"
        "    msr vbar_el1, x9\n"
        "    isb\n"
        "    bl secondary_main\n"
        "1:  wfi\n"
        "    b 1b\n"
        ".ltorg\n");

static uint64_t mpidr(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, mpidr_el1" : "=r"(v));
    return v & 0xff00ffffffull;
}

/* ICC_SGI1R_EL1: INTID in [27:24], target list bit Aff0 (Aff1..3 = 0). */
static void send_sgi(unsigned intid, unsigned target_aff0)
{
    uint64_t v = ((uint64_t)intid << 24) | (1ull << target_aff0);
    __asm__ volatile("msr icc_sgi1r_el1, %0; isb" : : "r"(v) : "memory");
}

/* Waits in WFI (interrupts masked at PSTATE: a pending virtual interrupt
 * still ends WFI) until an interrupt is acknowledged; returns its INTID. */
static uint32_t wait_irq(void)
{
    for (;;) {
        uint32_t intid = guest_gic_ack();
        if (intid < 1020u) {
            guest_gic_eoi(intid);
            return intid;
        }
        guest_wfi();
    }
}

static void cpu_interface_on(void)
{
    guest_gic_init_ppi(SGI_PING);
    guest_gic_init_ppi(SGI_PONG);
}

void secondary_main(void)
{
    vcpu1_mpidr = mpidr();
    cpu_interface_on();
    arrived[1] = 1;
    while (arrived[0] == 0) {
    }
    for (unsigned r = 0; r < ROUNDS; r++) {
        uint32_t intid = wait_irq();
        if (intid != SGI_PING) {
            wrong_seen = wrong_seen + 1;
            continue;
        }
        pings_seen = pings_seen + 1;
        send_sgi(SGI_PONG, 0);
    }
    vcpu1_done = 1;
    for (;;) {
        guest_wfi();
    }
}

void guest_main(uint64_t x0, uint64_t x1, uint64_t x2)
{
    (void)x0;
    (void)x1;
    (void)x2;
    cpu_interface_on();
    uint64_t me = mpidr();
    struct hvc_result r = guest_hvc(PSCI_CPU_ON, 1, (uint64_t)(uintptr_t)sgi_secondary,
                                    (uint64_t)(uintptr_t)(stack1 + sizeof(stack1)), 0, 0);
    guest_puts("sgi_pair: vCPU 0 (MPIDR ");
    guest_puthex(me);
    guest_puts(") started vCPU 1: PSCI ");
    guest_putdec(r.x[0]);
    guest_puts("\n");
    /* 1. the spin barrier */
    uint64_t start = guest_cntvct();
    while (arrived[1] == 0 && guest_cntvct() - start < BARRIER_SPIN) {
    }
    bool met = arrived[1] != 0;
    arrived[0] = 1;
    guest_puts(met ? "sgi_pair: both vCPUs spinning at once met at the barrier, vCPU 1 MPIDR "
                   : "sgi_pair: BARRIER TIMED OUT, vCPU 1 MPIDR ");
    guest_puthex(vcpu1_mpidr);
    guest_puts("\n");
    /* 2. the SGI ping-pong */
    unsigned pongs = 0;
    for (unsigned k = 0; k < ROUNDS && met; k++) {
        send_sgi(SGI_PING, 1);
        uint32_t intid = wait_irq();
        if (intid == SGI_PONG) {
            pongs++;
        } else {
            wrong_seen = wrong_seen + 1;
        }
    }
    while (met && vcpu1_done == 0) {
    }
    guest_puts("sgi_pair: ");
    guest_putdec(pongs);
    guest_puts(" pongs on vCPU 0, ");
    guest_putdec(pings_seen);
    guest_puts(" pings on vCPU 1, ");
    guest_putdec(wrong_seen);
    guest_puts(" unexpected\n");
    guest_finish(guest_name, met && pongs == ROUNDS && pings_seen == ROUNDS && wrong_seen == 0 &&
                                 r.x[0] == 0 && vcpu1_mpidr == 1);
}
