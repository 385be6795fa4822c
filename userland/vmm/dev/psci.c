/*
 * PSCI 1.1 (DEN 0022D) and SMCCC 1.1 (DEN 0028) calls for one VM: see
 * vmm/psci.h. The section numbers below are DEN 0022D's.
 */
#include <vmm/psci.h>

#include <string.h>

bool psci_init(struct psci *p, unsigned nr_vcpus, uint64_t ram_base, uint64_t ram_size,
               const struct psci_ops *ops, void *ctx)
{
    if (nr_vcpus == 0 || nr_vcpus > VMM_MAX_VCPUS || ops == NULL) {
        return false;
    }
    memset(p, 0, sizeof(*p));
    p->nr_vcpus = nr_vcpus;
    p->ram_base = ram_base;
    p->ram_size = ram_size;
    p->ops = ops;
    p->ctx = ctx;
    p->state[0] = PSCI_CPU_ON;
    for (unsigned i = 1; i < nr_vcpus; i++) {
        p->state[i] = PSCI_CPU_OFF;
    }
    return true;
}

void psci_cpu_running(struct psci *p, unsigned vcpu)
{
    if (vcpu < p->nr_vcpus) {
        p->state[vcpu] = PSCI_CPU_ON;
    }
}

static bool in_ram(const struct psci *p, uint64_t addr)
{
    return addr >= p->ram_base && addr - p->ram_base < p->ram_size;
}

/* 5.6 CPU_ON. */
static int64_t psci_cpu_on(struct psci *p, uint64_t target, uint64_t entry, uint64_t ctx_id)
{
    int vcpu;

    if ((target & ~VMM_MPIDR_AFF_MASK) != 0) {
        return PSCI_INVALID_PARAMETERS;
    }
    vcpu = vmm_mpidr_to_vcpu(target, p->nr_vcpus);
    if (vcpu < 0) {
        return PSCI_INVALID_PARAMETERS;
    }
    if (p->state[vcpu] == PSCI_CPU_ON) {
        return PSCI_ALREADY_ON;
    }
    if (p->state[vcpu] == PSCI_CPU_ON_PENDING) {
        return PSCI_ON_PENDING;
    }
    /* AArch64 entry points are word aligned and must be in guest RAM. */
    if ((entry & 3u) != 0 || !in_ram(p, entry)) {
        return PSCI_INVALID_ADDRESS;
    }
    if (p->ops->cpu_on == NULL || !p->ops->cpu_on(p->ctx, (unsigned)vcpu, entry, ctx_id)) {
        return PSCI_INTERNAL_FAILURE;
    }
    p->state[vcpu] = PSCI_CPU_ON_PENDING;
    return PSCI_SUCCESS;
}

/* 5.4 CPU_SUSPEND, original power_state format (5.4.2.2). */
static int64_t psci_cpu_suspend(struct psci *p, unsigned caller, uint64_t state, uint64_t entry)
{
    if ((state & PSCI_POWER_STATE_RESERVED) != 0) {
        return PSCI_INVALID_PARAMETERS;
    }
    /* A powerdown request names where to resume, so that must be valid even
     * though this model downgrades it. */
    if ((state & PSCI_POWER_STATE_POWERDOWN) && ((entry & 3u) != 0 || !in_ram(p, entry))) {
        return PSCI_INVALID_ADDRESS;
    }
    /* Every state is taken as standby (a permitted downgrade): the call
     * returns SUCCESS once the vCPU wakes up. */
    if (p->ops->cpu_standby != NULL) {
        p->ops->cpu_standby(p->ctx, caller);
    }
    return PSCI_SUCCESS;
}

/* 5.8 AFFINITY_INFO: only level 0 is mandatory from PSCI 1.0. */
static int64_t psci_affinity_info(const struct psci *p, uint64_t target, uint64_t level)
{
    int vcpu;

    if (level != 0 || (target & ~VMM_MPIDR_AFF_MASK) != 0) {
        return PSCI_INVALID_PARAMETERS;
    }
    vcpu = vmm_mpidr_to_vcpu(target, p->nr_vcpus);
    if (vcpu < 0) {
        return PSCI_INVALID_PARAMETERS;
    }
    switch (p->state[vcpu]) {
    case PSCI_CPU_ON:
        return PSCI_AFF_ON;
    case PSCI_CPU_ON_PENDING:
        return PSCI_AFF_ON_PENDING;
    case PSCI_CPU_OFF:
        break;
    }
    return PSCI_AFF_OFF;
}

