/*
 * Virtual GICv3 (IHI 0069): see vmm/vgic.h for the model's shape. Register
 * offsets and reset values follow the GICv3 architecture specification,
 * chapter 12 (GICD_*, GICR_*), for a GIC with GICD_CTLR.DS == 1.
 */
#include <vmm/vgic.h>

#include <string.h>

/* Distributor offsets. */
#define GICD_CTLR        0x0000u
#define GICD_TYPER       0x0004u
#define GICD_IIDR        0x0008u
#define GICD_IGROUPR     0x0080u
#define GICD_ISENABLER   0x0100u
#define GICD_ICENABLER   0x0180u
#define GICD_ISPENDR     0x0200u
#define GICD_ICPENDR     0x0280u
#define GICD_ISACTIVER   0x0300u
#define GICD_ICACTIVER   0x0380u
#define GICD_IPRIORITYR  0x0400u
#define GICD_ITARGETSR   0x0800u
#define GICD_ICFGR       0x0c00u
#define GICD_IROUTER     0x6000u
#define GICD_IROUTER_END 0x7fe0u
#define GIC_PIDR2        0xffe8u

/* Redistributor RD_base and SGI_base offsets. */
#define GICR_CTLR       0x0000u
#define GICR_IIDR       0x0004u
#define GICR_TYPER      0x0008u
#define GICR_WAKER      0x0014u
#define GICR_SGI_BASE   0x10000u
#define GICR_TYPER_LAST (1ull << 4)

#define IROUTER_AFF_MASK 0x00ffffffull /* Aff2..Aff0; IRM and Aff3 are RAZ/WI */

enum bitreg {
    BITREG_GROUP,
    BITREG_SENABLE,
    BITREG_CENABLE,
    BITREG_SPEND,
    BITREG_CPEND,
    BITREG_SACTIVE,
    BITREG_CACTIVE,
};

static void irq_reset(struct vgic_irq *irq, bool edge)
{
    memset(irq, 0, sizeof(*irq));
    irq->flags = edge ? VGIC_IRQ_EDGE : 0;
}

bool vgic_init(struct vgic *g, unsigned nr_vcpus, unsigned nr_spis)
{
    if (nr_vcpus == 0 || nr_vcpus > VMM_MAX_VCPUS || nr_spis > VGIC_NR_SPIS || nr_spis % 32u != 0) {
        return false;
    }
    memset(g, 0, sizeof(*g));
    g->nr_vcpus = nr_vcpus;
    g->nr_spis = nr_spis;
    g->ctlr = GICD_CTLR_ARE | GICD_CTLR_DS;
    for (unsigned c = 0; c < nr_vcpus; c++) {
        for (unsigned i = 0; i < VGIC_NR_PRIVATE; i++) {
            /* SGIs are always edge; PPIs reset level-sensitive (timers). */
            irq_reset(&g->cpu[c].priv[i], i < VGIC_NR_SGIS);
        }
        /* Redistributors come out of reset asleep; the guest wakes them. */
        g->cpu[c].waker = GICR_WAKER_PROCESSOR_SLEEP | GICR_WAKER_CHILDREN_ASLEEP;
    }
    for (unsigned i = 0; i < nr_spis; i++) {
        irq_reset(&g->spi[i], false);
        g->spi[i].target = 0;
    }
    return true;
}

/* The banked or shared state of intid as seen by vcpu, or NULL. */
static struct vgic_irq *irq_get(struct vgic *g, uint32_t intid, unsigned vcpu)
{
    if (intid < VGIC_SPI_BASE) {
        if (vcpu >= g->nr_vcpus) {
            return NULL;
        }
        return &g->cpu[vcpu].priv[intid];
    }
    if (intid - VGIC_SPI_BASE < g->nr_spis) {
        return &g->spi[intid - VGIC_SPI_BASE];
    }
    return NULL;
}

