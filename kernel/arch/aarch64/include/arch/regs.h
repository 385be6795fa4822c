/*
 * The register frame saved on every exception taken to EL2. For exceptions
 * from a lower EL it is the thread's own saved context (vectors.S saves
 * straight into it); for exceptions taken at EL2 it lives on the kernel stack.
 * Layout is shared with vectors.S: keep the offsets below in sync.
 */
#ifndef ARCH_REGS_H
#define ARCH_REGS_H

#define REGS_X0     0
#define REGS_X30    240
#define REGS_SP_EL0 248
#define REGS_ELR    256
#define REGS_SPSR   264
#define REGS_SIZE   272 /* multiple of 16 */

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>

struct arch_regs {
    uint64_t x[31];
    uint64_t sp_el0;
    uint64_t elr;
    uint64_t spsr;
};

_Static_assert(sizeof(struct arch_regs) == REGS_SIZE, "frame layout");
_Static_assert(__builtin_offsetof(struct arch_regs, sp_el0) == REGS_SP_EL0, "frame layout");
_Static_assert(__builtin_offsetof(struct arch_regs, elr) == REGS_ELR, "frame layout");
_Static_assert(__builtin_offsetof(struct arch_regs, spsr) == REGS_SPSR, "frame layout");

/* Per-CPU data, reached through TPIDR_EL2. Offsets used by vectors.S and
 * head.S (secondary entry). Everything after the first two words is touched
 * only by its own CPU, or by another CPU holding the kernel lock while this
 * one is stalled (smp.c). */
struct vcpu;
struct percpu {
    uint64_t kstack_top;   /* offset 0 */
    struct arch_regs *cur; /* offset 8: context of the thread running at a lower EL */
    uint32_t cpu_index;
    uint32_t online;
    uint64_t mpidr; /* MPIDR_EL1 affinity fields (Aff3 in 39:32) */
    uintptr_t gicr; /* this CPU's GICv3 redistributor */
    /* entry state for remote stalls (smp.c) */
    struct arch_regs *in_flight; /* thread frame saved by the vectors, not yet handled */
    uint64_t entry_esr;
    uint32_t entry_sync; /* in_flight came with a synchronous exception */
    uint32_t restart;    /* a stall asked to drop in_flight and restart it */
    /* remote calls: the lock holder posts, this CPU answers while it spins */
    volatile uint32_t call_seq;
    volatile uint32_t call_ack;
    volatile uint32_t call_op;
    uint32_t pad;
    void *volatile call_arg;
    /* hardware state this CPU holds */
    uint64_t timer_loaded;     /* EL2 timer deadline programmed (UINT64_MAX: off) */
    uint64_t el0_vttbr_loaded; /* VTTBR_EL2 of the last EL0 return (0: a guest ran) */
    struct vcpu *vcpu_loaded;  /* the vCPU whose EL1 state is in the registers */
    bool guest_mode;           /* the EL0/guest switch registers are set for a guest */
};
#define PERCPU_KSTACK_TOP 0
#define PERCPU_CUR        8

/* What a secondary CPU needs before it can touch memory through its caches:
 * the boot CPU's EL2 translation registers (head.S secondary_entry). */
struct mmu_boot_regs {
    uint64_t mair;
    uint64_t tcr;
    uint64_t ttbr0;
    uint64_t sctlr;
};
#define MMU_BOOT_MAIR  0
#define MMU_BOOT_TCR   8
#define MMU_BOOT_TTBR0 16
#define MMU_BOOT_SCTLR 24
_Static_assert(__builtin_offsetof(struct mmu_boot_regs, sctlr) == MMU_BOOT_SCTLR, "layout");

static inline struct percpu *this_cpu(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, tpidr_el2" : "=r"(v));
    return (struct percpu *)(uintptr_t)v;
}
#else
#define PERCPU_KSTACK_TOP 0
#define PERCPU_CUR        8
#define MMU_BOOT_MAIR     0
#define MMU_BOOT_TCR      8
#define MMU_BOOT_TTBR0    16
#define MMU_BOOT_SCTLR    24
#endif

#endif
