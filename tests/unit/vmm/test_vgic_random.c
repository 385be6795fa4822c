/* Randomized vGIC: random edges (SPIs, PPIs, SGIs), enables, priorities,
 * routing, list-register hand-out with at most 4 entries per vCPU, EOIs and
 * unlists. After every step: nothing is listed twice, each hand-out is the
 * most urgent deliverable interrupt of that vCPU, and a mirror of the
 * pending latches agrees with the model; at the end, with everything enabled,
 * every outstanding edge is delivered (none lost). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <vmm/vgic.h>

#define SEED   0xb0c0ffeeu
#define STEPS  50000u
#define NCPU   4u
#define NSPI   64u
#define NLR    4u
#define NINTID (VGIC_SPI_BASE + NSPI)

static struct vgic g;
static uint64_t rng = SEED;
static bool pend[NCPU][NINTID];     /* mirror of the pending latch (SPIs in [0]) */
static bool listed[NCPU][NINTID];   /* in a list register (SPIs in row 0) */
static unsigned spi_lr_cpu[NINTID]; /* which vCPU holds a listed SPI */
static unsigned nlisted[NCPU];

static uint32_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}

static unsigned owner(uint32_t intid, unsigned cpu)
{
    return intid < VGIC_SPI_BASE ? cpu : 0; /* SPIs mirrored in row 0 */
}

static void wr(bool redist, uint64_t off, unsigned size, uint64_t v)
{
    assert_true(redist ? vgic_redist_mmio(&g, off, size, true, &v)
                       : vgic_dist_mmio(&g, off, size, true, &v));
}

static const struct vgic_irq *state_of(uint32_t intid, unsigned cpu)
{
    return intid < VGIC_SPI_BASE ? &g.cpu[cpu].priv[intid] : &g.spi[intid - VGIC_SPI_BASE];
}

static bool deliverable(uint32_t intid, unsigned cpu)
{
    const struct vgic_irq *s = state_of(intid, cpu);
    uint32_t grp = (s->flags & VGIC_IRQ_GROUP1) ? GICD_CTLR_ENABLE_G1 : GICD_CTLR_ENABLE_G0;
    if (intid >= VGIC_SPI_BASE && s->target != cpu) {
        return false;
    }
    return (g.ctlr & grp) && (s->flags & VGIC_IRQ_ENABLED) && (s->flags & VGIC_IRQ_PENDING) &&
           !(s->flags & (VGIC_IRQ_ACTIVE | VGIC_IRQ_LISTED));
}

static void take(unsigned cpu)
{
    struct vgic_lr lr;
    if (nlisted[cpu] >= NLR) {
        return;
    }
    if (!vgic_next_for_cpu(&g, cpu, &lr)) {
        for (uint32_t i = 0; i < NINTID; i++) {
            assert_false(deliverable(i, cpu));
        }
        return;
    }
    assert_true(lr.virt_intid < NINTID);
    assert_false(listed[owner(lr.virt_intid, cpu)][lr.virt_intid]);
    assert_true(pend[owner(lr.virt_intid, cpu)][lr.virt_intid]);
    /* Most urgent: nothing still deliverable beats it. */
    for (uint32_t i = 0; i < NINTID; i++) {
        if (deliverable(i, cpu)) {
            const struct vgic_irq *s = state_of(i, cpu);
            assert_true(s->priority > lr.priority ||
                        (s->priority == lr.priority && i > lr.virt_intid));
        }
    }
    listed[owner(lr.virt_intid, cpu)][lr.virt_intid] = true;
    spi_lr_cpu[lr.virt_intid] = cpu;
    pend[owner(lr.virt_intid, cpu)][lr.virt_intid] = false;
    nlisted[cpu]++;
}

static void retire(unsigned cpu, bool eoi)
{
    for (uint32_t i = 0; i < NINTID; i++) {
        unsigned o = owner(i, cpu);
        if (!listed[o][i]) {
            continue;
        }
        if (i >= VGIC_SPI_BASE && spi_lr_cpu[i] != cpu) {
            /* Another vCPU's entry: this vCPU cannot retire it. */
            assert_false(vgic_eoi(&g, cpu, i));
            continue;
        }
        assert_true(eoi ? vgic_eoi(&g, cpu, i) : vgic_unlist(&g, cpu, i, true));
        listed[o][i] = false;
        if (!eoi) {
            pend[o][i] = true; /* given back unacknowledged: pending again */
        }
        nlisted[cpu]--;
        return;
    }
}