static bool irq_pending(const struct vgic_irq *irq)
{
    if (irq->flags & VGIC_IRQ_PENDING) {
        return true;
    }
    return !(irq->flags & VGIC_IRQ_EDGE) && (irq->flags & VGIC_IRQ_LEVEL);
}

static bool irq_deliverable(const struct vgic *g, const struct vgic_irq *irq)
{
    uint32_t grp_en = (irq->flags & VGIC_IRQ_GROUP1) ? GICD_CTLR_ENABLE_G1 : GICD_CTLR_ENABLE_G0;

    if (!(g->ctlr & grp_en) || !(irq->flags & VGIC_IRQ_ENABLED)) {
        return false;
    }
    /* Active or already in a list register: the guest still owns it. */
    if (irq->flags & (VGIC_IRQ_ACTIVE | VGIC_IRQ_LISTED)) {
        return false;
    }
    return irq_pending(irq);
}

static bool bitreg_get(const struct vgic_irq *irq, enum bitreg op)
{
    switch (op) {
    case BITREG_GROUP:
        return (irq->flags & VGIC_IRQ_GROUP1) != 0;
    case BITREG_SENABLE:
    case BITREG_CENABLE:
        return (irq->flags & VGIC_IRQ_ENABLED) != 0;
    case BITREG_SPEND:
    case BITREG_CPEND:
        return irq_pending(irq);
    case BITREG_SACTIVE:
    case BITREG_CACTIVE:
        return (irq->flags & (VGIC_IRQ_ACTIVE | VGIC_IRQ_LISTED)) != 0;
    }
    return false;
}

static void bitreg_set(struct vgic_irq *irq, enum bitreg op, bool bit)
{
    switch (op) {
    case BITREG_GROUP:
        irq->flags =
            (uint8_t)(bit ? (irq->flags | VGIC_IRQ_GROUP1) : (irq->flags & ~VGIC_IRQ_GROUP1));
        return;
    case BITREG_SENABLE:
        if (bit) {
            irq->flags |= VGIC_IRQ_ENABLED;
        }
        return;
    case BITREG_CENABLE:
        if (bit) {
            irq->flags &= (uint8_t)~VGIC_IRQ_ENABLED;
        }
        return;
    case BITREG_SPEND:
        if (bit) {
            irq->flags |= VGIC_IRQ_PENDING;
        }
        return;
    case BITREG_CPEND:
        /* Clears the latch only: an asserted level line keeps it pending. */
        if (bit) {
            irq->flags &= (uint8_t)~VGIC_IRQ_PENDING;
        }
        return;
    case BITREG_SACTIVE:
        if (bit) {
            irq->flags |= VGIC_IRQ_ACTIVE;
        }
        return;
    case BITREG_CACTIVE:
        if (bit) {
            irq->flags &= (uint8_t)~VGIC_IRQ_ACTIVE;
        }
        return;
    }
}

/* One 32-bit bit-array register covering intids [first, first + 32). */
static void bitreg_access(struct vgic *g, unsigned vcpu, uint32_t first, enum bitreg op, bool write,
                          uint64_t *value)
{
    uint32_t v = write ? (uint32_t)*value : 0;
    uint32_t out = 0;

    for (unsigned i = 0; i < 32u; i++) {
        struct vgic_irq *irq = irq_get(g, first + i, vcpu);
        if (irq == NULL) {
            continue; /* beyond the implemented SPIs: RAZ/WI */
        }
        if (write) {
            bitreg_set(irq, op, (v >> i) & 1u);
        } else if (bitreg_get(irq, op)) {
            out |= 1u << i;
        }
    }
    if (!write) {
        *value = out;
    }
}

