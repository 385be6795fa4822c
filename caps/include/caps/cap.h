/*
 * A capability and the slot that holds it.
 *
 * A capability is two words:
 *   w0: bits 0..7 type, 8..12 rights, 13 original, 14 device (untyped),
 *       15 mapped (frame, page table), 16..63 object physical address >> 4.
 *   w1: type-specific:
 *       Endpoint, Notification: badge (0 = unbadged);
 *       Untyped: bits 0..5 size bits, 6..63 free index (bytes) >> 4;
 *       CNode: bits 0..4 radix, 5..10 guard size, 11..63 guard;
 *       Frame, PageTable: bits 0..15 VMID, 16..63 mapped address >> 12;
 *       IRQHandler: the interrupt number.
 * A slot (cte) is the capability plus the two derivation-tree links: 32 bytes.
 * An all-zero slot is empty, so zeroed memory is a CNode of empty slots.
 */
#ifndef CAPS_CAP_H
#define CAPS_CAP_H

#include <bulkhead/objects.h>
#include <kernel/types.h>

typedef struct cap {
    uint64_t w0;
    uint64_t w1;
} cap_t;

typedef struct cte {
    cap_t cap;
    struct cte *prev; /* derivation tree: preorder list, see cdt.h */
    struct cte *next;
} cte_t;

#ifndef __FRAMAC__ /* Frama-C parses C99 unless given -c11 */
_Static_assert(sizeof(cte_t) == (1u << BH_SLOT_SIZE_BITS), "slot size is ABI");
#endif

#define CAP_FLAG_ORIGINAL (1ull << 13)
#define CAP_FLAG_DEVICE   (1ull << 14)
#define CAP_FLAG_MAPPED   (1ull << 15)
#define CAP_OBJ_SHIFT     16u
#define CAP_OBJ_MAX_BITS  52u

/*@ logic integer cap_type_l(cap_t c) = ((c.w0 & 0xff) < BH_OBJ_COUNT) ? (c.w0 & 0xff) : 0;
    logic integer cap_rights_l(cap_t c) = (c.w0 >> 8) & 0x1f;
    predicate cap_null_l(cap_t c) = cap_type_l(c) == 0;
*/

/*@ assigns \nothing;
    ensures \result.w0 == 0 && \result.w1 == 0; */
static inline cap_t cap_null(void)
{
    return (cap_t){0u, 0u};
}

/*@ assigns \nothing;
    ensures \result == cap_type_l(c); */
static inline bh_objtype_t cap_type(cap_t c)
{
    uint64_t t = c.w0 & 0xffu;
    return t < (uint64_t)BH_OBJ_COUNT ? (bh_objtype_t)t : BH_OBJ_NULL;
}

/*@ assigns \nothing;
    ensures \result <==> cap_null_l(c); */
static inline bool cap_is_null(cap_t c)
{
    return cap_type(c) == BH_OBJ_NULL;
}

/*@ assigns \nothing;
    ensures \result == cap_rights_l(c); */
static inline uint32_t cap_rights(cap_t c)
{
    return (uint32_t)((c.w0 >> 8) & BH_RIGHTS_ALL);
}

/*@ assigns \nothing; */
static inline bool cap_is_original(cap_t c)
{
    return (c.w0 & CAP_FLAG_ORIGINAL) != 0u;
}

/*@ assigns \nothing; */
static inline paddr_t cap_obj(cap_t c)
{
    return pa_init((c.w0 >> CAP_OBJ_SHIFT) << 4);
}

/* A capability with the common fields set and w1 = 0. obj must be 16-aligned. */
/*@ assigns \nothing; */
static inline cap_t cap_make(bh_objtype_t type, paddr_t obj, uint32_t rights, bool original)
{
    cap_t c;
    c.w0 = ((uint64_t)type & 0xffu) | ((uint64_t)(rights & BH_RIGHTS_ALL) << 8) |
           ((pa_addr(obj) >> 4) << CAP_OBJ_SHIFT) | (original ? CAP_FLAG_ORIGINAL : 0u);
    c.w1 = 0u;
    return c;
}

/* Only the rights change. */
/*@ assigns \nothing;
    ensures cap_rights_l(\result) == (rights & 0x1f);
    ensures cap_type_l(\result) == cap_type_l(c) && \result.w1 == c.w1;
    ensures (\result.w0 & ~(uint64_t)0x1f00) == (c.w0 & ~(uint64_t)0x1f00); */
static inline cap_t cap_set_rights(cap_t c, uint32_t rights)
{
    c.w0 = (c.w0 & ~(0x1full << 8)) | ((uint64_t)(rights & BH_RIGHTS_ALL) << 8);
    return c;
}

/*@ assigns \nothing;
    ensures cap_rights_l(\result) == cap_rights_l(c) && cap_type_l(\result) == cap_type_l(c);
    ensures \result.w1 == c.w1; */
static inline cap_t cap_set_original(cap_t c, bool original)
{
    c.w0 = original ? (c.w0 | CAP_FLAG_ORIGINAL) : (c.w0 & ~CAP_FLAG_ORIGINAL);
    return c;
}

/* Endpoint, Notification. */
/*@ assigns \nothing;
    ensures \result == c.w1; */
static inline uint64_t cap_badge(cap_t c)
{
    return c.w1;
}

