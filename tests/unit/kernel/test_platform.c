/* kernel/platform/fdt_platform.c against the device tree QEMU generates for
 * -M virt,virtualization=on,gic-version=3 (argv[1]), and edited copies of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <kernel/platform.h>
#include <libfdt.h>

static char *dtb;
static size_t dtb_size;

static void test_qemu_virt(void **state)
{
    (void)state;
    struct platform p;
    assert_null(platform_from_fdt(dtb, &p));
    assert_true(p.from_fdt);
    assert_int_equal(p.nram, 1);
    assert_int_equal(p.ram[0].base, 0x40000000);
    assert_int_equal(p.ram[0].size, 512ull << 20);
    assert_int_equal(p.uart.base, 0x09000000);
    assert_int_equal(p.uart_intid, 33);
    assert_int_equal(p.gicd.base, 0x08000000);
    assert_int_equal(p.gicr.base, 0x080a0000);
    assert_int_equal(p.timer_hyp_intid, 26);
    assert_int_equal(p.timer_virt_intid, 27);
    assert_int_equal(p.timer_phys_intid, 30);
    assert_int_equal(p.ncpus, 2);
    assert_int_equal(p.cpu_mpidr[0], 0);
    assert_int_equal(p.cpu_mpidr[1], 1);
    assert_int_equal(p.psci, PSCI_SMC);
    assert_int_equal(p.dtb_size, fdt_totalsize(dtb));
    assert_string_equal(p.model, "linux,dummy-virt");
}

/* Copies the tree, deletes the first node matching compat, parses it. */
static const char *parse_without(const char *compat)
{
    static char buf[1 << 20];
    assert_int_equal(fdt_open_into(dtb, buf, sizeof(buf)), 0);
    int node = fdt_node_offset_by_compatible(buf, -1, compat);
    assert_true(node >= 0);
    assert_int_equal(fdt_del_node(buf, node), 0);
    struct platform p;
    return platform_from_fdt(buf, &p);
}

static void test_missing_devices(void **state)
{
    (void)state;
    assert_string_equal(parse_without("arm,gic-v3"),
                        "no GICv3 (arm,gic-v3) interrupt controller found");
    assert_string_equal(parse_without("arm,armv8-timer"),
                        "no generic timer (arm,armv8-timer) found");
    assert_string_equal(parse_without("arm,pl011"), "no PL011 console (arm,pl011) found");
}

static void test_not_a_tree(void **state)
{
    (void)state;
    static char junk[256];
    memset(junk, 0xab, sizeof(junk));
    struct platform p;
    assert_string_equal(platform_from_fdt(junk, &p), "not a valid flattened device tree");
    assert_false(p.from_fdt);
}

static void test_fallback(void **state)
{
    (void)state;
    struct platform p;
    platform_fallback(&p);
    assert_false(p.from_fdt);
    assert_int_equal(p.uart.base, 0x09000000);
    assert_int_equal(p.gicd.base, 0x08000000);
    assert_int_equal(p.timer_hyp_intid, 26);
    assert_int_equal(p.nram, 1);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s QEMU-VIRT.dtb\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        perror(argv[1]);
        return 2;
    }
    dtb = malloc(1 << 20);
    dtb_size = fread(dtb, 1, 1 << 20, f);
    fclose(f);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_virt),
        cmocka_unit_test(test_missing_devices),
        cmocka_unit_test(test_not_a_tree),
        cmocka_unit_test(test_fallback),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(dtb);
    return rc;
}
