/*
 * GICv3 driver. All interrupts are Group 1 (non-secure) and reach EL2 as IRQs
 * (HCR_EL2.IMO or TGE). ICC_CTLR_EL1.EOImode is 1, splitting priority drop
 * from deactivation: a passthrough interrupt injected into a guest with the
 * HW bit is deactivated by the guest's own EOI, not by the kernel.
 */
#include <arch/gic.h>

#include <arch/regs.h>
#include <arch/sysreg.h>

#define GICD_CTLR       0x0000
#define GICD_TYPER      0x0004
#define GICD_IIDR       0x0008
#define GICD_IGROUPR    0x0080
#define GICD_ISENABLER  0x0100
#define GICD_ICENABLER  0x0180
#define GICD_ICPENDR    0x0280
#define GICD_ICACTIVER  0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR      0x0C00
#define GICD_IROUTER    0x6000

#define CTLR_RWP       (1u << 31)
#define CTLR_ARE_NS    (1u << 4)
#define CTLR_ENABLE_G1 (1u << 1)

#define GICR_FRAME_SIZE 0x20000ull /* RD_base + SGI_base, GICv3 without VLPIs */
#define GICR_CTLR       0x0000
#define GICR_TYPER      0x0008
#define GICR_WAKER      0x0014
#define GICR_SGI        0x10000ull
#define GICR_IGROUPR0   (GICR_SGI + 0x0080)
#define GICR_ISENABLER0 (GICR_SGI + 0x0100)
#define GICR_ICENABLER0 (GICR_SGI + 0x0180)
#define GICR_IPRIORITYR (GICR_SGI + 0x0400)

#define WAKER_PROCESSOR_SLEEP (1u << 1)
#define WAKER_CHILDREN_ASLEEP (1u << 2)
#define TYPER_LAST            (1ull << 4)

#define DEFAULT_PRIO 0xa0u

static uintptr_t gicd;
static uint64_t gicr_base;
static uint64_t gicr_size;
static unsigned nintids;

/* This CPU's redistributor frame (per-CPU data). */
static uintptr_t my_gicr(void)
{
    return this_cpu()->gicr;
}

static inline volatile uint32_t *r32(uintptr_t base, uint64_t off)
{
    return (volatile uint32_t *)(base + off);
}

static inline volatile uint64_t *r64(uintptr_t base, uint64_t off)
{
    return (volatile uint64_t *)(base + off);
}

static void wait_rwp(void)
{
    for (unsigned i = 0; i < 1000000u; i++) {
        if ((*r32(gicd, GICD_CTLR) & CTLR_RWP) == 0) {
            return;
        }
    }
}

static uint64_t mpidr_to_affinity(uint64_t mpidr)
{
    /* GICR_TYPER affinity layout: Aff3.Aff2.Aff1.Aff0, 8 bits each. */
    return ((mpidr >> 32) & 0xffu) << 24 | (mpidr & 0xffffffu);
}

const char *gic_init(uint64_t gicd_base, uint64_t gicr_base_, uint64_t gicr_size_, uint64_t mpidr)
{
    gicd = (uintptr_t)gicd_base;
    gicr_base = gicr_base_;
    gicr_size = gicr_size_;
    nintids = 32u * ((*r32(gicd, GICD_TYPER) & 0x1fu) + 1u);
    if (nintids > 1020u) {
        nintids = 1020u;
    }

    /* Distributor: off while configuring, every SPI Group 1, disabled, routed here. */
    *r32(gicd, GICD_CTLR) = 0;
    wait_rwp();
    for (unsigned i = 32; i < nintids; i += 32) {
        *r32(gicd, GICD_IGROUPR + i / 8) = 0xffffffffu;
        *r32(gicd, GICD_ICENABLER + i / 8) = 0xffffffffu;
        *r32(gicd, GICD_ICPENDR + i / 8) = 0xffffffffu;
        *r32(gicd, GICD_ICACTIVER + i / 8) = 0xffffffffu;
    }
    for (unsigned i = 32; i < nintids; i += 4) {
        *r32(gicd, GICD_IPRIORITYR + i) = DEFAULT_PRIO * 0x01010101u;
    }
    for (unsigned i = 32; i < nintids; i++) {
        gic_route(i, mpidr);
    }
    *r32(gicd, GICD_CTLR) = CTLR_ARE_NS | CTLR_ENABLE_G1;
    wait_rwp();
    return gic_cpu_init(mpidr);
}

void gic_route(unsigned intid, uint64_t mpidr)
{
    if (intid < 32u || intid >= nintids) {
        return; /* SGIs and PPIs belong to their CPU */
    }
    /* GICD_IROUTER<n>: Aff3 in [39:32], Aff2.Aff1.Aff0 in [23:0];
     * Interrupt_Routing_Mode (bit 31) 0: this one PE. */
    *r64(gicd, GICD_IROUTER + 8ull * intid) = (mpidr & 0xff00ffffffull);
}

