/*
 * Virtual GICv3 for one VM: distributor and redistributor MMIO emulation,
 * SGIs from trapped ICC_SGI1R_EL1 writes, SPIs from emulated and passthrough
 * devices, and the pending-interrupt selection that fills the vCPUs' list
 * registers (through the kernel's injection invocation).
 *
 * The model presents a GIC with a single security state (GICD_CTLR.DS = 1),
 * affinity routing always on (ARE RAO/WI), no LPIs (GICD_TYPER.LPIS = 0,
 * GICR_TYPER.PLLPIS = 0, GICR_PROPBASER/PENDBASER RAZ/WI), no 1-of-N SPI
 * routing (No1N = 1) and Aff3 = 0 (A3V = 0). Priorities keep the top
 * VGIC_PRIO_BITS bits, as many as the virtual CPU interface implements.
 *
 * List register life cycle: vgic_next_for_cpu() hands out the most urgent
 * deliverable interrupt and marks it "listed" (it will not be handed out again
 * until retired); vgic_eoi() retires it when the kernel reports the guest's
 * EOI (maintenance interrupt), and vgic_unlist() gives an entry back that the
 * kernel took out of a list register before the guest acknowledged it.
 * An edge that arrives while listed is remembered as pending and delivered
 * after the EOI. Not thread-safe: the VMM serialises calls.
 */
#ifndef VMM_VGIC_H
#define VMM_VGIC_H

#include <vmm/vmm_common.h>

#define VGIC_NR_SPIS     256u /* upper bound on SPIs per VM */
#define VGIC_NR_PRIVATE  32u  /* SGIs 0-15, PPIs 16-31, per vCPU */
#define VGIC_NR_SGIS     16u
#define VGIC_SPI_BASE    32u
#define VGIC_PRIO_BITS   5u
#define VGIC_PRIO_MASK   ((uint8_t)(0xffu << (8u - VGIC_PRIO_BITS)))
#define VGIC_DIST_SIZE   0x10000ull /* GICD: one 64 KiB frame */
#define VGIC_REDIST_SIZE 0x20000ull /* GICR per vCPU: RD_base + SGI_base frames */
#define VGIC_INTID_NONE  1023u
#define VGIC_IIDR        0x4200043bu /* implementer Arm (JEP106 0x43b), ProductID 'B', rev 0 */
#define VGIC_PIDR2       0x3bu       /* ArchRev 3 (GICv3) in [7:4], JEP106 id bits [3:0] */

/* GICD_CTLR with DS = 1. */
#define GICD_CTLR_ENABLE_G0 (1u << 0)
#define GICD_CTLR_ENABLE_G1 (1u << 1)
#define GICD_CTLR_ARE       (1u << 4)
#define GICD_CTLR_DS        (1u << 6)

/* GICR_WAKER. */
#define GICR_WAKER_PROCESSOR_SLEEP (1u << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1u << 2)

/* One list-register entry for the kernel's injection invocation. */
struct vgic_lr {
    uint32_t virt_intid;
    uint8_t priority;
    bool group1;
    bool hw;             /* passthrough: the guest's EOI deactivates phys_intid */
    uint32_t phys_intid; /* valid when hw */
    bool eoi_maint;      /* ask for a maintenance interrupt on EOI (software interrupts) */
};

struct vgic_irq {
    uint8_t priority;
    uint8_t flags;   /* VGIC_IRQ_* below */
    uint8_t target;  /* SPIs: vCPU the IROUTER value resolves to, 0xff if none */
    uint8_t lr_vcpu; /* SPIs: the vCPU whose list register holds it (LISTED/ACTIVE) */
    uint16_t phys_intid;
    uint32_t irouter; /* SPIs only */
};

#define VGIC_IRQ_ENABLED (1u << 0)
#define VGIC_IRQ_PENDING (1u << 1) /* pending latch (edge, or set through ISPENDR) */
#define VGIC_IRQ_ACTIVE  (1u << 2)
#define VGIC_IRQ_GROUP1  (1u << 3)
#define VGIC_IRQ_EDGE    (1u << 4) /* ICFGR: edge-triggered */
#define VGIC_IRQ_LEVEL   (1u << 5) /* level-sensitive input line is high */
#define VGIC_IRQ_LISTED  (1u << 6) /* in a list register */
#define VGIC_IRQ_HW      (1u << 7) /* passthrough with phys_intid */

struct vgic_cpu {
    struct vgic_irq priv[VGIC_NR_PRIVATE];
    uint32_t waker;
};

struct vgic {
    unsigned nr_vcpus;
    unsigned nr_spis; /* multiple of 32, at most VGIC_NR_SPIS */
    uint32_t ctlr;
    struct vgic_cpu cpu[VMM_MAX_VCPUS];
    struct vgic_irq spi[VGIC_NR_SPIS];
};

/* Resets to the architectural reset state. Returns false for bad sizes. */
bool vgic_init(struct vgic *g, unsigned nr_vcpus, unsigned nr_spis);

/* MMIO: offset within GICD (64 KiB) or within the whole GICR region
 * (nr_vcpus * 128 KiB, vCPU n's frames at n * VGIC_REDIST_SIZE). */
bool vgic_dist_mmio(void *g, uint64_t offset, unsigned size, bool write, uint64_t *value);
bool vgic_redist_mmio(void *g, uint64_t offset, unsigned size, bool write, uint64_t *value);

/*
 * A trapped write of ICC_SGI1R_EL1 by vCPU `src`. Returns the bit mask of
 * vCPUs that the SGI was made pending on (the VMM kicks them).
 */
uint32_t vgic_sgi1r_write(struct vgic *g, unsigned src, uint64_t value);

/* Edge / software trigger: makes intid pending (vcpu selects the banked copy
 * for SGIs and PPIs; ignored for SPIs). False for an unknown intid. */
bool vgic_set_pending(struct vgic *g, uint32_t intid, unsigned vcpu);
/* Input line level of a level-sensitive (or, on a rising edge, an edge) interrupt. */
bool vgic_set_level(struct vgic *g, uint32_t intid, unsigned vcpu, bool level);
/* irq_line adapter: ctx is the struct vgic; SPIs only (PPIs need a vCPU). */
void vgic_irq_line_set(void *ctx, uint32_t intid, bool level);

/* Marks an SPI as passthrough of physical interrupt pintid (HW bit in the LR). */
bool vgic_set_hw(struct vgic *g, uint32_t intid, uint32_t pintid);

/* Target vCPU of a deliverable interrupt check: true if vcpu has anything to take. */
bool vgic_has_pending(const struct vgic *g, unsigned vcpu);
/* The most urgent deliverable interrupt for vcpu (lowest priority value, then
 * lowest INTID); marks it listed. False if none. */
bool vgic_next_for_cpu(struct vgic *g, unsigned vcpu, struct vgic_lr *out);
/* The entry as an ICH_LR<n>_EL2 value in the pending state (IHI 0069, 12.4.6),
 * for a kernel invocation that takes raw list-register values. */
uint64_t vgic_lr_encode(const struct vgic_lr *lr);
/* The guest EOIed a listed interrupt (deactivated it). */
bool vgic_eoi(struct vgic *g, unsigned vcpu, uint32_t intid);
/* The kernel returned a listed entry; still_pending = the guest had not acknowledged it. */
bool vgic_unlist(struct vgic *g, unsigned vcpu, uint32_t intid, bool still_pending);

#endif
