/* The kernel's own EL2 stage-1 translation (TTBR0_EL2), identity-mapped. */
#ifndef ARCH_MMU_H
#define ARCH_MMU_H

#include <arch/regs.h>
#include <kernel/platform.h>

/* The EL2 translation registers, for secondary CPUs to load. */
extern struct mmu_boot_regs mmu_boot_regs;

/* Builds the EL2 tables for RAM, the kernel image and the devices the
 * platform names, then turns the MMU and caches on. Panics on failure. */
void mmu_init(const struct platform *p);
/* Physical address range supported (ID_AA64MMFR0_EL1.PARange field). */
unsigned mmu_pa_range(void);
/* Map an extra device region (MMIO) read-write, never-executable. */
void mmu_map_device(uint64_t base, uint64_t size);

#endif
