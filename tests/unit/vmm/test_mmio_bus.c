/* MMIO dispatch and data-abort syndrome decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <vmm/mmio_bus.h>
#include <vmm/pl011.h>
#include <vmm/vgic.h>

#define EC_DABT (0x24ull << 26)
#define IL      (1ull << 25)
#define ISV     (1ull << 24)
#define SAS(n)  ((uint64_t)(n) << 22)
#define SSE     (1ull << 21)
#define SRT(n)  ((uint64_t)(n) << 16)
#define SF      (1ull << 15)
#define WNR     (1ull << 6)

static void test_decode(void **state)
{
    struct mmio_dabt d;
    (void)state;
    /* STR W1, [X0] */
    assert_true(mmio_dabt_decode(EC_DABT | IL | ISV | SAS(2) | SRT(1) | WNR, &d));
    assert_int_equal(d.size, 4);
    assert_true(d.write);
    assert_false(d.sign_extend);
    assert_false(d.sf);
    assert_int_equal(d.reg, 1);
    /* LDRSB X3, [X0] */
    assert_true(mmio_dabt_decode(EC_DABT | IL | ISV | SAS(0) | SSE | SRT(3) | SF, &d));
    assert_int_equal(d.size, 1);
    assert_false(d.write);
    assert_true(d.sign_extend);
    assert_true(d.sf);
    assert_int_equal(d.reg, 3);
    /* LDR X30 (64-bit) */
    assert_true(mmio_dabt_decode(EC_DABT | ISV | SAS(3) | SRT(30) | SF, &d));
    assert_int_equal(d.size, 8);
    assert_int_equal(d.reg, 30);
    /* No ISV (e.g. LDP, post-index): cannot be emulated. */
    assert_false(mmio_dabt_decode(EC_DABT | IL | SAS(2) | SRT(1), &d));
    /* Not a lower-EL data abort (0x25 is from EL2 itself, 0x20 an instruction abort). */
    assert_false(mmio_dabt_decode((0x25ull << 26) | ISV, &d));
    assert_false(mmio_dabt_decode((0x20ull << 26) | ISV, &d));
}

static void test_load_value(void **state)
{
    struct mmio_dabt d = {2, false, true, false, 2};
    (void)state;
    assert_int_equal(mmio_dabt_load_value(&d, 0x12348001), 0xffff8001ull); /* LDRSH Wn */
    d.sf = true;
    assert_int_equal(mmio_dabt_load_value(&d, 0x8001), 0xffffffffffff8001ull); /* LDRSH Xn */
    assert_int_equal(mmio_dabt_load_value(&d, 0x7001), 0x7001);
    d.sign_extend = false;
    assert_int_equal(mmio_dabt_load_value(&d, 0xffff8001), 0x8001); /* LDRH */
    d.size = 1;
    assert_int_equal(mmio_dabt_load_value(&d, 0x1ff), 0xff);
    d.size = 8;
    assert_int_equal(mmio_dabt_load_value(&d, 0xffffffff00000001ull), 0xffffffff00000001ull);
    d.sf = false;
    d.size = 4;
    assert_int_equal(mmio_dabt_load_value(&d, 0xffffffff00000001ull), 1);
}

static void test_bus(void **state)
{
    static struct mmio_bus bus;
    static struct pl011 uart;
    static struct vgic gic;
    uint64_t v = 0;
    (void)state;
    mmio_bus_init(&bus);
    pl011_init(&uart, "g", NULL, NULL, NULL);
    assert_true(vgic_init(&gic, 2, 32));
    assert_true(mmio_bus_add(&bus, 0x09000000, PL011_SIZE, pl011_mmio, &uart));
    assert_true(mmio_bus_add(&bus, 0x08000000, VGIC_DIST_SIZE, vgic_dist_mmio, &gic));
    assert_true(mmio_bus_add(&bus, 0x080a0000, 2 * VGIC_REDIST_SIZE, vgic_redist_mmio, &gic));
    /* Overlaps, empty and wrapping windows are refused. */
    assert_false(mmio_bus_add(&bus, 0x09000800, 0x1000, pl011_mmio, &uart));
    assert_false(mmio_bus_add(&bus, 0x08fff000, 0x2000, pl011_mmio, &uart));
    assert_false(mmio_bus_add(&bus, 0x0a000000, 0, pl011_mmio, &uart));
    assert_false(mmio_bus_add(&bus, 0xfffffffffffff000ull, 0x2000, pl011_mmio, &uart));
    assert_false(mmio_bus_add(&bus, 0x0a000000, 0x200, NULL, &uart));
    assert_true(mmio_bus_access(&bus, 0x09000fe0, 4, false, &v));
    assert_int_equal(v, 0x11);
    assert_true(mmio_bus_access(&bus, 0x0800ffe8, 4, false, &v));
    assert_int_equal((v >> 4) & 0xf, 3);
    assert_true(mmio_bus_access(&bus, 0x080a0000 + VGIC_REDIST_SIZE + 8, 8, false, &v));
    assert_int_equal(v >> 32, 1); /* vCPU 1's GICR_TYPER affinity */
    /* Unclaimed addresses, accesses leaving the window, refused sizes. */
    assert_false(mmio_bus_access(&bus, 0x09001000, 4, false, &v));
    assert_false(mmio_bus_access(&bus, 0x07ffffff, 1, false, &v));
    assert_false(mmio_bus_access(&bus, 0x0800fffc, 8, false, &v));
    assert_false(mmio_bus_access(&bus, 0x09000000, 8, false, &v));
    /* Wiring: the UART's interrupt line drives SPI 33 of the vGIC. */
    struct irq_line line = {vgic_irq_line_set, &gic, 33};
    struct vgic_lr lr;
    pl011_init(&uart, "g", NULL, NULL, &line);
    v = GICD_CTLR_ENABLE_G1;
    assert_true(mmio_bus_access(&bus, 0x08000000, 4, true, &v));
    v = 0x2; /* group 1 and enable for INTID 33 */
    assert_true(mmio_bus_access(&bus, 0x08000084, 4, true, &v));
    assert_true(mmio_bus_access(&bus, 0x08000104, 4, true, &v));
    v = 1u << 4; /* UARTIMSC.RXIM */
    assert_true(mmio_bus_access(&bus, 0x09000038, 4, true, &v));
    v = 0x301; /* UARTCR: UARTEN | TXE | RXE, or the receiver takes nothing */
    assert_true(mmio_bus_access(&bus, 0x09000030, 4, true, &v));
    assert_false(vgic_has_pending(&gic, 0));
    assert_int_equal(pl011_rx_push(&uart, (const uint8_t *)"k", 1), 1);
    assert_true(vgic_next_for_cpu(&gic, 0, &lr));
    assert_int_equal(lr.virt_intid, 33);
    assert_true(mmio_bus_access(&bus, 0x09000000, 4, false, &v)); /* guest reads 'k' */
    assert_int_equal(v, 'k');
    assert_true(vgic_eoi(&gic, 0, 33));
    assert_false(vgic_has_pending(&gic, 0)); /* the line dropped with the FIFO */
    for (unsigned i = 0; i < MMIO_BUS_MAX_REGIONS - 3; i++) {
        assert_true(mmio_bus_add(&bus, 0x10000000 + 0x1000ull * i, 0x1000, pl011_mmio, &uart));
    }
    assert_false(mmio_bus_add(&bus, 0x20000000, 0x1000, pl011_mmio, &uart));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_load_value),
        cmocka_unit_test(test_bus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
