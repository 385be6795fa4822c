/* Channel doorbell device: register layout, doorbell rings (with and without
 * can-notify, a failing ring), bad accesses, and the peer's signal arriving
 * at the vGIC as an edge on the channel's SPI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <vmm/channel.h>
#include <vmm/vgic.h>

static unsigned rings;
static unsigned ring_index;
static bool ring_ok;

static bool ring(void *ctx, unsigned index)
{
    assert_ptr_equal(ctx, &rings);
    ring_index = index;
    rings++;
    return ring_ok;
}

static unsigned edges, level_changes;
static bool level;

static void line(void *ctx, uint32_t intid, bool lv)
{
    (void)ctx;
    assert_int_equal(intid, 80);
    if (lv && !level) {
        edges++;
    }
    level = lv;
    level_changes++;
}

static struct channel ch;

static uint32_t rd(uint64_t off)
{
    uint64_t v = 0xdeadbeef;
    assert_true(channel_mmio(&ch, off, 4, false, &v));
    return (uint32_t)v;
}

static void wr(uint64_t off, uint32_t val)
{
    uint64_t v = val;
    assert_true(channel_mmio(&ch, off, 4, true, &v));
}

static int setup(void **state)
{
    static const struct irq_line irq = {line, NULL, 80};
    (void)state;
    rings = 0;
    ring_index = 99;
    ring_ok = true;
    edges = 0;
    level_changes = 0;
    level = false;
    channel_init(&ch, 3, true, true, &irq, ring, &rings);
    return 0;
}

static void test_registers(void **state)
{
    (void)state;
    assert_int_equal(rd(CHANNEL_REG_MAGIC), 0x4348414e);
    assert_int_equal(rd(CHANNEL_REG_VERSION), 1);
    assert_int_equal(rd(CHANNEL_REG_FLAGS), CHANNEL_FLAG_CAN_NOTIFY | CHANNEL_FLAG_WRITABLE);
    assert_int_equal(rd(CHANNEL_REG_DOORBELL), 0);
    assert_int_equal(rd(CHANNEL_REG_RX_COUNT), 0);
    assert_int_equal(rd(CHANNEL_REG_TX_COUNT), 0);
    assert_int_equal(rd(0x018), 0); /* unassigned: RAZ */
    assert_int_equal(rd(0xffc), 0);
    /* Read-only and unassigned registers ignore writes and ring nothing. */
    wr(CHANNEL_REG_FLAGS, 0);
    wr(CHANNEL_REG_RX_COUNT, 5);
    wr(CHANNEL_REG_TX_COUNT, 5);
    wr(CHANNEL_REG_MAGIC, 0);
    wr(0x800, 1);
    assert_int_equal(rd(CHANNEL_REG_FLAGS), CHANNEL_FLAG_CAN_NOTIFY | CHANNEL_FLAG_WRITABLE);
    assert_int_equal(rd(CHANNEL_REG_RX_COUNT), 0);
    assert_int_equal(rd(CHANNEL_REG_TX_COUNT), 0);
    assert_int_equal(rd(CHANNEL_REG_MAGIC), CHANNEL_MAGIC);
    assert_int_equal(rings, 0);
}

static void test_doorbell(void **state)
{
    (void)state;
    wr(CHANNEL_REG_DOORBELL, 0); /* any value rings */
    wr(CHANNEL_REG_DOORBELL, 0xffffffff);
    assert_int_equal(rings, 2);
    assert_int_equal(ring_index, 3);
    assert_int_equal(rd(CHANNEL_REG_TX_COUNT), 2);
    /* A ring the VMM could not deliver is not counted. */
    ring_ok = false;
    wr(CHANNEL_REG_DOORBELL, 1);
    assert_int_equal(rings, 3);
    assert_int_equal(rd(CHANNEL_REG_TX_COUNT), 2);
    /* Ringing never interrupts the ringing guest itself. */
    assert_int_equal(level_changes, 0);
}

