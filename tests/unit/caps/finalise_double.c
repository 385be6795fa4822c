/* Recording test double for caps/include/caps/finalise.h. */
#include "finalise_double.h"

#include <kernel/phys.h>

fin_event_t fin_events[FIN_MAX_EVENTS];
unsigned fin_count;
unsigned fin_overflow;

void fin_reset(void)
{
    fin_count = 0;
    fin_overflow = 0;
}

static void record(fin_kind_t kind, bh_objtype_t type, uint64_t obj, uint64_t extra, uint16_t vmid,
                   bool empty)
{
    if (fin_count >= FIN_MAX_EVENTS) {
        fin_overflow++;
        return;
    }
    fin_events[fin_count++] = (fin_event_t){.kind = kind,
                                            .type = type,
                                            .obj = obj,
                                            .extra = extra,
                                            .vmid = vmid,
                                            .container_was_empty = empty};
}

static bool slots_empty(paddr_t obj, uint64_t n)
{
    const cte_t *s = pa_to_kva(obj);
    for (uint64_t i = 0; i < n; i++) {
        if (s[i].cap.w0 != 0 || s[i].cap.w1 != 0 || s[i].prev != NULL || s[i].next != NULL) {
            return false;
        }
    }
    return true;
}

unsigned fin_find(fin_kind_t kind, bh_objtype_t type, uint64_t obj)
{
    unsigned n = 0;
    for (unsigned i = 0; i < fin_count; i++) {
        if (fin_events[i].kind == kind && fin_events[i].type == type && fin_events[i].obj == obj) {
            n++;
        }
    }
    return n;
}

void kobj_unmap(bh_objtype_t type, paddr_t obj, uint16_t vmid, vaddr_t va)
{
    record(EV_UNMAP, type, pa_addr(obj), va_addr(va), vmid, true);
}

void kobj_finalise_cnode(paddr_t cnode, uint32_t radix)
{
    record(EV_FINALISE, BH_OBJ_CNODE, pa_addr(cnode), radix, 0, slots_empty(cnode, 1ull << radix));
}

void kobj_finalise_tcb(paddr_t tcb)
{
    record(EV_FINALISE, BH_OBJ_TCB, pa_addr(tcb), 0, 0, slots_empty(tcb, BH_TCB_CAP_SLOTS));
}

void kobj_finalise_endpoint(paddr_t ep)
{
    record(EV_FINALISE, BH_OBJ_ENDPOINT, pa_addr(ep), 0, 0, true);
}

void kobj_finalise_notification(paddr_t ntfn)
{
    record(EV_FINALISE, BH_OBJ_NOTIFICATION, pa_addr(ntfn), 0, 0, true);
}

void kobj_finalise_reply(paddr_t reply)
{
    record(EV_FINALISE, BH_OBJ_REPLY, pa_addr(reply), 0, 0, true);
}

void kobj_finalise_sched_context(paddr_t sc)
{
    record(EV_FINALISE, BH_OBJ_SCHED_CONTEXT, pa_addr(sc), 0, 0, true);
}

void kobj_finalise_address_space(paddr_t as)
{
    record(EV_FINALISE, BH_OBJ_ADDRESS_SPACE, pa_addr(as), 0, 0, true);
}

void kobj_finalise_page_table(paddr_t pt)
{
    record(EV_FINALISE, BH_OBJ_PAGE_TABLE, pa_addr(pt), 0, 0, true);
}

void kobj_finalise_frame(paddr_t frame, uint32_t size_bits)
{
    record(EV_FINALISE, size_bits == BH_FRAME_2M_SIZE_BITS ? BH_OBJ_FRAME_2M : BH_OBJ_FRAME_4K,
           pa_addr(frame), size_bits, 0, true);
}

void kobj_finalise_irq_handler(uint32_t irq)
{
    record(EV_FINALISE, BH_OBJ_IRQ_HANDLER, irq, 0, 0, true);
}

void kobj_finalise_vm(paddr_t vm)
{
    record(EV_FINALISE, BH_OBJ_VM, pa_addr(vm), 0, 0, true);
}

void kobj_finalise_vcpu(paddr_t vcpu)
{
    record(EV_FINALISE, BH_OBJ_VCPU, pa_addr(vcpu), 0, 0, true);
}
