/* PSCI / SMCCC model: every function's return codes, bad arguments, SMC32
 * argument truncation, CPU state machine (OFF -> ON_PENDING -> ON -> OFF),
 * and the actions that reach the callbacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <vmm/psci.h>

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x10000000ull

static struct psci p;
static struct {
    unsigned on_calls, off_calls, standby_calls, sysoff_calls, reset_calls;
    unsigned last_vcpu;
    uint64_t last_entry, last_ctx;
    bool fail_on;
} act;

static bool cb_on(void *ctx, unsigned vcpu, uint64_t entry, uint64_t cid)
{
    assert_ptr_equal(ctx, &act);
    act.on_calls++;
    act.last_vcpu = vcpu;
    act.last_entry = entry;
    act.last_ctx = cid;
    return !act.fail_on;
}

static void cb_off(void *ctx, unsigned vcpu)
{
    (void)ctx;
    act.off_calls++;
    act.last_vcpu = vcpu;
}

static void cb_standby(void *ctx, unsigned vcpu)
{
    (void)ctx;
    act.standby_calls++;
    act.last_vcpu = vcpu;
}

static void cb_sysoff(void *ctx)
{
    (void)ctx;
    act.sysoff_calls++;
}

static void cb_reset(void *ctx)
{
    (void)ctx;
    act.reset_calls++;
}

static const struct psci_ops ops = {cb_on, cb_off, cb_standby, cb_sysoff, cb_reset};

static int setup(void **state)
{
    (void)state;
    memset(&act, 0, sizeof(act));
    assert_true(psci_init(&p, 4, RAM_BASE, RAM_SIZE, &ops, &act));
    return 0;
}

static int64_t call(unsigned caller, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    uint64_t regs[4] = {fn, a1, a2, a3};
    assert_int_equal(psci_call(&p, caller, regs), PSCI_RESULT_RETURN);
    /* x1..x3 are preserved. */
    assert_int_equal(regs[1], a1);
    assert_int_equal(regs[2], a2);
    assert_int_equal(regs[3], a3);
    return (int64_t)regs[0];
}

static void test_init(void **state)
{
    (void)state;
    assert_false(psci_init(&p, 0, RAM_BASE, RAM_SIZE, &ops, NULL));
    assert_false(psci_init(&p, VMM_MAX_VCPUS + 1, RAM_BASE, RAM_SIZE, &ops, NULL));
    assert_false(psci_init(&p, 1, RAM_BASE, RAM_SIZE, NULL, NULL));
}

static void test_version_and_misc(void **state)
{
    (void)state;
    assert_int_equal(call(0, PSCI_FN_VERSION, 0, 0, 0), 0x10001);
    assert_int_equal(call(0, PSCI_FN_MIGRATE_INFO_TYPE, 0, 0, 0), 2);
    assert_int_equal(call(0, PSCI_FN_MIGRATE, 1, 0, 0), PSCI_NOT_SUPPORTED);
    assert_int_equal(call(0, PSCI_FN64_MIGRATE, 1, 0, 0), PSCI_NOT_SUPPORTED);
    assert_int_equal(call(0, PSCI_FN_MIGRATE_INFO_UP_CPU, 0, 0, 0), PSCI_NOT_SUPPORTED);
    assert_int_equal(call(0, PSCI_FN64_MIGRATE_INFO_UP_CPU, 0, 0, 0), PSCI_NOT_SUPPORTED);
    assert_int_equal(call(0, PSCI_FN_SYSTEM_RESET2, 0, 0, 0), PSCI_NOT_SUPPORTED);
    assert_int_equal(call(0, 0x8400000e, 0, 0, 0), PSCI_NOT_SUPPORTED); /* SYSTEM_SUSPEND */
    assert_int_equal(call(0, 0x840000ff, 0, 0, 0), PSCI_NOT_SUPPORTED);
    assert_int_equal(call(0, 0x82000000, 0, 0, 0), PSCI_NOT_SUPPORTED); /* SiP */
    assert_int_equal(call(0, 0xc5000000, 0, 0, 0), PSCI_NOT_SUPPORTED);
    /* Non-zero upper half of x0: not a valid function id. */
    assert_int_equal(call(0, 0x100000000ull | PSCI_FN_VERSION, 0, 0, 0), PSCI_NOT_SUPPORTED);
    /* Results are sign-extended 64-bit values. */
    uint64_t regs[4] = {PSCI_FN_MIGRATE, 0, 0, 0};
    assert_int_equal(psci_call(&p, 0, regs), PSCI_RESULT_RETURN);
    assert_int_equal(regs[0], 0xffffffffffffffffull);
}