/* IPRIORITYR bytes starting at intid `first`, byte or word access. */
static bool prio_access(struct vgic *g, unsigned vcpu, uint32_t first, unsigned size, bool write,
                        uint64_t *value)
{
    uint64_t out = 0;

    if (size != 1 && size != 4) {
        return false;
    }
    for (unsigned i = 0; i < size; i++) {
        struct vgic_irq *irq = irq_get(g, first + i, vcpu);
        if (irq == NULL) {
            continue;
        }
        if (write) {
            irq->priority = (uint8_t)(*value >> (8 * i)) & VGIC_PRIO_MASK;
        } else {
            out |= (uint64_t)irq->priority << (8 * i);
        }
    }
    if (!write) {
        *value = out;
    }
    return true;
}

/* ICFGR register n of the intids starting at `first` (16 per register). */
static void cfg_access(struct vgic *g, unsigned vcpu, uint32_t first, bool write, uint64_t *value)
{
    uint32_t out = 0;

    for (unsigned i = 0; i < 16u; i++) {
        struct vgic_irq *irq = irq_get(g, first + i, vcpu);
        if (irq == NULL) {
            continue;
        }
        if (write) {
            /* SGI configuration is fixed (edge); bit 2n is RES0. */
            if (first + i >= VGIC_NR_SGIS) {
                bool edge = ((*value >> (2 * i + 1)) & 1u) != 0;
                irq->flags =
                    (uint8_t)(edge ? (irq->flags | VGIC_IRQ_EDGE) : (irq->flags & ~VGIC_IRQ_EDGE));
            }
        } else if (irq->flags & VGIC_IRQ_EDGE) {
            out |= 2u << (2 * i);
        }
    }
    if (!write) {
        *value = out;
    }
}

static uint8_t router_target(const struct vgic *g, uint32_t irouter)
{
    int v = vmm_mpidr_to_vcpu(irouter & IROUTER_AFF_MASK, g->nr_vcpus);
    return v < 0 ? 0xffu : (uint8_t)v;
}

static bool irouter_access(struct vgic *g, uint64_t offset, unsigned size, bool write,
                           uint64_t *value)
{
    uint32_t intid = (uint32_t)((offset - GICD_IROUTER) / 8u);
    unsigned half = (unsigned)(offset & 4u);
    struct vgic_irq *irq;
    uint64_t cur;

    if ((size != 8 && size != 4) || (size == 8 && half != 0)) {
        return false;
    }
    irq = intid >= VGIC_SPI_BASE ? irq_get(g, intid, 0) : NULL;
    if (irq == NULL) {
        /* INTIDs 0-31 and unimplemented SPIs: reserved, RAZ/WI. */
        if (!write) {
            *value = 0;
        }
        return true;
    }
    cur = irq->irouter;
    if (!write) {
        *value = size == 8 ? cur : (uint32_t)(cur >> (half * 8));
        return true;
    }
    if (size == 8) {
        cur = *value;
    } else if (half == 0) {
        cur = (cur & ~0xffffffffull) | (uint32_t)*value;
    } else {
        cur = (cur & 0xffffffffull) | ((uint64_t)(uint32_t)*value << 32);
    }
    irq->irouter = (uint32_t)(cur & IROUTER_AFF_MASK);
    irq->target = router_target(g, irq->irouter);
    return true;
}

enum reg_result {
    REG_OK,      /* handled */
    REG_BAD,     /* a real register, accessed with the wrong size or alignment */
    REG_UNKNOWN, /* not one of these registers */
};

