/*
 * A thread's IPC buffer as the kernel sees it: the one place the IPC code
 * turns the buffer frame's physical address into a pointer (pa_to_kva, the
 * identity phys mapping). Not proved: WP cannot follow an integer-to-pointer
 * cast, so the contract of tcb_ipc_buffer (kernel/ipc.h) is an assumption of
 * the proofs that call it (docs/PROOFS.md).
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