static void test_random(void **state)
{
    unsigned delivered = 0;
    (void)state;
    printf("vgic random: seed 0x%x, %u steps\n", SEED, STEPS);
    assert_true(vgic_init(&g, NCPU, NSPI));
    wr(false, 0, 4, GICD_CTLR_ENABLE_G1);
    for (unsigned step = 0; step < STEPS; step++) {
        unsigned cpu = rnd() % NCPU;
        uint32_t intid = rnd() % NINTID;
        switch (rnd() % 12) {
        case 0:
        case 1:
        case 2:
            assert_true(vgic_set_pending(&g, intid, cpu));
            pend[owner(intid, cpu)][intid] = true;
            break;
        case 3: {
            uint32_t targets =
                vgic_sgi1r_write(&g, cpu, ((uint64_t)(rnd() % 16) << 24) | (rnd() & 0xf));
            (void)targets;
            /* Mirror: recompute from the model's latches for SGIs. */
            for (unsigned c = 0; c < NCPU; c++) {
                for (uint32_t i = 0; i < VGIC_NR_SGIS; i++) {
                    pend[c][i] = (g.cpu[c].priv[i].flags & VGIC_IRQ_PENDING) != 0;
                }
            }
            break;
        }
        case 4: {
            bool redist = intid < VGIC_SPI_BASE;
            uint64_t base = redist ? cpu * VGIC_REDIST_SIZE + 0x10000u : 0;
            uint32_t bit = 1u << (intid % 32);
            wr(redist, base + ((rnd() % 4) ? 0x100u : 0x180u) + 4u * (intid / 32), 4, bit);
            wr(redist, base + 0x80u + 4u * (intid / 32), 4, (rnd() % 8) ? 0xffffffffu : 0);
            break;
        }
        case 5: {
            bool redist = intid < VGIC_SPI_BASE;
            uint64_t base = redist ? cpu * VGIC_REDIST_SIZE + 0x10000u : 0;
            wr(redist, base + 0x400u + intid, 1, rnd() & 0xff);
            break;
        }
        case 6:
            if (intid >= VGIC_SPI_BASE) {
                wr(false, 0x6000u + 8u * intid, 8, rnd() % (NCPU + 1));
            }
            break;
        case 7:
        case 8:
        case 9:
            take(cpu);
            break;
        case 10:
            retire(cpu, true);
            break;
        default:
            retire(cpu, rnd() % 2);
            break;
        }
        /* The mirror agrees with the model's latches. */
        for (unsigned c = 0; c < NCPU; c++) {
            for (uint32_t i = 0; i < NINTID; i++) {
                if (i >= VGIC_SPI_BASE && c != 0) {
                    break;
                }
                assert_int_equal(pend[c][i], (state_of(i, c)->flags & VGIC_IRQ_PENDING) != 0);
            }
        }
    }
    /* Drain: everything enabled, routed to vCPU 0 or its own, EOI at once. */
    wr(false, 0, 4, GICD_CTLR_ENABLE_G0 | GICD_CTLR_ENABLE_G1);
    for (unsigned c = 0; c < NCPU; c++) {
        wr(true, c * VGIC_REDIST_SIZE + 0x10000u + 0x100u, 4, 0xffffffff);
        while (nlisted[c] > 0) {
            retire(c, true);
        }
    }
    for (uint32_t r = 1; r <= NSPI / 32; r++) {
        wr(false, 0x100u + 4u * r, 4, 0xffffffff);
    }
    for (uint32_t i = VGIC_SPI_BASE; i < NINTID; i++) {
        wr(false, 0x6000u + 8u * i, 8, 0);
    }
    for (unsigned c = 0; c < NCPU; c++) {
        struct vgic_lr lr;
        while (vgic_next_for_cpu(&g, c, &lr)) {
            assert_true(pend[owner(lr.virt_intid, c)][lr.virt_intid]);
            pend[owner(lr.virt_intid, c)][lr.virt_intid] = false;
            assert_true(vgic_eoi(&g, c, lr.virt_intid));
            delivered++;
        }
    }
    for (unsigned c = 0; c < NCPU; c++) {
        for (uint32_t i = 0; i < NINTID; i++) {
            if (pend[c][i] && !(state_of(i, c)->flags & VGIC_IRQ_ACTIVE)) {
                fail_msg("lost: vCPU %u INTID %u", c, i);
            }
        }
    }
    printf("vgic random: %u drained at the end\n", delivered);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