/* Bit-array, priority and config registers shared by GICD and the SGI frame. */
static enum reg_result irq_regs(struct vgic *g, unsigned vcpu, uint32_t off, unsigned size,
                                bool write, uint64_t *value, bool dist)
{
    static const struct {
        uint32_t base;
        enum bitreg op;
    } bitregs[] = {
        {GICD_IGROUPR, BITREG_GROUP},     {GICD_ISENABLER, BITREG_SENABLE},
        {GICD_ICENABLER, BITREG_CENABLE}, {GICD_ISPENDR, BITREG_SPEND},
        {GICD_ICPENDR, BITREG_CPEND},     {GICD_ISACTIVER, BITREG_SACTIVE},
        {GICD_ICACTIVER, BITREG_CACTIVE},
    };
    /* The distributor covers SPIs (register 0 is RAZ/WI under ARE); the SGI
     * frame covers register 0 only. */
    uint32_t nregs = dist ? 32u : 1u;

    for (size_t r = 0; r < sizeof(bitregs) / sizeof(bitregs[0]); r++) {
        if (off >= bitregs[r].base && off < bitregs[r].base + 4u * nregs) {
            uint32_t n = (off - bitregs[r].base) / 4u;
            if (size != 4 || (off & 3u) != 0) {
                return REG_BAD;
            }
            if (dist && n == 0) {
                if (!write) {
                    *value = 0;
                }
                return REG_OK;
            }
            bitreg_access(g, vcpu, n * 32u, bitregs[r].op, write, value);
            return REG_OK;
        }
    }
    if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + (dist ? 0x400u : 0x20u)) {
        uint32_t first = off - GICD_IPRIORITYR;
        if ((off & (size - 1u)) != 0) {
            return REG_BAD;
        }
        if (dist && first < VGIC_SPI_BASE) {
            if (size != 1 && size != 4) {
                return REG_BAD;
            }
            if (!write) {
                *value = 0;
            }
            return REG_OK;
        }
        return prio_access(g, vcpu, first, size, write, value) ? REG_OK : REG_BAD;
    }
    if (off >= GICD_ICFGR && off < GICD_ICFGR + (dist ? 0x100u : 8u)) {
        uint32_t n = (off - GICD_ICFGR) / 4u;
        if (size != 4 || (off & 3u) != 0) {
            return REG_BAD;
        }
        if (dist && n < 2) {
            if (!write) {
                *value = 0;
            }
            return REG_OK;
        }
        cfg_access(g, vcpu, n * 16u, write, value);
        return REG_OK;
    }
    return REG_UNKNOWN;
}

static bool raz_wi(unsigned size, bool write, uint64_t *value)
{
    if (size != 4 && size != 8) {
        return false;
    }
    if (!write) {
        *value = 0;
    }
    return true;
}

bool vgic_dist_mmio(void *dev, uint64_t offset, unsigned size, bool write, uint64_t *value)
{
    struct vgic *g = dev;
    uint32_t off = (uint32_t)offset;

    if (offset >= VGIC_DIST_SIZE || (size != 1 && size != 4 && size != 8) ||
        (offset & (size - 1u)) != 0) {
        return false;
    }
    if (off >= GICD_IROUTER && off < GICD_IROUTER_END) {
        return irouter_access(g, offset, size, write, value);
    }
    /* Byte access exists only for IPRIORITYR and ITARGETSR. */
    if (off >= GICD_IPRIORITYR && off < GICD_ITARGETSR + 0x400u) {
        if (off >= GICD_ITARGETSR) {
            /* ITARGETSR is RAZ/WI with affinity routing. */
            if (size == 8) {
                return false;
            }
            if (!write) {
                *value = 0;
            }
            return true;
        }
        return irq_regs(g, 0, off, size, write, value, true) == REG_OK;
    }
    if (size != 4) {
        return false;
    }
    switch (off) {
    case GICD_CTLR:
        if (write) {
            /* Only the group enables are writable; ARE and DS are RAO/WI. */
            g->ctlr = GICD_CTLR_ARE | GICD_CTLR_DS |
                      ((uint32_t)*value & (GICD_CTLR_ENABLE_G0 | GICD_CTLR_ENABLE_G1));
        } else {
            *value = g->ctlr; /* RWP (bit 31) reads 0: writes take effect at once */
        }
        return true;
    case GICD_TYPER:
        if (!write) {
            /* ITLinesNumber, IDbits = 9 (10-bit INTIDs), No1N; no LPIs, MBIS, A3V. */
            *value = ((g->nr_spis + 32u) / 32u - 1u) | (9u << 19) | (1u << 25) |
                     ((uint32_t)(g->nr_vcpus - 1u) << 5);
        }
        return true;
    case GICD_IIDR:
        if (!write) {
            *value = VGIC_IIDR;
        }
        return true;
    case GIC_PIDR2:
        if (!write) {
            *value = VGIC_PIDR2;
        }
        return true;
    default:
        break;
    }
    if (off >= GICD_IGROUPR && off < GICD_ICFGR + 0x100u) {
        return irq_regs(g, 0, off, size, write, value, true) == REG_OK;
    }
    /* Everything else (TYPER2, STATUSR, IGRPMODR/NSACR under DS, SGIR, the
     * message-based SPI registers, other ID registers) is RAZ/WI. */
    return raz_wi(size, write, value);
}

