#include <bh/kobj.h>

/* The kernel keeps each thread's IPC buffer address in TPIDRRO_EL0. */
struct bh_ipc_buffer *bh_ipcbuf(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, tpidrro_el0" : "=r"(v));
    return (struct bh_ipc_buffer *)v;
}

bh_error_t bh_invoke(uint64_t cptr, uint64_t label, const uint64_t *mr, unsigned nmr,
                     const uint64_t *caps, unsigned ncaps, struct bh_sysregs *out)
{
    struct bh_sysregs r;
    r.x[0] = cptr;
    r.x[1] = bh_msginfo(label, ncaps, nmr);
    for (unsigned i = 0; i < 6; i++) {
        r.x[2 + i] = i < nmr ? mr[i] : 0;
    }
    for (unsigned i = 0; i < ncaps; i++) {
        bh_ipcbuf()->caps[i] = caps[i];
    }
    r.nr = BH_SYS_INVOKE;
    bh_syscall(&r);
    if (out != 0) {
        *out = r;
    }
    return (bh_error_t)r.x[0];
}

bh_error_t bh_retype(uint64_t untyped, bh_objtype_t type, uint64_t size_bits, uint64_t cnode,
                     uint64_t slot, uint64_t count)
{
    uint64_t mr[6] = {(uint64_t)type, size_bits, 0, 0, slot, count};
    return bh_invoke(untyped, BH_INV_UNTYPED_RETYPE, mr, 6, &cnode, 1, 0);
}

bh_error_t bh_cnode_copy(uint64_t cnode, uint64_t dest, uint64_t src, uint32_t rights)
{
    uint64_t mr[5] = {dest, 64, src, 64, rights};
    return bh_invoke(cnode, BH_INV_CNODE_COPY, mr, 5, &cnode, 1, 0);
}

bh_error_t bh_cnode_mint(uint64_t cnode, uint64_t dest, uint64_t src, uint32_t rights,
                         uint64_t badge)
{
    uint64_t mr[6] = {dest, 64, src, 64, rights, badge};
    return bh_invoke(cnode, BH_INV_CNODE_MINT, mr, 6, &cnode, 1, 0);
}

bh_error_t bh_cnode_delete(uint64_t cnode, uint64_t slot)
{
    uint64_t mr[2] = {slot, 64};
    bh_error_t e;
    do {
        e = bh_invoke(cnode, BH_INV_CNODE_DELETE, mr, 2, 0, 0, 0);
    } while (e == BH_E_PREEMPTED);
    return e;
}

bh_error_t bh_cnode_revoke(uint64_t cnode, uint64_t slot)
{
    uint64_t mr[2] = {slot, 64};
    bh_error_t e;
    do {
        e = bh_invoke(cnode, BH_INV_CNODE_REVOKE, mr, 2, 0, 0, 0);
    } while (e == BH_E_PREEMPTED);
    return e;
}

bh_error_t bh_tcb_configure(uint64_t tcb, uint64_t fault_ep, uint64_t cspace, uint64_t vspace,
                            uint64_t ipcbuf_frame, uint64_t ipcbuf_va)
{
    uint64_t mr[2] = {fault_ep, ipcbuf_va};
    uint64_t caps[3] = {cspace, vspace, ipcbuf_frame};
    return bh_invoke(tcb, BH_INV_TCB_CONFIGURE, mr, 2, caps, ipcbuf_va != 0 ? 3 : 2, 0);
}

bh_error_t bh_tcb_set_priority(uint64_t tcb, uint64_t prio)
{
    return bh_invoke(tcb, BH_INV_TCB_SET_PRIORITY, &prio, 1, 0, 0, 0);
}

bh_error_t bh_tcb_set_sched(uint64_t tcb, uint64_t sc, uint64_t timeout_ep)
{
    uint64_t caps[2] = {sc, timeout_ep};
    uint64_t zero = 0;
    return bh_invoke(tcb, BH_INV_TCB_SET_SCHED, &zero, 1, caps, timeout_ep != 0 ? 2 : 1, 0);
}

bh_error_t bh_tcb_set_partition(uint64_t tcb, uint64_t partition)
{
    return bh_invoke(tcb, BH_INV_TCB_SET_PARTITION, &partition, 1, 0, 0, 0);
}

bh_error_t bh_tcb_write_regs(uint64_t tcb, uint64_t pc, uint64_t sp, uint64_t arg0)
{
    uint64_t mr[3] = {pc, sp, arg0};
    return bh_invoke(tcb, BH_INV_TCB_WRITE_REGS, mr, 3, 0, 0, 0);
}

bh_error_t bh_tcb_resume(uint64_t tcb)
{
    return bh_invoke(tcb, BH_INV_TCB_RESUME, 0, 0, 0, 0, 0);
}

bh_error_t bh_tcb_suspend(uint64_t tcb)
{
    return bh_invoke(tcb, BH_INV_TCB_SUSPEND, 0, 0, 0, 0, 0);
}

bh_error_t bh_tcb_set_name(uint64_t tcb, const char *name)
{
    uint64_t mr[2] = {0, 0};
    for (unsigned i = 0; i < 15 && name[i] != '\0'; i++) {
        mr[i / 8] |= (uint64_t)(uint8_t)name[i] << (8 * (i % 8));
    }
    return bh_invoke(tcb, BH_INV_TCB_SET_NAME, mr, 2, 0, 0, 0);
}