/* True for the ids this model implements (PSCI_FEATURES and ARCH_FEATURES). */
static bool psci_implemented(uint32_t fn)
{
    switch (fn) {
    case PSCI_FN_VERSION:
    case PSCI_FN_CPU_SUSPEND:
    case PSCI_FN64_CPU_SUSPEND:
    case PSCI_FN_CPU_OFF:
    case PSCI_FN_CPU_ON:
    case PSCI_FN64_CPU_ON:
    case PSCI_FN_AFFINITY_INFO:
    case PSCI_FN64_AFFINITY_INFO:
    case PSCI_FN_MIGRATE_INFO_TYPE:
    case PSCI_FN_SYSTEM_OFF:
    case PSCI_FN_SYSTEM_RESET:
    case PSCI_FN_FEATURES:
    case SMCCC_VERSION_FN:
    case SMCCC_ARCH_FEATURES_FN:
        return true;
    default:
        return false;
    }
}

/* 5.15 PSCI_FEATURES. */
static int64_t psci_features(uint64_t arg)
{
    /* The argument is a 32-bit function id; anything wider is not one. */
    if (arg > 0xffffffffull || !psci_implemented((uint32_t)arg)) {
        return PSCI_NOT_SUPPORTED;
    }
    /* CPU_SUSPEND: original power_state format (bit 1 = 0), no OS-initiated
     * mode (bit 0 = 0); every other implemented function reports 0. */
    return PSCI_SUCCESS;
}

/* SMCCC 1.1, 7.2 SMCCC_ARCH_FEATURES: Arm Architecture Service calls only. */
static int64_t smccc_arch_features(uint64_t arg)
{
    if (arg == SMCCC_VERSION_FN || arg == SMCCC_ARCH_FEATURES_FN) {
        return PSCI_SUCCESS;
    }
    /* The workarounds are the kernel's business at EL2, not a VMM call. */
    return PSCI_NOT_SUPPORTED;
}

static bool is_smc64(uint32_t fn)
{
    return (fn & 0x40000000u) != 0;
}

enum psci_result psci_call(struct psci *p, unsigned caller, uint64_t regs[4])
{
    uint32_t fn = (uint32_t)regs[0];
    uint64_t a1 = regs[1], a2 = regs[2], a3 = regs[3];
    int64_t ret = PSCI_NOT_SUPPORTED;

    /* Bits [63:32] of x0 must be zero in an SMCCC function id (W0 is the id). */
    if ((regs[0] >> 32) != 0 || caller >= p->nr_vcpus) {
        regs[0] = (uint64_t)(int64_t)PSCI_NOT_SUPPORTED;
        return PSCI_RESULT_RETURN;
    }
    /* SMC32 calls see only the low 32 bits of each argument. */
    if (!is_smc64(fn)) {
        a1 = (uint32_t)a1;
        a2 = (uint32_t)a2;
        a3 = (uint32_t)a3;
    }
    switch (fn) {
    case PSCI_FN_VERSION:
        ret = PSCI_VERSION_1_1;
        break;
    case PSCI_FN_CPU_SUSPEND:
    case PSCI_FN64_CPU_SUSPEND:
        ret = psci_cpu_suspend(p, caller, a1, a2);
        break;
    case PSCI_FN_CPU_OFF:
        p->state[caller] = PSCI_CPU_OFF;
        if (p->ops->cpu_off != NULL) {
            p->ops->cpu_off(p->ctx, caller);
        }
        return PSCI_RESULT_NO_RETURN;
    case PSCI_FN_CPU_ON:
    case PSCI_FN64_CPU_ON:
        ret = psci_cpu_on(p, a1, a2, a3);
        break;
    case PSCI_FN_AFFINITY_INFO:
    case PSCI_FN64_AFFINITY_INFO:
        ret = psci_affinity_info(p, a1, a2);
        break;
    case PSCI_FN_MIGRATE_INFO_TYPE:
        ret = PSCI_TOS_NOT_PRESENT_MP;
        break;
    case PSCI_FN_SYSTEM_OFF:
        if (p->ops->system_off != NULL) {
            p->ops->system_off(p->ctx);
        }
        return PSCI_RESULT_NO_RETURN;
    case PSCI_FN_SYSTEM_RESET:
        if (p->ops->system_reset != NULL) {
            p->ops->system_reset(p->ctx);
        }
        return PSCI_RESULT_NO_RETURN;
    case PSCI_FN_FEATURES:
        ret = psci_features(a1);
        break;
    case SMCCC_VERSION_FN:
        ret = SMCCC_VERSION_1_1;
        break;
    case SMCCC_ARCH_FEATURES_FN:
        ret = smccc_arch_features(a1);
        break;
    default:
        ret = PSCI_NOT_SUPPORTED; /* SMCCC: unknown function id returns -1 */
        break;
    }
    regs[0] = (uint64_t)ret;
    return PSCI_RESULT_RETURN;
}
