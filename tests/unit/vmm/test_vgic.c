/* vGICv3 model: register semantics bit by bit, SGI targeting, list-register
 * hand-out in priority order, EOI and level re-assertion, bad accesses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <vmm/vgic.h>

#define NR_CPUS  4u
#define NR_SPIS  64u
#define SGI(cpu) ((uint64_t)(cpu)*VGIC_REDIST_SIZE + 0x10000u)

static struct vgic g;

static uint64_t rd(uint64_t off, unsigned size)
{
    uint64_t v = 0xdeadbeefdeadbeefull;
    assert_true(vgic_dist_mmio(&g, off, size, false, &v));
    return v;
}

static void wr(uint64_t off, unsigned size, uint64_t v)
{
    assert_true(vgic_dist_mmio(&g, off, size, true, &v));
}

static uint64_t rrd(uint64_t off, unsigned size)
{
    uint64_t v = 0xdeadbeefdeadbeefull;
    assert_true(vgic_redist_mmio(&g, off, size, false, &v));
    return v;
}

static void rwr(uint64_t off, unsigned size, uint64_t v)
{
    assert_true(vgic_redist_mmio(&g, off, size, true, &v));
}

static int setup(void **state)
{
    (void)state;
    assert_true(vgic_init(&g, NR_CPUS, NR_SPIS));
    return 0;
}

static void test_init_limits(void **state)
{
    (void)state;
    assert_false(vgic_init(&g, 0, 32));
    assert_false(vgic_init(&g, VMM_MAX_VCPUS + 1, 32));
    assert_false(vgic_init(&g, 1, 33));
    assert_false(vgic_init(&g, 1, VGIC_NR_SPIS + 32));
    assert_true(vgic_init(&g, VMM_MAX_VCPUS, VGIC_NR_SPIS));
}

static void test_dist_id_regs(void **state)
{
    uint32_t typer;
    (void)state;
    typer = (uint32_t)rd(0x0004, 4);
    assert_int_equal(typer & 0x1f, (NR_SPIS + 32) / 32 - 1); /* ITLinesNumber */
    assert_int_equal((typer >> 19) & 0x1f, 9);               /* IDbits: 10 bits */
    assert_int_equal((typer >> 25) & 1, 1);                  /* No1N */
    assert_int_equal((typer >> 17) & 1, 0);                  /* LPIS */
    assert_int_equal((typer >> 16) & 1, 0);                  /* MBIS */
    assert_int_equal((typer >> 24) & 1, 0);                  /* A3V */
    assert_int_equal((typer >> 10) & 1, 0);                  /* SecurityExtn */
    assert_int_equal(rd(0x0008, 4), VGIC_IIDR);
    assert_int_equal((rd(0xffe8, 4) >> 4) & 0xf, 3); /* PIDR2.ArchRev = GICv3 */
    assert_int_equal(rd(0x000c, 4), 0);              /* TYPER2 */
    wr(0x0004, 4, 0xffffffff);                       /* read-only */
    assert_int_equal(rd(0x0004, 4), typer);
}

static void test_dist_ctlr(void **state)
{
    (void)state;
    assert_int_equal(rd(0, 4), GICD_CTLR_ARE | GICD_CTLR_DS);
    wr(0, 4, 0xffffffff);
    /* Only the group enables stick; RWP (31) reads 0; ARE/DS RAO. */
    assert_int_equal(rd(0, 4),
                     GICD_CTLR_ARE | GICD_CTLR_DS | GICD_CTLR_ENABLE_G0 | GICD_CTLR_ENABLE_G1);
    wr(0, 4, 0);
    assert_int_equal(rd(0, 4), GICD_CTLR_ARE | GICD_CTLR_DS);
}

