/* Untyped memory: root capabilities and retype. */
#include <caps/cdt.h>
#include <caps/untyped.h>
#include <kernel/assert.h>
#include <kernel/phys.h>

void caps_untyped_root(cte_t *slot, paddr_t base, uint32_t size_bits, bool device)
{
    BH_ASSERT(size_bits >= BH_UNTYPED_MIN_BITS && size_bits <= BH_UNTYPED_MAX_BITS);
    BH_ASSERT(is_aligned(pa_addr(base), 1ull << size_bits));
    cdt_insert_root(slot, cap_untyped_new(base, size_bits, device));
}

/* Types that retype makes: every object type except Null, the IRQ
 * capabilities (made by the kernel at boot and from IRQControl) and
 * ConsoleInput (made by the kernel at boot). */
/*@ assigns \nothing;
    ensures \result <==> BH_OBJ_UNTYPED <= type <= BH_OBJ_VCPU &&
                         type != BH_OBJ_IRQ_CONTROL && type != BH_OBJ_IRQ_HANDLER; */
static bool retypable(bh_objtype_t type)
{
    switch (type) {
    case BH_OBJ_UNTYPED:
    case BH_OBJ_CNODE:
    case BH_OBJ_TCB:
    case BH_OBJ_ENDPOINT:
    case BH_OBJ_NOTIFICATION:
    case BH_OBJ_REPLY:
    case BH_OBJ_SCHED_CONTEXT:
    case BH_OBJ_ADDRESS_SPACE:
    case BH_OBJ_PAGE_TABLE:
    case BH_OBJ_FRAME_4K:
    case BH_OBJ_FRAME_2M:
    case BH_OBJ_VM:
    case BH_OBJ_VCPU:
        return true;
    case BH_OBJ_NULL:
    case BH_OBJ_IRQ_CONTROL:
    case BH_OBJ_IRQ_HANDLER:
    case BH_OBJ_CONSOLE_INPUT:
    case BH_OBJ_COUNT:
    default:
        return false;
    }
}

static void zero_object(paddr_t obj, uint64_t bytes)
{
    volatile uint64_t *w = (volatile uint64_t *)pa_to_kva(obj);
    uint64_t n = bytes / sizeof(uint64_t);
    /*@ loop invariant 0 <= i <= n;
        loop variant n - i; */
    for (uint64_t i = 0u; i < n; i++) {
        w[i] = 0u;
    }
}

/*
 * Where count objects of obj_size bytes go in an untyped of ut_size bytes
 * whose free index (first free byte) is from: from rounded up to the object
 * size (both powers of two, untyped at most 2^BH_UNTYPED_MAX_BITS bytes).
 * True and *start if they fit. Then the objects [*start + i * obj_size,
 * *start + (i + 1) * obj_size), i < count, are aligned to their size, lie one
 * after another (never overlapping) inside the untyped, and the new free index
 * *start + count * obj_size is above the old one: the watermark only moves
 * forward.
 */
/*@ requires 0 < obj_size <= ut_size <= 0x800000000000;
    requires from < 0x4000000000000000;
    requires 0 < count <= BH_RETYPE_MAX_COUNT;
    requires \valid(start);
    assigns *start;
    ensures \result ==> *start == (from + obj_size - 1) / obj_size * obj_size;
    ensures \result ==> *start % obj_size == 0;
    ensures \result ==> from <= *start && *start + count * obj_size <= ut_size;
    ensures \result ==> from < *start + count * obj_size;
    ensures !\result ==> *start == \old(*start); */
static bool retype_place(uint64_t from, uint64_t ut_size, uint64_t obj_size, uint64_t count,
                         uint64_t *start)
{
    uint64_t need = count * obj_size;
    /* Rounded up to a multiple of obj_size: align_up for a power of two. */
    uint64_t s = (from + obj_size - 1u) / obj_size * obj_size;
    if (s > ut_size || need > ut_size - s) {
        return false;
    }
    *start = s;
    return true;
}

/* The bytes count objects of obj_size take: at most 2^8 * 2^47, no overflow
 * (its own function: the product's bound is quick to prove on its own). */
/*@ requires 0 < count <= BH_RETYPE_MAX_COUNT && 0 < obj_size <= 0x800000000000;
    assigns \nothing;
    ensures \result == count * obj_size; */
static uint64_t retype_need(uint64_t count, uint64_t obj_size)
{
    return count * obj_size;
}

