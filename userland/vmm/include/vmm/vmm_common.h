/*
 * Shared pieces of the VMM's portable device models: limits, the interrupt
 * line callback, guest memory access with bounds checks, vCPU affinity
 * numbering and little-endian helpers. Freestanding: no libc beyond
 * kernel/lib's string functions, no allocation; the VMM owns every struct.
 */
#ifndef VMM_COMMON_H
#define VMM_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMM_MAX_VCPUS 8u

/*
 * vCPU n has MPIDR affinity Aff0 = n (Aff1..Aff3 zero). The vGIC's
 * GICR_TYPER, PSCI's target_cpu decoding and the device tree's cpu@n/reg all
 * use this one mapping.
 */
static inline uint64_t vmm_vcpu_mpidr(unsigned vcpu)
{
    return (uint64_t)vcpu;
}

/* MPIDR affinity fields (Aff3 [39:32], Aff2..Aff0 [23:0]). */
#define VMM_MPIDR_AFF_MASK 0xff00ffffffull

/* Returns the vCPU index for an MPIDR affinity value, or -1 if none matches. */
static inline int vmm_mpidr_to_vcpu(uint64_t mpidr, unsigned nr_vcpus)
{
    if ((mpidr & ~(uint64_t)0xff) != 0 || mpidr >= nr_vcpus) {
        return -1;
    }
    return (int)mpidr;
}

/*
 * An interrupt output of a device model. The VMM wires it to
 * vgic_set_level() (or to anything else in tests). `level` is the new line
 * state; edge-triggered consumers look only at rising edges.
 */
struct irq_line {
    void (*set)(void *ctx, uint32_t intid, bool level);
    void *ctx;
    uint32_t intid;
};

static inline void irq_line_set(const struct irq_line *line, bool level)
{
    if (line != NULL && line->set != NULL) {
        line->set(line->ctx, line->intid, level);
    }
}

/*
 * Guest RAM as the VMM sees it: one contiguous IPA range mapped at a host
 * pointer. Every device access to guest memory goes through
 * guest_mem_translate(), which refuses anything not wholly inside the range.
 */
struct guest_mem {
    uint64_t ipa_base;
    uint64_t size;
    uint8_t *host;
};

/* Host pointer for [ipa, ipa+len) or NULL if any byte lies outside guest RAM. */
void *guest_mem_translate(const struct guest_mem *mem, uint64_t ipa, uint64_t len);

static inline uint16_t vmm_le16(const void *p)
{
    const uint8_t *b = p;
    return (uint16_t)(b[0] | (b[1] << 8));
}

static inline uint32_t vmm_le32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

static inline uint64_t vmm_le64(const void *p)
{
    const uint8_t *b = p;
    return (uint64_t)vmm_le32(b) | ((uint64_t)vmm_le32(b + 4) << 32);
}

static inline void vmm_put_le16(void *p, uint16_t v)
{
    uint8_t *b = p;
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}

static inline void vmm_put_le32(void *p, uint32_t v)
{
    uint8_t *b = p;
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
}

static inline void vmm_put_le64(void *p, uint64_t v)
{
    vmm_put_le32(p, (uint32_t)v);
    vmm_put_le32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

/*
 * Generic MMIO handler signature every device model offers: `offset` is
 * relative to the device's base, `size` is 1, 2, 4 or 8 bytes; reads store
 * into *value, writes take *value. Returns false for an access the device
 * does not accept (the VMM then injects an external abort).
 */
typedef bool (*vmm_mmio_fn)(void *dev, uint64_t offset, unsigned size, bool write, uint64_t *value);

#endif
