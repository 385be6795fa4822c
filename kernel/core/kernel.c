/*
 * Portable kernel entry: system call decoding, faults, interrupts and the
 * glue to the scheduler. Object methods live with their objects (tcb.c,
 * sc_object.c, irq.c, vspace.c; CNode and Untyped in caps/).
 */
#include <kernel/kernel.h>

#include <bulkhead/ipc.h>
#include <bulkhead/syscall.h>
#include <caps/cspace.h>
#include <caps/invocation.h>
#include <kernel/assert.h>
#include <kernel/ipc.h>
#include <kernel/object_invoke.h>

#include <bh_fmt.h>

static struct sched_thread idle[SCHED_MAX_CPUS]; /* one per CPU, never queued */
static struct tcb *root;
static uint64_t freq_hz = 1000000u;
static uint64_t last_now;

/*@ assigns \nothing;
    ensures \result == last_now; */
uint64_t kernel_now_hint(void)
{
    return last_now;
}

void kernel_init(uint64_t now, uint64_t timeslice_ticks, uint64_t timer_hz)
{
    freq_hz = timer_hz == 0 ? 1000000u : timer_hz;
    sched_init(&idle[0], timeslice_ticks, now);
}

void kernel_cpu_start(unsigned cpu, uint64_t now)
{
    BH_ASSERT(cpu < SCHED_MAX_CPUS);
    sched_cpu_start(cpu, &idle[cpu], now);
}

/*@ requires s == \null || (\valid_read(s) && s->cpu < SCHED_MAX_CPUS);
    assigns \nothing;
    ensures \result <==> s == \null || s == &idle[s->cpu]; */
static bool is_idle(const struct sched_thread *s)
{
    if (s == NULL) {
        return true;
    }
    const struct sched_thread *own = &idle[s->cpu]; /* same type as s: a plain comparison */
    return s == own;
}

/*@ requires freq_hz <= 0xffffffff;
    assigns \nothing;
    ensures us * freq_hz / 1000000 <= UINT64_MAX ==> \result == us * freq_hz / 1000000;
    ensures us * freq_hz / 1000000 > UINT64_MAX ==> \result == UINT64_MAX; */
uint64_t kernel_us_to_ticks(uint64_t us)
{
    return sc_us_to_ticks(us, freq_hz);
}

struct tcb *kernel_current(void)
{
    struct sched_thread *s = sched_current();
    return is_idle(s) ? NULL : tcb_from_sched(s);
}

/*@ requires \valid(t);
    assigns root, t->is_root;
    ensures root == t && t->is_root == 1; */
void kernel_set_root(struct tcb *t)
{
    root = t;
    t->is_root = 1;
}

/*@ requires root == \null || \valid_read(root);
    assigns \nothing;
    ensures \result <==> root == \null || root->state == TCB_STOPPED; */
bool kernel_root_stopped(void)
{
    return root == NULL || root->state == TCB_STOPPED;
}

void kernel_start_thread(struct tcb *t, uint8_t prio)
{
    sched_thread_init(&t->sched, prio, 0);
    t->state = TCB_RUNNABLE;
    sched_make_runnable(&t->sched);
}

/* Budget exhaustion: tell the thread's timeout handler, if it has one. */
static void report_timeout(const struct sched_event *ev)
{
    struct tcb *t = tcb_from_sched(ev->thread);
    cap_t ep = t->slot[TCB_SLOT_TIMEOUT_EP].cap;
    if (cap_type(ep) != BH_OBJ_ENDPOINT) {
        return;
    }
    const struct sched_context_obj *sco = (const void *)ev->sc;
    uint64_t msg[6] = {sco->timeout_badge, ev->overrun, 0, 0, 0, 0};
    (void)ipc_kernel_send(endpoint_of(ep), cap_badge(ep), BH_FAULT_TIMEOUT, msg);
}

void kernel_enter(uint64_t now)
{
    struct sched_event ev;
    last_now = now;
    if (sched_charge(now, &ev)) {
        report_timeout(&ev);
    }
    (void)sched_tick(now);
}

struct tcb *kernel_schedule(uint64_t now, uint64_t *deadline)
{
    /* A thread whose address space cannot be activated (no VMID left) is
     * stopped with a report rather than retried forever. Bounded: each pass
     * stops one thread. */
    for (;;) {
        struct sched_thread *s = sched_choose(now);
        *deadline = sched_next_deadline(now);
        if (is_idle(s)) {
            return NULL;
        }
        struct tcb *t = tcb_from_sched(s);
        if (arch_activate(t) == BH_OK) {
            return t;
        }
        uint64_t msg[6] = {t->regs.elr, 0, 0, 0, 0, 0};
        kernel_fault(t, BH_FAULT_VM, msg, "its address space has no VMID (all in use)");
    }
}