const char *gic_cpu_init(uint64_t mpidr)
{
    uint64_t aff = mpidr_to_affinity(mpidr);
    /* Find this CPU's redistributor by affinity. */
    uintptr_t gicr = 0;
    for (uint64_t off = 0; off + GICR_FRAME_SIZE <= gicr_size; off += GICR_FRAME_SIZE) {
        uint64_t typer = *r64((uintptr_t)gicr_base, off + GICR_TYPER);
        if ((typer >> 32) == aff) {
            gicr = (uintptr_t)(gicr_base + off);
            break;
        }
        if ((typer & TYPER_LAST) != 0) {
            break;
        }
    }
    if (gicr == 0) {
        return "no GICv3 redistributor matches this CPU's affinity";
    }
    this_cpu()->gicr = gicr;
    *r32(gicr, GICR_WAKER) &= ~WAKER_PROCESSOR_SLEEP;
    for (unsigned i = 0; i < 1000000u; i++) {
        if ((*r32(gicr, GICR_WAKER) & WAKER_CHILDREN_ASLEEP) == 0) {
            break;
        }
    }
    if ((*r32(gicr, GICR_WAKER) & WAKER_CHILDREN_ASLEEP) != 0) {
        return "GICv3 redistributor did not wake up";
    }
    *r32(gicr, GICR_IGROUPR0) = 0xffffffffu;
    *r32(gicr, GICR_ICENABLER0) = 0xffffffffu;
    for (unsigned i = 0; i < 32; i += 4) {
        *r32(gicr, GICR_IPRIORITYR + i) = DEFAULT_PRIO * 0x01010101u;
    }
    /* The kernel's own SGIs (IPIs): reschedule/remote call and stop. */
    *r32(gicr, GICR_ISENABLER0) = 0x3u;

    /* CPU interface: system registers on, lower ELs may use them too (SRE_EL2.Enable). */
    WRITE_SYSREG(S3_4_C12_C9_5, READ_SYSREG(S3_4_C12_C9_5) | 0x9u); /* ICC_SRE_EL2: SRE|Enable */
    ISB();
    WRITE_SYSREG(S3_0_C4_C6_0, 0xffu);                              /* ICC_PMR_EL1 */
    WRITE_SYSREG(S3_0_C12_C12_3, 0u);                               /* ICC_BPR1_EL1 */
    WRITE_SYSREG(S3_0_C12_C12_4, READ_SYSREG(S3_0_C12_C12_4) | 2u); /* ICC_CTLR_EL1.EOImode */
    WRITE_SYSREG(S3_0_C12_C12_7, 1u);                               /* ICC_IGRPEN1_EL1 */
    ISB();
    return 0;
}

void gic_send_sgi(uint64_t mpidr, unsigned intid)
{
    /* ICC_SGI1R_EL1: TargetList [15:0] (one bit per Aff0 value within a
     * group of 16 selected by RS [47:44]), Aff1 [23:16], INTID [27:24],
     * Aff2 [39:32], IRM [40] = 0, Aff3 [55:48]. */
    uint64_t aff0 = mpidr & 0xffu;
    uint64_t v = (1ull << (aff0 & 15u)) | (((mpidr >> 8) & 0xffu) << 16) |
                 ((uint64_t)(intid & 15u) << 24) | (((mpidr >> 16) & 0xffu) << 32) |
                 ((aff0 >> 4) << 44) | (((mpidr >> 32) & 0xffu) << 48);
    DSB(ish);
    WRITE_SYSREG(S3_0_C12_C11_5, v);
    ISB();
}

unsigned gic_num_intids(void)
{
    return nintids;
}

uint32_t gic_iidr(void)
{
    return *r32(gicd, GICD_IIDR);
}

void gic_enable(unsigned intid)
{
    if (intid < 32u) {
        *r32(my_gicr(), GICR_ISENABLER0) = 1u << intid;
    } else if (intid < nintids) {
        *r32(gicd, GICD_ISENABLER + 4u * (intid / 32u)) = 1u << (intid % 32u);
    }
}

void gic_disable(unsigned intid)
{
    if (intid < 32u) {
        *r32(my_gicr(), GICR_ICENABLER0) = 1u << intid;
    } else if (intid < nintids) {
        *r32(gicd, GICD_ICENABLER + 4u * (intid / 32u)) = 1u << (intid % 32u);
        wait_rwp();
    }
}

void gic_set_priority(unsigned intid, uint8_t prio)
{
    volatile uint8_t *p;
    if (intid < 32u) {
        p = (volatile uint8_t *)(my_gicr() + GICR_IPRIORITYR + intid);
    } else if (intid < nintids) {
        p = (volatile uint8_t *)(gicd + GICD_IPRIORITYR + intid);
    } else {
        return;
    }
    *p = prio;
}

unsigned gic_ack(void)
{
    uint64_t iar = READ_SYSREG(S3_0_C12_C12_0); /* ICC_IAR1_EL1 */
    DSB(sy);
    return (unsigned)(iar & 0xffffffu);
}

void gic_eoi(unsigned intid)
{
    WRITE_SYSREG(S3_0_C12_C12_1, intid); /* ICC_EOIR1_EL1: priority drop */
    ISB();
}

void gic_deactivate(unsigned intid)
{
    WRITE_SYSREG(S3_0_C12_C11_1, intid); /* ICC_DIR_EL1 */
    ISB();
}
