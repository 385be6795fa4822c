/*
 * Kernel-internal basic types, portable (host and AArch64).
 *
 * Physical, intermediate-physical (guest/EL0-physical) and kernel-virtual
 * addresses are distinct struct types so one can never be passed for another
 * by accident; convert only through the named helpers.
 */
#ifndef KERNEL_TYPES_H
#define KERNEL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t word_t;

typedef struct {
    uint64_t pa;
} paddr_t; /* physical address */

typedef struct {
    uint64_t ipa;
} ipaddr_t; /* intermediate physical address (stage-2 input) */

typedef struct {
    uint64_t va;
} vaddr_t; /* a virtual address in some stage-1 regime */

static inline paddr_t pa_init(uint64_t v)
{
    return (paddr_t){v};
}

static inline ipaddr_t ipa_init(uint64_t v)
{
    return (ipaddr_t){v};
}

static inline vaddr_t va_init(uint64_t v)
{
    return (vaddr_t){v};
}

static inline uint64_t pa_addr(paddr_t p)
{
    return p.pa;
}

static inline uint64_t ipa_addr(ipaddr_t p)
{
    return p.ipa;
}

static inline uint64_t va_addr(vaddr_t p)
{
    return p.va;
}

#define BH_PAGE_BITS 12u
#define BH_PAGE_SIZE (1ull << BH_PAGE_BITS)

static inline bool is_aligned(uint64_t v, uint64_t align)
{
    return (v & (align - 1u)) == 0u;
}

static inline uint64_t align_up(uint64_t v, uint64_t align)
{
    return (v + align - 1u) & ~(align - 1u);
}

static inline uint64_t align_down(uint64_t v, uint64_t align)
{
    return v & ~(align - 1u);
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