static void test_doorbell_without_can_notify(void **state)
{
    static const struct irq_line irq = {line, NULL, 80};
    (void)state;
    channel_init(&ch, 0, false, false, &irq, ring, &rings);
    assert_int_equal(rd(CHANNEL_REG_FLAGS), 0);
    wr(CHANNEL_REG_DOORBELL, 1);
    assert_int_equal(rings, 0);
    assert_int_equal(rd(CHANNEL_REG_TX_COUNT), 0);
    /* The peer may still ring this side. */
    channel_peer_signal(&ch);
    assert_int_equal(edges, 1);
    assert_int_equal(rd(CHANNEL_REG_RX_COUNT), 1);
}

static void test_bad_access(void **state)
{
    uint64_t v = 0;
    (void)state;
    assert_false(channel_mmio(&ch, 0, 1, false, &v));
    assert_false(channel_mmio(&ch, 0, 2, true, &v));
    assert_false(channel_mmio(&ch, 0, 8, false, &v));
    assert_false(channel_mmio(&ch, 2, 4, false, &v));
    assert_false(channel_mmio(&ch, 0x1000, 4, false, &v));
    v = 1;
    assert_false(channel_mmio(&ch, 1, 4, true, &v));
    assert_int_equal(rings, 0);
}

/* The peer's signal is an edge: it leaves the SPI pending in the vGIC once,
 * with nothing asserted afterwards. */
static void test_peer_signal_reaches_vgic(void **state)
{
    static struct vgic g;
    const struct irq_line irq = {vgic_irq_line_set, &g, 80};
    uint64_t v;
    struct vgic_lr lr;
    (void)state;
    assert_true(vgic_init(&g, 1, 64));
    channel_init(&ch, 1, true, true, &irq, ring, &rings);
    /* The guest driver: Group 1, edge (ICFGR), enabled, distributor on. */
    v = GICD_CTLR_ENABLE_G1 | GICD_CTLR_ARE;
    assert_true(vgic_dist_mmio(&g, 0x0000, 4, true, &v));
    v = 1u << (80 % 32);
    assert_true(vgic_dist_mmio(&g, 0x0080 + 4 * (80 / 32), 4, true, &v)); /* IGROUPR */
    v = 2u << (2 * (80 % 16));
    assert_true(vgic_dist_mmio(&g, 0x0c00 + 4 * (80 / 16), 4, true, &v)); /* ICFGR: edge */
    v = 1u << (80 % 32);
    assert_true(vgic_dist_mmio(&g, 0x0100 + 4 * (80 / 32), 4, true, &v)); /* ISENABLER */
    assert_false(vgic_next_for_cpu(&g, 0, &lr));
    channel_peer_signal(&ch);
    assert_true(vgic_next_for_cpu(&g, 0, &lr));
    assert_int_equal(lr.virt_intid, 80);
    assert_false(lr.hw);
    assert_false(g.spi[80 - 32].flags & VGIC_IRQ_LEVEL); /* the line went down again */
    assert_true(vgic_eoi(&g, 0, 80));
    assert_false(vgic_next_for_cpu(&g, 0, &lr)); /* one edge, one delivery */
    /* Two rings before the guest takes the first: both counted, the edge
     * while listed is remembered. */
    channel_peer_signal(&ch);
    assert_true(vgic_next_for_cpu(&g, 0, &lr));
    channel_peer_signal(&ch);
    assert_true(vgic_eoi(&g, 0, 80));
    assert_true(vgic_next_for_cpu(&g, 0, &lr));
    assert_int_equal(rd(CHANNEL_REG_RX_COUNT), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_registers, setup),
        cmocka_unit_test_setup(test_doorbell, setup),
        cmocka_unit_test_setup(test_doorbell_without_can_notify, setup),
        cmocka_unit_test_setup(test_bad_access, setup),
        cmocka_unit_test_setup(test_peer_signal_reaches_vgic, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
