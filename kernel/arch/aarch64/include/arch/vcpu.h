/* The AArch64 vCPU switch (vcpu_switch.c) as seen by the entry code. */
#ifndef ARCH_VCPU_H
#define ARCH_VCPU_H

#include <arch/regs.h>
#include <kernel/vcpu.h>

/* Boot: list register count, maintenance and virtual timer PPIs enabled. */
void arch_vcpu_init(unsigned vtimer_intid);
/* The same for a secondary CPU (after arch_vcpu_init on the boot CPU). */
void arch_vcpu_cpu_init(void);
/* Return to t's guest next: its EL1 state, list registers, guest HCR_EL2. */
void arch_vcpu_enter(struct tcb *t, struct vcpu *v, uint64_t vttbr);
/* Return to an EL0 thread next (inline fast path in kentry.c when the
 * previous return was to an EL0 thread too). */
void arch_el0_enter(uint64_t vttbr);
/* A physical interrupt that belongs to vCPUs (maintenance, virtual timer). */
bool arch_vcpu_irq(unsigned intid);
/* Switched-out vCPUs' virtual timers: inject those due by now; the earliest
 * deadline still ahead (UINT64_MAX: none). */
void arch_vcpu_poll_timers(uint64_t now);
uint64_t arch_vcpu_next_timer(void);
/* Are there any on this CPU? The common case, none, costs two loads per exit. */
extern unsigned vcpu_nsleepers[];
static inline bool arch_vcpu_has_sleepers(void)
{
    return vcpu_nsleepers[this_cpu()->cpu_index] != 0;
}

#endif
