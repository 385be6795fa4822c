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

/* Types that retype makes: every object type except Null and the IRQ
 * capabilities (made by the kernel at boot and from IRQControl). */
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

bh_error_t caps_retype(cte_t *ut, bh_objtype_t type, uint32_t user_bits, cap_t dest_cnode,
                       uint64_t offset, uint64_t count)
{
    cap_t u = ut->cap;
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
    if (cap_type(dest_cnode) != BH_OBJ_CNODE) {
        return BH_E_INVALID_CAPABILITY;
    }
    uint64_t nslots = 1ull << cap_cnode_radix(dest_cnode);
    if (offset >= nslots || count > nslots - offset) {
        return BH_E_RANGE;
    }
    cte_t *dest = (cte_t *)pa_to_kva(cap_obj(dest_cnode)) + offset;
    /*@ loop invariant 0 <= i <= count;
        loop variant count - i; */
    for (uint64_t i = 0u; i < count; i++) {
        if (!cap_is_null(dest[i].cap)) {
            return BH_E_DELETE_FIRST;
        }
    }

    uint32_t obj_bits = caps_object_size_bits(type, user_bits);
    uint32_t ut_bits = cap_ut_size_bits(u);
    if (obj_bits > ut_bits) {
        return BH_E_NOT_ENOUGH_MEMORY;
    }
    uint64_t ut_size = 1ull << ut_bits;
    uint64_t obj_size = 1ull << obj_bits;
    uint64_t need = count << obj_bits; /* <= 2^8 * 2^47: no overflow */
    bool children = cdt_has_children(ut);
    uint64_t start = 0u;
    if (!retype_place(children ? cap_ut_free_index(u) : 0u, ut_size, obj_size, count, &start)) {
        return (children && need <= ut_size) ? BH_E_REVOKE_FIRST : BH_E_NOT_ENOUGH_MEMORY;
    }

    uint64_t base = pa_addr(cap_obj(u)) + start;
    ut->cap = cap_ut_set_free_index(u, start + need);
    cte_t *prev = ut;
    /*@ loop invariant 0 <= i <= count;
        loop variant count - i; */
    for (uint64_t i = 0u; i < count; i++) {
        paddr_t obj = pa_init(base + i * obj_size);
        cap_t c;
        if (type == BH_OBJ_UNTYPED) {
            c = cap_untyped_new(obj, user_bits, device);
        } else {
            if (!device) {
                zero_object(obj, obj_size);
            }
            c = cap_make(type, obj, BH_RIGHTS_ALL, true);
            if (device) {
                /* Frames of device memory say so: the kernel never maps them Normal. */
                c.w0 |= CAP_FLAG_DEVICE;
            }
            if (type == BH_OBJ_CNODE) {
                c.w1 = user_bits; /* radix; no guard */
            }
        }
        cdt_insert_after(prev, &dest[i], c);
        prev = &dest[i];
    }
    return BH_OK;
}