static bool redist_rd(struct vgic *g, unsigned vcpu, uint32_t off, unsigned size, bool write,
                      uint64_t *value)
{
    if (off == GICR_TYPER || off == GICR_TYPER + 4u) {
        uint64_t typer = (vmm_vcpu_mpidr(vcpu) << 32) | ((uint64_t)vcpu << 8);
        if (vcpu == g->nr_vcpus - 1u) {
            typer |= GICR_TYPER_LAST;
        }
        if (size == 8 && off != GICR_TYPER) {
            return false;
        }
        if (!write) {
            *value = size == 8 ? typer : (uint32_t)(typer >> ((off - GICR_TYPER) * 8u));
        }
        return true; /* read-only: writes ignored */
    }
    if (size != 4) {
        /* PROPBASER/PENDBASER are 64-bit and RAZ/WI: LPIs are not supported. */
        return raz_wi(size, write, value);
    }
    switch (off) {
    case GICR_CTLR:
        /* EnableLPIs cannot be set (GICR_TYPER.PLPIS == 0); RWP reads 0. */
        return raz_wi(size, write, value);
    case GICR_IIDR:
        if (!write) {
            *value = VGIC_IIDR;
        }
        return true;
    case GICR_WAKER:
        if (write) {
            /* Wake-up completes at once: ChildrenAsleep follows ProcessorSleep. */
            g->cpu[vcpu].waker = ((uint32_t)*value & GICR_WAKER_PROCESSOR_SLEEP)
                                     ? (GICR_WAKER_PROCESSOR_SLEEP | GICR_WAKER_CHILDREN_ASLEEP)
                                     : 0;
        } else {
            *value = g->cpu[vcpu].waker;
        }
        return true;
    case GIC_PIDR2:
        if (!write) {
            *value = VGIC_PIDR2;
        }
        return true;
    default:
        return raz_wi(size, write, value);
    }
}

bool vgic_redist_mmio(void *dev, uint64_t offset, unsigned size, bool write, uint64_t *value)
{
    struct vgic *g = dev;
    unsigned vcpu;
    uint32_t off;

    if ((size != 1 && size != 4 && size != 8) || (offset & (size - 1u)) != 0) {
        return false;
    }
    if (offset >= (uint64_t)g->nr_vcpus * VGIC_REDIST_SIZE) {
        return false;
    }
    vcpu = (unsigned)(offset / VGIC_REDIST_SIZE);
    off = (uint32_t)(offset % VGIC_REDIST_SIZE);
    if (off < GICR_SGI_BASE) {
        if (size == 1) {
            return false;
        }
        return redist_rd(g, vcpu, off, size, write, value);
    }
    off -= GICR_SGI_BASE;
    if (off >= GICD_IGROUPR && off < GICD_ICFGR + 8u) {
        enum reg_result r = irq_regs(g, vcpu, off, size, write, value, false);
        if (r != REG_UNKNOWN) {
            return r == REG_OK;
        }
    }
    if (size == 1) {
        return false;
    }
    /* IGRPMODR0 and NSACR are RAZ/WI under DS; the rest of the frame is reserved. */
    return raz_wi(size, write, value);
}