static void test_enable_set_clear(void **state)
{
    (void)state;
    /* Register 0 (SGIs/PPIs) is RAZ/WI in the distributor under ARE. */
    wr(0x100, 4, 0xffffffff);
    assert_int_equal(rd(0x100, 4), 0);
    assert_int_equal(rd(0x104, 4), 0);
    wr(0x104, 4, 0x00000005); /* INTIDs 32, 34 */
    assert_int_equal(rd(0x104, 4), 0x5);
    assert_int_equal(rd(0x184, 4), 0x5); /* ICENABLER reads the same state */
    wr(0x104, 4, 0x00000100);            /* write-1-to-set: others untouched */
    assert_int_equal(rd(0x104, 4), 0x105);
    wr(0x104, 4, 0); /* zeros have no effect */
    assert_int_equal(rd(0x104, 4), 0x105);
    wr(0x184, 4, 0x1); /* write-1-to-clear */
    assert_int_equal(rd(0x104, 4), 0x104);
    wr(0x184, 4, 0);
    assert_int_equal(rd(0x104, 4), 0x104);
    /* SPIs beyond nr_spis (INTID 96+) are RAZ/WI. */
    wr(0x10c, 4, 0xffffffff);
    assert_int_equal(rd(0x10c, 4), 0);
    assert_int_equal(rd(0x108, 4), 0);
    wr(0x108, 4, 0xffffffff); /* INTIDs 64..95 exist */
    assert_int_equal(rd(0x108, 4), 0xffffffff);
}

static void test_pending_active_group(void **state)
{
    (void)state;
    wr(0x204, 4, 0x80000001); /* ISPENDR: INTIDs 32, 63 */
    assert_int_equal(rd(0x204, 4), 0x80000001);
    assert_int_equal(rd(0x284, 4), 0x80000001);
    wr(0x284, 4, 0x1);
    assert_int_equal(rd(0x204, 4), 0x80000000);
    wr(0x304, 4, 0x6); /* ISACTIVER */
    assert_int_equal(rd(0x304, 4), 0x6);
    wr(0x384, 4, 0x2); /* ICACTIVER */
    assert_int_equal(rd(0x304, 4), 0x4);
    assert_int_equal(rd(0x084, 4), 0); /* IGROUPR resets to group 0 */
    wr(0x084, 4, 0xf0f0f0f0);          /* plain read/write */
    assert_int_equal(rd(0x084, 4), 0xf0f0f0f0);
    wr(0x084, 4, 0x0000ffff);
    assert_int_equal(rd(0x084, 4), 0x0000ffff);
    assert_int_equal(rd(0x080, 4), 0); /* register 0 RAZ/WI */
}

static void test_level_pending(void **state)
{
    (void)state;
    /* Level-sensitive SPI: pending follows the line; ICPENDR cannot clear it. */
    assert_true(vgic_set_level(&g, 40, 0, true));
    assert_int_equal(rd(0x204, 4) & (1u << 8), 1u << 8);
    wr(0x284, 4, 1u << 8);
    assert_int_equal(rd(0x204, 4) & (1u << 8), 1u << 8);
    assert_true(vgic_set_level(&g, 40, 0, false));
    assert_int_equal(rd(0x204, 4) & (1u << 8), 0);
    /* Edge: a rising edge latches, the falling edge does not clear. */
    wr(0xc08, 4, 2u << 16); /* ICFGR2: INTID 40 edge */
    assert_int_equal(rd(0xc08, 4), 2u << 16);
    assert_true(vgic_set_level(&g, 40, 0, true));
    assert_true(vgic_set_level(&g, 40, 0, false));
    assert_int_equal(rd(0x204, 4) & (1u << 8), 1u << 8);
    assert_false(vgic_set_level(&g, 32 + NR_SPIS, 0, true));
    assert_false(vgic_set_level(&g, 3, 0, true)); /* SGIs have no line */
}

static void test_priority_regs(void **state)
{
    (void)state;
    wr(0x420, 4, 0x12345678); /* INTIDs 32..35 */
    /* Only the top VGIC_PRIO_BITS bits are implemented. */
    assert_int_equal(rd(0x420, 4), 0x12345678 & 0xf8f8f8f8);
    wr(0x421, 1, 0xff); /* byte access to INTID 33 */
    assert_int_equal(rd(0x421, 1), 0xf8);
    assert_int_equal(rd(0x420, 4), (0x12345678 & 0xf8f8f8f8 & 0xffff00ff) | 0xf800);
    assert_int_equal(rd(0x400, 4), 0); /* SGI/PPI bytes RAZ/WI in GICD */
    wr(0x400, 4, 0xffffffff);
    assert_int_equal(rd(0x400, 4), 0);
    uint64_t v = 0;
    assert_false(vgic_dist_mmio(&g, 0x420, 2, false, &v)); /* halfword: no */
    assert_false(vgic_dist_mmio(&g, 0x420, 8, false, &v));
    assert_false(vgic_dist_mmio(&g, 0x422, 4, false, &v)); /* misaligned */
}

