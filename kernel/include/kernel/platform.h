/*
 * What the kernel knows about the machine, read from the device tree the boot
 * loader passes (platform/fdt_platform.c). Configuration as data: no driver
 * hard-codes an address; the only constants are the documented QEMU virt
 * fallback used when no device tree is found.
 */
#ifndef KERNEL_PLATFORM_H
#define KERNEL_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#define PLAT_MAX_RAM  8
#define PLAT_MAX_CPUS 8
#define PLAT_MAX_RESV 8

struct plat_range {
    uint64_t base;
    uint64_t size;
};

enum psci_conduit {
    PSCI_NONE = 0,
    PSCI_SMC = 1,
    PSCI_HVC = 2,
};

struct platform {
    char model[64];
    bool from_fdt; /* false: the fallback below was used */
    struct plat_range ram[PLAT_MAX_RAM];
    unsigned nram;
    struct plat_range reserved[PLAT_MAX_RESV]; /* /memreserve/ and /reserved-memory */
    unsigned nreserved;
    struct plat_range uart;
    unsigned uart_intid;
    struct plat_range gicd;
    struct plat_range gicr;
    unsigned timer_hyp_intid;  /* EL2 physical timer PPI */
    unsigned timer_virt_intid; /* EL1 virtual timer PPI */
    unsigned timer_phys_intid; /* EL1 physical (non-secure) timer PPI */
    uint64_t cpu_mpidr[PLAT_MAX_CPUS];
    unsigned ncpus;
    enum psci_conduit psci;
    uint64_t dtb_base;
    uint64_t dtb_size;
};

/* Error strings are static; NULL means success. */
const char *platform_from_fdt(const void *fdt, struct platform *p);
void platform_fallback(struct platform *p);

#endif
