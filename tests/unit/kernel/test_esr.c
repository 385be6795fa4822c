/* kernel/arch/aarch64/esr.c: syndrome decoding used by panics and fault reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arch/esr.h>

static void test_class_names(void **state)
{
    (void)state;
    assert_string_equal(esr_class_name(0x15), "SVC from AArch64");
    assert_string_equal(esr_class_name(0x24), "data abort from a lower EL");
    assert_string_equal(esr_class_name(0x25), "data abort at the current EL");
    assert_string_equal(esr_class_name(0x00), "unknown reason (undefined instruction)");
    assert_string_equal(esr_class_name(0x3f), "unallocated exception class");
}

static void test_data_abort(void **state)
{
    (void)state;
    char buf[200];
    /* EC 0x24, IL, WnR=1, DFSC = translation fault level 3 (0b000111). */
    uint64_t esr = (0x24ull << 26) | (1ull << 25) | (1u << 6) | 0x07u;
    esr_describe(esr, buf, sizeof(buf));
    assert_non_null(strstr(buf, "data abort from a lower EL: translation fault, level 3, write"));
    /* Permission fault level 2, read. */
    esr = (0x25ull << 26) | 0x0eu;
    esr_describe(esr, buf, sizeof(buf));
    assert_non_null(strstr(buf, "at the current EL: permission fault, level 2, read"));
    /* Alignment fault has no level. */
    esr = (0x24ull << 26) | 0x21u;
    esr_describe(esr, buf, sizeof(buf));
    assert_non_null(strstr(buf, "alignment fault, read"));
    assert_null(strstr(buf, "level"));
    /* Instruction abort: access flag fault level 1, a fetch. */
    esr = (0x20ull << 26) | 0x09u;
    esr_describe(esr, buf, sizeof(buf));
    assert_non_null(
        strstr(buf, "instruction abort from a lower EL: access flag fault, level 1, fetch"));
}

static void test_sysreg_and_svc(void **state)
{
    (void)state;
    char buf[200];
    /* MRS x3, S3_0_C1_C0_0 (SCTLR_EL1): Op0=3 Op2=0 Op1=0 CRn=1 Rt=3 CRm=0 read. */
    uint64_t iss = (3u << 20) | (0u << 17) | (0u << 14) | (1u << 10) | (3u << 5) | (0u << 1) | 1u;
    esr_describe((0x18ull << 26) | iss, buf, sizeof(buf));
    assert_non_null(strstr(buf, "read S3_0_C1_C0_0, x3"));
    esr_describe((0x15ull << 26) | 0x1234u, buf, sizeof(buf));
    assert_non_null(strstr(buf, "SVC from AArch64 #4660"));
}

static void test_spsr(void **state)
{
    (void)state;
    char buf[100];
    spsr_describe(0x3c9, buf, sizeof(buf)); /* EL2h, DAIF all set */
    assert_string_equal(buf, "mode EL2h, DAIF DAIF, NZCV ----");
    spsr_describe(0x60000000, buf, sizeof(buf)); /* EL0t, Z and C */
    assert_string_equal(buf, "mode EL0t, DAIF ----, NZCV -ZC-");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_class_names),
        cmocka_unit_test(test_data_abort),
        cmocka_unit_test(test_sysreg_and_svc),
        cmocka_unit_test(test_spsr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
