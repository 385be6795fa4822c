/* Object sizes (the capability containers are in cap_kva.c: pa_to_kva). */
#include <caps/cap.h>
#include <kernel/phys.h>

uint64_t caps_pow2(uint32_t k)
{
    return 1ull << k;
}

uint32_t caps_object_size_bits(bh_objtype_t type, uint32_t user_bits)
{
    switch (type) {
    case BH_OBJ_UNTYPED:
        return user_bits;
    case BH_OBJ_CNODE:
        return user_bits + BH_SLOT_SIZE_BITS;
    case BH_OBJ_TCB:
        return BH_TCB_SIZE_BITS;
    case BH_OBJ_ENDPOINT:
        return BH_ENDPOINT_SIZE_BITS;
    case BH_OBJ_NOTIFICATION:
        return BH_NOTIFICATION_SIZE_BITS;
    case BH_OBJ_REPLY:
        return BH_REPLY_SIZE_BITS;
    case BH_OBJ_SCHED_CONTEXT:
        return BH_SCHED_CONTEXT_SIZE_BITS;
    case BH_OBJ_ADDRESS_SPACE:
        return BH_ADDRESS_SPACE_SIZE_BITS;
    case BH_OBJ_PAGE_TABLE:
        return BH_PAGE_TABLE_SIZE_BITS;
    case BH_OBJ_FRAME_4K:
        return BH_FRAME_4K_SIZE_BITS;
    case BH_OBJ_FRAME_2M:
        return BH_FRAME_2M_SIZE_BITS;
    case BH_OBJ_VM:
        return BH_VM_SIZE_BITS;
    case BH_OBJ_VCPU:
        return BH_VCPU_SIZE_BITS;
    case BH_OBJ_NULL:
    case BH_OBJ_IRQ_CONTROL:
    case BH_OBJ_IRQ_HANDLER:
    case BH_OBJ_CONSOLE_INPUT:
    case BH_OBJ_COUNT:
    default:
        return 0u;
    }
}

uint32_t cap_object_size_bits(cap_t c)
{
    bh_objtype_t t = cap_type(c);
    uint32_t user_bits = 0u;
    if (t == BH_OBJ_UNTYPED) {
        user_bits = cap_ut_size_bits(c);
    } else if (t == BH_OBJ_CNODE) {
        user_bits = cap_cnode_radix(c);
    }
    /*@ assert user_bits <= 63; */
    return caps_object_size_bits(t, user_bits);
}
