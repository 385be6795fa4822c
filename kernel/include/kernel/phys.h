/*
 * Physical memory as the kernel sees it.
 *
 * The EL2 kernel maps all RAM at VA == PA (docs/ARCHITECTURE.md, "EL2 memory
 * map"), and host builds use host pointers as "physical" addresses, so the
 * conversion is the identity in both. Every conversion still goes through these
 * two functions so the rule lives in one place.
 */
#ifndef KERNEL_PHYS_H
#define KERNEL_PHYS_H

#include <kernel/types.h>

static inline void *pa_to_kva(paddr_t p)
{
    return (void *)(uintptr_t)pa_addr(p);
}

static inline paddr_t kva_to_pa(const void *v)
{
    return pa_init((uint64_t)(uintptr_t)v);
}

#endif
