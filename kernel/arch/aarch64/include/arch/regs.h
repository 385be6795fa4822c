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

/* Per-CPU data, reached through TPIDR_EL2. Offsets used by vectors.S. */
struct percpu {
    uint64_t kstack_top;   /* offset 0 */
    struct arch_regs *cur; /* offset 8: context of the thread running at a lower EL */
    uint32_t cpu_index;
    uint32_t mpidr_aff;
};
#define PERCPU_KSTACK_TOP 0
#define PERCPU_CUR        8
#else
#define PERCPU_KSTACK_TOP 0
#define PERCPU_CUR        8
#endif

#endif
