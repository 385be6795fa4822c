/*
 * Device tree for one guest, written with libfdt's sequential-write API:
 * memory, the vCPUs (enable-method "psci", reg = MPIDR from
 * vmm_vcpu_mpidr()), /psci (psci-1.0, method "hvc"), the GICv3 (distributor
 * and one redistributor region sized for the vCPUs, #interrupt-cells 3), the
 * architected timer (PPIs 13, 14, 11, 10), the PL011 with its 24 MHz clock,
 * each virtio-mmio transport, passthrough devices, and /chosen (bootargs,
 * stdout-path, linux,initrd-start/end). Interrupts are given as GIC INTIDs;
 * the generator converts them to DT SPI numbers (INTID - 32).
 */
#ifndef VMM_GUEST_FDT_H
#define VMM_GUEST_FDT_H

#include <vmm/vmm_common.h>

#define GUEST_FDT_MAX_VIRTIO      8u
#define GUEST_FDT_MAX_PASSTHROUGH 8u
#define GUEST_FDT_MAX_IRQS        4u /* per passthrough device */

/* DT interrupt trigger types (interrupt-controller/irq.h). */
#define GUEST_FDT_IRQ_EDGE_RISING 1u
#define GUEST_FDT_IRQ_LEVEL_HIGH  4u

/* Phandles the generator assigns. */
#define GUEST_FDT_PHANDLE_GIC 1u
#define GUEST_FDT_PHANDLE_CLK 2u

struct guest_fdt_virtio {
    uint64_t base, size;
    uint32_t intid; /* SPI, edge-triggered */
};

struct guest_fdt_irq {
    uint32_t intid; /* SPI */
    uint32_t type;  /* GUEST_FDT_IRQ_* */
};

struct guest_fdt_passthrough {
    const char *name;       /* node name without unit address, e.g. "ethernet" */
    const char *compatible; /* one string */
    uint64_t base, size;
    struct guest_fdt_irq irqs[GUEST_FDT_MAX_IRQS];
    unsigned nr_irqs;
};

struct guest_fdt_config {
    const char *model; /* the guest's name */
    uint64_t ram_base, ram_size;
    unsigned nr_vcpus;
    uint64_t gicd_base, gicr_base; /* sizes: VGIC_DIST_SIZE, nr_vcpus * VGIC_REDIST_SIZE */
    uint64_t uart_base;
    uint32_t uart_intid;
    const struct guest_fdt_virtio *virtio;
    unsigned nr_virtio;
    const struct guest_fdt_passthrough *passthrough;
    unsigned nr_passthrough;
    const char *bootargs;              /* NULL: none */
    uint64_t initrd_start, initrd_end; /* both 0: no initrd */
};

/*
 * Writes the tree into buf. Returns 0, -FDT_ERR_BADVALUE for an invalid
 * configuration (no or too many vCPUs or devices, an interrupt that is not an
 * SPI, an initrd outside RAM or ending before it starts), or another negative
 * libfdt error (-FDT_ERR_NOSPACE when buf is too small).
 */
int guest_fdt_build(const struct guest_fdt_config *cfg, void *buf, size_t bufsize);

#endif
