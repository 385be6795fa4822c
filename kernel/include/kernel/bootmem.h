/*
 * Boot-time physical memory: RAM minus what is reserved (kernel image and
 * payload, device tree, firmware reservations). Used only while the kernel
 * builds the root task; what is left becomes the root task's untyped memory.
 */
#ifndef KERNEL_BOOTMEM_H
#define KERNEL_BOOTMEM_H

#include <bulkhead/errors.h>
#include <kernel/types.h>

#define BOOTMEM_MAX_RANGES 32u

struct bootmem {
    struct {
        uint64_t base;
        uint64_t end; /* exclusive */
    } free[BOOTMEM_MAX_RANGES];
    unsigned nfree;
};

void bootmem_init(struct bootmem *bm);
/* Adds [base, base+size) as free RAM (page-aligned inward). */
bh_error_t bootmem_add(struct bootmem *bm, uint64_t base, uint64_t size);
/* Removes [base, base+size) from the free ranges (page-aligned outward). */
bh_error_t bootmem_reserve(struct bootmem *bm, uint64_t base, uint64_t size);
/* Takes size bytes aligned to align (a power of two >= 4 KiB) from the lowest
 * range that fits. */
bh_error_t bootmem_alloc(struct bootmem *bm, uint64_t size, uint64_t align, paddr_t *out);
uint64_t bootmem_free_bytes(const struct bootmem *bm);

#endif
