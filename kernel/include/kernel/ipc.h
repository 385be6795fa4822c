/*
 * IPC (portable): endpoints, notifications, one-shot replies, message and
 * capability transfer, fault delivery.
 *
 * Register convention on return to a thread (kernel/include/bulkhead/syscall.h):
 * x0 = bh_error_t, x1 = message info, x2..x7 = MR0..MR5, x8 = badge (or the
 * notification bits for Wait/Poll).
 *
 * Replies are one-shot capabilities held in the receiver's TCB (reply_to):
 * receiving a Call links caller and receiver; Reply or ReplyRecv consumes the
 * link; a receive while still owing a reply, or the receiver's destruction,
 * wakes the caller with an error instead of leaving it blocked forever.
 */
#ifndef KERNEL_IPC_H
#define KERNEL_IPC_H

#include <kernel/objects.h>

/* Send on ep. flags: IPC_CALL, IPC_GRANT. blocking=false: BH_E_WOULD_BLOCK
 * when no receiver waits (Call always blocks). */
void ipc_send(struct tcb *t, struct endpoint *ep, uint64_t badge, uint8_t flags, bool blocking);
/* Receive on ep (Recv/NBRecv). */
void ipc_recv(struct tcb *t, struct endpoint *ep, bool blocking);
/* Reply to the caller t owes a reply; BH_E_NO_REPLY in x0 if none. Returns
 * true if a reply was delivered. */
bool ipc_reply(struct tcb *t);

void ntfn_signal(struct notification *n, uint64_t bits);
/* Wait (blocking) or Poll: x8 = the bits, which are cleared. */
void ntfn_wait(struct tcb *t, struct notification *n, bool blocking);

/*
 * Sends t's fault (label, up to 6 words) to its fault endpoint as a Call.
 * Returns false if t has no usable fault endpoint: the caller then stops t
 * and reports the fault itself.
 */
bool ipc_send_fault(struct tcb *t, uint64_t label, const uint64_t msg[6]);
/* As ipc_send_fault with len (<= TCB_FAULT_MSG_MAX) words: guest exits. */
bool ipc_send_fault_n(struct tcb *t, uint64_t label, const uint64_t *msg, unsigned len);

/*
 * Bound notifications (Notification BIND_TCB): a Recv by t on any endpoint
 * also ends when n is signalled (label BH_MSG_NOTIFICATION, badge = bits).
 * BH_E_IN_USE if n or t is already bound. Unbinding an unbound notification
 * does nothing; ipc_tcb_unbind is for the TCB's destruction.
 */
bh_error_t ntfn_bind(struct notification *n, struct tcb *t);

/*
 * The TCB at physical address pa (pa_to_kva; defined in ipc_buffer.c, not
 * proved: an assumption that it writes nothing and names kva_tcb(pa),
 * uninterpreted as kva_ipc_buffer below). bound_tcb_l(n) is the TCB that the
 * notification n is bound to, from its compressed address (when n->bound is
 * not 0: (physical address >> BH_TCB_SIZE_BITS) + 1).
 */
/*@ axiomatic TcbView {
      logic struct tcb *kva_tcb(integer pa);
    }
    logic struct tcb *bound_tcb_l{L}(struct notification *n) =
      kva_tcb((n->bound - 1) * 2048);
*/
/*@ assigns \nothing;
    ensures \result == kva_tcb(pa); */
struct tcb *ipc_tcb_at(uint64_t pa);

/*
 * The endpoint t is blocked on (t->blocked_on, a void pointer: WP's typed
 * model cannot follow its cast; defined in ipc_buffer.c, not proved: an
 * assumption that it writes nothing and names blocked_ep(t), uninterpreted
 * but for reading nothing else than t->blocked_on).
 */
/*@ axiomatic BlockedOnView {
      logic struct endpoint *blocked_ep{L}(struct tcb *t) reads t->blocked_on;
    }
*/
/*@ assigns \nothing;
    ensures \result == blocked_ep(t); */
struct endpoint *ipc_blocked_ep(struct tcb *t);

/* Unbinding: the bound TCB, if any, forgets the notification, which is left
 * unbound. */
/*@ requires \valid(n);
    requires n->bound != 0 ==> \valid(bound_tcb_l(n)) && \separated(bound_tcb_l(n), n);
    assigns n->bound, bound_tcb_l(n)->bound_ntfn;
    ensures n->bound == 0;
    ensures \old(n->bound) != 0 ==> \old(bound_tcb_l(n))->bound_ntfn == \null; */
void ntfn_unbind(struct notification *n);
/* A bound TCB (the binding mutual: its notification names it) ends up
 * unbound, and so does its notification. */