/* The argument checks of caps_retype that need no memory, in its order. */
/*@ assigns \nothing;
    ensures cap_type_l(u) != BH_OBJ_UNTYPED ==> \result == BH_E_INVALID_CAPABILITY;
    ensures cap_type_l(u) == BH_OBJ_UNTYPED &&
            !(BH_OBJ_UNTYPED <= type <= BH_OBJ_VCPU && type != BH_OBJ_IRQ_CONTROL &&
              type != BH_OBJ_IRQ_HANDLER) ==> \result == BH_E_INVALID_ARGUMENT;
    ensures \result == BH_OK ==>
      cap_type_l(u) == BH_OBJ_UNTYPED && 0 < count <= BH_RETYPE_MAX_COUNT &&
      BH_OBJ_UNTYPED <= type <= BH_OBJ_VCPU && type != BH_OBJ_IRQ_CONTROL &&
      type != BH_OBJ_IRQ_HANDLER &&
      (type == BH_OBJ_CNODE ==> BH_CNODE_RADIX_MIN <= user_bits <= BH_CNODE_RADIX_MAX) &&
      (type == BH_OBJ_UNTYPED ==> BH_UNTYPED_MIN_BITS <= user_bits <= BH_UNTYPED_MAX_BITS); */
static bh_error_t retype_args(cap_t u, bh_objtype_t type, uint32_t user_bits, uint64_t count)
{
    if (cap_type(u) != BH_OBJ_UNTYPED) {
        return BH_E_INVALID_CAPABILITY;
    }
    if (!retypable(type)) {
        return BH_E_INVALID_ARGUMENT;
    }
    bool device = cap_ut_is_device(u);
    if (device && type != BH_OBJ_FRAME_4K && type != BH_OBJ_FRAME_2M && type != BH_OBJ_UNTYPED) {
        return BH_E_INVALID_ARGUMENT;
    }
    if (type == BH_OBJ_UNTYPED &&
        (user_bits < BH_UNTYPED_MIN_BITS || user_bits > BH_UNTYPED_MAX_BITS)) {
        return BH_E_RANGE;
    }
    if (type == BH_OBJ_CNODE &&
        (user_bits < BH_CNODE_RADIX_MIN || user_bits > BH_CNODE_RADIX_MAX)) {
        return BH_E_RANGE;
    }
    if (count == 0u || count > BH_RETYPE_MAX_COUNT) {
        return BH_E_RANGE;
    }
    return BH_OK;
}

/* What caps_retype does once its checks pass. */
struct retype_plan {
    cte_t *dest;       /* the first destination slot */
    uint32_t obj_bits; /* object size: 2^obj_bits bytes */
    uint64_t obj_size;
    uint64_t from;  /* the watermark: the free index if the untyped has children, else 0 */
    uint64_t start; /* offset of the first object in the untyped */
    uint64_t need;  /* count * obj_size: the new free index is start + need */
};

/* The memory half of retype_check (its own function: the placement goals
 * then carry none of the argument and slot checks' paths). Writes *plan's
 * size and placement fields, on success only. */
/*@ requires \valid(plan);
    requires cap_type_l(u) == BH_OBJ_UNTYPED;
    requires u.w1 % 64 <= BH_UNTYPED_MAX_BITS && ut_free_l(u) <= pow2(u.w1 % 64);
    requires 0 < count <= BH_RETYPE_MAX_COUNT;
    requires type == BH_OBJ_UNTYPED ==> BH_UNTYPED_MIN_BITS <= user_bits <= BH_UNTYPED_MAX_BITS;
    requires type == BH_OBJ_CNODE ==> BH_CNODE_RADIX_MIN <= user_bits <= BH_CNODE_RADIX_MAX;
    assigns plan->obj_bits, plan->obj_size, plan->from, plan->start, plan->need;
    ensures \result == BH_OK || \result == BH_E_NOT_ENOUGH_MEMORY || \result == BH_E_REVOKE_FIRST;
    ensures bits: \result == BH_OK ==> plan->obj_bits <= u.w1 % 64;
    ensures size: \result == BH_OK ==> plan->obj_size == pow2(plan->obj_bits);
    ensures need: \result == BH_OK ==> plan->need == count * plan->obj_size;
    ensures watermark: \result == BH_OK ==>
      plan->from == (children ? ut_free_l(u) : 0) && plan->from <= plan->start &&
      plan->from < plan->start + plan->need;
    ensures inside: \result == BH_OK ==>
      plan->start % plan->obj_size == 0 && plan->start + plan->need <= pow2(u.w1 % 64); */
