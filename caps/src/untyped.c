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
      plan->start % plan->obj_size == 0 && plan->start + plan->need <= pow2(u.w1 % 64);
    ensures exact: \result == BH_OK ==>
      plan->obj_size == rt_size(type, user_bits) && 0 < plan->obj_size && plan->obj_size % 16 == 0 &&
      plan->start == rt_start(plan->from, plan->obj_size); */
static bh_error_t retype_mem(cap_t u, bh_objtype_t type, uint32_t user_bits, uint64_t count,
                             bool children, struct retype_plan *plan)
{
    /* Only CNode and Untyped sizes depend on user_bits (the same size for
     * every other type; 0 lets the proof use the callee's exact result). */
    uint32_t ubits = (type == BH_OBJ_UNTYPED || type == BH_OBJ_CNODE) ? user_bits : 0u;
    uint32_t obj_bits = caps_object_size_bits(type, ubits);
    uint32_t ut_bits = cap_ut_size_bits(u);
    uint64_t ut_size = caps_pow2(ut_bits);
    uint64_t obj_size = caps_pow2(obj_bits);
    /* The second test follows from the first (powers of two); it is the one
     * retype_place needs. The third never holds (every object is at least 16
     * bytes): the free index is kept in 16-byte units, and the proof cannot
     * derive that 16 divides 2^k. */
    if (obj_bits > ut_bits || obj_size > ut_size || obj_size % 16u != 0u) {
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
      plan->start % plan->obj_size == 0 && plan->start + plan->need <= pow2(ut->cap.w1 % 64);
    ensures exact: \result == BH_OK ==>
      plan->obj_size == rt_size(type, user_bits) && 0 < plan->obj_size && plan->obj_size % 16 == 0 &&
      plan->start == rt_start(plan->from, plan->obj_size); */
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

/* caps_retype's pieces, each with its own contract so that the creation loop
 * only composes them (a per-slot invariant re-proved across the inserts
 * inside one loop timed out). */

/* Move the watermark: only w1 changes (w0, hence the type, stays), so every
 * link and every other capability is kept. */
/*@ requires cdt_wf && cnode_slots_cdt && cdt_at(ut);
    requires cap_type_l(ut->cap) == BH_OBJ_UNTYPED;
    requires fi < 0x4000000000000000;
    assigns ut->cap.w1;
    ensures cdt_wf;
    ensures \old(cspace_closed) ==> cspace_closed;
    ensures ut->cap.w0 == \old(ut->cap.w0) && ut->cap.w1 % 64 == \old(ut->cap.w1) % 64;
    ensures ut_free_l(ut->cap) == fi / 16 * 16;
    ensures frame: \forall cte_t *s; cdt_slot(s) && s != ut ==> s->cap == \old(s->cap); */
static void set_watermark(cte_t *ut, uint64_t fi)
{
    cap_t c = cap_ut_set_free_index(ut->cap, fi);
    /*@ assert h_sep: \forall cte_t *s; cdt_slot(s) && s != ut ==> \separated(s, ut); */
    ut->cap.w1 = c.w1;
    /*@ assert a_frame: \forall cte_t *s; cdt_at(s) ==>
          s->prev == \at(s->prev, Pre) && s->next == \at(s->next, Pre) &&
          s->cap.w0 == \at(s->cap.w0, Pre); */
    /*@ assert a_caps: \forall cte_t *s; cdt_slot(s) && s != ut ==> s->cap == \at(s->cap, Pre); */
}

/* Zero a new object: the words at offset off of the untyped u, which are
 * apart from every capability slot, so no slot changes. The assigns clause is
 * that of the creation loop (objects of obj_size bytes between start and end),
 * so that the loop's inclusion goal is syntactic. */
/*@ requires cdt_wf && cnode_slots_cdt;
    requires ut_words_apart(u, from) && from <= start && start <= off;
    requires off + obj_size <= end && end <= pow2(u.w1 % 64);
    requires cap_obj_l(u) + end <= 0x10000000000000;
    assigns { kva_words(pa)[j] | integer pa, integer j; cap_obj_l(u) + start <= pa &&
              pa + obj_size <= cap_obj_l(u) + end && 0 <= j < obj_size / 8 };
    ensures cdt_wf;
    ensures \old(cspace_closed) ==> cspace_closed;
    ensures frame: \forall cte_t *s; cdt_slot(s) ==>
      s->cap == \old(s->cap) && s->prev == \old(s->prev) && s->next == \old(s->next); */
static void zero_new(cap_t u, uint64_t from, uint64_t start, uint64_t end, uint64_t off,
                     uint64_t obj_size)
{
    (void)from; /* only in the contract */
    (void)start;
    (void)end;
    uint64_t pa = pa_addr(cap_obj(u)) + off;
    uint64_t words = obj_size / 8u;
    /*@ assert pa == cap_obj_l(u) + off && 8 * words <= obj_size; */
    /*@ assert h_sep: \forall cte_t *s, integer j; cdt_slot(s) && 0 <= j < words ==>
          \separated(kva_words(cap_obj_l(u) + off) + j, s); */
    /* A word apart from a slot is neither word of its capability. */
    /*@ assert word_apart_cap: \forall uint64_t *q, cte_t *s;
          \separated(q, s) ==> q != &s->cap.w0 && q != &s->cap.w1; */
    /*@ assert h_ne: \forall cte_t *s, integer j; cdt_slot(s) && 0 <= j < words ==>
          kva_words(pa) + j != &s->cap.w0 && kva_words(pa) + j != &s->cap.w1; */
    caps_zero_object(pa_init(pa), words);
    /*@ assert a_w: \forall cte_t *s; cdt_slot(s) ==>
          s->cap.w0 == \at(s->cap.w0, Pre) && s->cap.w1 == \at(s->cap.w1, Pre); */
    /*@ assert a_frame: \forall cte_t *s; cdt_slot(s) ==>
          s->cap == \at(s->cap, Pre) && s->prev == \at(s->prev, Pre) &&
          s->next == \at(s->next, Pre); */
}

/* Put the new capability c into the empty slot after prev. */
/*@ requires cdt_wf && cnode_slots_cdt;
    requires cdt_at(prev) && cdt_at(slot) && prev != slot;
    requires !cap_null_l(prev->cap) && prev->next != prev && prev->next != slot;
    requires cap_null_l(slot->cap);
    requires !cap_null_l(c);
    assigns { *s | cte_t *s; cdt_slot(s) }; // = *slot, prev->next, prev->next->prev
    ensures cdt_wf;
    ensures closed: \old(cspace_closed) && cap_type_l(c) != BH_OBJ_CNODE ==> cspace_closed;
    ensures slot->cap == c && slot->next == \old(prev->next);
    ensures frame: \forall cte_t *s; cdt_slot(s) && s != slot ==> s->cap == \old(s->cap); */
static void insert_one(cte_t *prev, cte_t *slot, cap_t c)
{
    /*@ assert cdt_link_ok(prev) && cdt_link_ok(slot); */
    /*@ assert h_sep: \forall cte_t *s; cdt_slot(s) && s != slot ==> \separated(s, slot); */
    cdt_insert_after(prev, slot, c);
    /*@ assert a_frame: \forall cte_t *s; cdt_slot(s) && s != slot ==>
          s->cap == \at(s->cap, Pre); */
}

/* Offsets in 16-byte granules (the free index's unit): a multiple of
 * obj_size is one of 16 when obj_size is. */
/*@ requires 0 < obj_size && obj_size % 16 == 0 && start % obj_size == 0;
    requires 0 < count <= BH_RETYPE_MAX_COUNT && need == count * obj_size;
    requires start + need <= 0x10000000000000;
    assigns \nothing;
    ensures start % 16 == 0 && need % 16 == 0 && (start + need) % 16 == 0; */
static void granules(uint64_t start, uint64_t obj_size, uint64_t count, uint64_t need)
{
    (void)start;
    (void)obj_size;
    (void)count;
    (void)need;
    /*@ ghost uint64_t q = start / obj_size; */
    /*@ ghost uint64_t z = obj_size / 16; */
    /*@ assert start == obj_size * q && obj_size == 16 * z; */
    /*@ assert start == 16 * (z * q); */
    /*@ assert \forall integer x; start == 16 * x ==> start % 16 == 0; */
    /*@ assert count * obj_size == 16 * (count * z); */
    /*@ assert need == 16 * (count * z); */
    /*@ assert \forall integer x; need == 16 * x ==> need % 16 == 0; */
    /*@ ghost uint64_t sq = start / 16; */
    /*@ ghost uint64_t nq = need / 16; */
    /*@ assert start == 16 * sq && need == 16 * nq; */
    /*@ assert start + need == 16 * (sq + nq); */
    /*@ assert \forall integer x; start + need == 16 * x ==> (start + need) % 16 == 0; */
}

/* The offset of object i: start + i * obj_size, aligned to 16, inside. */
/*@ requires 0 < obj_size && obj_size % 16 == 0 && start % 16 == 0;
    requires i < count <= BH_RETYPE_MAX_COUNT && end == start + count * obj_size;
    requires end <= 0x10000000000000;
    assigns \nothing;
    ensures \result == start + i * obj_size && \result % 16 == 0;
    ensures start <= \result && \result + obj_size <= end; */
static uint64_t object_offset(uint64_t start, uint64_t obj_size, uint64_t i, uint64_t count,
                              uint64_t end)
{
    (void)count;
    (void)end;
    /*@ ghost uint64_t z = obj_size / 16; */
    /*@ assert i * obj_size + obj_size <= count * obj_size; */
    /*@ assert obj_size == 16 * z && i * obj_size == 16 * (i * z); */
    /*@ ghost uint64_t h = start / 16; */
    /*@ assert start == 16 * h; */
    /*@ assert start + i * obj_size == 16 * (h + i * z); */
    /*@ assert \forall integer x; start + i * obj_size == 16 * x ==>
          (start + i * obj_size) % 16 == 0; */
    return start + i * obj_size;
}

/* The slots offset .. offset+count-1 of a valid CNode are capability slots. */
/*@ requires cnode_slots_cdt && valid_cnode(dc) && offset + count <= cnode_nslots_l(dc);
    requires \forall integer k; offset <= k < offset + count ==> cap_null_l(cnode_slots_l(dc)[k].cap);
    requires dest == cnode_slots_l(dc) + offset;
    assigns \nothing;
    ensures \forall integer k; 0 <= k < count ==> cdt_at(dest + k) && cap_null_l(dest[k].cap); */
static void dest_slots(const cte_t *dest, cap_t dc, uint64_t offset, uint64_t count)
{
    (void)dest;
    (void)dc;
    (void)offset;
    (void)count;
}

/* The physical address of an object: the untyped's base (a multiple of 16,
 * as every object address in a capability) plus its offset. */
/*@ requires base % 16 == 0 && off % 16 == 0 && base + off < 0x10000000000000;
    assigns \nothing;
    ensures \result == base + off && \result % 16 == 0 && \result < 0x10000000000000; */
static uint64_t object_pa(uint64_t base, uint64_t off)
{
    /*@ ghost uint64_t bq = base / 16; */
    /*@ ghost uint64_t oq = off / 16; */
    /*@ assert base == 16 * bq && off == 16 * oq; */
    /*@ assert base + off == 16 * (bq + oq); */
    /*@ assert \forall integer x; base + off == 16 * x ==> (base + off) % 16 == 0; */
    return base + off;
}

/* One more slot made: the per-slot facts for 0 .. i; returns i + 1 (the loop
 * counter, so the invariant at the next iteration is this ensures). */
/*@ requires i < BH_RETYPE_MAX_COUNT;
    requires \forall integer k; 0 <= k < i ==>
      retyped_cap(dest[k].cap, type, obase + k * obj_size, user_bits, device);
    requires retyped_cap(dest[i].cap, type, obase + i * obj_size, user_bits, device);
    assigns \nothing;
    ensures \result == i + 1;
    ensures slots_made(dest, \result, type, obase, obj_size, user_bits, device); */
static uint64_t made_one(const cte_t *dest, uint64_t i, bh_objtype_t type, uint64_t obase,
                         uint64_t obj_size, uint32_t user_bits, uint64_t device)
{
    (void)dest;
    (void)type;
    (void)obase;
    (void)obj_size;
    (void)user_bits;
    (void)device;
    return i + 1u;
}

/* The creation loop: the watermark to the objects' end, then object by
 * object: zero it (unless device memory or Untyped), put its capability
 * after the previous one (the first after the untyped). */
/*@ requires cdt_wf && cnode_slots_cdt;
    requires cdt_at(ut) && ut->cap == u;
    requires cap_type_l(u) == BH_OBJ_UNTYPED && ut->next != ut;
    requires u.w1 % 64 <= BH_UNTYPED_MAX_BITS;
    requires cap_obj_l(u) + pow2(u.w1 % 64) <= 0x10000000000000;
    requires 0 < count <= BH_RETYPE_MAX_COUNT && BH_OBJ_UNTYPED <= type <= BH_OBJ_VCPU;
    requires 0 < obj_size && obj_size % 16 == 0 && start % 16 == 0;
    requires end == start + count * obj_size && end % 16 == 0 && start <= end;
    requires end <= pow2(u.w1 % 64);
    requires ut_words_apart(u, from) && from <= start;
    requires \forall integer k; 0 <= k < count ==> cdt_at(dest + k) && cap_null_l(dest[k].cap);
    assigns { *s | cte_t *s; cdt_slot(s) },
            { kva_words(pa)[j] | integer pa, integer j; cap_obj_l(u) + start <= pa &&
              pa + obj_size <= cap_obj_l(u) + end && 0 <= j < obj_size / 8 };
    ensures cdt_wf;
    ensures \old(cspace_closed) && type != BH_OBJ_CNODE ==> cspace_closed;
    ensures ut->cap.w0 == u.w0 && ut->cap.w1 % 64 == u.w1 % 64;
    ensures ut_free_l(ut->cap) == end;
    ensures slots_made(dest, count, type, cap_obj_l(u) + start, obj_size, user_bits,
                       cap_device_l(u)); */
static void retype_make(cte_t *ut, cap_t u, cte_t *dest, bh_objtype_t type, uint32_t user_bits,
                        uint64_t from, uint64_t start, uint64_t obj_size, uint64_t count,
                        uint64_t end)
{
    /*@ assert cdt_link_ok(ut); */
    /*@ ghost cte_t *n0 = ut->next; */
    /*@ assert n0 != ut && (n0 == \null || \forall integer k; 0 <= k < count ==> n0 != dest + k); */
    /*@ assert n0 == \null || cdt_at(n0); */
    uint64_t device = u.w0 / 16384u % 2u; /* = cap_ut_is_device(u) */
    uint64_t ubase = pa_addr(cap_obj(u));
    uint64_t obase = ubase + start;
    /*@ assert obase == cap_obj_l(u) + start && ubase % 16 == 0; */
    /*@ assert device == cap_device_l(u); */
    set_watermark(ut, end);
    cte_t *prev = ut;
    /*@ loop invariant 0 <= i <= count;
        loop invariant cdt_wf;
        loop invariant \at(cspace_closed, Pre) && type != BH_OBJ_CNODE ==> cspace_closed;
        loop invariant ut->cap.w0 == u.w0 && ut->cap.w1 % 64 == u.w1 % 64;
        loop invariant ut_free_l(ut->cap) == end;
        loop invariant i == 0 ==> prev == ut;
        loop invariant i > 0 ==> prev == dest + (i - 1);
        loop invariant !cap_null_l(prev->cap) && prev->next == n0 && cdt_at(prev);
        loop invariant done: slots_made(dest, i, type, obase, obj_size, user_bits, device);
        loop invariant todo: \forall integer k; i <= k < count ==> cap_null_l(dest[k].cap);
        loop assigns i, prev, { *s | cte_t *s; cdt_slot(s) },
          { kva_words(pa)[j] | integer pa, integer j; cap_obj_l(u) + start <= pa &&
            pa + obj_size <= cap_obj_l(u) + end && 0 <= j < obj_size / 8 };
        loop variant count - i; */
    for (uint64_t i = 0u; i < count;) {
        uint64_t off = object_offset(start, obj_size, i, count, end);
    Z:
        __attribute__((unused));
        if (type != BH_OBJ_UNTYPED && device == 0u) {
            zero_new(u, from, start, end, off, obj_size);
        }
        /*@ assert z_kept: ut->cap == \at(ut->cap, Z) && prev->cap == \at(prev->cap, Z) &&
              prev->next == \at(prev->next, Z) &&
              \forall integer k; 0 <= k < count ==> dest[k].cap == \at(dest[k].cap, Z); */
        /*@ assert cdt_at(prev) && cdt_at(dest + i) && prev != dest + i; */
        /* Frames of device memory say so: the kernel never maps them Normal. */
        cap_t c = retype_cap(type, object_pa(ubase, off), user_bits, device);
        /*@ assert ubase + off == obase + i * obj_size; */
    I:
        __attribute__((unused));
        insert_one(prev, &dest[i], c);
        /*@ assert i_kept: ut->cap == \at(ut->cap, I) &&
              \forall integer k; 0 <= k < count && k != i ==> dest[k].cap == \at(dest[k].cap, I); */
        prev = &dest[i];
        i = made_one(dest, i, type, obase, obj_size, user_bits, device);
    }
}

bh_error_t caps_retype(cte_t *ut, bh_objtype_t type, uint32_t user_bits, cap_t dest_cnode,
                       uint64_t offset, uint64_t count)
{
    struct retype_plan p;
    cap_t u = ut->cap;
    /*@ assert cdt_link_ok(ut); */
    bool children = cdt_has_children(ut);
    bh_error_t e = retype_check(ut, type, user_bits, dest_cnode, offset, count, children, &p);
    if (e != BH_OK) {
        return e;
    }
    cte_t *dest = p.dest;
    uint64_t obj_size = p.obj_size;
    uint64_t start = p.start;
    uint64_t end = p.start + p.need;
    granules(start, obj_size, count, p.need);
    /*@ assert ut_words_apart(ut->cap, p.from); */
    dest_slots(dest, dest_cnode, offset, count);
    /*@ assert ut->cap == u; */
    retype_make(ut, u, dest, type, user_bits, p.from, start, obj_size, count, end);
    /*@ assert m_plan: 0 < obj_size && obj_size % 16 == 0 && start % obj_size == 0 &&
          p.from <= start && start + count * obj_size <= pow2(u.w1 % 64); */
    /*@ assert m_ut: ut->cap.w0 == u.w0 &&
          ut->cap.w1 % 64 == u.w1 % 64 &&
          ut_free_l(ut->cap) == start + count * obj_size; */
    /*@ assert made: retype_made(u, ut->cap, dest, count, type, user_bits, p.from,
                                 obj_size, start); */
    return BH_OK;
}