static void test_features(void **state)
{
    static const uint32_t yes[] = {
        PSCI_FN_VERSION,       PSCI_FN_CPU_SUSPEND,     PSCI_FN64_CPU_SUSPEND,
        PSCI_FN_CPU_OFF,       PSCI_FN_CPU_ON,          PSCI_FN64_CPU_ON,
        PSCI_FN_AFFINITY_INFO, PSCI_FN64_AFFINITY_INFO, PSCI_FN_MIGRATE_INFO_TYPE,
        PSCI_FN_SYSTEM_OFF,    PSCI_FN_SYSTEM_RESET,    PSCI_FN_FEATURES,
        SMCCC_VERSION_FN,      SMCCC_ARCH_FEATURES_FN,
    };
    static const uint32_t no[] = {
        PSCI_FN_MIGRATE,
        PSCI_FN64_MIGRATE,
        PSCI_FN_MIGRATE_INFO_UP_CPU,
        PSCI_FN_SYSTEM_RESET2,
        PSCI_FN64_SYSTEM_RESET2,
        0x8400000e,
        0x84000010,
        SMCCC_ARCH_WORKAROUND_1,
        0xc4000000,
        0xc4000002,
        0xc4000008,
    };
    (void)state;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        assert_int_equal(call(0, PSCI_FN_FEATURES, yes[i], 0, 0), 0);
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        assert_int_equal(call(0, PSCI_FN_FEATURES, no[i], 0, 0), PSCI_NOT_SUPPORTED);
    }
}

static void test_smccc(void **state)
{
    (void)state;
    assert_int_equal(call(0, SMCCC_VERSION_FN, 0, 0, 0), 0x10001);
    assert_int_equal(call(0, SMCCC_ARCH_FEATURES_FN, SMCCC_VERSION_FN, 0, 0), 0);
    assert_int_equal(call(0, SMCCC_ARCH_FEATURES_FN, SMCCC_ARCH_FEATURES_FN, 0, 0), 0);
    assert_int_equal(call(0, SMCCC_ARCH_FEATURES_FN, SMCCC_ARCH_WORKAROUND_1, 0, 0),
                     PSCI_NOT_SUPPORTED);
    assert_int_equal(call(0, SMCCC_ARCH_FEATURES_FN, SMCCC_ARCH_WORKAROUND_2, 0, 0),
                     PSCI_NOT_SUPPORTED);
    assert_int_equal(call(0, SMCCC_ARCH_FEATURES_FN, SMCCC_ARCH_WORKAROUND_3, 0, 0),
                     PSCI_NOT_SUPPORTED);
    assert_int_equal(call(0, SMCCC_ARCH_FEATURES_FN, PSCI_FN_VERSION, 0, 0), PSCI_NOT_SUPPORTED);
    assert_int_equal(call(0, SMCCC_ARCH_WORKAROUND_1, 0, 0, 0), PSCI_NOT_SUPPORTED);
}