uint32_t vgic_sgi1r_write(struct vgic *g, unsigned src, uint64_t value)
{
    uint32_t intid = (uint32_t)(value >> 24) & 0xfu;
    uint32_t targets = 0;

    if (src >= g->nr_vcpus) {
        return 0;
    }
    if ((value >> 40) & 1u) {
        /* IRM: every PE but the sender. */
        for (unsigned c = 0; c < g->nr_vcpus; c++) {
            if (c != src) {
                targets |= 1u << c;
            }
        }
    } else {
        uint64_t aff321 = (((value >> 48) & 0xffu) << 32) | (((value >> 32) & 0xffu) << 16) |
                          (((value >> 16) & 0xffu) << 8);
        unsigned rs = (unsigned)(value >> 44) & 0xfu;
        for (unsigned bit = 0; bit < 16u; bit++) {
            int c;
            if (!((value >> bit) & 1u)) {
                continue;
            }
            c = vmm_mpidr_to_vcpu(aff321 | (rs * 16u + bit), g->nr_vcpus);
            if (c >= 0) {
                targets |= 1u << c;
            }
        }
    }
    for (unsigned c = 0; c < g->nr_vcpus; c++) {
        if (targets & (1u << c)) {
            g->cpu[c].priv[intid].flags |= VGIC_IRQ_PENDING;
        }
    }
    return targets;
}

bool vgic_set_pending(struct vgic *g, uint32_t intid, unsigned vcpu)
{
    struct vgic_irq *irq = irq_get(g, intid, intid < VGIC_SPI_BASE ? vcpu : 0);

    if (irq == NULL) {
        return false;
    }
    irq->flags |= VGIC_IRQ_PENDING;
    return true;
}

bool vgic_set_level(struct vgic *g, uint32_t intid, unsigned vcpu, bool level)
{
    struct vgic_irq *irq = irq_get(g, intid, intid < VGIC_SPI_BASE ? vcpu : 0);

    if (irq == NULL || intid < VGIC_NR_SGIS) {
        return false;
    }
    if (level && !(irq->flags & VGIC_IRQ_LEVEL) && (irq->flags & VGIC_IRQ_EDGE)) {
        irq->flags |= VGIC_IRQ_PENDING;
    }
    irq->flags = (uint8_t)(level ? (irq->flags | VGIC_IRQ_LEVEL) : (irq->flags & ~VGIC_IRQ_LEVEL));
    return true;
}

void vgic_irq_line_set(void *ctx, uint32_t intid, bool level)
{
    if (intid >= VGIC_SPI_BASE) {
        (void)vgic_set_level(ctx, intid, 0, level);
    }
}

bool vgic_set_hw(struct vgic *g, uint32_t intid, uint32_t pintid)
{
    struct vgic_irq *irq = intid >= VGIC_SPI_BASE ? irq_get(g, intid, 0) : NULL;

    if (irq == NULL || pintid < VGIC_SPI_BASE || pintid >= 1020u) {
        return false;
    }
    irq->flags |= VGIC_IRQ_HW;
    irq->phys_intid = (uint16_t)pintid;
    return true;
}

/* Best deliverable interrupt for vcpu; returns its intid or VGIC_INTID_NONE. */
static uint32_t best_for_cpu(const struct vgic *g, unsigned vcpu)
{
    uint32_t best = VGIC_INTID_NONE;
    unsigned best_prio = 0x100;

    for (uint32_t i = 0; i < VGIC_NR_PRIVATE; i++) {
        const struct vgic_irq *irq = &g->cpu[vcpu].priv[i];
        if (irq_deliverable(g, irq) && irq->priority < best_prio) {
            best = i;
            best_prio = irq->priority;
        }
    }
    for (uint32_t i = 0; i < g->nr_spis; i++) {
        const struct vgic_irq *irq = &g->spi[i];
        if (irq->target == vcpu && irq_deliverable(g, irq) && irq->priority < best_prio) {
            best = VGIC_SPI_BASE + i;
            best_prio = irq->priority;
        }
    }
    return best;
}

