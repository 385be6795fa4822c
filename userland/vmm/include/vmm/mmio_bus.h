/*
 * Glue between the kernel's stage-2 data-abort messages and the device
 * models: decoding the data-abort syndrome (ESR_ELx.ISS, Arm ARM D17.2.40
 * "ISS encoding for an exception from a Data Abort") and dispatching an
 * access to the device whose window holds the faulting IPA.
 */
#ifndef VMM_MMIO_BUS_H
#define VMM_MMIO_BUS_H

#include <vmm/vmm_common.h>

#define MMIO_BUS_MAX_REGIONS 16u

struct mmio_region {
    uint64_t base, size;
    vmm_mmio_fn fn;
    void *dev;
};

struct mmio_bus {
    struct mmio_region region[MMIO_BUS_MAX_REGIONS];
    unsigned count;
};

/* One decoded data abort with a valid instruction syndrome. */
struct mmio_dabt {
    unsigned size; /* 1, 2, 4 or 8 bytes */
    bool write;
    bool sign_extend; /* SSE: the load sign-extends */
    bool sf;          /* the register is 64-bit (Xn), else Wn */
    unsigned reg;     /* SRT: 0-30, 31 = XZR/WZR */
};

void mmio_bus_init(struct mmio_bus *bus);
/* False if the table is full, the window is empty or wraps, or it overlaps another. */
bool mmio_bus_add(struct mmio_bus *bus, uint64_t base, uint64_t size, vmm_mmio_fn fn, void *dev);
/* False if no device claims [ipa, ipa + size) or the device refuses the access. */
bool mmio_bus_access(const struct mmio_bus *bus, uint64_t ipa, unsigned size, bool write,
                     uint64_t *value);

/* Decodes ESR_EL2 of a data abort from a lower EL; false without ISV (the VMM
 * cannot emulate the access: inject an external abort or stop the guest). */
bool mmio_dabt_decode(uint64_t esr, struct mmio_dabt *out);
/* The register value a load writes back: sign- or zero-extended, Wn writes
 * clear bits [63:32]. */
uint64_t mmio_dabt_load_value(const struct mmio_dabt *d, uint64_t raw);

#endif
