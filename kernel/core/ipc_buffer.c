/*
 * A thread's IPC buffer as the kernel sees it, an endpoint's physical
 * address and the TCB at a physical address: the one place the IPC code
 * converts between physical addresses and pointers (pa_to_kva/kva_to_pa, the
 * identity phys mapping), and reads a blocked thread's void pointer. Not
 * proved: WP cannot follow an integer/pointer or void pointer cast, so the
 * contracts of tcb_ipc_buffer, ipc_endpoint_pa, ipc_tcb_at and ipc_blocked_ep
 * (kernel/ipc.h) are assumptions of the proofs that call them
 * (docs/PROOFS.md).
 */
#include <kernel/ipc.h>

#include <bulkhead/ipc.h>

struct bh_ipc_buffer *tcb_ipc_buffer(const struct tcb *t)
{
    cap_t f = t->slot[TCB_SLOT_IPCBUF].cap;
    if (cap_is_null(f)) {
        return NULL;
    }
    uint64_t off = t->ipcbuf_va & (BH_PAGE_SIZE - 1u);
    return (struct bh_ipc_buffer *)((char *)pa_to_kva(cap_obj(f)) + off);
}

paddr_t ipc_endpoint_pa(const struct endpoint *ep)
{
    return kva_to_pa(ep);
}

struct tcb *ipc_tcb_at(uint64_t pa)
{
    return pa_to_kva(pa_init(pa));
}

struct endpoint *ipc_blocked_ep(struct tcb *t)
{
    return t->blocked_on;
}
