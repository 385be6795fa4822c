/*
 * Device tree for one guest, written with libfdt's sequential-write API:
 * memory, the vCPUs (enable-method "psci", reg = MPIDR from
 * vmm_vcpu_mpidr()), /psci (psci-1.0, method "hvc"), the GICv3 (distributor
 * and one redistributor region sized for the vCPUs, #interrupt-cells 3), the
 * architected timer (PPIs 13, 14, 11, 10), the PL011 with its 24 MHz clock
 * (if uart_base is not 0), each virtio-mmio transport, passthrough devices,
 * channels ("bulkhead,channel", userland/vmm/README.md) and /chosen
 * (bootargs, stdout-path when there is a PL011, linux,initrd-start/end).
 * Interrupts are given as GIC INTIDs; the generator converts them to DT SPI
 * numbers (INTID - 32).
 */
#ifndef VMM_GUEST_FDT_H
#define VMM_GUEST_FDT_H

#include <vmm/vmm_common.h>

#define GUEST_FDT_MAX_VIRTIO      8u
#define GUEST_FDT_MAX_PASSTHROUGH 8u
#define GUEST_FDT_MAX_IRQS        32u /* per passthrough device: vmm_info's VMM_MAX_PT_IRQS */
#define GUEST_FDT_MAX_CHANNELS    8u

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
    uint64_t base, size;    /* size 0: interrupts only (no reg, no unit address) */
    struct guest_fdt_irq irqs[GUEST_FDT_MAX_IRQS];
    unsigned nr_irqs;
};

/* One channel end: "bulkhead,channel" (userland/vmm/README.md). */
struct guest_fdt_channel {
    const char *name; /* the label property */
    uint64_t shm_base, shm_size;
    uint64_t doorbell_base; /* CHANNEL_PAGE_SIZE bytes */
    uint32_t intid;         /* SPI, edge-triggered */
    bool writable;          /* bulkhead,writable */
    bool can_notify;        /* bulkhead,can-notify */
};

struct guest_fdt_config {
    const char *model; /* the guest's name */
    uint64_t ram_base, ram_size;
    unsigned nr_vcpus;
    uint64_t gicd_base, gicr_base; /* sizes: VGIC_DIST_SIZE, nr_vcpus * VGIC_REDIST_SIZE */
    uint64_t uart_base;            /* 0: no PL011 */
    uint32_t uart_intid;
    const struct guest_fdt_virtio *virtio;
    unsigned nr_virtio;
    const struct guest_fdt_passthrough *passthrough;
    unsigned nr_passthrough;
    const struct guest_fdt_channel *channels;
    unsigned nr_channels;
    const char *bootargs;              /* NULL: none */
    uint64_t initrd_start, initrd_end; /* both 0: no initrd */
};

/*
 * Writes the tree into buf. Returns 0, -FDT_ERR_BADVALUE for an invalid
 * configuration (no or too many vCPUs or devices, an interrupt that is not an
 * SPI, an initrd outside RAM or ending before it starts, a channel without a
 * name or shared memory), or another negative
 * libfdt error (-FDT_ERR_NOSPACE when buf is too small).
 */
int guest_fdt_build(const struct guest_fdt_config *cfg, void *buf, size_t bufsize);

#endif