/* ---- capability lookup for system calls ---- */

/*
 * The capability a system call names in x0: looked up in the caller's CSpace
 * (depth 64, not exact); on failure the fault goes to x2..x4 and nothing else
 * changes; an empty slot is refused.
 */
/*@ requires \valid(t) && \valid(slot) && \separated(t, slot);
    requires valid_cnode(t->slot[TCB_SLOT_CSPACE].cap) ||
             cap_type_l(t->slot[TCB_SLOT_CSPACE].cap) != BH_OBJ_CNODE;
    requires cspace_closed;
    assigns *slot, t->regs.x[2 .. 4];
    ensures \result == BH_OK || \result == BH_E_LOOKUP_FAILED ||
            \result == BH_E_INVALID_CAPABILITY;
    ensures \result != BH_E_LOOKUP_FAILED ==> t->regs.x[2] == \old(t->regs.x[2]) &&
            t->regs.x[3] == \old(t->regs.x[3]) && t->regs.x[4] == \old(t->regs.x[4]);
    ensures \result != BH_E_LOOKUP_FAILED ==> \valid(*slot) &&
            (\exists integer r; 0 <= r < 64 &&
             resolves{Pre}(\at(t->slot[TCB_SLOT_CSPACE].cap, Pre), cptr, 64, 0, *slot, r));
    ensures \result == BH_OK ==> \valid(*slot) && !cap_null_l((*slot)->cap);
    ensures \result == BH_E_INVALID_CAPABILITY ==> cap_null_l((*slot)->cap); */
static bh_error_t lookup(struct tcb *t, uint64_t cptr, cte_t **slot)
{
    bh_lookup_fault_t lf;
    bh_error_t e = cspace_lookup(t->slot[TCB_SLOT_CSPACE].cap, cptr, 64, false, slot, &lf);
    if (e != BH_OK) {
        /* Where the address failed to resolve, for the caller's diagnostics. */
        t->regs.x[2] = lf.kind;
        t->regs.x[3] = lf.level;
        t->regs.x[4] = lf.bits_left;
        return e;
    }
    if (cap_is_null((*slot)->cap)) {
        return BH_E_INVALID_CAPABILITY;
    }
    return BH_OK;
}

static void debug_write(struct tcb *t)
{
    uint64_t len = t->regs.x[0];
    if (len > BH_DEBUG_WRITE_MAX) {
        t->regs.x[0] = BH_E_RANGE;
        return;
    }
    char buf[BH_DEBUG_WRITE_MAX];
    for (uint64_t i = 0; i < len; i++) {
        buf[i] = (char)(t->regs.x[2 + i / 8] >> (8 * (i % 8)));
    }
    arch_console_write(buf, (size_t)len);
    t->regs.x[0] = BH_OK;
}

static void debug_write_buf(struct tcb *t)
{
    uint64_t len = t->regs.x[0];
    const struct bh_ipc_buffer *b = tcb_ipc_buffer(t);
    _Static_assert(BH_DEBUG_WRITE_BUF_MR * 8u + BH_DEBUG_WRITE_BUF_MAX <= sizeof(b->mr),
                   "the text fits the message registers");
    if (b == NULL) {
        t->regs.x[0] = BH_E_TRUNCATED;
        return;
    }
    if (len > BH_DEBUG_WRITE_BUF_MAX) {
        t->regs.x[0] = BH_E_RANGE;
        return;
    }
    arch_console_write((const char *)&b->mr[BH_DEBUG_WRITE_BUF_MR], (size_t)len);
    t->regs.x[0] = BH_OK;
}

/*@ logic integer right_l(cap_t c, integer bit) = (cap_rights_l(c) / bit) % 2; */

/*
 * Send, NBSend, Call on capability c: the write right first; a Notification
 * is signalled (not for Call, *ntfn set); else it must be an Endpoint, and
 * the message carries IPC_GRANT exactly when c has the grant right and
 * IPC_CALL exactly for Call.
 */
/*@ requires \valid(ntfn) && \valid(flags) && \separated(ntfn, flags);
    assigns *ntfn, *flags;
    ensures \result == BH_OK || \result == BH_E_INSUFFICIENT_RIGHTS ||
            \result == BH_E_INVALID_CAPABILITY;
    ensures right_l(c, BH_RIGHT_WRITE) == 0 <==> \result == BH_E_INSUFFICIENT_RIGHTS;
    ensures \result == BH_OK <==> right_l(c, BH_RIGHT_WRITE) == 1 &&
            (cap_type_l(c) == BH_OBJ_ENDPOINT ||
             (cap_type_l(c) == BH_OBJ_NOTIFICATION && nr != BH_SYS_CALL));
    ensures \result == BH_OK ==>
            (*ntfn <==> cap_type_l(c) == BH_OBJ_NOTIFICATION && nr != BH_SYS_CALL);
    ensures \result == BH_OK && !*ntfn ==> cap_type_l(c) == BH_OBJ_ENDPOINT &&
            *flags == (right_l(c, BH_RIGHT_GRANT) == 1 ? IPC_GRANT : 0) +
                      (nr == BH_SYS_CALL ? IPC_CALL : 0); */
