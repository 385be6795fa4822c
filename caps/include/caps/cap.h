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

/* Fields are specified arithmetically: bits [hi:lo] of x are
 * (x / 2^lo) % 2^(hi-lo+1) (WP's integer model proves little about & | <<). */
/*@ logic integer cap_type_l(cap_t c) = (c.w0 % 256 < BH_OBJ_COUNT) ? c.w0 % 256 : 0;
    logic integer cap_rights_l(cap_t c) = (c.w0 / 256) % 32;
    logic integer cap_original_l(cap_t c) = (c.w0 / 8192) % 2;
    // The device flag of an Untyped or Frame capability (CAP_FLAG_DEVICE).
    logic integer cap_device_l(cap_t c) = (c.w0 / 16384) % 2;
    logic integer cap_mapped_l(cap_t c) = (c.w0 / 32768) % 2;
    predicate cap_null_l(cap_t c) = cap_type_l(c) == 0;
*/

/*
 * CNode memory in the proofs. 2^k is (1 << k) (WP: lsl 1 k = 2^k). The
 * object address of a capability is bits [63:16] of w0, times 16.
 * cnode_slots_l(c) is the slot array of the CNode c refers to (the kernel
 * virtual address of its object; see cap_cnode_slots); valid_cnode(c): c is a
 * CNode capability whose object is 2^radix valid slots. cspace_closed: every
 * CNode capability stored in a slot of a valid CNode is itself valid (the
 * kernel invariant that a CNode's memory stays a CNode while a capability to
 * it exists: retype makes CNodes only in free untyped memory, and untyped
 * memory is reused only after a revoke has deleted every capability to it).
 */
/*@ logic integer pow2(integer k) = (1 << k);
    logic integer cap_obj_l(cap_t c) = (c.w0 / 65536) * 16;
    logic integer ut_free_l(cap_t c) = c.w1 / 64 * 16;
    logic integer cnode_radix_l(cap_t c) = c.w1 % 32;
    logic integer cnode_gsize_l(cap_t c) = (c.w1 / 32) % 64;
    logic integer cnode_guard_l(cap_t c) = c.w1 / 2048;
    logic integer cnode_nslots_l(cap_t c) = pow2(cnode_radix_l(c));
    axiomatic KernelVirtualSlots {
      logic cte_t *kva_slots(integer pa);
    }
    // The capability slots of the kernel (boot slots, the slots of CNode and
    // TCB objects): an uninterpreted set; slots never overlap (cdt_wf).
    axiomatic CapabilitySlots {
      predicate cdt_slot(cte_t *s);
    }
    logic cte_t *cnode_slots_l(cap_t c) = kva_slots(cap_obj_l(c));
    predicate valid_cnode{L}(cap_t c) =
      cap_type_l(c) == BH_OBJ_CNODE &&
      \valid{L}(cnode_slots_l(c) + (0 .. cnode_nslots_l(c) - 1));
    // The slots of a valid CNode are capability slots (what the derivation
    // tree operations are given: cdt_at); a separate predicate so that the
    // lookup's proof does not carry the quantifier at every level.
    // s is one of the slots of a valid CNode.
    predicate in_valid_cnode{L}(cte_t *s) =
      \exists cap_t c, integer i; valid_cnode{L}(c) && 0 <= i < cnode_nslots_l(c) &&
        s == cnode_slots_l(c) + i;
    predicate cnode_slots_cdt{L} =
      \forall cap_t c, integer i; valid_cnode{L}(c) && 0 <= i < cnode_nslots_l(c) ==>
        cdt_slot(cnode_slots_l(c) + i);
    predicate cspace_closed{L} =
      \forall cap_t c, integer i;
        valid_cnode{L}(c) && 0 <= i < cnode_nslots_l(c) &&
        cap_type_l(\at(cnode_slots_l(c)[i].cap, L)) == BH_OBJ_CNODE ==>
          valid_cnode{L}(\at(cnode_slots_l(c)[i].cap, L));
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
    uint64_t t = c.w0 % 256u; /* = & 0xff */
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
    return (uint32_t)((c.w0 / 256u) % 32u); /* = (w0 >> 8) & BH_RIGHTS_ALL */
}

/*@ assigns \nothing;
    ensures \result <==> cap_original_l(c) == 1; */
static inline bool cap_is_original(cap_t c)
{
    return c.w0 / 8192u % 2u != 0u; /* = w0 & CAP_FLAG_ORIGINAL (bit 13) */
}