bool vgic_has_pending(const struct vgic *g, unsigned vcpu)
{
    return vcpu < g->nr_vcpus && best_for_cpu(g, vcpu) != VGIC_INTID_NONE;
}

bool vgic_next_for_cpu(struct vgic *g, unsigned vcpu, struct vgic_lr *out)
{
    uint32_t intid;
    struct vgic_irq *irq;

    if (vcpu >= g->nr_vcpus) {
        return false;
    }
    intid = best_for_cpu(g, vcpu);
    if (intid == VGIC_INTID_NONE) {
        return false;
    }
    irq = irq_get(g, intid, vcpu);
    irq->flags &= (uint8_t)~VGIC_IRQ_PENDING;
    irq->flags |= VGIC_IRQ_LISTED;
    irq->lr_vcpu = (uint8_t)vcpu;
    out->virt_intid = intid;
    out->priority = irq->priority;
    out->group1 = (irq->flags & VGIC_IRQ_GROUP1) != 0;
    out->hw = (irq->flags & VGIC_IRQ_HW) != 0;
    out->phys_intid = out->hw ? irq->phys_intid : 0;
    /* HW interrupts are deactivated by the guest's EOI in hardware; software
     * ones need the maintenance interrupt so the model can retire them. */
    out->eoi_maint = !out->hw;
    return true;
}

uint64_t vgic_lr_encode(const struct vgic_lr *lr)
{
    uint64_t v = (uint64_t)lr->virt_intid | ((uint64_t)lr->priority << 48) | (1ull << 62);

    if (lr->group1) {
        v |= 1ull << 60;
    }
    if (lr->hw) {
        v |= (1ull << 61) | ((uint64_t)(lr->phys_intid & 0x1fffu) << 32);
    } else if (lr->eoi_maint) {
        v |= 1ull << 41; /* EOI: maintenance interrupt when the guest deactivates it */
    }
    return v;
}

/* A listed, or acknowledged-and-returned (active), interrupt of vcpu. */
static struct vgic_irq *listed_irq(struct vgic *g, unsigned vcpu, uint32_t intid)
{
    struct vgic_irq *irq = irq_get(g, intid, vcpu);

    if (irq == NULL || !(irq->flags & (VGIC_IRQ_LISTED | VGIC_IRQ_ACTIVE))) {
        return NULL;
    }
    /* An SPI is retired by the vCPU that took it, even if rerouted since. */
    if (intid >= VGIC_SPI_BASE && irq->lr_vcpu != vcpu) {
        return NULL;
    }
    return irq;
}

bool vgic_eoi(struct vgic *g, unsigned vcpu, uint32_t intid)
{
    struct vgic_irq *irq = listed_irq(g, vcpu, intid);

    if (irq == NULL) {
        return false;
    }
    /* A level line still high makes it pending again through irq_pending(). */
    irq->flags &= (uint8_t) ~(VGIC_IRQ_LISTED | VGIC_IRQ_ACTIVE);
    return true;
}

bool vgic_unlist(struct vgic *g, unsigned vcpu, uint32_t intid, bool still_pending)
{
    struct vgic_irq *irq = listed_irq(g, vcpu, intid);

    if (irq == NULL) {
        return false;
    }
    irq->flags &= (uint8_t)~VGIC_IRQ_LISTED;
    if (still_pending) {
        irq->flags |= VGIC_IRQ_PENDING;
    } else {
        irq->flags |= VGIC_IRQ_ACTIVE; /* acknowledged, not yet EOIed */
    }
    return true;
}