/*@ assigns \nothing;
    ensures \result.w0 == c.w0 && \result.w1 == badge; */
static inline cap_t cap_set_badge(cap_t c, uint64_t badge)
{
    c.w1 = badge;
    return c;
}

/*@ assigns \nothing;
    ensures \result <==> (t == BH_OBJ_ENDPOINT || t == BH_OBJ_NOTIFICATION); */
static inline bool cap_has_badge_field(bh_objtype_t t)
{
    return t == BH_OBJ_ENDPOINT || t == BH_OBJ_NOTIFICATION;
}

/* Untyped. */
/*@ assigns \nothing;
    ensures \result == c.w1 % 64; */
static inline uint32_t cap_ut_size_bits(cap_t c)
{
    return (uint32_t)(c.w1 % 64u); /* = & 0x3f, in WP-friendly arithmetic */
}

/*@ assigns \nothing; */
static inline uint64_t cap_ut_free_index(cap_t c)
{
    return (c.w1 >> 6) << 4;
}

/*@ assigns \nothing; */
static inline bool cap_ut_is_device(cap_t c)
{
    return (c.w0 & CAP_FLAG_DEVICE) != 0u;
}

/*@ assigns \nothing; */
static inline cap_t cap_ut_set_free_index(cap_t c, uint64_t free_index)
{
    c.w1 = (c.w1 & 0x3fu) | ((free_index >> 4) << 6);
    return c;
}

/*@ assigns \nothing; */
static inline cap_t cap_untyped_new(paddr_t base, uint32_t size_bits, bool device)
{
    cap_t c = cap_make(BH_OBJ_UNTYPED, base, BH_RIGHTS_ALL, true);
    if (device) {
        c.w0 |= CAP_FLAG_DEVICE;
    }
    c.w1 = (uint64_t)(size_bits & 0x3fu);
    return c;
}

/* CNode. */
/*@ assigns \nothing;
    ensures \result == c.w1 % 32; */
static inline uint32_t cap_cnode_radix(cap_t c)
{
    return (uint32_t)(c.w1 % 32u); /* = & 0x1f */
}

/*@ assigns \nothing; */
static inline uint32_t cap_cnode_guard_size(cap_t c)
{
    return (uint32_t)((c.w1 >> 5) & 0x3fu);
}

/*@ assigns \nothing; */
static inline uint64_t cap_cnode_guard(cap_t c)
{
    return c.w1 >> 11;
}

/*@ assigns \nothing;
    ensures \result.w0 == c.w0; */
static inline cap_t cap_cnode_set_guard(cap_t c, uint64_t guard, uint32_t guard_size)
{
    c.w1 = (c.w1 & 0x1fu) | ((uint64_t)(guard_size & 0x3fu) << 5) | (guard << 11);
    return c;
}

/* Frame, PageTable: where the object is mapped, so deletion can unmap it. */
/*@ assigns \nothing; */
static inline bool cap_is_mapped(cap_t c)
{
    return (c.w0 & CAP_FLAG_MAPPED) != 0u;
}

/*@ assigns \nothing; */
static inline uint16_t cap_mapped_vmid(cap_t c)
{
    return (uint16_t)(c.w1 & 0xffffu);
}

/*@ assigns \nothing; */
static inline vaddr_t cap_mapped_addr(cap_t c)
{
    return va_init((c.w1 >> 16) << 12);
}

/*@ assigns \nothing; */
static inline cap_t cap_set_mapping(cap_t c, uint16_t vmid, vaddr_t va)
{
    c.w0 |= CAP_FLAG_MAPPED;
    c.w1 = (uint64_t)vmid | ((va_addr(va) >> 12) << 16);
    return c;
}

/*@ assigns \nothing;
    ensures cap_rights_l(\result) == cap_rights_l(c) && cap_type_l(\result) == cap_type_l(c); */
static inline cap_t cap_clear_mapping(cap_t c)
{
    c.w0 &= ~CAP_FLAG_MAPPED;
    c.w1 = 0u;
    return c;
}

/* IRQHandler. */
/*@ assigns \nothing; */
static inline uint32_t cap_irq(cap_t c)
{
    return (uint32_t)c.w1;
}

/* Size in bits of the memory an object of this type occupies; user_bits is
 * the retype size argument (CNode radix, Untyped size). 0 for types that are
 * never made from untyped. Does not validate user_bits. */
/*@ assigns \nothing;
    ensures type == BH_OBJ_UNTYPED ==> \result == user_bits;
    ensures type == BH_OBJ_CNODE && user_bits <= 58 ==> \result == user_bits + BH_SLOT_SIZE_BITS;
    ensures type != BH_OBJ_UNTYPED && type != BH_OBJ_CNODE ==> \result <= 21; */
uint32_t caps_object_size_bits(bh_objtype_t type, uint32_t user_bits);

/* Size bits of the object a capability refers to (0 if it has no memory). */
/*@ assigns \nothing;
    ensures \result <= 63; */
uint32_t cap_object_size_bits(cap_t c);

/* Capability slots inside the object a capability refers to (CNode slots, the
 * TCB's slots). Returns false if the object holds no capabilities. */
bool cap_container_slots(cap_t c, cte_t **first, uint64_t *count);

#endif