static bh_error_t retype_mem(cap_t u, bh_objtype_t type, uint32_t user_bits, uint64_t count,
                             bool children, struct retype_plan *plan)
{
    uint32_t obj_bits = caps_object_size_bits(type, user_bits);
    uint32_t ut_bits = cap_ut_size_bits(u);
    uint64_t ut_size = caps_pow2(ut_bits);
    uint64_t obj_size = caps_pow2(obj_bits);
    /* The second test follows from the first (powers of two); it is the one
     * retype_place needs. */
    if (obj_bits > ut_bits || obj_size > ut_size) {
        return BH_E_NOT_ENOUGH_MEMORY;
    }
    uint64_t need = retype_need(count, obj_size);
    uint64_t from = children ? cap_ut_free_index(u) : 0u;
    uint64_t start = 0u;
    if (!retype_place(from, ut_size, obj_size, count, &start)) {
        return (children && need <= ut_size) ? BH_E_REVOKE_FIRST : BH_E_NOT_ENOUGH_MEMORY;
    }
    /*@ assert start + need <= ut_size && start % obj_size == 0; */
    plan->obj_bits = obj_bits;
    plan->obj_size = obj_size;
    plan->from = from;
    plan->start = start;
    plan->need = need;
    return BH_OK;
}

/*
 * The checks of caps_retype, in its documented order, and where the objects
 * go. children: the untyped has children (cdt_has_children). The model of
 * "live": an untyped's children are the live objects made from it, and they
 * lie below its free index (the watermark; the derivation-tree invariant,
 * assumed here); without children nothing in it is live. So the objects,
 * placed at or above the watermark (from 0 without children), aligned to
 * their size, one after another and inside the untyped, overlap neither each
 * other nor anything live, and the new free index is above the old one (the
 * watermark moves forward; only a revoke, which deletes every child, resets
 * it to 0). Reads ut and the destination slots, writes only *plan.
 */
/*@ requires \valid_read(ut) && \valid(plan) && \separated(plan, ut);
    requires cap_type_l(ut->cap) == BH_OBJ_UNTYPED ==>
      ut->cap.w1 % 64 <= BH_UNTYPED_MAX_BITS && ut_free_l(ut->cap) <= pow2(ut->cap.w1 % 64);
    requires cap_type_l(dest_cnode) == BH_OBJ_CNODE ==> valid_cnode(dest_cnode);
    assigns *plan;
    ensures cap_type_l(ut->cap) != BH_OBJ_UNTYPED ==> \result == BH_E_INVALID_CAPABILITY;
    ensures cap_type_l(ut->cap) == BH_OBJ_UNTYPED &&
            !(BH_OBJ_UNTYPED <= type <= BH_OBJ_VCPU && type != BH_OBJ_IRQ_CONTROL &&
              type != BH_OBJ_IRQ_HANDLER) ==> \result == BH_E_INVALID_ARGUMENT;
    ensures types: \result == BH_OK ==>
      cap_type_l(ut->cap) == BH_OBJ_UNTYPED && cap_type_l(dest_cnode) == BH_OBJ_CNODE &&
      0 < count <= BH_RETYPE_MAX_COUNT;
    ensures slots: \result == BH_OK ==>
      offset + count <= cnode_nslots_l(dest_cnode) &&
      plan->dest == cnode_slots_l(dest_cnode) + offset && \valid(plan->dest + (0 .. count - 1));
    ensures empty: \result == BH_OK ==> \forall integer k; offset <= k < offset + count ==>
      cap_null_l(\at(cnode_slots_l(dest_cnode)[k].cap, Pre));
    ensures bits: \result == BH_OK ==> plan->obj_bits <= ut->cap.w1 % 64;
    ensures size: \result == BH_OK ==> plan->obj_size == pow2(plan->obj_bits);
    ensures need: \result == BH_OK ==> plan->need == count * plan->obj_size;
    ensures watermark: \result == BH_OK ==>
      plan->from == (children ? ut_free_l(ut->cap) : 0) && plan->from <= plan->start &&
      plan->from < plan->start + plan->need;
    ensures inside: \result == BH_OK ==>
      plan->start % plan->obj_size == 0 && plan->start + plan->need <= pow2(ut->cap.w1 % 64); */
