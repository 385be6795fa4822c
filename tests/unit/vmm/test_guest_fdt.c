/* Guest device tree: parse the generated tree back with libfdt and check
 * every node and property, refuse bad configurations, report a short buffer,
 * and round-trip through `dtc -I dtb -O dts` without warnings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <libfdt.h>

#include <vmm/guest_fdt.h>
#include <vmm/vgic.h>

static uint8_t dtb[16384];

static const struct guest_fdt_virtio virtio[2] = {
    {0x0a000000, 0x200, 48},
    {0x0a000200, 0x200, 49},
};

static const struct guest_fdt_passthrough pt[1] = {
    {"ethernet", "vendor,eth", 0x09100000, 0x10000, {{70, GUEST_FDT_IRQ_LEVEL_HIGH}, {71, 1}}, 2},
};

static const struct guest_fdt_channel chans[2] = {
    {"ring0", 0x70000000, 0x10000, 0x0b000000, 80, true, true},
    {"log", 0x70010000, 0x1000, 0x0b001000, 81, false, false},
};

static struct guest_fdt_config base_cfg(void)
{
    struct guest_fdt_config c = {
        .model = "linux-a",
        .ram_base = 0x40000000,
        .ram_size = 0x20000000,
        .nr_vcpus = 4,
        .gicd_base = 0x08000000,
        .gicr_base = 0x080a0000,
        .uart_base = 0x09000000,
        .uart_intid = 33,
        .virtio = virtio,
        .nr_virtio = 2,
        .passthrough = pt,
        .nr_passthrough = 1,
        .channels = chans,
        .nr_channels = 2,
        .bootargs = "console=ttyAMA0 earlycon root=/dev/vda",
        .initrd_start = 0x48000000,
        .initrd_end = 0x48100000,
    };
    return c;
}

static const void *prop(const char *path, const char *name, int *len)
{
    int node = fdt_path_offset(dtb, path);
    const void *p;
    if (node < 0) {
        fail_msg("no node %s", path);
    }
    p = fdt_getprop(dtb, node, name, len);
    if (p == NULL) {
        fail_msg("no property %s in %s", name, path);
    }
    return p;
}

static uint32_t cell(const void *p, int i)
{
    return fdt32_to_cpu(((const fdt32_t *)p)[i]);
}

static uint64_t u64(const void *p, int i)
{
    return ((uint64_t)cell(p, 2 * i) << 32) | cell(p, 2 * i + 1);
}

static void assert_strs(const char *path, const char *name, const char *expect, int expect_len)
{
    int len;
    const void *p = prop(path, name, &len);
    assert_int_equal(len, expect_len);
    assert_memory_equal(p, expect, (size_t)expect_len);
}

#define STRS(path, name, lit) assert_strs(path, name, lit, (int)sizeof(lit))

static void test_contents(void **state)
{
    struct guest_fdt_config c = base_cfg();
    const void *p;
    int len;
    (void)state;
    assert_int_equal(guest_fdt_build(&c, dtb, sizeof(dtb)), 0);
    assert_int_equal(fdt_check_header(dtb), 0);
    assert_true(fdt_totalsize(dtb) <= sizeof(dtb));

    STRS("/", "model", "linux-a");
    assert_int_equal(cell(prop("/", "#address-cells", &len), 0), 2);
    assert_int_equal(cell(prop("/", "#size-cells", &len), 0), 2);
    assert_int_equal(cell(prop("/", "interrupt-parent", &len), 0), GUEST_FDT_PHANDLE_GIC);

    STRS("/chosen", "bootargs", "console=ttyAMA0 earlycon root=/dev/vda");
    STRS("/chosen", "stdout-path", "/pl011@9000000");
    STRS("/aliases", "serial0", "/pl011@9000000");
    p = prop("/chosen", "linux,initrd-start", &len);
    assert_int_equal(len, 8);
    assert_int_equal(u64(p, 0), 0x48000000);
    p = prop("/chosen", "linux,initrd-end", &len);
    assert_int_equal(u64(p, 0), 0x48100000);

    STRS("/memory@40000000", "device_type", "memory");
    p = prop("/memory@40000000", "reg", &len);
    assert_int_equal(len, 16);
    assert_int_equal(u64(p, 0), 0x40000000);
    assert_int_equal(u64(p, 1), 0x20000000);

    assert_int_equal(cell(prop("/cpus", "#address-cells", &len), 0), 1);
    assert_int_equal(cell(prop("/cpus", "#size-cells", &len), 0), 0);
    for (unsigned i = 0; i < 4; i++) {
        char path[32];
        snprintf(path, sizeof(path), "/cpus/cpu@%x", i);
        STRS(path, "device_type", "cpu");
        STRS(path, "enable-method", "psci");
        STRS(path, "compatible", "arm,armv8");
        p = prop(path, "reg", &len);
        assert_int_equal(len, 4);
        assert_int_equal(cell(p, 0), vmm_vcpu_mpidr(i));
    }
    assert_true(fdt_path_offset(dtb, "/cpus/cpu@4") < 0);

    STRS("/psci", "compatible", "arm,psci-1.0\0arm,psci-0.2");
    STRS("/psci", "method", "hvc");

    const char *gic = "/interrupt-controller@8000000";
    STRS(gic, "compatible", "arm,gic-v3");
    assert_int_equal(cell(prop(gic, "#interrupt-cells", &len), 0), 3);
    prop(gic, "interrupt-controller", &len);
    assert_int_equal(len, 0);
    p = prop(gic, "reg", &len);
    assert_int_equal(len, 32);
    assert_int_equal(u64(p, 0), 0x08000000);
    assert_int_equal(u64(p, 1), VGIC_DIST_SIZE);
    assert_int_equal(u64(p, 2), 0x080a0000);
    assert_int_equal(u64(p, 3), 4 * VGIC_REDIST_SIZE);
    assert_int_equal(cell(prop(gic, "phandle", &len), 0), GUEST_FDT_PHANDLE_GIC);
    assert_int_equal(fdt_node_offset_by_phandle(dtb, GUEST_FDT_PHANDLE_GIC),
                     fdt_path_offset(dtb, gic));

    STRS("/timer", "compatible", "arm,armv8-timer");
    p = prop("/timer", "interrupts", &len);
    assert_int_equal(len, 48);
    static const uint32_t timer[12] = {1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4};
    for (int i = 0; i < 12; i++) {
        assert_int_equal(cell(p, i), timer[i]);
    }

    STRS("/pl011@9000000", "compatible", "arm,pl011\0arm,primecell");
    STRS("/pl011@9000000", "clock-names", "uartclk\0apb_pclk");
    p = prop("/pl011@9000000", "reg", &len);
    assert_int_equal(u64(p, 0), 0x09000000);
    assert_int_equal(u64(p, 1), 0x1000);
    p = prop("/pl011@9000000", "interrupts", &len);
    assert_int_equal(len, 12);
    assert_int_equal(cell(p, 0), 0);
    assert_int_equal(cell(p, 1), 1); /* INTID 33 = SPI 1 */
    assert_int_equal(cell(p, 2), 4);
    p = prop("/pl011@9000000", "clocks", &len);
    assert_int_equal(len, 8);
    assert_int_equal(cell(p, 0), GUEST_FDT_PHANDLE_CLK);
    int clk = fdt_node_offset_by_phandle(dtb, GUEST_FDT_PHANDLE_CLK);
    assert_true(clk >= 0);
    assert_int_equal(fdt_node_check_compatible(dtb, clk, "fixed-clock"), 0);
    assert_int_equal(cell(fdt_getprop(dtb, clk, "clock-frequency", NULL), 0), 24000000);

    for (unsigned i = 0; i < 2; i++) {
        char path[32];
        snprintf(path, sizeof(path), "/virtio@%x", (unsigned)virtio[i].base);
        STRS(path, "compatible", "virtio,mmio");
        p = prop(path, "reg", &len);
        assert_int_equal(u64(p, 0), virtio[i].base);
        assert_int_equal(u64(p, 1), 0x200);
        p = prop(path, "interrupts", &len);
        assert_int_equal(cell(p, 0), 0);
        assert_int_equal(cell(p, 1), virtio[i].intid - 32);
        assert_int_equal(cell(p, 2), 1);
        prop(path, "dma-coherent", &len);
    }

    STRS("/ethernet@9100000", "compatible", "vendor,eth");
    p = prop("/ethernet@9100000", "reg", &len);
    assert_int_equal(u64(p, 0), 0x09100000);
    assert_int_equal(u64(p, 1), 0x10000);
    p = prop("/ethernet@9100000", "interrupts", &len);
    assert_int_equal(len, 24);
    assert_int_equal(cell(p, 1), 38);
    assert_int_equal(cell(p, 2), 4);
    assert_int_equal(cell(p, 4), 39);
    assert_int_equal(cell(p, 5), 1);
}