/*@ requires \valid(t);
    requires t->bound_ntfn != \null ==>
             \valid(t->bound_ntfn) && \separated(t->bound_ntfn, t) &&
             t->bound_ntfn->bound != 0 && bound_tcb_l(t->bound_ntfn) == t;
    assigns t->bound_ntfn, t->bound_ntfn->bound;
    ensures t->bound_ntfn == \null;
    ensures \old(t->bound_ntfn) != \null ==> \old(t->bound_ntfn)->bound == 0; */
void ipc_tcb_unbind(struct tcb *t);

/* Takes t out of whatever it is blocked on and breaks its reply links
 * (suspend, destroy). Callers waiting on t's reply get BH_E_DESTROYED. */
void ipc_cancel(struct tcb *t);
/* Wakes every thread queued on ep / n with BH_E_DESTROYED (object deleted). */
void ipc_endpoint_destroyed(struct endpoint *ep);
void ipc_notification_destroyed(struct notification *n);

/* The thread becomes runnable with x0 = err (and leaves any queue): READY,
 * or THROTTLED when its context has no budget left; sched_make_runnable's
 * contract (kernel/sched.h) for its scheduling state. */
/*@ requires \valid(t) && t->sched.cpu < SCHED_MAX_CPUS && t->sched.affinity < SCHED_MAX_CPUS;
    requires \separated(&t->sched, &sched_cpus[0 .. SCHED_MAX_CPUS - 1]);
    requires &t->sched != sched_cpus[t->sched.cpu].idle;
    requires t->sched.state != SCHED_READY && t->sched.state != SCHED_THROTTLED ==>
             sched_can_queue(&t->sched, wake_cpu(&t->sched));
    assigns t->regs.x[0], t->state, t->blocked_on,
            SCHED_RUNNABLE_FOOTPRINT(&t->sched);
    ensures t->regs.x[0] == err && t->state == TCB_RUNNABLE && t->blocked_on == \null;
    ensures t->sched.state == SCHED_READY || t->sched.state == SCHED_THROTTLED;
    ensures \old(t->sched.state) != SCHED_READY && \old(t->sched.state) != SCHED_THROTTLED &&
            (\old(t->sched.sc) == \null || \old(t->sched.sc->remaining) != 0) ==>
              t->sched.state == SCHED_READY; */
void tcb_wake(struct tcb *t, uint64_t err);
/* The thread stops for good (exit, unhandled fault). */
void tcb_stop(struct tcb *t, uint64_t status);

/*
 * The IPC buffer of t as the kernel sees it, or NULL if it has none.
 * Defined in ipc_buffer.c (pa_to_kva, not proved): its contract is an
 * assumption of the proofs. kva_ipc_buffer(pa) names the buffer at physical
 * address pa (uninterpreted, as kva_slots); ipcbuf_l(t) is t's: in the frame
 * of its IPC-buffer slot at the offset of ipcbuf_va in the page. In a RAM
 * frame (ipcbuf_ram_l: device flag, bit 14 of w0, clear) the buffer is user
 * memory the kernel maps, never a kernel object: valid (configure keeps the
 * offset 8-aligned and the buffer inside the page) and apart from the TCB
 * and from every capability slot. Nothing is said of a device frame: the
 * kernel maps no device memory but its own devices, and CONFIGURE refuses a
 * device Frame (configure_check), so a configured thread's buffer is RAM.
 */
/*@ axiomatic IpcBufferView {
      logic struct bh_ipc_buffer *kva_ipc_buffer(integer pa);
    }
    logic struct bh_ipc_buffer *ipcbuf_l{L}(struct tcb *t) =
      kva_ipc_buffer(cap_obj_l(t->slot[TCB_SLOT_IPCBUF].cap) + t->ipcbuf_va % BH_PAGE_SIZE);
    predicate ipcbuf_ram_l{L}(struct tcb *t) = cap_device_l(t->slot[TCB_SLOT_IPCBUF].cap) == 0;
*/
/*@ requires \valid_read(t);
    assigns \nothing;
    ensures cap_null_l(t->slot[TCB_SLOT_IPCBUF].cap) ==> \result == \null;
    ensures !cap_null_l(t->slot[TCB_SLOT_IPCBUF].cap) ==> \result == ipcbuf_l(t);
    ensures \result != \null && ipcbuf_ram_l(t) ==> \valid(\result) && \separated(\result, t);
    ensures \result != \null && ipcbuf_ram_l(t) ==>
      \forall cte_t *s; cdt_slot(s) ==> \separated(\result, s); */
struct bh_ipc_buffer *tcb_ipc_buffer(const struct tcb *t);

/* The physical address of the endpoint ep (kva_to_pa; defined in
 * ipc_buffer.c, not proved: an assumption that only says it reads nothing
 * and writes nothing). Capabilities name endpoints by that address. */
/*@ assigns \nothing; */
paddr_t ipc_endpoint_pa(const struct endpoint *ep);

#endif