static void test_icfgr(void **state)
{
    (void)state;
    assert_int_equal(rd(0xc00, 4), 0); /* SGI/PPI config RAZ/WI in GICD */
    assert_int_equal(rd(0xc04, 4), 0);
    wr(0xc08, 4, 0xffffffff);
    /* Bit 2n is RES0; bit 2n+1 selects edge. */
    assert_int_equal(rd(0xc08, 4), 0xaaaaaaaa);
    wr(0xc08, 4, 0x0000000a);
    assert_int_equal(rd(0xc08, 4), 0x0000000a);
}

static void test_irouter(void **state)
{
    uint64_t v = 0;
    (void)state;
    assert_int_equal(rd(0x6100, 8), 0); /* INTID 32 resets to vCPU 0 */
    wr(0x6100, 8, 0xffffffffffffffffull);
    /* Aff3 (A3V = 0) and IRM (No1N = 1) are RAZ/WI. */
    assert_int_equal(rd(0x6100, 8), 0x00ffffffull);
    wr(0x6100, 8, 2);
    assert_int_equal(rd(0x6100, 8), 2);
    assert_int_equal(rd(0x6100, 4), 2); /* low half */
    assert_int_equal(rd(0x6104, 4), 0); /* high half */
    wr(0x6108, 4, 3);                   /* 32-bit write, INTID 33 */
    assert_int_equal(rd(0x6108, 8), 3);
    assert_int_equal(rd(0x6000, 8), 0); /* INTIDs 0-31 reserved */
    wr(0x6000, 8, 5);
    assert_int_equal(rd(0x6000, 8), 0);
    assert_false(vgic_dist_mmio(&g, 0x6104, 8, false, &v));
    assert_false(vgic_dist_mmio(&g, 0x6100, 2, false, &v));
    /* Routing decides which vCPU gets the SPI. */
    wr(0, 4, GICD_CTLR_ENABLE_G1);
    wr(0x084, 4, 0xffffffff);
    wr(0x104, 4, 1); /* enable 32 */
    wr(0x6100, 8, 2);
    assert_true(vgic_set_pending(&g, 32, 0));
    assert_false(vgic_has_pending(&g, 0));
    assert_true(vgic_has_pending(&g, 2));
    /* An affinity matching no vCPU leaves it undelivered. */
    wr(0x6100, 8, 0x100);
    assert_false(vgic_has_pending(&g, 2));
    assert_false(vgic_has_pending(&g, 0));
    wr(0x6100, 8, 1);
    assert_true(vgic_has_pending(&g, 1));
}

static void test_bad_dist_access(void **state)
{
    uint64_t v = 0;
    (void)state;
    assert_false(vgic_dist_mmio(&g, 0x0, 2, false, &v));
    assert_false(vgic_dist_mmio(&g, 0x0, 8, false, &v));
    assert_false(vgic_dist_mmio(&g, 0x1, 4, false, &v));
    assert_false(vgic_dist_mmio(&g, 0x104, 1, true, &v)); /* byte to ISENABLER */
    assert_false(vgic_dist_mmio(&g, VGIC_DIST_SIZE, 4, false, &v));
    assert_false(vgic_dist_mmio(&g, 0x0, 3, false, &v));
    /* Reserved and DS=1 RAZ/WI registers. */
    assert_int_equal(rd(0x0d04, 4), 0); /* IGRPMODR */
    assert_int_equal(rd(0x0e08, 4), 0); /* NSACR */
    assert_int_equal(rd(0x0804, 4), 0); /* ITARGETSR */
    assert_int_equal(rd(0x0805, 1), 0);
    wr(0x0f00, 4, 0xffffffff); /* GICD_SGIR: WI under ARE */
}