/* The channel binding of userland/vmm/README.md, property by property. */
static void test_channels(void **state)
{
    struct guest_fdt_config c = base_cfg();
    const void *p;
    int len;
    (void)state;
    assert_int_equal(guest_fdt_build(&c, dtb, sizeof(dtb)), 0);
    STRS("/channel@70000000", "compatible", "bulkhead,channel");
    STRS("/channel@70000000", "reg-names", "shm\0doorbell");
    STRS("/channel@70000000", "label", "ring0");
    p = prop("/channel@70000000", "reg", &len);
    assert_int_equal(len, 32);
    assert_int_equal(u64(p, 0), 0x70000000);
    assert_int_equal(u64(p, 1), 0x10000);
    assert_int_equal(u64(p, 2), 0x0b000000);
    assert_int_equal(u64(p, 3), 0x1000);
    p = prop("/channel@70000000", "interrupts", &len);
    assert_int_equal(len, 12);
    assert_int_equal(cell(p, 0), 0);
    assert_int_equal(cell(p, 1), 80 - 32);
    assert_int_equal(cell(p, 2), GUEST_FDT_IRQ_EDGE_RISING);
    prop("/channel@70000000", "bulkhead,writable", &len);
    assert_int_equal(len, 0);
    prop("/channel@70000000", "bulkhead,can-notify", &len);
    assert_int_equal(len, 0);
    /* A read-only channel that may not ring: neither flag property. */
    int ro = fdt_path_offset(dtb, "/channel@70010000");
    assert_true(ro >= 0);
    STRS("/channel@70010000", "label", "log");
    assert_null(fdt_getprop(dtb, ro, "bulkhead,writable", &len));
    assert_null(fdt_getprop(dtb, ro, "bulkhead,can-notify", &len));
    assert_int_equal(cell(prop("/channel@70010000", "interrupts", &len), 1), 81 - 32);
    assert_int_equal(u64(prop("/channel@70010000", "reg", &len), 2), 0x0b001000);
}