/*@ assigns \nothing;
    ensures \result.pa == cap_obj_l(c); */
static inline paddr_t cap_obj(cap_t c)
{
    return pa_init(c.w0 / 65536u * 16u); /* = (w0 >> CAP_OBJ_SHIFT) << 4 */
}

/* A capability with the common fields set and w1 = 0. obj must be 16-aligned.
 * Written as the sum of its fields (= type & 0xff | (rights & BH_RIGHTS_ALL)
 * << 8 | CAP_FLAG_ORIGINAL if original | (obj >> 4) << CAP_OBJ_SHIFT). */
/*@ assigns \nothing;
    ensures \result.w0 == obj.pa / 16 % 0x1000000000000 * 65536 + original * 8192 +
                          rights % 32 * 256 + type % 256;
    ensures \result.w1 == 0; */
static inline cap_t cap_make(bh_objtype_t type, paddr_t obj, uint32_t rights, bool original)
{
    cap_t c;
    c.w0 = pa_addr(obj) / 16u % 0x1000000000000u * 65536u + (original ? 8192u : 0u) +
           (uint64_t)(rights % 32u) * 256u + (uint64_t)type % 256u;
    c.w1 = 0u;
    return c;
}

/* Only the rights change: bits [12:8] of w0 become rights % 32, every other
 * bit of w0 ([7:0] and [63:13]) and w1 stay. Written as the sum of the three
 * fields (= (w0 & ~0x1f00) | (rights & 0x1f) << 8). */
/*@ assigns \nothing;
    ensures cap_rights_l(\result) == rights % 32;
    ensures cap_type_l(\result) == cap_type_l(c) && \result.w1 == c.w1;
    ensures \result.w0 % 256 == c.w0 % 256 && \result.w0 / 8192 == c.w0 / 8192; */
static inline cap_t cap_set_rights(cap_t c, uint32_t rights)
{
    uint64_t hi = c.w0 / 8192u; /* bits [63:13] */
    uint64_t lo = c.w0 % 256u;  /* bits [7:0] */
    c.w0 = hi * 8192u + (uint64_t)(rights % 32u) * 256u + lo;
    return c;
}

/* Only the original flag (bit 13 of w0) changes. */
/*@ assigns \nothing;
    ensures cap_rights_l(\result) == cap_rights_l(c) && cap_type_l(\result) == cap_type_l(c);
    ensures cap_original_l(\result) == (original ? 1 : 0);
    ensures \result.w0 % 8192 == c.w0 % 8192 && \result.w0 / 16384 == c.w0 / 16384;
    ensures \result.w1 == c.w1; */