static void test_redist_regs(void **state)
{
    uint64_t v = 0;
    (void)state;
    for (unsigned c = 0; c < NR_CPUS; c++) {
        uint64_t base = c * VGIC_REDIST_SIZE;
        uint64_t typer = rrd(base + 0x8, 8);
        assert_int_equal(typer >> 32, vmm_vcpu_mpidr(c));
        assert_int_equal((typer >> 8) & 0xffff, c);
        assert_int_equal((typer >> 4) & 1, c == NR_CPUS - 1); /* Last */
        assert_int_equal(typer & 1, 0);                       /* PLPIS */
        assert_int_equal(rrd(base + 0xc, 4), typer >> 32);
        assert_int_equal((rrd(base + 0xffe8, 4) >> 4) & 0xf, 3);
        assert_int_equal(rrd(base + 0x4, 4), VGIC_IIDR);
    }
    /* WAKER: asleep at reset, ChildrenAsleep follows ProcessorSleep. */
    assert_int_equal(rrd(0x14, 4), 6);
    rwr(0x14, 4, 0);
    assert_int_equal(rrd(0x14, 4), 0);
    assert_int_equal(rrd(VGIC_REDIST_SIZE + 0x14, 4), 6); /* per vCPU */
    rwr(0x14, 4, 2);
    assert_int_equal(rrd(0x14, 4), 6);
    /* LPIs unsupported: CTLR.EnableLPIs, PROPBASER, PENDBASER stay 0. */
    rwr(0x0, 4, 1);
    assert_int_equal(rrd(0x0, 4), 0);
    rwr(0x70, 8, 0x1234000);
    assert_int_equal(rrd(0x70, 8), 0);
    rwr(0x78, 8, 0x1234000);
    assert_int_equal(rrd(0x78, 8), 0);
    assert_false(vgic_redist_mmio(&g, NR_CPUS * VGIC_REDIST_SIZE, 4, false, &v));
    assert_false(vgic_redist_mmio(&g, 0x14, 1, false, &v));
}

static void test_redist_sgi_frame(void **state)
{
    uint64_t v = 0;
    (void)state;
    rwr(SGI(1) + 0x100, 4, 0x00010003); /* enable SGI 0,1 and PPI 16 on vCPU 1 */
    assert_int_equal(rrd(SGI(1) + 0x100, 4), 0x00010003);
    assert_int_equal(rrd(SGI(0) + 0x100, 4), 0); /* banked */
    rwr(SGI(1) + 0x180, 4, 0x1);
    assert_int_equal(rrd(SGI(1) + 0x180, 4), 0x00010002);
    rwr(SGI(1) + 0x80, 4, 0xffffffff);
    assert_int_equal(rrd(SGI(1) + 0x80, 4), 0xffffffff);
    rwr(SGI(1) + 0x200, 4, 0x4);
    assert_int_equal(rrd(SGI(1) + 0x200, 4), 0x4);
    rwr(SGI(1) + 0x280, 4, 0x4);
    assert_int_equal(rrd(SGI(1) + 0x200, 4), 0);
    rwr(SGI(1) + 0x300, 4, 0x8);
    assert_int_equal(rrd(SGI(1) + 0x300, 4), 0x8);
    rwr(SGI(1) + 0x380, 4, 0x8);
    assert_int_equal(rrd(SGI(1) + 0x300, 4), 0);
    rwr(SGI(1) + 0x41c, 4, 0xa0b0c0d0); /* PPIs 28..31 */
    assert_int_equal(rrd(SGI(1) + 0x41c, 4), 0xa0b0c0d0);
    rwr(SGI(1) + 0x400, 1, 0x88);
    assert_int_equal(rrd(SGI(1) + 0x400, 1), 0x88);
    /* ICFGR0 (SGIs) is read-only edge; ICFGR1 (PPIs) is programmable. */
    assert_int_equal(rrd(SGI(1) + 0xc00, 4), 0xaaaaaaaa);
    rwr(SGI(1) + 0xc00, 4, 0);
    assert_int_equal(rrd(SGI(1) + 0xc00, 4), 0xaaaaaaaa);
    assert_int_equal(rrd(SGI(1) + 0xc04, 4), 0);
    rwr(SGI(1) + 0xc04, 4, 0x3);
    assert_int_equal(rrd(SGI(1) + 0xc04, 4), 0x2);
    assert_int_equal(rrd(SGI(1) + 0xd00, 4), 0); /* IGRPMODR0 */
    assert_false(vgic_redist_mmio(&g, SGI(1) + 0x100, 8, false, &v));
    assert_false(vgic_redist_mmio(&g, SGI(1) + 0x100, 1, false, &v));
    assert_int_equal(rrd(SGI(1) + 0x104, 4), 0); /* reserved in the SGI frame */
}