static bh_error_t retype_check(const cte_t *ut, bh_objtype_t type, uint32_t user_bits,
                               cap_t dest_cnode, uint64_t offset, uint64_t count, bool children,
                               struct retype_plan *plan)
{
    cap_t u = ut->cap;
    bh_error_t e = retype_args(u, type, user_bits, count);
    if (e != BH_OK) {
        return e;
    }
    if (cap_type(dest_cnode) != BH_OBJ_CNODE) {
        return BH_E_INVALID_CAPABILITY;
    }
    uint64_t nslots = caps_pow2(cap_cnode_radix(dest_cnode));
    if (offset >= nslots || count > nslots - offset) {
        return BH_E_RANGE;
    }
    cte_t *slots = cap_cnode_slots(dest_cnode);
    uint64_t end = offset + count;
    /*@ loop invariant offset <= j <= end;
        loop invariant \forall integer k; offset <= k < j ==> cap_null_l(slots[k].cap);
        loop assigns j;
        loop variant end - j; */
    for (uint64_t j = offset; j < end; j++) {
        if (!cap_is_null(slots[j].cap)) {
            return BH_E_DELETE_FIRST;
        }
    }
    e = retype_mem(u, type, user_bits, count, children, plan);
    if (e != BH_OK) {
        return e;
    }
    plan->dest = slots + offset;
    return BH_OK;
}

/* The capability retype puts into a destination slot: the object of the given
 * type at obj, original, all rights, not mapped, device iff the untyped is
 * device memory; w1 is the size bits (Untyped, free index 0) or the radix
 * (CNode, no guard), else 0. */
/*@ predicate retyped_cap(cap_t c, integer type, integer obj, integer user_bits, integer device) =
      cap_type_l(c) == type && cap_rights_l(c) == BH_RIGHTS_ALL && cap_original_l(c) == 1 &&
      cap_device_l(c) == device && cap_obj_l(c) == obj && cap_mapped_l(c) == 0 &&
      c.w1 == (type == BH_OBJ_UNTYPED || type == BH_OBJ_CNODE ? user_bits : 0);
*/

/* The capability for the object at obj. Written as the sum of its fields
 * (= type | BH_RIGHTS_ALL << 8 | CAP_FLAG_ORIGINAL | device flag |
 * (obj >> 4) << 16, as cap_make and cap_untyped_new build it). */
/*@ requires obj % 16 == 0 && obj < 0x10000000000000;
    requires BH_OBJ_UNTYPED <= type <= BH_OBJ_VCPU;
    requires device == 0 || device == 1;
    assigns \nothing;
    ensures retyped_cap(\result, type, obj, user_bits, device); */
static cap_t retype_cap(bh_objtype_t type, uint64_t obj, uint32_t user_bits, uint64_t device)
{
    cap_t c;
    c.w0 = obj / 16u * 65536u + device * 16384u + 8192u + (uint64_t)BH_RIGHTS_ALL * 256u +
           (uint64_t)type;
    c.w1 = (type == BH_OBJ_UNTYPED || type == BH_OBJ_CNODE) ? (uint64_t)user_bits : 0u;
    return c;
}

bh_error_t caps_retype(cte_t *ut, bh_objtype_t type, uint32_t user_bits, cap_t dest_cnode,
                       uint64_t offset, uint64_t count)
{
    struct retype_plan p;
    bool children = cdt_has_children(ut);
    bh_error_t e = retype_check(ut, type, user_bits, dest_cnode, offset, count, children, &p);
    if (e != BH_OK) {
        return e;
    }
    cap_t u = ut->cap;
    bool device = cap_ut_is_device(u);
    uint64_t base = pa_addr(cap_obj(u)) + p.start;
    ut->cap = cap_ut_set_free_index(u, p.start + p.need);
    cte_t *dest = p.dest;
    uint64_t obj_size = p.obj_size;
    cte_t *prev = ut;
    /*@ loop invariant 0 <= i <= count;
        loop variant count - i; */
    for (uint64_t i = 0u; i < count; i++) {
        uint64_t obj = base + i * obj_size;
        if (type != BH_OBJ_UNTYPED && !device) {
            zero_object(pa_init(obj), obj_size);
        }
        /* Frames of device memory say so: the kernel never maps them Normal. */
        cdt_insert_after(prev, &dest[i], retype_cap(type, obj, user_bits, device ? 1u : 0u));
        prev = &dest[i];
    }
    return BH_OK;
}