bh_error_t bh_tcb_set_affinity(uint64_t tcb, uint64_t cpu)
{
    return bh_invoke(tcb, BH_INV_TCB_SET_AFFINITY, &cpu, 1, 0, 0, 0);
}

bh_error_t bh_sc_configure(uint64_t sc, uint64_t budget_us, uint64_t period_us, uint64_t badge)
{
    uint64_t mr[3] = {budget_us, period_us, badge};
    return bh_invoke(sc, BH_INV_SC_CONFIGURE, mr, 3, 0, 0, 0);
}

bh_error_t bh_as_map_frame(uint64_t as, uint64_t frame, uint64_t va, uint32_t rights,
                           unsigned *missing_level)
{
    uint64_t mr[2] = {va, rights};
    struct bh_sysregs r;
    bh_error_t e = bh_invoke(as, BH_INV_AS_MAP_FRAME, mr, 2, &frame, 1, &r);
    if (e == BH_E_LOOKUP_FAILED && missing_level != 0) {
        *missing_level = (unsigned)r.x[2];
    }
    return e;
}

bh_error_t bh_as_map_table(uint64_t as, uint64_t table, uint64_t va, unsigned level)
{
    uint64_t mr[2] = {va, level};
    return bh_invoke(as, BH_INV_AS_MAP_TABLE, mr, 2, &table, 1, 0);
}

bh_error_t bh_frame_unmap(uint64_t frame)
{
    return bh_invoke(frame, BH_INV_FRAME_UNMAP, 0, 0, 0, 0, 0);
}

static void load_msg(struct bh_sysregs *r, uint64_t cptr, uint64_t label, const uint64_t *mr,
                     unsigned n, uint64_t nr)
{
    r->x[0] = cptr;
    r->x[1] = bh_msginfo(label, 0, n);
    for (unsigned i = 0; i < 6; i++) {
        r->x[2 + i] = i < n ? mr[i] : 0;
    }
    r->nr = nr;
}

static void store_msg(const struct bh_sysregs *r, uint64_t *label, uint64_t *mr, unsigned *n)
{
    if (label != 0) {
        *label = bh_msginfo_label(r->x[1]);
    }
    unsigned len = (unsigned)bh_msginfo_length(r->x[1]);
    if (n != 0) {
        *n = len;
    }
    for (unsigned i = 0; mr != 0 && i < 6 && i < len; i++) {
        mr[i] = r->x[2 + i];
    }
}

bh_error_t bh_send(uint64_t ep, uint64_t label, const uint64_t *mr, unsigned n)
{
    struct bh_sysregs r;
    load_msg(&r, ep, label, mr, n, BH_SYS_SEND);
    bh_syscall(&r);
    return (bh_error_t)r.x[0];
}

bh_error_t bh_call(uint64_t ep, uint64_t *label, uint64_t *mr, unsigned *n)
{
    struct bh_sysregs r;
    load_msg(&r, ep, *label, mr, *n, BH_SYS_CALL);
    bh_syscall(&r);
    store_msg(&r, label, mr, n);
    return (bh_error_t)r.x[0];
}

bh_error_t bh_recv(uint64_t ep, uint64_t *label, uint64_t *mr, unsigned *n, uint64_t *badge)
{
    struct bh_sysregs r;
    load_msg(&r, ep, 0, 0, 0, BH_SYS_RECV);
    bh_syscall(&r);
    store_msg(&r, label, mr, n);
    if (badge != 0) {
        *badge = r.nr;
    }
    return (bh_error_t)r.x[0];
}

bh_error_t bh_reply_recv(uint64_t ep, uint64_t reply_label, uint64_t *mr, unsigned *n,
                         uint64_t *label, uint64_t *badge)
{
    struct bh_sysregs r;
    load_msg(&r, ep, reply_label, mr, *n, BH_SYS_REPLY_RECV);
    bh_syscall(&r);
    store_msg(&r, label, mr, n);
    if (badge != 0) {
        *badge = r.nr;
    }
    return (bh_error_t)r.x[0];
}

static bh_error_t ntfn_op(uint64_t ntfn, uint64_t nr, uint64_t *bits)
{
    struct bh_sysregs r;
    load_msg(&r, ntfn, 0, 0, 0, nr);
    bh_syscall(&r);
    if (bits != 0) {
        *bits = r.nr;
    }
    return (bh_error_t)r.x[0];
}

bh_error_t bh_signal(uint64_t ntfn)
{
    return ntfn_op(ntfn, BH_SYS_SIGNAL, 0);
}

bh_error_t bh_wait(uint64_t ntfn, uint64_t *bits)
{
    return ntfn_op(ntfn, BH_SYS_WAIT, bits);
}

bh_error_t bh_poll(uint64_t ntfn, uint64_t *bits)
{
    return ntfn_op(ntfn, BH_SYS_POLL, bits);
}

void bh_yield(void)
{
    struct bh_sysregs r;
    load_msg(&r, 0, 0, 0, 0, BH_SYS_YIELD);
    bh_syscall(&r);
}