static void enable_all(void)
{
    wr(0, 4, GICD_CTLR_ENABLE_G1 | GICD_CTLR_ENABLE_G0);
    for (unsigned c = 0; c < NR_CPUS; c++) {
        rwr(SGI(c) + 0x80, 4, 0xffffffff);
        rwr(SGI(c) + 0x100, 4, 0xffffffff);
    }
    for (unsigned r = 1; r <= NR_SPIS / 32; r++) {
        wr(0x80 + 4 * r, 4, 0xffffffff);
        wr(0x100 + 4 * r, 4, 0xffffffff);
    }
}

static void test_sgi_delivery(void **state)
{
    struct vgic_lr lr;
    (void)state;
    enable_all();
    /* Target list: vCPUs 1 and 3, SGI 5, from vCPU 0. */
    assert_int_equal(vgic_sgi1r_write(&g, 0, (5ull << 24) | 0xa), 0xa);
    assert_false(vgic_has_pending(&g, 0));
    assert_false(vgic_has_pending(&g, 2));
    assert_true(vgic_next_for_cpu(&g, 1, &lr));
    assert_int_equal(lr.virt_intid, 5);
    assert_true(lr.group1);
    assert_false(lr.hw);
    assert_true(lr.eoi_maint);
    assert_true(vgic_next_for_cpu(&g, 3, &lr));
    assert_int_equal(lr.virt_intid, 5);
    assert_false(vgic_next_for_cpu(&g, 1, &lr));
    /* Targets that do not exist (bit 7, Aff1 != 0, RS != 0) are dropped. */
    assert_int_equal(vgic_sgi1r_write(&g, 0, (1ull << 24) | 0x80), 0);
    assert_int_equal(vgic_sgi1r_write(&g, 0, (1ull << 24) | (1ull << 16) | 1), 0);
    assert_int_equal(vgic_sgi1r_write(&g, 0, (1ull << 24) | (1ull << 44) | 1), 0);
    /* IRM = 1: everyone but the sender. */
    assert_int_equal(vgic_sgi1r_write(&g, 2, (1ull << 40) | (7ull << 24)), 0xb);
    assert_true(vgic_next_for_cpu(&g, 0, &lr));
    assert_int_equal(lr.virt_intid, 7);
    assert_false(vgic_has_pending(&g, 2));
    /* A disabled SGI stays pending but is not handed out. */
    rwr(SGI(2) + 0x180, 4, 1u << 9);
    assert_int_equal(vgic_sgi1r_write(&g, 0, (9ull << 24) | 0x4), 0x4);
    assert_false(vgic_has_pending(&g, 2));
    assert_int_equal(rrd(SGI(2) + 0x200, 4), 1u << 9);
    rwr(SGI(2) + 0x100, 4, 1u << 9);
    assert_true(vgic_has_pending(&g, 2));
    assert_int_equal(vgic_sgi1r_write(&g, NR_CPUS, 0x1), 0); /* bad sender */
}