static bh_error_t send_decode(cap_t c, uint64_t nr, bool *ntfn, uint8_t *flags)
{
    *ntfn = false;
    *flags = 0;
    if ((cap_rights(c) / BH_RIGHT_WRITE) % 2u == 0) {
        return BH_E_INSUFFICIENT_RIGHTS;
    }
    if (cap_type(c) == BH_OBJ_NOTIFICATION && nr != BH_SYS_CALL) {
        *ntfn = true;
        return BH_OK;
    }
    if (cap_type(c) != BH_OBJ_ENDPOINT) {
        return BH_E_INVALID_CAPABILITY;
    }
    /* IPC_GRANT and IPC_CALL are distinct bits: the sum is their union. */
    *flags = (uint8_t)(((cap_rights(c) / BH_RIGHT_GRANT) % 2u != 0 ? IPC_GRANT : 0u) +
                       (nr == BH_SYS_CALL ? IPC_CALL : 0u));
    return BH_OK;
}

static void do_send(struct tcb *t, uint64_t nr)
{
    cte_t *s;
    bh_error_t e = lookup(t, t->regs.x[0], &s);
    if (e != BH_OK) {
        t->regs.x[0] = e;
        return;
    }
    cap_t c = s->cap;
    bool ntfn = false;
    uint8_t flags = 0;
    e = send_decode(c, nr, &ntfn, &flags);
    if (e != BH_OK) {
        t->regs.x[0] = e;
        return;
    }
    if (ntfn) {
        ntfn_signal(notification_of(c), cap_badge(c));
        t->regs.x[0] = BH_OK;
        return;
    }
    ipc_send(t, endpoint_of(c), cap_badge(c), flags, nr != BH_SYS_NBSEND);
}

/* Recv and Wait: the read right, then an Endpoint or a Notification. */
/*@ assigns \nothing;
    ensures right_l(c, BH_RIGHT_READ) == 0 ==> \result == BH_E_INSUFFICIENT_RIGHTS;
    ensures \result == BH_OK || \result == BH_E_INSUFFICIENT_RIGHTS ||
            \result == BH_E_INVALID_CAPABILITY;
    ensures \result == BH_OK <==> right_l(c, BH_RIGHT_READ) == 1 &&
            (cap_type_l(c) == BH_OBJ_ENDPOINT || cap_type_l(c) == BH_OBJ_NOTIFICATION); */
static bh_error_t recv_decode(cap_t c)
{
    if ((cap_rights(c) / BH_RIGHT_READ) % 2u == 0) {
        return BH_E_INSUFFICIENT_RIGHTS;
    }
    if (cap_type(c) != BH_OBJ_ENDPOINT && cap_type(c) != BH_OBJ_NOTIFICATION) {
        return BH_E_INVALID_CAPABILITY;
    }
    return BH_OK;
}

/* Receive on x0 (endpoint: Recv; notification: Wait). */
static void do_recv(struct tcb *t, cte_t *s, bool blocking)
{
    cap_t c = s->cap;
    bh_error_t e = recv_decode(c);
    if (e != BH_OK) {
        t->regs.x[0] = e;
        return;
    }
    if (cap_type(c) == BH_OBJ_ENDPOINT) {
        ipc_recv(t, endpoint_of(c), blocking);
    } else {
        ntfn_wait(t, notification_of(c), blocking);
    }
}

/* Signal, Wait, Poll: a Notification; Signal needs the write right (Wait
 * and Poll go through recv_decode: the read right). */
/*@ assigns \nothing;
    ensures cap_type_l(c) != BH_OBJ_NOTIFICATION ==> \result == BH_E_INVALID_CAPABILITY;
    ensures cap_type_l(c) == BH_OBJ_NOTIFICATION && nr == BH_SYS_SIGNAL &&
            right_l(c, BH_RIGHT_WRITE) == 0 ==> \result == BH_E_INSUFFICIENT_RIGHTS;
    ensures \result == BH_OK <==> cap_type_l(c) == BH_OBJ_NOTIFICATION &&
            (nr == BH_SYS_SIGNAL ==> right_l(c, BH_RIGHT_WRITE) == 1); */
static bh_error_t signal_decode(cap_t c, uint64_t nr)
{
    if (cap_type(c) != BH_OBJ_NOTIFICATION) {
        return BH_E_INVALID_CAPABILITY;
    }
    if (nr == BH_SYS_SIGNAL && (cap_rights(c) / BH_RIGHT_WRITE) % 2u == 0) {
        return BH_E_INSUFFICIENT_RIGHTS;
    }
    return BH_OK;
}

