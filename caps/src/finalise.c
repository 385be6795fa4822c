/* Finalisation dispatch: a switch on the type, no function pointers. */
#include <caps/finalise.h>

void caps_cap_removed(cap_t cap, bool last)
{
    bh_objtype_t t = cap_type(cap);
    paddr_t obj = cap_obj(cap);
    if ((t == BH_OBJ_FRAME_4K || t == BH_OBJ_FRAME_2M || t == BH_OBJ_PAGE_TABLE) &&
        cap_is_mapped(cap)) {
        kobj_unmap(t, obj, cap_mapped_vmid(cap), cap_mapped_addr(cap));
    }
    if (!last) {
        return;
    }
    switch (t) {
    case BH_OBJ_CNODE:
        kobj_finalise_cnode(obj, cap_cnode_radix(cap));
        break;
    case BH_OBJ_TCB:
        kobj_finalise_tcb(obj);
        break;
    case BH_OBJ_ENDPOINT:
        kobj_finalise_endpoint(obj);
        break;
    case BH_OBJ_NOTIFICATION:
        kobj_finalise_notification(obj);
        break;
    case BH_OBJ_REPLY:
        kobj_finalise_reply(obj);
        break;
    case BH_OBJ_SCHED_CONTEXT:
        kobj_finalise_sched_context(obj);
        break;
    case BH_OBJ_ADDRESS_SPACE:
        kobj_finalise_address_space(obj);
        break;
    case BH_OBJ_PAGE_TABLE:
        kobj_finalise_page_table(obj);
        break;
    case BH_OBJ_FRAME_4K:
        kobj_finalise_frame(obj, BH_FRAME_4K_SIZE_BITS);
        break;
    case BH_OBJ_FRAME_2M:
        kobj_finalise_frame(obj, BH_FRAME_2M_SIZE_BITS);
        break;
    case BH_OBJ_IRQ_HANDLER:
        kobj_finalise_irq_handler(cap_irq(cap));
        break;
    case BH_OBJ_VM:
        kobj_finalise_vm(obj);
        break;
    case BH_OBJ_VCPU:
        kobj_finalise_vcpu(obj);
        break;
    case BH_OBJ_NULL:
    case BH_OBJ_UNTYPED:
    case BH_OBJ_IRQ_CONTROL:
    case BH_OBJ_COUNT:
    default:
        break;
    }
}