static void test_priority_order(void **state)
{
    struct vgic_lr lr;
    static const uint8_t prio[] = {0xa0, 0x20, 0x80, 0x20, 0x40, 0xf8, 0x00, 0x60};
    static const uint32_t order[] = {38, 33, 35, 36, 39, 34, 32, 37};
    (void)state;
    enable_all();
    for (unsigned i = 0; i < 8; i++) {
        wr(0x420 + i, 1, prio[i]);
        assert_true(vgic_set_pending(&g, 32 + i, 0));
    }
    /* Four list registers: take four, retire them, take the rest. */
    for (unsigned i = 0; i < 4; i++) {
        assert_true(vgic_next_for_cpu(&g, 0, &lr));
        assert_int_equal(lr.virt_intid, order[i]);
        assert_int_equal(lr.priority, prio[order[i] - 32]);
    }
    /* Listed ones are not handed out twice; a new edge waits for the EOI. */
    assert_true(vgic_set_pending(&g, 38, 0));
    for (unsigned i = 0; i < 4; i++) {
        assert_true(vgic_eoi(&g, 0, order[i]));
    }
    assert_true(vgic_next_for_cpu(&g, 0, &lr));
    assert_int_equal(lr.virt_intid, 38); /* re-pended, priority 0 */
    assert_true(vgic_eoi(&g, 0, 38));
    for (unsigned i = 4; i < 8; i++) {
        assert_true(vgic_next_for_cpu(&g, 0, &lr));
        assert_int_equal(lr.virt_intid, order[i]);
        assert_true(vgic_eoi(&g, 0, order[i]));
    }
    assert_false(vgic_next_for_cpu(&g, 0, &lr));
    assert_false(vgic_eoi(&g, 0, 32)); /* not listed any more */
}

static void test_private_vs_spi_order(void **state)
{
    struct vgic_lr lr;
    (void)state;
    enable_all();
    rwr(SGI(0) + 0x41c, 4, 0x10u << 24); /* PPI 31 priority 0x10 */
    wr(0x440, 1, 0x10);                  /* SPI 64 priority 0x10 */
    wr(0x441, 1, 0x08);                  /* SPI 65 priority 0x08 */
    assert_true(vgic_set_pending(&g, 64, 0));
    assert_true(vgic_set_pending(&g, 31, 0));
    assert_true(vgic_set_pending(&g, 65, 0));
    assert_true(vgic_next_for_cpu(&g, 0, &lr));
    assert_int_equal(lr.virt_intid, 65);
    assert_true(vgic_next_for_cpu(&g, 0, &lr));
    assert_int_equal(lr.virt_intid, 31); /* equal priority: lower INTID first */
    assert_true(vgic_next_for_cpu(&g, 0, &lr));
    assert_int_equal(lr.virt_intid, 64);
}

static void test_level_reassert_after_eoi(void **state)
{
    struct vgic_lr lr;
    (void)state;
    enable_all();
    assert_true(vgic_set_level(&g, 50, 0, true));
    assert_true(vgic_next_for_cpu(&g, 0, &lr));
    assert_int_equal(lr.virt_intid, 50);
    assert_false(vgic_next_for_cpu(&g, 0, &lr));
    assert_int_equal(rd(0x304, 4) & (1u << 18), 1u << 18); /* reads active while listed */
    assert_true(vgic_eoi(&g, 0, 50));
    /* Line still high: pending again. */
    assert_true(vgic_next_for_cpu(&g, 0, &lr));
    assert_int_equal(lr.virt_intid, 50);
    assert_true(vgic_set_level(&g, 50, 0, false));
    assert_true(vgic_eoi(&g, 0, 50));
    assert_false(vgic_next_for_cpu(&g, 0, &lr));
}

static void test_unlist(void **state)
{
    struct vgic_lr lr;
    (void)state;
    enable_all();
    assert_true(vgic_set_pending(&g, 33, 0));
    assert_true(vgic_next_for_cpu(&g, 0, &lr));
    assert_true(vgic_unlist(&g, 0, 33, true)); /* never acknowledged */
    assert_true(vgic_next_for_cpu(&g, 0, &lr));
    assert_int_equal(lr.virt_intid, 33);
    assert_true(vgic_unlist(&g, 0, 33, false)); /* acknowledged, active */
    assert_true(vgic_set_pending(&g, 33, 0));
    assert_false(vgic_next_for_cpu(&g, 0, &lr)); /* active blocks re-delivery */
    assert_true(vgic_eoi(&g, 0, 33));
    assert_true(vgic_next_for_cpu(&g, 0, &lr));
    assert_false(vgic_unlist(&g, 0, 34, true));
    /* An SPI is retired by the vCPU that took it, even after rerouting. */
    assert_true(vgic_eoi(&g, 0, 33));
    assert_true(vgic_set_pending(&g, 35, 0));
    assert_true(vgic_next_for_cpu(&g, 0, &lr));
    assert_int_equal(lr.virt_intid, 35);
    wr(0x6118, 8, 1);
    assert_false(vgic_eoi(&g, 1, 35));
    assert_true(vgic_eoi(&g, 0, 35));
}