static void do_signal_wait(struct tcb *t, uint64_t nr)
{
    cte_t *s;
    bh_error_t e = lookup(t, t->regs.x[0], &s);
    if (e != BH_OK) {
        t->regs.x[0] = e;
        return;
    }
    cap_t c = s->cap;
    e = signal_decode(c, nr);
    if (e != BH_OK) {
        t->regs.x[0] = e;
        return;
    }
    if (nr == BH_SYS_SIGNAL) {
        ntfn_signal(notification_of(c), cap_badge(c));
        t->regs.x[0] = BH_OK;
        return;
    }
    do_recv(t, s, nr == BH_SYS_WAIT);
}

static void do_invoke(struct tcb *t)
{
    cte_t *s;
    bh_error_t e = lookup(t, t->regs.x[0], &s);
    if (e != BH_OK) {
        t->regs.x[0] = e;
        return;
    }
    struct invocation inv;
    e = invocation_decode(t, s, &inv);
    if (e == BH_OK) {
        e = object_invoke(t, &inv);
    }
    t->regs.x[0] = e;
}

void kernel_syscall(struct tcb *t, uint64_t now)
{
    (void)now;
    uint64_t nr = t->regs.x[8];
    switch (nr) {
    case BH_SYS_SEND:
    case BH_SYS_NBSEND:
    case BH_SYS_CALL:
        do_send(t, nr);
        return;
    case BH_SYS_RECV:
    case BH_SYS_NBRECV: {
        cte_t *s;
        bh_error_t e = lookup(t, t->regs.x[0], &s);
        if (e != BH_OK) {
            t->regs.x[0] = e;
            return;
        }
        do_recv(t, s, nr == BH_SYS_RECV);
        return;
    }
    case BH_SYS_REPLY:
        (void)ipc_reply(t);
        return;
    case BH_SYS_REPLY_RECV: {
        /* Look up first: a bad receive capability must not cost the reply. */
        cte_t *s;
        bh_error_t e = lookup(t, t->regs.x[0], &s);
        if (e != BH_OK) {
            t->regs.x[0] = e;
            return;
        }
        (void)ipc_reply(t);
        do_recv(t, s, true);
        return;
    }
    case BH_SYS_SIGNAL:
    case BH_SYS_WAIT:
    case BH_SYS_POLL:
        do_signal_wait(t, nr);
        return;
    case BH_SYS_YIELD:
        sched_yield();
        t->regs.x[0] = BH_OK;
        return;
    case BH_SYS_INVOKE:
        do_invoke(t);
        return;
    case BH_SYS_EXIT:
        tcb_stop(t, t->regs.x[0]);
        return;
    case BH_SYS_DEBUG_WRITE:
        debug_write(t);
        return;
    case BH_SYS_DEBUG_WRITE_BUF:
        debug_write_buf(t);
        return;
    case BH_SYS_DEBUG_CPU:
        t->regs.x[0] = BH_OK;
        t->regs.x[1] = sched_self();
        t->regs.x[2] = arch_cpu_mpidr(sched_self());
        return;
    default: {
        uint64_t msg[6] = {t->regs.elr,  nr,           t->regs.sp_el0,
                           t->regs.x[0], t->regs.x[1], t->regs.x[2]};
        char what[48];
        bh_snprintf(what, sizeof(what), "unknown system call %lu", (unsigned long)nr);
        kernel_fault(t, BH_FAULT_UNKNOWN_SYSCALL, msg, what);
        return;
    }
    }
}

static void fault_unhandled(struct tcb *t, const char *what, uint64_t pc);

void kernel_fault(struct tcb *t, uint64_t label, const uint64_t msg[6], const char *what)
{
    if (ipc_send_fault(t, label, msg)) {
        return; /* the handler decides: restart or stop */
    }
    fault_unhandled(t, what, msg[0]);
}

void kernel_fault_n(struct tcb *t, uint64_t label, const uint64_t *msg, unsigned len,
                    const char *what)
{
    if (ipc_send_fault_n(t, label, msg, len)) {
        return;
    }
    fault_unhandled(t, what, len > 1 ? msg[1] : 0);
}

static void fault_unhandled(struct tcb *t, const char *what, uint64_t pc)
{
    /* No handler: the kernel reports it, and only this thread stops. */
    char line[256];
    size_t n = bh_snprintf(line, sizeof(line), "fault: thread '%s' stopped: %s, pc 0x%lx\n",
                           t->name[0] != '\0' ? t->name : "(unnamed)", what, (unsigned long)pc);
    arch_console_write(line, n < sizeof(line) ? n : sizeof(line) - 1);
    tcb_stop(t, 0xfa17);
}