static inline cap_t cap_set_original(cap_t c, bool original)
{
    uint64_t bit = c.w0 / 8192u % 2u; /* (w0 >> 13) & 1 */
    /* = original ? (w0 | CAP_FLAG_ORIGINAL) : (w0 & ~CAP_FLAG_ORIGINAL) */
    c.w0 = c.w0 - bit * 8192u + (original ? 8192u : 0u);
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

/*@ assigns \nothing;
    ensures \result == ut_free_l(c); */
static inline uint64_t cap_ut_free_index(cap_t c)
{
    return c.w1 / 64u * 16u; /* = (w1 >> 6) << 4 */
}

/*@ assigns \nothing; */
static inline bool cap_ut_is_device(cap_t c)
{
    return (c.w0 & CAP_FLAG_DEVICE) != 0u;
}

/* The free index is kept in 16-byte units: bits [63:6] of w1. */
/*@ requires free_index < 0x4000000000000000;
    assigns \nothing;
    ensures ut_free_l(\result) == free_index / 16 * 16;
    ensures \result.w1 % 64 == c.w1 % 64 && \result.w0 == c.w0; */
static inline cap_t cap_ut_set_free_index(cap_t c, uint64_t free_index)
{
    c.w1 = c.w1 % 64u + free_index / 16u * 64u; /* = (w1 & 0x3f) | (free_index >> 4) << 6 */
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
    ensures \result == cnode_radix_l(c); */
static inline uint32_t cap_cnode_radix(cap_t c)
{
    return (uint32_t)(c.w1 % 32u); /* = & 0x1f */
}

/*@ assigns \nothing;
    ensures \result == cnode_gsize_l(c); */
static inline uint32_t cap_cnode_guard_size(cap_t c)
{
    return (uint32_t)((c.w1 / 32u) % 64u); /* = (w1 >> 5) & 0x3f */
}

/*@ assigns \nothing;
    ensures \result == cnode_guard_l(c); */
static inline uint64_t cap_cnode_guard(cap_t c)
{
    return c.w1 / 2048u; /* = w1 >> 11 */
}

/*
 * The slots of a CNode: the kernel virtual address of its object, as an array
 * of 2^radix slots. Defined in cap_kva.c through pa_to_kva (the identity phys
 * mapping, which WP's typed memory model cannot follow): its contract is an
 * assumption, and only names the result (cnode_slots_l). What the proofs
 * assume about that memory is stated by valid_cnode and cspace_closed, which
 * the functions that need them take as preconditions.
 */
/*@ requires cap_type_l(c) == BH_OBJ_CNODE;
    assigns \nothing;
    ensures \result == cnode_slots_l(c); */
cte_t *cap_cnode_slots(cap_t c);

/*@ assigns \nothing;
    ensures \result.w0 == c.w0; */
static inline cap_t cap_cnode_set_guard(cap_t c, uint64_t guard, uint32_t guard_size)
{
    c.w1 = (c.w1 & 0x1fu) | ((uint64_t)(guard_size & 0x3fu) << 5) | (guard << 11);
    return c;
}

/* Frame, PageTable: where the object is mapped, so deletion can unmap it. */
/*@ assigns \nothing;
    ensures \result <==> cap_mapped_l(c) == 1; */
static inline bool cap_is_mapped(cap_t c)
{
    return c.w0 / 32768u % 2u != 0u; /* = (w0 & CAP_FLAG_MAPPED) != 0 */
}

/* The mapping id: bits [15:0] of w1. */
/*@ assigns \nothing;
    ensures \result == c.w1 % 65536; */
static inline uint16_t cap_mapped_vmid(cap_t c)
{
    return (uint16_t)(c.w1 % 65536u); /* = w1 & 0xffff */
}

/* The mapped address: bits [63:16] of w1, times 4096. */
/*@ assigns \nothing;
    ensures \result.va == c.w1 / 65536 * 4096; */
static inline vaddr_t cap_mapped_addr(cap_t c)
{
    vaddr_t v;
    v.va = c.w1 / 65536u * 4096u; /* = (w1 >> 16) << 12 */
    return v;
}

/* Sets the mapped flag (bit 15 of w0) and the mapping: w1 = vmid | (va >> 12) << 16. */
/*@ assigns \nothing;
    ensures \result.w0 % 32768 == c.w0 % 32768 && cap_mapped_l(\result) == 1 &&
            \result.w0 / 65536 == c.w0 / 65536;
    ensures \result.w1 == vmid + va.va / 4096 % 0x1000000000000 * 65536; */
static inline cap_t cap_set_mapping(cap_t c, uint16_t vmid, vaddr_t va)
{
    c.w0 = c.w0 / 65536u * 65536u + 32768u + c.w0 % 32768u; /* = w0 | CAP_FLAG_MAPPED */
    c.w1 = (uint64_t)vmid + va_addr(va) / 4096u % 0x1000000000000u * 65536u;
    return c;
}

/* Clears the mapped flag (bit 15 of w0) and the mapping (w1). */
/*@ assigns \nothing;
    ensures cap_rights_l(\result) == cap_rights_l(c) && cap_type_l(\result) == cap_type_l(c);
    ensures cap_mapped_l(\result) == 0 && \result.w1 == 0;
    ensures \result.w0 % 32768 == c.w0 % 32768 && \result.w0 / 65536 == c.w0 / 65536; */
static inline cap_t cap_clear_mapping(cap_t c)
{
    c.w0 = c.w0 - (c.w0 / 32768u % 2u) * 32768u; /* = w0 & ~CAP_FLAG_MAPPED */
    c.w1 = 0u;
    return c;
}

/* IRQHandler. */
/*@ assigns \nothing;
    ensures \result == c.w1 % 4294967296; */
static inline uint32_t cap_irq(cap_t c)
{
    return (uint32_t)(c.w1 % 4294967296u); /* the low 32 bits */
}

/* 2^k. Proved by case analysis on k (proofs/wp-settings.txt: wp:range). */
/*@ requires k < 64;
    assigns \nothing;
    ensures \result == pow2(k);
    ensures 0 < \result <= 0x8000000000000000;
    ensures k <= 47 ==> \result <= 0x800000000000;
    ensures k <= 31 ==> \result <= 0x80000000; */
uint64_t caps_pow2(uint32_t k);

/* The size in bits of an object of type t (caps_object_size_bits), and of the
 * object a capability refers to (cap_object_size_bits). */
/*@ logic integer obj_size_bits_l(integer t, integer user) =
      t == BH_OBJ_UNTYPED ? user :
      t == BH_OBJ_CNODE ? user + BH_SLOT_SIZE_BITS :
      t == BH_OBJ_TCB ? BH_TCB_SIZE_BITS :
      t == BH_OBJ_ENDPOINT ? BH_ENDPOINT_SIZE_BITS :
      t == BH_OBJ_NOTIFICATION ? BH_NOTIFICATION_SIZE_BITS :
      t == BH_OBJ_REPLY ? BH_REPLY_SIZE_BITS :
      t == BH_OBJ_SCHED_CONTEXT ? BH_SCHED_CONTEXT_SIZE_BITS :
      t == BH_OBJ_ADDRESS_SPACE ? BH_ADDRESS_SPACE_SIZE_BITS :
      t == BH_OBJ_PAGE_TABLE ? BH_PAGE_TABLE_SIZE_BITS :
      t == BH_OBJ_FRAME_4K ? BH_FRAME_4K_SIZE_BITS :
      t == BH_OBJ_FRAME_2M ? BH_FRAME_2M_SIZE_BITS :
      t == BH_OBJ_VM ? BH_VM_SIZE_BITS :
      t == BH_OBJ_VCPU ? BH_VCPU_SIZE_BITS : 0;
    logic integer cap_size_bits_l(cap_t c) =
      obj_size_bits_l(cap_type_l(c),
                      cap_type_l(c) == BH_OBJ_UNTYPED ? c.w1 % 64 :
                      cap_type_l(c) == BH_OBJ_CNODE ? cnode_radix_l(c) : 0);
*/

/* Size in bits of the memory an object of this type occupies; user_bits is
 * the retype size argument (CNode radix, Untyped size). 0 for types that are
 * never made from untyped. Does not validate user_bits. */
/*@ assigns \nothing;
    ensures type == BH_OBJ_UNTYPED ==> \result == user_bits;
    ensures type == BH_OBJ_CNODE && user_bits <= 58 ==> \result == user_bits + BH_SLOT_SIZE_BITS;
    ensures type != BH_OBJ_UNTYPED && type != BH_OBJ_CNODE ==> \result <= 21;
    ensures user_bits <= 58 ==> \result == obj_size_bits_l(type, user_bits); */
uint32_t caps_object_size_bits(bh_objtype_t type, uint32_t user_bits);

/* Size bits of the object a capability refers to (0 if it has no memory). */
/*@ assigns \nothing;
    ensures \result <= 63;
    ensures \result == cap_size_bits_l(c); */
uint32_t cap_object_size_bits(cap_t c);

/* The slots a container capability's object holds (CNode: 2^radix slots,
 * TCB: its first BH_TCB_CAP_SLOTS), at the object's kernel virtual address
 * (kva_slots, as for cnode_slots_l); in_cont_l(s, c): s is one of them. */
/*@ logic integer cont_count_l(cap_t c) =
      cap_type_l(c) == BH_OBJ_CNODE ? cnode_nslots_l(c) :
      cap_type_l(c) == BH_OBJ_TCB ? BH_TCB_CAP_SLOTS : 0;
    predicate in_cont_l(cte_t *s, cap_t c) =
      \exists integer i; 0 <= i < cont_count_l(c) && s == kva_slots(cap_obj_l(c)) + i;
*/

/* Capability slots inside the object a capability refers to (CNode slots, the
 * TCB's slots). Returns false if the object holds no capabilities. Defined in
 * cap_kva.c (pa_to_kva): its contract is an assumption — the container's
 * slots are valid capability slots (cdt_slot) at the object's kernel virtual
 * address (kva_slots, as cap_cnode_slots). */
/*@ requires \valid(first) && \valid(count) && \separated(first, count);
    assigns *first, *count;
    ensures \result ==> \valid(*first + (0 .. *count - 1)) &&
      (\forall integer i; 0 <= i < *count ==> cdt_slot(*first + i));
    ensures \result ==> *first == kva_slots(cap_obj_l(c)) && *count == cont_count_l(c);
    ensures !\result ==> *count == 0; */
bool cap_container_slots(cap_t c, cte_t **first, uint64_t *count);

#endif
