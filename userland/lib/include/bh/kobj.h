/*
 * EL0 wrappers for kernel objects: IPC, notifications and invocations
 * (ABI: kernel/include/bulkhead/{syscall,ipc,objects}.h). Every call returns
 * a bh_error_t; results come back through out-parameters.
 */
#ifndef BH_USER_KOBJ_H
#define BH_USER_KOBJ_H

#include <stdint.h>

#include <bulkhead/bootinfo.h>
#include <bulkhead/errors.h>
#include <bulkhead/ipc.h>
#include <bulkhead/objects.h>
#include <bulkhead/syscall.h>

struct bh_sysregs {
    uint64_t x[8]; /* x0 capability address / result, x1 message info, x2..x7 MR0..MR5 */
    uint64_t nr;   /* x8: system call number in, badge out */
};

void bh_syscall(struct bh_sysregs *r);

/* The calling thread's IPC buffer (TPIDRRO_EL0, kept by the kernel). */
struct bh_ipc_buffer *bh_ipcbuf(void);

/* Generic invocation: label, up to 6 MRs, up to 3 capability arguments. */
bh_error_t bh_invoke(uint64_t cptr, uint64_t label, const uint64_t *mr, unsigned nmr,
                     const uint64_t *caps, unsigned ncaps, struct bh_sysregs *out);

/* Untyped and CNode (the root task's single-level CSpace: index = slot, depth 64). */
bh_error_t bh_retype(uint64_t untyped, bh_objtype_t type, uint64_t size_bits, uint64_t cnode,
                     uint64_t slot, uint64_t count);
bh_error_t bh_cnode_copy(uint64_t cnode, uint64_t dest, uint64_t src, uint32_t rights);
bh_error_t bh_cnode_mint(uint64_t cnode, uint64_t dest, uint64_t src, uint32_t rights,
                         uint64_t badge);
bh_error_t bh_cnode_delete(uint64_t cnode, uint64_t slot);
bh_error_t bh_cnode_revoke(uint64_t cnode, uint64_t slot); /* repeats while preempted */

/* Threads. */
bh_error_t bh_tcb_configure(uint64_t tcb, uint64_t fault_ep, uint64_t cspace, uint64_t vspace,
                            uint64_t ipcbuf_frame, uint64_t ipcbuf_va);
bh_error_t bh_tcb_set_priority(uint64_t tcb, uint64_t prio);
bh_error_t bh_tcb_set_sched(uint64_t tcb, uint64_t sc, uint64_t timeout_ep);
bh_error_t bh_tcb_set_partition(uint64_t tcb, uint64_t partition);
bh_error_t bh_tcb_write_regs(uint64_t tcb, uint64_t pc, uint64_t sp, uint64_t arg0);
bh_error_t bh_tcb_resume(uint64_t tcb);
bh_error_t bh_tcb_suspend(uint64_t tcb);
bh_error_t bh_tcb_set_name(uint64_t tcb, const char *name);
/* Pins the thread (or the vCPU it runs) to physical CPU cpu (0 .. bootinfo ncpus - 1);
 * BH_E_INVALID_ARGUMENT for a CPU that is not online. Threads start on CPU 0. */
bh_error_t bh_tcb_set_affinity(uint64_t tcb, uint64_t cpu);
bh_error_t bh_sc_configure(uint64_t sc, uint64_t budget_us, uint64_t period_us, uint64_t badge);

/* Address spaces. */
/* BH_E_LOOKUP_FAILED: a page table is missing at *missing_level (map one, retry). */
bh_error_t bh_as_map_frame(uint64_t as, uint64_t frame, uint64_t va, uint32_t rights,
                           unsigned *missing_level);
bh_error_t bh_as_map_table(uint64_t as, uint64_t table, uint64_t va, unsigned level);
bh_error_t bh_frame_unmap(uint64_t frame);

/* IPC. msg: MR0..MR5 in and out; *badge: the sender's badge on receive. */
bh_error_t bh_send(uint64_t ep, uint64_t label, const uint64_t *mr, unsigned n);
bh_error_t bh_call(uint64_t ep, uint64_t *label, uint64_t *mr, unsigned *n);
bh_error_t bh_recv(uint64_t ep, uint64_t *label, uint64_t *mr, unsigned *n, uint64_t *badge);
bh_error_t bh_reply_recv(uint64_t ep, uint64_t reply_label, uint64_t *mr, unsigned *n,
                         uint64_t *label, uint64_t *badge);
bh_error_t bh_signal(uint64_t ntfn);
bh_error_t bh_wait(uint64_t ntfn, uint64_t *bits);
bh_error_t bh_poll(uint64_t ntfn, uint64_t *bits);
void bh_yield(void);

#endif