/* No PL011 (a guest with only virtio-console): no node, stdout-path or alias;
 * passthrough interrupts without a range get a node without reg. */
static void test_no_uart_irq_only_passthrough(void **state)
{
    struct guest_fdt_config c = base_cfg();
    struct guest_fdt_passthrough irqs_only = {
        "passthrough-irqs", "bulkhead,passthrough", 0, 0, {{100, 4}, {101, 4}, {102, 1}}, 3};
    int len;
    (void)state;
    c.uart_base = 0;
    c.uart_intid = 0; /* ignored without a PL011 */
    c.passthrough = &irqs_only;
    assert_int_equal(guest_fdt_build(&c, dtb, sizeof(dtb)), 0);
    assert_true(fdt_path_offset(dtb, "/pl011@9000000") < 0);
    assert_true(fdt_path_offset(dtb, "/aliases") < 0);
    assert_null(fdt_getprop(dtb, fdt_path_offset(dtb, "/chosen"), "stdout-path", &len));
    int n = fdt_path_offset(dtb, "/passthrough-irqs");
    assert_true(n >= 0);
    assert_null(fdt_getprop(dtb, n, "reg", &len));
    const void *p = prop("/passthrough-irqs", "interrupts", &len);
    assert_int_equal(len, 36);
    assert_int_equal(cell(p, 1), 100 - 32);
    assert_int_equal(cell(p, 7), 102 - 32);
    assert_int_equal(cell(p, 8), 1);
}