static void test_cpu_on_lifecycle(void **state)
{
    (void)state;
    assert_int_equal(call(0, PSCI_FN64_AFFINITY_INFO, 1, 0, 0), PSCI_AFF_OFF);
    assert_int_equal(call(0, PSCI_FN64_AFFINITY_INFO, 0, 0, 0), PSCI_AFF_ON);
    assert_int_equal(call(0, PSCI_FN64_CPU_ON, 1, RAM_BASE + 0x1000, 0xabcdef0123ull), 0);
    assert_int_equal(act.on_calls, 1);
    assert_int_equal(act.last_vcpu, 1);
    assert_int_equal(act.last_entry, RAM_BASE + 0x1000);
    assert_int_equal(act.last_ctx, 0xabcdef0123ull);
    assert_int_equal(call(0, PSCI_FN64_AFFINITY_INFO, 1, 0, 0), PSCI_AFF_ON_PENDING);
    assert_int_equal(call(0, PSCI_FN64_CPU_ON, 1, RAM_BASE, 0), PSCI_ON_PENDING);
    psci_cpu_running(&p, 1);
    assert_int_equal(call(0, PSCI_FN64_AFFINITY_INFO, 1, 0, 0), PSCI_AFF_ON);
    assert_int_equal(call(0, PSCI_FN64_CPU_ON, 1, RAM_BASE, 0), PSCI_ALREADY_ON);
    assert_int_equal(call(1, PSCI_FN64_CPU_ON, 0, RAM_BASE, 0), PSCI_ALREADY_ON);
    assert_int_equal(act.on_calls, 1);
    /* CPU_OFF from vCPU 1: no return, the callback stops it. */
    uint64_t regs[4] = {PSCI_FN_CPU_OFF, 0, 0, 0};
    assert_int_equal(psci_call(&p, 1, regs), PSCI_RESULT_NO_RETURN);
    assert_int_equal(act.off_calls, 1);
    assert_int_equal(act.last_vcpu, 1);
    assert_int_equal(call(0, PSCI_FN_AFFINITY_INFO, 1, 0, 0), PSCI_AFF_OFF);
    /* And it can be turned on again (SMC32 id, 32-bit arguments). */
    assert_int_equal(call(0, PSCI_FN_CPU_ON, 1, RAM_BASE + 0x2000, 7), 0);
    assert_int_equal(act.last_entry, RAM_BASE + 0x2000);
    assert_int_equal(act.last_ctx, 7);
}

static void test_cpu_on_errors(void **state)
{
    (void)state;
    /* Targets: absent vCPU, non-zero Aff1, bits outside the affinity fields. */
    assert_int_equal(call(0, PSCI_FN64_CPU_ON, 4, RAM_BASE, 0), PSCI_INVALID_PARAMETERS);
    assert_int_equal(call(0, PSCI_FN64_CPU_ON, 0x100, RAM_BASE, 0), PSCI_INVALID_PARAMETERS);
    assert_int_equal(call(0, PSCI_FN64_CPU_ON, 1ull << 32, RAM_BASE, 0), PSCI_INVALID_PARAMETERS);
    assert_int_equal(call(0, PSCI_FN64_CPU_ON, 1ull << 31 | 1, RAM_BASE, 0),
                     PSCI_INVALID_PARAMETERS);
    /* Entry points: outside RAM on either side, misaligned. */
    assert_int_equal(call(0, PSCI_FN64_CPU_ON, 1, RAM_BASE - 4, 0), PSCI_INVALID_ADDRESS);
    assert_int_equal(call(0, PSCI_FN64_CPU_ON, 1, RAM_BASE + RAM_SIZE, 0), PSCI_INVALID_ADDRESS);
    assert_int_equal(call(0, PSCI_FN64_CPU_ON, 1, RAM_BASE + 2, 0), PSCI_INVALID_ADDRESS);
    assert_int_equal(call(0, PSCI_FN64_CPU_ON, 1, 0xffffffffffffff00ull, 0), PSCI_INVALID_ADDRESS);
    assert_int_equal(act.on_calls, 0);
    /* SMC32: the upper halves are ignored, so this is entry RAM_BASE + 0x100. */
    assert_int_equal(call(0, PSCI_FN_CPU_ON, 0xffffffff00000002ull,
                          0xabcd000000000000ull | (RAM_BASE + 0x100), 0),
                     0);
    assert_int_equal(act.last_vcpu, 2);
    assert_int_equal(act.last_entry, RAM_BASE + 0x100);
    /* The VMM could not start it: INTERNAL_FAILURE, and the vCPU stays off. */
    act.fail_on = true;
    assert_int_equal(call(0, PSCI_FN64_CPU_ON, 3, RAM_BASE, 0), PSCI_INTERNAL_FAILURE);
    assert_int_equal(call(0, PSCI_FN64_AFFINITY_INFO, 3, 0, 0), PSCI_AFF_OFF);
}

