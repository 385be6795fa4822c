/*
 * PSCI 1.1 (DEN 0022) and the SMCCC 1.1 architecture calls (DEN 0028) for one
 * VM, over HVC or SMC (the model does not care which conduit trapped). The
 * model tracks each vCPU's power state and decides; actions go out through
 * struct psci_ops. Supported: PSCI_VERSION, CPU_SUSPEND (original
 * power_state format; every state is treated as standby: the vCPU waits for
 * an interrupt, then SUCCESS), CPU_OFF, CPU_ON,
 * AFFINITY_INFO (level 0), MIGRATE_INFO_TYPE (2: no trusted OS to migrate),
 * SYSTEM_OFF, SYSTEM_RESET, PSCI_FEATURES, SMCCC_VERSION (1.1) and
 * SMCCC_ARCH_FEATURES. Everything else (MIGRATE, MIGRATE_INFO_UP_CPU,
 * SYSTEM_RESET2, SYSTEM_SUSPEND, the SMCCC workarounds, unknown ids)
 * returns NOT_SUPPORTED.
 */
#ifndef VMM_PSCI_H
#define VMM_PSCI_H

#include <vmm/vmm_common.h>

/* Function ids (SMC32 0x84..., SMC64 0xC4...). */
#define PSCI_0_2_FN_BASE              0x84000000u
#define PSCI_0_2_FN64_BASE            0xc4000000u
#define PSCI_FN_VERSION               0x84000000u
#define PSCI_FN_CPU_SUSPEND           0x84000001u
#define PSCI_FN64_CPU_SUSPEND         0xc4000001u
#define PSCI_FN_CPU_OFF               0x84000002u
#define PSCI_FN_CPU_ON                0x84000003u
#define PSCI_FN64_CPU_ON              0xc4000003u
#define PSCI_FN_AFFINITY_INFO         0x84000004u
#define PSCI_FN64_AFFINITY_INFO       0xc4000004u
#define PSCI_FN_MIGRATE               0x84000005u
#define PSCI_FN64_MIGRATE             0xc4000005u
#define PSCI_FN_MIGRATE_INFO_TYPE     0x84000006u
#define PSCI_FN_MIGRATE_INFO_UP_CPU   0x84000007u
#define PSCI_FN64_MIGRATE_INFO_UP_CPU 0xc4000007u
#define PSCI_FN_SYSTEM_OFF            0x84000008u
#define PSCI_FN_SYSTEM_RESET          0x84000009u
#define PSCI_FN_FEATURES              0x8400000au
#define PSCI_FN_SYSTEM_RESET2         0x84000012u
#define PSCI_FN64_SYSTEM_RESET2       0xc4000012u

#define SMCCC_VERSION_FN        0x80000000u
#define SMCCC_ARCH_FEATURES_FN  0x80000001u
#define SMCCC_ARCH_WORKAROUND_1 0x80008000u
#define SMCCC_ARCH_WORKAROUND_2 0x80007fffu
#define SMCCC_ARCH_WORKAROUND_3 0x80003fffu

#define PSCI_VERSION_1_1  0x00010001u
#define SMCCC_VERSION_1_1 0x00010001u

/* Return codes. */
#define PSCI_SUCCESS            0
#define PSCI_NOT_SUPPORTED      (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_DENIED             (-3)
#define PSCI_ALREADY_ON         (-4)
#define PSCI_ON_PENDING         (-5)
#define PSCI_INTERNAL_FAILURE   (-6)
#define PSCI_NOT_PRESENT        (-7)
#define PSCI_DISABLED           (-8)
#define PSCI_INVALID_ADDRESS    (-9)

/* AFFINITY_INFO results. */
#define PSCI_AFF_ON         0
#define PSCI_AFF_OFF        1
#define PSCI_AFF_ON_PENDING 2

/* CPU_SUSPEND power_state, original format: StateID [15:0], StateType [16],
 * PowerLevel [25:24]; the rest is reserved. */
#define PSCI_POWER_STATE_POWERDOWN (1u << 16)
#define PSCI_POWER_STATE_RESERVED  0xfffffffffcfe0000ull /* power_state is 32 bits */

/* MIGRATE_INFO_TYPE: no trusted OS, or one that needs no migration. */
#define PSCI_TOS_NOT_PRESENT_MP 2

enum psci_cpu_state {
    PSCI_CPU_OFF,
    PSCI_CPU_ON_PENDING, /* CPU_ON accepted, the vCPU has not run yet */
    PSCI_CPU_ON,
};

/* Actions; each returns true when done (false -> INTERNAL_FAILURE where a result is still owed). */
struct psci_ops {
    bool (*cpu_on)(void *ctx, unsigned vcpu, uint64_t entry, uint64_t context_id);
    void (*cpu_off)(void *ctx, unsigned vcpu);
    void (*cpu_standby)(void *ctx, unsigned vcpu); /* wait for an interrupt */
    void (*system_off)(void *ctx);
    void (*system_reset)(void *ctx);
};

struct psci {
    unsigned nr_vcpus;
    uint64_t ram_base, ram_size; /* CPU_ON entry points must lie in guest RAM */
    enum psci_cpu_state state[VMM_MAX_VCPUS];
    const struct psci_ops *ops;
    void *ctx;
};

enum psci_result {
    PSCI_RESULT_RETURN,    /* write regs[0..3] back to x0..x3, continue the caller */
    PSCI_RESULT_NO_RETURN, /* the caller is stopped (CPU_OFF, SYSTEM_OFF/RESET) */
};

/* vCPU 0 starts ON, the others OFF. False for bad sizes. */
bool psci_init(struct psci *p, unsigned nr_vcpus, uint64_t ram_base, uint64_t ram_size,
               const struct psci_ops *ops, void *ctx);
/*
 * One HVC/SMC call from vCPU `caller`: regs[0] = function id (x0), regs[1..3]
 * = x1..x3. On PSCI_RESULT_RETURN regs[0] holds the (sign-extended) result;
 * x1-x3 are left as they were (SMCCC 1.1 lets them be preserved). For a
 * trapped SMC the VMM advances the PC past the instruction.
 */
enum psci_result psci_call(struct psci *p, unsigned caller, uint64_t regs[4]);
/* The kernel reports a vCPU started by CPU_ON actually running. */
void psci_cpu_running(struct psci *p, unsigned vcpu);

#endif