static void test_minimal(void **state)
{
    struct guest_fdt_config c = base_cfg();
    int len;
    (void)state;
    c.nr_vcpus = 1;
    c.nr_virtio = 0;
    c.virtio = NULL;
    c.nr_passthrough = 0;
    c.bootargs = NULL;
    c.initrd_start = 0;
    c.initrd_end = 0;
    assert_int_equal(guest_fdt_build(&c, dtb, sizeof(dtb)), 0);
    int chosen = fdt_path_offset(dtb, "/chosen");
    assert_true(chosen >= 0);
    assert_null(fdt_getprop(dtb, chosen, "bootargs", &len));
    assert_null(fdt_getprop(dtb, chosen, "linux,initrd-start", &len));
    assert_true(fdt_path_offset(dtb, "/cpus/cpu@0") >= 0);
    assert_true(fdt_path_offset(dtb, "/cpus/cpu@1") < 0);
    assert_int_equal(u64(prop("/interrupt-controller@8000000", "reg", &len), 3), VGIC_REDIST_SIZE);
}

static void test_bad_config(void **state)
{
    struct guest_fdt_config c;
    struct guest_fdt_virtio bad_v = {0x0a000000, 0x200, 27}; /* a PPI */
    struct guest_fdt_passthrough bad_p = pt[0];
    (void)state;
    c = base_cfg();
    c.nr_vcpus = 0;
    assert_int_equal(guest_fdt_build(&c, dtb, sizeof(dtb)), -FDT_ERR_BADVALUE);
    c = base_cfg();
    c.nr_vcpus = VMM_MAX_VCPUS + 1;
    assert_int_equal(guest_fdt_build(&c, dtb, sizeof(dtb)), -FDT_ERR_BADVALUE);
    c = base_cfg();
    c.uart_intid = 1020;
    assert_int_equal(guest_fdt_build(&c, dtb, sizeof(dtb)), -FDT_ERR_BADVALUE);
    c = base_cfg();
    c.virtio = &bad_v;
    c.nr_virtio = 1;
    assert_int_equal(guest_fdt_build(&c, dtb, sizeof(dtb)), -FDT_ERR_BADVALUE);
    c = base_cfg();
    c.nr_virtio = GUEST_FDT_MAX_VIRTIO + 1;
    assert_int_equal(guest_fdt_build(&c, dtb, sizeof(dtb)), -FDT_ERR_BADVALUE);
    c = base_cfg();
    bad_p.irqs[1].intid = 5;
    c.passthrough = &bad_p;
    assert_int_equal(guest_fdt_build(&c, dtb, sizeof(dtb)), -FDT_ERR_BADVALUE);
    c = base_cfg();
    c.initrd_end = c.initrd_start;
    assert_int_equal(guest_fdt_build(&c, dtb, sizeof(dtb)), -FDT_ERR_BADVALUE);
    c = base_cfg();
    c.initrd_end = c.ram_base + c.ram_size + 1;
    assert_int_equal(guest_fdt_build(&c, dtb, sizeof(dtb)), -FDT_ERR_BADVALUE);
    c = base_cfg();
    c.initrd_start = c.ram_base - 0x1000;
    assert_int_equal(guest_fdt_build(&c, dtb, sizeof(dtb)), -FDT_ERR_BADVALUE);
    assert_int_equal(guest_fdt_build(NULL, dtb, sizeof(dtb)), -FDT_ERR_BADVALUE);
    struct guest_fdt_channel bad_c = chans[0];
    c = base_cfg();
    c.channels = &bad_c;
    c.nr_channels = 1;
    bad_c.name = NULL;
    assert_int_equal(guest_fdt_build(&c, dtb, sizeof(dtb)), -FDT_ERR_BADVALUE);
    bad_c = chans[0];
    bad_c.shm_size = 0;
    assert_int_equal(guest_fdt_build(&c, dtb, sizeof(dtb)), -FDT_ERR_BADVALUE);
    bad_c = chans[0];
    bad_c.intid = 27;
    assert_int_equal(guest_fdt_build(&c, dtb, sizeof(dtb)), -FDT_ERR_BADVALUE);
    c = base_cfg();
    c.nr_channels = GUEST_FDT_MAX_CHANNELS + 1;
    assert_int_equal(guest_fdt_build(&c, dtb, sizeof(dtb)), -FDT_ERR_BADVALUE);
    c = base_cfg();
    c.channels = NULL;
    assert_int_equal(guest_fdt_build(&c, dtb, sizeof(dtb)), -FDT_ERR_BADVALUE);
}