static void test_affinity_info_errors(void **state)
{
    (void)state;
    assert_int_equal(call(0, PSCI_FN64_AFFINITY_INFO, 0, 1, 0), PSCI_INVALID_PARAMETERS);
    assert_int_equal(call(0, PSCI_FN64_AFFINITY_INFO, 0, 3, 0), PSCI_INVALID_PARAMETERS);
    assert_int_equal(call(0, PSCI_FN64_AFFINITY_INFO, 9, 0, 0), PSCI_INVALID_PARAMETERS);
    assert_int_equal(call(0, PSCI_FN64_AFFINITY_INFO, 1ull << 40, 0, 0), PSCI_INVALID_PARAMETERS);
    /* SMC32 ignores the upper half of the level argument. */
    assert_int_equal(call(0, PSCI_FN_AFFINITY_INFO, 0, 1ull << 32, 0), PSCI_AFF_ON);
}

static void test_suspend_and_system(void **state)
{
    uint64_t regs[4] = {PSCI_FN64_CPU_SUSPEND, 0x10000, RAM_BASE, 0};
    (void)state;
    assert_int_equal(psci_call(&p, 0, regs), PSCI_RESULT_RETURN);
    assert_int_equal(regs[0], 0);
    assert_int_equal(act.standby_calls, 1);
    /* Standby at power level 1, any entry point (unused). */
    assert_int_equal(call(1, PSCI_FN_CPU_SUSPEND, 0x01000003, 0, 0), 0);
    assert_int_equal(act.standby_calls, 2);
    assert_int_equal(act.last_vcpu, 1);
    /* Reserved bits set; powerdown with a bad entry point. */
    assert_int_equal(call(0, PSCI_FN_CPU_SUSPEND, 1u << 17, RAM_BASE, 0), PSCI_INVALID_PARAMETERS);
    assert_int_equal(call(0, PSCI_FN64_CPU_SUSPEND, 1ull << 31, RAM_BASE, 0),
                     PSCI_INVALID_PARAMETERS);
    assert_int_equal(call(0, PSCI_FN64_CPU_SUSPEND, 1ull << 32, RAM_BASE, 0),
                     PSCI_INVALID_PARAMETERS);
    assert_int_equal(call(0, PSCI_FN64_CPU_SUSPEND, 0x10000, RAM_BASE - 4, 0),
                     PSCI_INVALID_ADDRESS);
    assert_int_equal(call(0, PSCI_FN64_CPU_SUSPEND, 0x10000, RAM_BASE + 2, 0),
                     PSCI_INVALID_ADDRESS);
    assert_int_equal(act.standby_calls, 2);
    regs[0] = PSCI_FN_SYSTEM_OFF;
    assert_int_equal(psci_call(&p, 0, regs), PSCI_RESULT_NO_RETURN);
    assert_int_equal(act.sysoff_calls, 1);
    regs[0] = PSCI_FN_SYSTEM_RESET;
    assert_int_equal(psci_call(&p, 0, regs), PSCI_RESULT_NO_RETURN);
    assert_int_equal(act.reset_calls, 1);
    /* A bad caller index never reaches a callback. */
    regs[0] = PSCI_FN_SYSTEM_OFF;
    assert_int_equal(psci_call(&p, 4, regs), PSCI_RESULT_RETURN);
    assert_int_equal((int64_t)regs[0], PSCI_NOT_SUPPORTED);
    assert_int_equal(act.sysoff_calls, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test_setup(test_version_and_misc, setup),
        cmocka_unit_test_setup(test_features, setup),
        cmocka_unit_test_setup(test_smccc, setup),
        cmocka_unit_test_setup(test_cpu_on_lifecycle, setup),
        cmocka_unit_test_setup(test_cpu_on_errors, setup),
        cmocka_unit_test_setup(test_affinity_info_errors, setup),
        cmocka_unit_test_setup(test_suspend_and_system, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