static void test_gating_and_hw(void **state)
{
    struct vgic_lr lr;
    (void)state;
    enable_all();
    wr(0x084, 4, 0xfffffffe);      /* INTID 32 group 0 */
    wr(0, 4, GICD_CTLR_ENABLE_G1); /* group 0 disabled */
    assert_true(vgic_set_pending(&g, 32, 0));
    assert_false(vgic_has_pending(&g, 0));
    wr(0, 4, GICD_CTLR_ENABLE_G0);
    assert_true(vgic_next_for_cpu(&g, 0, &lr));
    assert_false(lr.group1);
    /* Passthrough SPI: HW bit and the physical INTID, no maintenance. */
    assert_true(vgic_set_hw(&g, 40, 79));
    assert_false(vgic_set_hw(&g, 20, 79)); /* PPIs are not passthrough here */
    assert_false(vgic_set_hw(&g, 40, 1020));
    wr(0, 4, GICD_CTLR_ENABLE_G1);
    assert_true(vgic_set_level(&g, 40, 0, true));
    assert_true(vgic_next_for_cpu(&g, 0, &lr));
    assert_int_equal(lr.virt_intid, 40);
    assert_true(lr.hw);
    assert_int_equal(lr.phys_intid, 79);
    assert_false(lr.eoi_maint);
    /* The irq_line adapter drives SPIs. */
    struct irq_line line = {vgic_irq_line_set, &g, 41};
    irq_line_set(&line, true);
    assert_true(vgic_next_for_cpu(&g, 0, &lr));
    assert_int_equal(lr.virt_intid, 41);
    assert_false(vgic_set_pending(&g, 1020, 0));
    assert_false(vgic_next_for_cpu(&g, NR_CPUS, &lr));
}

static void test_lr_encode(void **state)
{
    struct vgic_lr sw = {45, 0xa0, true, false, 0, true};
    struct vgic_lr hw = {40, 0x08, true, true, 79, false};
    struct vgic_lr g0 = {3, 0, false, false, 0, false};
    (void)state;
    /* State pending (62), Group (60), Priority [55:48], EOI (41), vINTID. */
    assert_int_equal(vgic_lr_encode(&sw),
                     (1ull << 62) | (1ull << 60) | (0xa0ull << 48) | (1ull << 41) | 45);
    /* HW (61) with pINTID [44:32]; no EOI bit. */
    assert_int_equal(vgic_lr_encode(&hw), (1ull << 62) | (1ull << 61) | (1ull << 60) |
                                              (0x08ull << 48) | (79ull << 32) | 40);
    assert_int_equal(vgic_lr_encode(&g0), (1ull << 62) | 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_limits),
        cmocka_unit_test_setup(test_dist_id_regs, setup),
        cmocka_unit_test_setup(test_dist_ctlr, setup),
        cmocka_unit_test_setup(test_enable_set_clear, setup),
        cmocka_unit_test_setup(test_pending_active_group, setup),
        cmocka_unit_test_setup(test_level_pending, setup),
        cmocka_unit_test_setup(test_priority_regs, setup),
        cmocka_unit_test_setup(test_icfgr, setup),
        cmocka_unit_test_setup(test_irouter, setup),
        cmocka_unit_test_setup(test_bad_dist_access, setup),
        cmocka_unit_test_setup(test_redist_regs, setup),
        cmocka_unit_test_setup(test_redist_sgi_frame, setup),
        cmocka_unit_test_setup(test_sgi_delivery, setup),
        cmocka_unit_test_setup(test_priority_order, setup),
        cmocka_unit_test_setup(test_private_vs_spi_order, setup),
        cmocka_unit_test_setup(test_level_reassert_after_eoi, setup),
        cmocka_unit_test_setup(test_unlist, setup),
        cmocka_unit_test_setup(test_gating_and_hw, setup),
        cmocka_unit_test(test_lr_encode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