static void test_short_buffer(void **state)
{
    struct guest_fdt_config c = base_cfg();
    size_t need;
    (void)state;
    assert_int_equal(guest_fdt_build(&c, dtb, sizeof(dtb)), 0);
    need = fdt_totalsize(dtb);
    assert_int_equal(guest_fdt_build(&c, dtb, need - 1), -FDT_ERR_NOSPACE);
    assert_int_equal(guest_fdt_build(&c, dtb, 16), -FDT_ERR_NOSPACE);
    assert_int_equal(guest_fdt_build(&c, dtb, need), 0);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    static char buf[65536];
    size_t n;
    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_dtc_round_trip(void **state)
{
    struct guest_fdt_config c = base_cfg();
    char dir[] = "/tmp/vmm_fdt_XXXXXX";
    char cmd[1024];
    char dts1[65536];
    FILE *f;
    (void)state;
    assert_int_equal(guest_fdt_build(&c, dtb, sizeof(dtb)), 0);
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof(cmd), "%s/guest.dtb", dir);
    f = fopen(cmd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(dtb, 1, fdt_totalsize(dtb), f), fdt_totalsize(dtb));
    fclose(f);
    /* dtb -> dts: must succeed without a single warning. */
    snprintf(cmd, sizeof(cmd), "cd %s && dtc -I dtb -O dts -o a.dts guest.dtb 2>warn1.txt", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "%s/warn1.txt", dir);
    assert_string_equal(slurp(cmd), "");
    snprintf(cmd, sizeof(cmd), "%s/a.dts", dir);
    strcpy(dts1, slurp(cmd));
    assert_non_null(strstr(dts1, "compatible = \"arm,gic-v3\";"));
    assert_non_null(strstr(dts1, "enable-method = \"psci\";"));
    assert_non_null(strstr(dts1, "method = \"hvc\";"));
    assert_non_null(strstr(dts1, "pl011@9000000 {"));
    assert_non_null(strstr(dts1, "virtio@a000200 {"));
    assert_non_null(strstr(dts1, "channel@70000000 {"));
    assert_non_null(strstr(dts1, "compatible = \"bulkhead,channel\";"));
    /* dts -> dtb -> dts gives the same source. Decompiled sources carry
     * phandles as plain numbers, which dtc's clocks check flags when it
     * compiles them back (it wants &label references); that check only. */
    snprintf(cmd, sizeof(cmd),
             "cd %s && dtc -W no-clocks_property -I dts -O dtb -o b.dtb a.dts 2>warn2.txt && "
             "dtc -I dtb -O dts -o b.dts b.dtb 2>>warn2.txt",
             dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "%s/warn2.txt", dir);
    assert_string_equal(slurp(cmd), "");
    snprintf(cmd, sizeof(cmd), "%s/b.dts", dir);
    assert_string_equal(slurp(cmd), dts1);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contents),
        cmocka_unit_test(test_minimal),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_short_buffer),
        cmocka_unit_test(test_dtc_round_trip),
        cmocka_unit_test(test_channels),
        cmocka_unit_test(test_no_uart_irq_only_passthrough),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
