/*
 * Synchronous IPC through endpoints, notifications and one-shot replies.
 * Every path is bounded: queue operations are O(1); a transfer copies at most
 * BH_MSG_MAX words and BH_MSG_MAX_CAPS capabilities.
 */
#include <kernel/ipc.h>

#include <bulkhead/ipc.h>
#include <caps/cdt.h>
#include <caps/cnode.h>
#include <caps/cspace.h>
#include <kernel/assert.h>
#include <kernel/object_invoke.h>
#include <kernel/vcpu.h>

/* ---- thread states ---- */

/* The scheduler's call comes first in both: its contract is about the
 * state on entry, and it touches no TCB field but the scheduling state. */
void tcb_wake(struct tcb *t, uint64_t err)
{
    sched_make_runnable(&t->sched);
    t->regs.x[0] = err;
    t->state = TCB_RUNNABLE;
    t->blocked_on = NULL;
}

/* t waits (state) on the object on: BLOCKED, out of every ready or release
 * queue (sched_block's contract in kernel/sched.h). */
/*@ requires \valid(t) && t->sched.cpu < SCHED_MAX_CPUS;
    requires &t->sched != sched_cpus[t->sched.cpu].idle;
    requires \separated(&t->sched, &sched_cpus[0 .. SCHED_MAX_CPUS - 1]);
    requires sched_linked(&t->sched);
    assigns t->state, t->blocked_on,
            t->sched.state, t->sched.next, t->sched.prev, t->sched.prev->next,
            t->sched.next->prev, sched_nonsystem,
            sched_cpus[t->sched.cpu].rqs[t->sched.queue].summary,
            sched_cpus[t->sched.cpu].rqs[t->sched.queue].words[0 .. 3],
            sched_cpus[t->sched.cpu].rqs[t->sched.queue].head[t->sched.prio],
            sched_cpus[t->sched.cpu].rqs[t->sched.queue].tail[t->sched.prio],
            sched_cpus[t->sched.cpu].release_head, sched_cpus[t->sched.cpu].release_count;
    ensures t->state == state && t->blocked_on == on && t->sched.state == SCHED_BLOCKED; */
static void tcb_block(struct tcb *t, uint8_t state, void *on)
{
    sched_block(&t->sched);
    t->state = state;
    t->blocked_on = on;
}

/* ---- queues: a TCB is on at most one endpoint or notification queue ---- */

/*@ requires \valid(head) && \valid(tail) && \valid(t) && \separated(head, tail);
    requires \separated(t, head, tail);
    requires *tail == \null || (\valid(*tail) && \separated(*tail, t, head, tail));
    assigns t->q_next, t->q_prev, (*tail)->q_next, *head, *tail;
    ensures *tail == t && t->q_next == \null && t->q_prev == \old(*tail);
    ensures \old(*tail) != \null ==> \old(*tail)->q_next == t && *head == \old(*head);
    ensures \old(*tail) == \null ==> *head == t; */
static void q_append(struct tcb **head, struct tcb **tail, struct tcb *t)
{
    t->q_next = NULL;
    t->q_prev = *tail;
    if (*tail != NULL) {
        (*tail)->q_next = t;
    } else {
        *head = t;
    }
    *tail = t;
}

/*@ requires \valid(head) && \valid(tail) && \valid(t) && \separated(head, tail);
    requires \separated(t, head, tail);
    requires t->q_prev == \null || (\valid(t->q_prev) && \separated(t->q_prev, t, head, tail));
    requires t->q_next == \null || (\valid(t->q_next) && \separated(t->q_next, t, head, tail));
    requires t->q_prev == \null || t->q_next == \null || \separated(t->q_prev, t->q_next);
    assigns t->q_next, t->q_prev, t->q_prev->q_next, t->q_next->q_prev, *head, *tail;
    ensures \old(t->q_prev) != \null ==>
              \old(t->q_prev)->q_next == \old(t->q_next) && *head == \old(*head);
    ensures \old(t->q_prev) == \null ==> *head == \old(t->q_next);
    ensures \old(t->q_next) != \null ==>
              \old(t->q_next)->q_prev == \old(t->q_prev) && *tail == \old(*tail);
    ensures \old(t->q_next) == \null ==> *tail == \old(t->q_prev);
    ensures t->q_next == \null && t->q_prev == \null; */
static void q_remove(struct tcb **head, struct tcb **tail, struct tcb *t)
{
    if (t->q_prev != NULL) {
        t->q_prev->q_next = t->q_next;
    } else {
        *head = t->q_next;
    }
    if (t->q_next != NULL) {
        t->q_next->q_prev = t->q_prev;
    } else {
        *tail = t->q_prev;
    }
    t->q_next = NULL;
    t->q_prev = NULL;
}

/* ---- message transfer ---- */

/*@ requires \valid(t);
    requires b == \null || \valid(b);
    requires i < BH_MSG_MAX;
    assigns t->regs.x[2 + i], b->mr[i];
    behavior reg:
      assumes i < BH_MSG_REGS;
      assigns t->regs.x[2 + i];
      ensures t->regs.x[2 + i] == v;
    behavior buf:
      assumes i >= BH_MSG_REGS && b != \null;
      assigns b->mr[i];
      ensures b->mr[i] == v;
    behavior none:
      assumes i >= BH_MSG_REGS && b == \null;
      assigns \nothing;
    complete behaviors;
    disjoint behaviors; */
static void set_mr(struct tcb *t, struct bh_ipc_buffer *b, unsigned i, uint64_t v)
{
    if (i < BH_MSG_REGS) {
        t->regs.x[2 + i] = v;
    } else if (b != NULL) {
        b->mr[i] = v;
    }
}

/*
 * Words of a message of length words (the sender's message info) that are
 * copied: never more than its length nor BH_MSG_MAX, and only the registers
 * (MR0..MR5) when either side has no IPC buffer.
 */
/*@ assigns \nothing;
    ensures \result <= length && \result <= BH_MSG_MAX;
    ensures !buffers ==> \result <= BH_MSG_REGS;
    ensures buffers && length <= BH_MSG_MAX ==> \result == length;
    ensures length <= BH_MSG_REGS ==> \result == length; */
static uint64_t msg_words(uint64_t length, bool buffers)
{
    uint64_t len = length;
    if (len > BH_MSG_MAX) {
        len = BH_MSG_MAX;
    }
    if (!buffers && len > BH_MSG_REGS) {
        len = BH_MSG_REGS; /* no buffer on one side: registers only */
    }
    return len;
}

/*
 * Copies MR0..MR(len-1) of snd (registers, buffer sb) to rcv (registers,
 * buffer rb; without a sender buffer the words read as 0). Writes nothing but
 * rcv's x2..x7 and rb->mr[6..len-1]: never more than len words, never past
 * BH_MSG_MAX.
 */
/*@ requires \valid_read(snd) && \valid(rcv) && \separated(snd, rcv);
    requires sb == \null || (\valid_read(sb) && \separated(sb, rcv));
    requires rb == \null || (\valid(rb) && \separated(rb, snd, rcv));
    requires len <= BH_MSG_MAX;
    assigns rcv->regs.x[2 .. 7], rb->mr[BH_MSG_REGS .. len - 1];
    ensures \forall integer j; 0 <= j < len && j < BH_MSG_REGS ==>
              rcv->regs.x[2 + j] == \old(snd->regs.x[2 + j]);
    ensures \forall integer j; BH_MSG_REGS <= j < len && rb != \null && sb != \null &&
              \separated(rb, sb) ==> rb->mr[j] == sb->mr[j];
    ensures \forall integer j; BH_MSG_REGS <= j < len && rb != \null && sb == \null ==>
              rb->mr[j] == 0; */
static void copy_mrs(const struct tcb *snd, const struct bh_ipc_buffer *sb, struct tcb *rcv,
                     struct bh_ipc_buffer *rb, uint64_t len)
{
    /* MR0..MR5 are x2..x7. */
    uint64_t end = 2u + (len < BH_MSG_REGS ? len : BH_MSG_REGS);
    /*@ loop invariant 2 <= r <= end <= 2 + BH_MSG_REGS;
        loop invariant \forall integer j;
          2 <= j < r ==> rcv->regs.x[j] == \at(snd->regs.x[j], Pre);
        loop assigns r, rcv->regs.x[2 .. 7];
        loop variant end - r; */
    for (uint64_t r = 2; r < end; r++) {
        rcv->regs.x[r] = snd->regs.x[r];
    }
    if (rb == NULL) {
        return;
    }
    /*@ loop invariant BH_MSG_REGS <= i && (len >= BH_MSG_REGS ==> i <= len);
        loop invariant len < BH_MSG_REGS ==> i == BH_MSG_REGS;
        loop invariant \forall integer j; BH_MSG_REGS <= j < i && sb != \null &&
          \separated(rb, sb) ==> rb->mr[j] == sb->mr[j];
        loop invariant \forall integer j; BH_MSG_REGS <= j < i && sb == \null ==> rb->mr[j] == 0;
        loop assigns i, rb->mr[BH_MSG_REGS .. len - 1];
        loop variant len - i; */
    for (uint64_t i = BH_MSG_REGS; i < len; i++) {
        rb->mr[i] = sb != NULL ? sb->mr[i] : 0u;
    }
}

/*
 * Words of a fault message of fault_len words (0 means BH_MSG_REGS) that are
 * copied: registers only without a receive buffer.
 */
/*@ requires fault_len <= TCB_FAULT_MSG_MAX;
    assigns \nothing;
    ensures \result <= TCB_FAULT_MSG_MAX;
    ensures !buffer ==> \result <= BH_MSG_REGS;
    ensures fault_len == 0 ==> \result == BH_MSG_REGS;
    ensures buffer && fault_len != 0 ==> \result == fault_len; */
static uint64_t fault_words(uint64_t fault_len, bool buffer)
{
    uint64_t len = fault_len == 0 ? BH_MSG_REGS : fault_len;
    if (!buffer && len > BH_MSG_REGS) {
        len = BH_MSG_REGS; /* no buffer: registers only */
    }
    return len;
}

/*
 * Copies a pending fault message of snd (fault_msg[0..fault_len-1], or
 * BH_MSG_REGS words if fault_len is 0) to rcv; registers only without a
 * receive buffer. Returns the words copied.
 */
/*@ requires \valid_read(snd) && \valid(rcv) && \separated(snd, rcv);
    requires rb == \null || (\valid(rb) && \separated(rb, snd, rcv));
    requires snd->fault_len <= TCB_FAULT_MSG_MAX;
    assigns rcv->regs.x[2 .. 7], rb->mr[BH_MSG_REGS .. TCB_FAULT_MSG_MAX - 1];
    ensures \result <= TCB_FAULT_MSG_MAX;
    ensures rb == \null ==> \result <= BH_MSG_REGS;
    ensures \forall integer j; 0 <= j < \result && j < BH_MSG_REGS ==>
              rcv->regs.x[2 + j] == snd->fault_msg[j];
    ensures \forall integer j; BH_MSG_REGS <= j < \result && rb != \null ==>
              rb->mr[j] == snd->fault_msg[j]; */
static uint64_t copy_fault_msg(const struct tcb *snd, struct tcb *rcv, struct bh_ipc_buffer *rb)
{
    uint64_t len = fault_words(snd->fault_len, rb != NULL);
    uint64_t nregs = len < BH_MSG_REGS ? len : BH_MSG_REGS;
    /*@ loop invariant 0 <= i <= nregs;
        loop invariant \forall integer j; 0 <= j < i ==> rcv->regs.x[2 + j] == snd->fault_msg[j];
        loop assigns i, rcv->regs.x[2 .. 7];
        loop variant nregs - i; */
    for (uint64_t i = 0; i < nregs; i++) {
        rcv->regs.x[2 + i] = snd->fault_msg[i];
    }
    if (rb != NULL) {
        /*@ loop invariant BH_MSG_REGS <= i && (len >= BH_MSG_REGS ==> i <= len);
            loop invariant len < BH_MSG_REGS ==> i == BH_MSG_REGS;
            loop invariant \forall integer j; BH_MSG_REGS <= j < i ==> rb->mr[j] == snd->fault_msg[j];
            loop assigns i, rb->mr[BH_MSG_REGS .. TCB_FAULT_MSG_MAX - 1];
            loop variant len - i; */
        for (uint64_t i = BH_MSG_REGS; i < len; i++) {
            rb->mr[i] = snd->fault_msg[i];
        }
    }
    return len;
}

/*
 * Extra capabilities a message may move: none unless the sender's endpoint
 * capability had the grant right (IPC_GRANT in its flags); at most
 * BH_MSG_MAX_CAPS.
 */
/*@ assigns \nothing;
    ensures (flags & IPC_GRANT) == 0 ==> \result == 0;
    ensures (flags & IPC_GRANT) != 0 ==> \result == ((mi >> 7) & 3);
    ensures \result <= BH_MSG_MAX_CAPS; */
static uint64_t caps_granted(uint8_t flags, uint64_t mi)
{
    if ((flags & IPC_GRANT) == 0) {
        return 0;
    }
    return bh_msginfo_caps(mi);
}

/* A word written outside every capability slot (the receiver's IPC buffer,
 * the unwrapped mask): the derivation tree and the capability spaces stay
 * as they were. */
/*@ requires \valid(w);
    requires cnode_slots_cdt;
    requires \forall cte_t *s; cdt_slot(s) ==> \separated(s, w);
    assigns *w;
    ensures *w == v;
    ensures \old(cdt_wf) ==> cdt_wf;
    ensures \old(cspace_closed) ==> cspace_closed; */
static void put_word(uint64_t *w, uint64_t v)
{
    *w = v;
}

/* The copy into the receive slot: a copy of a CNode capability refers to the
 * same valid CNode, and no other slot changes, so the capability spaces stay
 * closed. */
/*@ requires cdt_wf && cspace_closed && cnode_slots_cdt;
    requires in_valid_cnode(src) && in_valid_cnode(dst);
    assigns { *s | cte_t *s; cdt_slot(s) };
    ensures cdt_wf;
    ensures cspace_closed; */
static bh_error_t copy_in(cte_t *src, cte_t *dst)
{
    /*@ assert cdt_at(src) && cdt_at(dst); */
    /*@ assert src_ok: cap_type_l(src->cap) == BH_OBJ_CNODE ==> valid_cnode(src->cap); */
    /*@ assert dst_ok: cap_type_l(dst->cap) == BH_OBJ_CNODE ==> valid_cnode(dst->cap); */
    /*@ assert next_ok: src->next == \null || cdt_slot(src->next); */
    /*@ assert sep: \forall cte_t *x; cdt_slot(x) && x != dst ==> \separated(x, dst); */
    /*@ assert in_cdt: \forall cap_t c, integer i; valid_cnode(c) && 0 <= i < cnode_nslots_l(c) ==>
          cdt_slot(cnode_slots_l(c) + i); */
    bh_error_t e = caps_copy(src, dst, BH_RIGHTS_ALL);
    /*@ assert frame: \forall cte_t *x; cdt_slot(x) && x != dst ==> x->cap == \at(x->cap, Pre); */
    /*@ assert err_same: e != BH_OK ==> dst->cap == \at(dst->cap, Pre); */
    /*@ assert ok_obj: e == BH_OK ==> cap_type_l(dst->cap) == cap_type_l(\at(src->cap, Pre)) &&
          cap_obj_l(dst->cap) == cap_obj_l(\at(src->cap, Pre)); */
    /*@ assert ok_cnode: e == BH_OK && cap_type_l(dst->cap) == BH_OBJ_CNODE ==>
          cnode_slots_l(dst->cap) == cnode_slots_l(\at(src->cap, Pre)) &&
          cnode_nslots_l(dst->cap) == cnode_nslots_l(\at(src->cap, Pre)); */
    /*@ assert new_cap: cap_type_l(dst->cap) == BH_OBJ_CNODE ==> valid_cnode(dst->cap); */
    /*@ assert cnode_frame: \forall cap_t c, integer i;
          valid_cnode(c) && 0 <= i < cnode_nslots_l(c) && cnode_slots_l(c) + i != dst ==>
            cnode_slots_l(c)[i].cap == \at(cnode_slots_l(c)[i].cap, Pre); */
    return e;
}

/*
 * The receiver's receive slot: recv_cnode looked up (depth 64) in its CSpace
 * rroot, then, when recv_depth is not 0, recv_index at recv_depth (at most
 * 64) in the CNode found there. *dst is written only on success.
 */
/*@ requires \valid_read(rb) && \valid(dst);
    requires cspace_closed;
    requires valid_cnode(rroot) || cap_type_l(rroot) != BH_OBJ_CNODE;
    assigns *dst;
    ensures \result == BH_OK ==> in_valid_cnode(*dst); */
static bh_error_t recv_slot(cap_t rroot, const struct bh_ipc_buffer *rb, cte_t **dst)
{
    bh_lookup_fault_t lf;
    cte_t *s = NULL;
    uint32_t rdepth = (uint32_t)(rb->recv_depth > 64 ? 64 : rb->recv_depth);
    bh_error_t e = cspace_lookup(rroot, rb->recv_cnode, 64, false, &s, &lf);
    if (e != BH_OK) {
        return e;
    }
    if (rdepth != 0) {
        cte_t *node = s;
        e = cspace_lookup(node->cap, rb->recv_index, rdepth, true, &s, &lf);
        if (e != BH_OK) {
            return e;
        }
    }
    *dst = s;
    return BH_OK;
}

/* Copies *src into the receiver's receive slot (recv_slot). */
/*@ requires \valid_read(rb);
    requires cdt_wf && cspace_closed && cnode_slots_cdt;
    requires in_valid_cnode(src);
    requires valid_cnode(rroot) || cap_type_l(rroot) != BH_OBJ_CNODE;
    assigns { *s | cte_t *s; cdt_slot(s) };
    ensures cdt_wf && cspace_closed; */
static bh_error_t copy_to_recv_slot(cte_t *src, cap_t rroot, const struct bh_ipc_buffer *rb)
{
    cte_t *dst = NULL;
    bh_error_t e = recv_slot(rroot, rb, &dst);
    if (e != BH_OK) {
        return e;
    }
    return copy_in(src, dst);
}

/*
 * The slot that capability i of a message names (cptr sb->caps[i] in the
 * sender's CSpace sroot, depth sb->cap_depth or 64 when that is 0 or above
 * 64), or NULL when the lookup fails or the slot is empty.
 */
/*@ requires \valid_read(sb) && i < BH_MSG_MAX_CAPS;
    requires cspace_closed;
    requires valid_cnode(sroot) || cap_type_l(sroot) != BH_OBJ_CNODE;
    assigns \nothing;
    ensures \result == \null ||
            (\valid(\result) && in_valid_cnode(\result) && !cap_null_l(\result->cap)); */
static cte_t *send_slot(cap_t sroot, const struct bh_ipc_buffer *sb, uint64_t i)
{
    cte_t *src = NULL;
    bh_lookup_fault_t lf;
    uint32_t depth = sb->cap_depth == 0 || sb->cap_depth > 64 ? 64u : (uint32_t)sb->cap_depth;
    if (cspace_lookup(sroot, sb->caps[i], depth, false, &src, &lf) != BH_OK ||
        cap_is_null(src->cap)) {
        return NULL;
    }
    return src;
}

/* c is a capability to the endpoint ep_obj the message came through (via_ep). */
/*@ assigns \nothing;
    ensures \result <==>
            (via_ep && cap_type_l(c) == BH_OBJ_ENDPOINT && cap_obj_l(c) == ep_obj.pa); */
static bool unwraps(cap_t c, bool via_ep, paddr_t ep_obj)
{
    return via_ep && cap_type(c) == BH_OBJ_ENDPOINT && pa_addr(cap_obj(c)) == pa_addr(ep_obj);
}

/* What transfer_one did with a capability. */
enum xfer_result { XFER_STOP = 0, XFER_UNWRAPPED = 1, XFER_COPIED = 2 };

/*
 * Moves capability i of a message: cptr sb->caps[i] in the sender's CSpace
 * sroot. A capability to the endpoint ep_obj (when via_ep) is unwrapped: its
 * badge goes to rb->caps[i]. Any other is copied into the receive slot,
 * unless that slot is already used. XFER_STOP: it cannot go (nothing moved).
 * One helper per capability keeps transfer_caps's loop to its contracts (the
 * loop with this body inline cost minutes of WP's simplifier).
 */
/*@ requires \valid_read(sb) && \valid(rb);
    requires i < BH_MSG_MAX_CAPS;
    requires cdt_wf && cspace_closed && cnode_slots_cdt;
    requires valid_cnode(sroot) || cap_type_l(sroot) != BH_OBJ_CNODE;
    requires valid_cnode(rroot) || cap_type_l(rroot) != BH_OBJ_CNODE;
    requires \forall cte_t *s; cdt_slot(s) ==> \separated(s, rb);
    assigns rb->caps[i], { *s | cte_t *s; cdt_slot(s) };
    ensures \result == XFER_STOP || \result == XFER_UNWRAPPED || \result == XFER_COPIED;
    ensures slot_used ==> \result != XFER_COPIED;
    ensures cdt_wf && cspace_closed; */
static enum xfer_result transfer_one(cap_t sroot, const struct bh_ipc_buffer *sb, cap_t rroot,
                                     struct bh_ipc_buffer *rb, uint64_t i, bool via_ep,
                                     paddr_t ep_obj, bool slot_used)
{
    cte_t *src = send_slot(sroot, sb, i);
    if (src == NULL) {
        return XFER_STOP;
    }
    if (unwraps(src->cap, via_ep, ep_obj)) {
        put_word(&rb->caps[i], cap_badge(src->cap));
        return XFER_UNWRAPPED;
    }
    if (slot_used || copy_to_recv_slot(src, rroot, rb) != BH_OK) {
        return XFER_STOP;
    }
    return XFER_COPIED;
}

/*
 * Capability transfer, only when the sender's endpoint capability had the
 * grant right (checked by the caller before anything moves). A capability to
 * the very endpoint the message came through (physical address ep_obj, when
 * via_ep) is "unwrapped": the receiver gets its badge instead. Otherwise it is
 * copied into the receiver's single receive slot; transfer stops at the first
 * capability that cannot go. Capability slots change only through caps_copy
 * (the derivation tree and cspace_closed are kept); the receiver's IPC buffer
 * gets badges only.
 */
/*@ requires \valid_read(snd) && \valid_read(rcv) && \valid(unwrapped);
    requires sb == \null || \valid_read(sb);
    requires rb == \null || (\valid(rb) && \separated(rb, unwrapped));
    requires count <= BH_MSG_MAX_CAPS;
    requires cdt_wf && cspace_closed && cnode_slots_cdt;
    requires valid_cnode(snd->slot[TCB_SLOT_CSPACE].cap) ||
             cap_type_l(snd->slot[TCB_SLOT_CSPACE].cap) != BH_OBJ_CNODE;
    requires valid_cnode(rcv->slot[TCB_SLOT_CSPACE].cap) ||
             cap_type_l(rcv->slot[TCB_SLOT_CSPACE].cap) != BH_OBJ_CNODE;
    requires \forall cte_t *s; cdt_slot(s) ==> \separated(s, unwrapped);
    requires rb == \null || \forall cte_t *s; cdt_slot(s) ==> \separated(s, rb);
    assigns *unwrapped, rb->caps[0 .. BH_MSG_MAX_CAPS - 1], { *s | cte_t *s; cdt_slot(s) };
    ensures \result <= count;
    ensures (sb == \null || rb == \null) ==> \result == 0 && *unwrapped == 0;
    ensures cdt_wf && cspace_closed; */
static uint64_t transfer_caps(const struct tcb *snd, const struct bh_ipc_buffer *sb,
                              const struct tcb *rcv, struct bh_ipc_buffer *rb, bool via_ep,
                              paddr_t ep_obj, uint64_t count, uint64_t *unwrapped)
{
    uint64_t done = 0;
    bool slot_used = false;
    cap_t sroot = snd->slot[TCB_SLOT_CSPACE].cap;
    cap_t rroot = rcv->slot[TCB_SLOT_CSPACE].cap;
    uint64_t unw = 0;
    if (sb == NULL || rb == NULL) {
        put_word(unwrapped, 0);
        return 0;
    }
    /*@ loop invariant 0 <= done <= i <= count;
        loop invariant cdt_wf && cspace_closed;
        loop assigns i, done, slot_used, unw, rb->caps[0 .. BH_MSG_MAX_CAPS - 1],
                     { *s | cte_t *s; cdt_slot(s) };
        loop variant count - i; */
    for (uint64_t i = 0; i < count; i++) {
        enum xfer_result r = transfer_one(sroot, sb, rroot, rb, i, via_ep, ep_obj, slot_used);
        if (r == XFER_STOP) {
            break;
        }
        if (r == XFER_UNWRAPPED) {
            unw |= 1ull << i;
        } else {
            slot_used = true;
        }
        done++;
    }
    put_word(unwrapped, unw);
    return done;
}

/* acc with an n-bit field f appended below it (acc * 2^n + f): the steps of
 * recv_info, apart so that its goals see the fields, not one flattened sum. */
/*@ requires acc < 0x10000000000000 && f < 8;
    assigns \nothing;
    ensures \result == acc * 8 + f && \result / 8 == acc && \result % 8 == f;
    ensures \result < 0x80000000000000; */
static uint64_t push3(uint64_t acc, uint64_t f)
{
    return acc * 8u + f;
}

/*@ requires acc < 0x80000000000000 && f < 4;
    assigns \nothing;
    ensures \result == acc * 4 + f && \result / 4 == acc && \result % 4 == f;
    ensures \result < 0x200000000000000; */
static uint64_t push2(uint64_t acc, uint64_t f)
{
    return acc * 4u + f;
}

/*@ requires acc < 0x200000000000000 && f < 128;
    assigns \nothing;
    ensures \result == acc * 128 + f && \result / 128 == acc && \result % 128 == f;
    ensures \result / 4096 == acc / 32; */
static uint64_t push7(uint64_t acc, uint64_t f)
{
    return acc * 128u + f;
}

/* The received message info: label, capabilities moved, words copied and
 * which capabilities arrived as badges, each field masked to its width (the
 * bits of bh_msginfo(label, caps, len) | unwrapped << 9). */
/*@ assigns \nothing;
    ensures \result / 4096 == label % 0x10000000000000;
    ensures (\result / 128) % 4 == caps % 4;
    ensures \result % 128 == len % 128; */
static uint64_t recv_info(uint64_t label, uint64_t caps, uint64_t len, uint64_t unwrapped)
{
    uint64_t l = label % 0x10000000000000u; /* bits 63..12 */
    uint64_t q9 = push3(l, unwrapped % 8u); /* bits 11..9 */
    uint64_t q7 = push2(q9, caps % 4u);     /* bits 8..7 */
    /*@ assert q7 / 32 == l; */
    return push7(q7, len % 128u); /* bits 6..0 */
}

/* Capability slots are apart from the words a message writes (the
 * receiver's registers and IPC buffer): copy_mrs and copy_fault_msg as seen
 * from the derivation tree and the capability spaces, which stay as they
 * were. Their own goals in a small context: in transfer's they time out.
 * The slot frame is over valid slots (cdt_at): the callees' assigns name
 * rb->mr even when rb is NULL, and nothing keeps an invalid slot pointer
 * apart from that. */
/*@ requires \valid_read(snd) && \valid(rcv) && \separated(snd, rcv);
    requires sb == \null || (\valid_read(sb) && \separated(sb, rcv));
    requires rb == \null || (\valid(rb) && \separated(rb, snd, rcv));
    requires len <= BH_MSG_MAX;
    requires cdt_wf && cspace_closed && cnode_slots_cdt;
    requires \forall cte_t *s; cdt_slot(s) ==> \separated(s, &rcv->regs);
    requires rb == \null || \forall cte_t *s; cdt_slot(s) ==> \separated(s, rb);
    assigns rcv->regs.x[2 .. 7], rb->mr[BH_MSG_REGS .. len - 1];
    ensures \forall cte_t *s; cdt_at(s) ==> *s == \old(*s);
    ensures cdt_wf;
    ensures cspace_closed; */
static void copy_words(const struct tcb *snd, const struct bh_ipc_buffer *sb, struct tcb *rcv,
                       struct bh_ipc_buffer *rb, uint64_t len)
{
    copy_mrs(snd, sb, rcv, rb, len);
}

/*@ requires \valid_read(snd) && \valid(rcv) && \separated(snd, rcv);
    requires rb == \null || (\valid(rb) && \separated(rb, snd, rcv));
    requires snd->fault_len <= TCB_FAULT_MSG_MAX;
    requires cdt_wf && cspace_closed && cnode_slots_cdt;
    requires \forall cte_t *s; cdt_slot(s) ==> \separated(s, &rcv->regs);
    requires rb == \null || \forall cte_t *s; cdt_slot(s) ==> \separated(s, rb);
    assigns rcv->regs.x[2 .. 7], rb->mr[BH_MSG_REGS .. TCB_FAULT_MSG_MAX - 1];
    ensures \result <= TCB_FAULT_MSG_MAX;
    ensures \forall cte_t *s; cdt_at(s) ==> *s == \old(*s);
    ensures cdt_wf;
    ensures cspace_closed; */
static uint64_t copy_fault_words(const struct tcb *snd, struct tcb *rcv, struct bh_ipc_buffer *rb)
{
    return copy_fault_msg(snd, rcv, rb);
}

/*
 * The words of a normal message and, with the grant right, its
 * capabilities: returns the words copied (never more than the sender's
 * length); *caps and *unwrapped say what transfer_caps moved. Without the
 * grant right no capability slot changes and neither is written.
 */
/*@ requires \valid_read(snd) && \valid(rcv) && \separated(snd, rcv);
    requires sb == \null || (\valid_read(sb) && \separated(sb, rcv));
    requires rb == \null || (\valid(rb) && \separated(rb, snd, rcv));
    requires rb == \null || \forall cte_t *s; cdt_slot(s) ==> \separated(s, rb);
    requires \valid(caps) && \valid(unwrapped) && \separated(caps, unwrapped, rcv);
    requires rb == \null || \separated(rb, caps, unwrapped);
    requires \forall cte_t *s; cdt_slot(s) ==>
               \separated(s, caps) && \separated(s, unwrapped) && \separated(s, &rcv->regs);
    requires cdt_wf && cspace_closed && cnode_slots_cdt;
    requires valid_cnode(snd->slot[TCB_SLOT_CSPACE].cap) ||
             cap_type_l(snd->slot[TCB_SLOT_CSPACE].cap) != BH_OBJ_CNODE;
    requires valid_cnode(rcv->slot[TCB_SLOT_CSPACE].cap) ||
             cap_type_l(rcv->slot[TCB_SLOT_CSPACE].cap) != BH_OBJ_CNODE;
    assigns rcv->regs.x[2 .. 7], rb->mr[BH_MSG_REGS .. BH_MSG_MAX - 1],
            rb->caps[0 .. BH_MSG_MAX_CAPS - 1], *caps, *unwrapped, { *s | cte_t *s; cdt_slot(s) };
    ensures \result <= (\old(snd->regs.x[1]) & 0x7f) && \result <= BH_MSG_MAX;
    ensures cdt_wf && cspace_closed;
    ensures (\old(snd->ipc_flags) & IPC_GRANT) == 0 ==>
            *caps == \old(*caps) && *unwrapped == \old(*unwrapped) &&
            \forall cte_t *s; cdt_at(s) ==> *s == \old(*s); */
static uint64_t transfer_msg(const struct tcb *snd, const struct bh_ipc_buffer *sb, struct tcb *rcv,
                             struct bh_ipc_buffer *rb, const struct endpoint *ep, uint64_t *caps,
                             uint64_t *unwrapped)
{
    uint64_t mi = snd->regs.x[1];
    uint64_t len = msg_words(bh_msginfo_length(mi), sb != NULL && rb != NULL);
    copy_words(snd, sb, rcv, rb, len);
    /* The grant right is checked before any capability moves. */
    uint64_t ncaps = caps_granted(snd->ipc_flags, mi);
    if (ncaps == 0) {
        return len; /* *caps and *unwrapped stay 0 (the caller's) */
    }
    uint64_t moved =
        transfer_caps(snd, sb, rcv, rb, ep != NULL, ipc_endpoint_pa(ep), ncaps, unwrapped);
    put_word(caps, moved);
    return len;
}

/* The receiver's result registers: x0 = BH_OK, x1 the message info, x8 the
 * badge. Registers are apart from every capability slot: the derivation tree,
 * the capability spaces and every slot stay as they were. */
/*@ requires \valid(r) && cnode_slots_cdt;
    requires \forall cte_t *s; cdt_slot(s) ==> \separated(s, r);
    assigns r->x[0], r->x[1], r->x[8];
    ensures r->x[0] == BH_OK && r->x[1] == info && r->x[8] == badge;
    ensures \old(cdt_wf) ==> cdt_wf;
    ensures \old(cspace_closed) ==> cspace_closed;
    ensures \forall cte_t *s; cdt_at(s) ==> *s == \old(*s); */
static void put_result(struct arch_regs *r, uint64_t info, uint64_t badge)
{
    r->x[0] = BH_OK;
    r->x[1] = info;
    r->x[8] = badge;
}

/* t's IPC buffer, when it has one, is in RAM and apart from u (the other
 * party of a transfer): what tcb_ipc_buffer's contract needs to make it a
 * valid buffer apart from both threads and from every capability slot. */
/*@ predicate ipcbuf_apart{L}(struct tcb *t, struct tcb *u) =
      cap_null_l(t->slot[TCB_SLOT_IPCBUF].cap) ||
      (ipcbuf_ram_l(t) && \separated(ipcbuf_l(t), u));
*/

/*
 * One message from snd to rcv. The receiver gets x0 = BH_OK, in x1 the
 * message info (the label, the capabilities that went, the words copied: never
 * more than the sender's length) and in x8 the badge. Capabilities move only
 * when the sender's flags carry the grant right, and never with a fault
 * message; the derivation tree and the capability spaces stay well formed.
 */
/*@ requires \valid(snd) && \valid(rcv) && \separated(snd, rcv);
    requires snd->fault_len <= TCB_FAULT_MSG_MAX;
    requires ipcbuf_apart(snd, rcv) && ipcbuf_apart(rcv, snd);
    requires cdt_wf && cspace_closed && cnode_slots_cdt;
    requires valid_cnode(snd->slot[TCB_SLOT_CSPACE].cap) ||
             cap_type_l(snd->slot[TCB_SLOT_CSPACE].cap) != BH_OBJ_CNODE;
    requires valid_cnode(rcv->slot[TCB_SLOT_CSPACE].cap) ||
             cap_type_l(rcv->slot[TCB_SLOT_CSPACE].cap) != BH_OBJ_CNODE;
    requires \forall cte_t *s; cdt_slot(s) ==> \separated(s, &rcv->regs);
    assigns rcv->regs.x[0 .. 8], ipcbuf_l(rcv)->mr[BH_MSG_REGS .. BH_MSG_MAX - 1],
            ipcbuf_l(rcv)->caps[0 .. BH_MSG_MAX_CAPS - 1], { *s | cte_t *s; cdt_slot(s) };
    ensures rcv->regs.x[0] == BH_OK && rcv->regs.x[8] == badge;
    ensures cdt_wf && cspace_closed;
    ensures (\old(snd->ipc_flags) & IPC_FAULT) != 0 ==>
            rcv->regs.x[1] / 4096 == \old(snd->fault_label) % 0x10000000000000;
    ensures (\old(snd->ipc_flags) & IPC_FAULT) == 0 ==>
            rcv->regs.x[1] / 4096 == (\old(snd->regs.x[1]) >> 12) % 0x10000000000000 &&
            rcv->regs.x[1] % 128 <= (\old(snd->regs.x[1]) & 0x7f);
    ensures (\old(snd->ipc_flags) & IPC_FAULT) != 0 || (\old(snd->ipc_flags) & IPC_GRANT) == 0 ==>
            (rcv->regs.x[1] / 128) % 4 == 0;
    ensures (\old(snd->ipc_flags) & IPC_FAULT) != 0 || (\old(snd->ipc_flags) & IPC_GRANT) == 0 ==>
            \forall cte_t *s; cdt_at(s) ==> *s == \old(*s);
*/
static void transfer(struct tcb *snd, struct tcb *rcv, uint64_t badge, const struct endpoint *ep)
{
    struct bh_ipc_buffer *sb = tcb_ipc_buffer(snd);
    struct bh_ipc_buffer *rb = tcb_ipc_buffer(rcv);
    uint64_t label;
    uint64_t len;
    uint64_t caps = 0;
    uint64_t unwrapped = 0;
    if ((snd->ipc_flags & IPC_FAULT) != 0) {
        label = snd->fault_label;
        len = copy_fault_words(snd, rcv, rb);
    } else {
        label = bh_msginfo_label(snd->regs.x[1]);
        len = transfer_msg(snd, sb, rcv, rb, ep, &caps, &unwrapped);
    }
    put_result(&rcv->regs, recv_info(label, caps, len, unwrapped), badge);
}

/* ---- endpoints ---- */

static void link_reply(struct tcb *caller, struct tcb *server)
{
    server->reply_to = caller;
    caller->reply_from = server;
    tcb_block(caller, TCB_BLOCKED_REPLY, NULL);
}

/* A receiver that still owes a reply gives it up: its caller gets an error. */
static void drop_reply(struct tcb *t)
{
    struct tcb *c = t->reply_to;
    if (c == NULL) {
        return;
    }
    t->reply_to = NULL;
    c->reply_from = NULL;
    if ((c->ipc_flags & IPC_FAULT) != 0) {
        /* A faulted thread whose handler will not answer stays stopped. */
        c->ipc_flags = 0;
        tcb_stop(c, BH_FAULT_NONE);
        return;
    }
    c->ipc_flags = 0;
    tcb_wake(c, BH_E_NO_REPLY);
}

void ipc_send(struct tcb *t, struct endpoint *ep, uint64_t badge, uint8_t flags, bool blocking)
{
    struct tcb *r = ep->head;
    if (r != NULL && r->state == TCB_BLOCKED_RECV) {
        q_remove(&ep->head, &ep->tail, r);
        t->ipc_flags = flags;
        transfer(t, r, badge, ep);
        tcb_wake(r, BH_OK);
        if ((flags & IPC_CALL) != 0) {
            link_reply(t, r);
        } else {
            t->ipc_flags = 0;
            t->regs.x[0] = BH_OK;
        }
        return;
    }
    if (!blocking && (flags & IPC_CALL) == 0) {
        t->regs.x[0] = BH_E_WOULD_BLOCK;
        return;
    }
    t->badge = badge;
    t->ipc_flags = flags;
    q_append(&ep->head, &ep->tail, t);
    tcb_block(t, TCB_BLOCKED_SEND, ep);
}

static bool bound_ntfn_take(struct tcb *t);

void ipc_recv(struct tcb *t, struct endpoint *ep, bool blocking)
{
    drop_reply(t);
    if (bound_ntfn_take(t)) {
        return;
    }
    struct tcb *s = ep->head;
    if (s != NULL && s->state == TCB_BLOCKED_SEND) {
        q_remove(&ep->head, &ep->tail, s);
        s->blocked_on = NULL;
        transfer(s, t, s->badge, ep);
        if ((s->ipc_flags & IPC_CALL) != 0) {
            link_reply(s, t);
        } else {
            s->ipc_flags = 0;
            tcb_wake(s, BH_OK);
        }
        return;
    }
    if (!blocking) {
        t->regs.x[0] = BH_E_WOULD_BLOCK;
        t->regs.x[1] = 0;
        t->regs.x[8] = 0;
        return;
    }
    q_append(&ep->head, &ep->tail, t);
    tcb_block(t, TCB_BLOCKED_RECV, ep);
}

bool ipc_reply(struct tcb *t)
{
    struct tcb *c = t->reply_to;
    if (c == NULL) {
        t->regs.x[0] = BH_E_NO_REPLY;
        return false;
    }
    t->reply_to = NULL;
    c->reply_from = NULL;
    uint64_t mi = t->regs.x[1];
    if ((c->ipc_flags & IPC_FAULT) != 0) {
        /* Fault reply: label 0 restarts the thread (at MR0 if given), else it stays stopped. */
        c->ipc_flags = 0;
        if (bh_msginfo_label(mi) == 0) {
            if (c->vcpu != NULL) {
                vcpu_apply_reply(c, c->vcpu, &t->regs.x[2], bh_msginfo_length(mi));
            } else if (bh_msginfo_length(mi) >= 1) {
                c->regs.elr = t->regs.x[2];
            }
            c->state = TCB_RUNNABLE;
            sched_make_runnable(&c->sched);
        } else {
            tcb_stop(c, bh_msginfo_label(mi));
        }
        t->regs.x[0] = BH_OK;
        return true;
    }
    c->ipc_flags = 0;
    t->ipc_flags = 0; /* replies carry no capabilities */
    transfer(t, c, 0, NULL);
    tcb_wake(c, BH_OK);
    t->regs.x[0] = BH_OK;
    return true;
}

bool ipc_send_fault(struct tcb *t, uint64_t label, const uint64_t msg[6])
{
    return ipc_send_fault_n(t, label, msg, BH_MSG_REGS);
}

bool ipc_send_fault_n(struct tcb *t, uint64_t label, const uint64_t *msg, unsigned len)
{
    cap_t fep = t->slot[TCB_SLOT_FAULT_EP].cap;
    if (cap_type(fep) != BH_OBJ_ENDPOINT || (cap_rights(fep) & BH_RIGHT_WRITE) == 0) {
        return false;
    }
    if (len > TCB_FAULT_MSG_MAX) {
        len = TCB_FAULT_MSG_MAX;
    }
    t->fault_label = label;
    t->fault_len = len;
    for (unsigned i = 0; i < len; i++) {
        t->fault_msg[i] = msg[i];
    }
    ipc_send(t, endpoint_of(fep), cap_badge(fep), IPC_CALL | IPC_FAULT, true);
    return true;
}

/* ---- notifications ---- */

static struct tcb *ntfn_bound_tcb(const struct notification *n);
static void deliver_bound(struct tcb *t, uint64_t word);

/*@ // tcb_wake's precondition: t may be made runnable.
    predicate wake_ok{L}(struct tcb *t) =
      \valid(t) && t->sched.cpu < SCHED_MAX_CPUS && t->sched.affinity < SCHED_MAX_CPUS &&
      \separated(&t->sched, &sched_cpus[0 .. SCHED_MAX_CPUS - 1]) &&
      &t->sched != sched_cpus[t->sched.cpu].idle &&
      (t->sched.state != SCHED_READY && t->sched.state != SCHED_THROTTLED ==>
         sched_can_queue(&t->sched, wake_cpu(&t->sched)));

    // Waking t writes nothing of x (a TCB, a notification, an endpoint) but
    // t's own scheduling fields: x is apart from the per-CPU state and from
    // the threads whose links sched_make_runnable writes (the tails t may
    // follow, its neighbours in the release queue). True of t itself and of
    // any thread on an IPC queue (BLOCKED: on no scheduler queue), and of
    // IPC objects.
    predicate wake_apart{L}(struct tcb *t, struct tcb *x) =
      \let c = &sched_cpus[wake_cpu(&t->sched)];
      \let r = rel_pos(c, t->sched.sc->next_release);
      \separated(x, &sched_cpus[0 .. SCHED_MAX_CPUS - 1]) &&
      \separated(x, c->rqs[0].tail[t->sched.prio]) &&
      \separated(x, c->rqs[t->sched.partition].tail[t->sched.prio]) &&
      \separated(x, r) && \separated(x, r == \null ? c->release_head : r->next);
    predicate wake_apart_q{L}(struct tcb *t, struct tcb **x) =
      \let c = &sched_cpus[wake_cpu(&t->sched)];
      \let r = rel_pos(c, t->sched.sc->next_release);
      \separated(x, &sched_cpus[0 .. SCHED_MAX_CPUS - 1]) &&
      \separated(x, c->rqs[0].tail[t->sched.prio]) &&
      \separated(x, c->rqs[t->sched.partition].tail[t->sched.prio]) &&
      \separated(x, r) && \separated(x, r == \null ? c->release_head : r->next);

    // q_remove's precondition for t on the queue with ends *h and *tl.
    predicate q_links_ok{L}(struct tcb *t, struct tcb **h, struct tcb **tl) =
      \separated(t, h, tl) &&
      (t->q_prev == \null || (\valid(t->q_prev) && \separated(t->q_prev, t, h, tl))) &&
      (t->q_next == \null || (\valid(t->q_next) && \separated(t->q_next, t, h, tl))) &&
      (t->q_prev == \null || t->q_next == \null || \separated(t->q_prev, t->q_next));
    // t's queue neighbours are apart from the notification n.
    predicate q_nbrs_apart{L}(struct tcb *t, struct notification *n) =
      (t->q_prev == \null || \separated(t->q_prev, n)) &&
      (t->q_next == \null || \separated(t->q_next, n));

    // wake_bound's precondition for t, blocked receiving, bound to n.
    predicate bound_wake_ok{L}(struct notification *n, struct tcb *t) =
      \valid(n) && wake_ok(t) && \separated(t, n) && wake_apart(t, t) &&
      \valid(blocked_ep(t)) && \separated(blocked_ep(t), t, n) &&
      wake_apart_q(t, &blocked_ep(t)->head) && wake_apart_q(t, &blocked_ep(t)->tail) &&
      q_links_ok(t, &blocked_ep(t)->head, &blocked_ep(t)->tail) && q_nbrs_apart(t, n);
*/

/* The TCB bound to n if it is blocked receiving (a signal ends its Recv),
 * else NULL. */
/*@ requires \valid_read(n) && (n->bound != 0 ==> \valid_read(bound_tcb_l(n)));
    assigns \nothing;
    ensures n->bound != 0 && bound_tcb_l(n)->state == TCB_BLOCKED_RECV ==>
            \result == bound_tcb_l(n);
    ensures n->bound == 0 || bound_tcb_l(n)->state != TCB_BLOCKED_RECV ==> \result == \null; */
static struct tcb *bound_receiver(struct notification *n)
{
    struct tcb *t = ntfn_bound_tcb(n);
    if (t == NULL || t->state != TCB_BLOCKED_RECV) {
        return NULL;
    }
    return t;
}

/* t, first in the queue with ends *head and *tail or not, is woken (x0 =
 * BH_OK) and leaves the queue. Woken first: tcb_wake's contract is about the
 * state on entry. */
/*@ requires wake_ok(t) && wake_apart(t, t);
    requires \valid(head) && \valid(tail) && \separated(head, tail);
    requires wake_apart_q(t, head) && wake_apart_q(t, tail) && q_links_ok(t, head, tail);
    assigns t->q_next, t->q_prev, t->q_prev->q_next, t->q_next->q_prev, *head, *tail,
            t->regs.x[0], t->state, t->blocked_on,
            SCHED_RUNNABLE_FOOTPRINT(&t->sched);
    ensures t->regs.x[0] == BH_OK && t->state == TCB_RUNNABLE && t->blocked_on == \null &&
            (t->sched.state == SCHED_READY || t->sched.state == SCHED_THROTTLED);
    ensures t->q_next == \null && t->q_prev == \null;
    ensures \old(t->q_prev) != \null ==>
              \old(t->q_prev)->q_next == \old(t->q_next) && *head == \old(*head);
    ensures \old(t->q_prev) == \null ==> *head == \old(t->q_next);
    ensures \old(t->q_next) != \null ==>
              \old(t->q_next)->q_prev == \old(t->q_prev) && *tail == \old(*tail);
    ensures \old(t->q_next) == \null ==> *tail == \old(t->q_prev); */
static void wake_dequeue(struct tcb **head, struct tcb **tail, struct tcb *t)
{
    tcb_wake(t, BH_OK);
    /* What q_remove reads and the ensures compare: kept by the wake. */
    //@ assert t->q_prev == \at(t->q_prev, Pre) && t->q_next == \at(t->q_next, Pre);
    //@ assert *head == \at(*head, Pre) && *tail == \at(*tail, Pre);
    q_remove(head, tail, t);
}

/* Signal with no waiter, t bound to n and blocked receiving: t gets the bits
 * (the notification's and these) and leaves its endpoint's queue; the
 * notification is left clear. */
/*@ requires bound_wake_ok(n, t);
    assigns n->word, n->active, t->regs.x[1], t->regs.x[8], t->q_next, t->q_prev,
            t->q_prev->q_next, t->q_next->q_prev, blocked_ep(t)->head, blocked_ep(t)->tail,
            t->regs.x[0], t->state, t->blocked_on,
            SCHED_RUNNABLE_FOOTPRINT(&t->sched);
    ensures t->regs.x[0] == BH_OK && t->regs.x[1] == BH_MSG_NOTIFICATION * 4096 &&
            t->regs.x[8] == (\old(n->word) | bits) && t->state == TCB_RUNNABLE &&
            t->blocked_on == \null &&
            (t->sched.state == SCHED_READY || t->sched.state == SCHED_THROTTLED);
    ensures n->word == 0 && n->active == 0;
    ensures \let ep = \old(blocked_ep(t));
            t->q_next == \null && t->q_prev == \null &&
            (\old(t->q_prev) != \null ==>
               \old(t->q_prev)->q_next == \old(t->q_next) && ep->head == \old(ep->head)) &&
            (\old(t->q_prev) == \null ==> ep->head == \old(t->q_next)) &&
            (\old(t->q_next) != \null ==>
               \old(t->q_next)->q_prev == \old(t->q_prev) && ep->tail == \old(ep->tail)) &&
            (\old(t->q_next) == \null ==> ep->tail == \old(t->q_prev)); */
static void wake_bound(struct notification *n, struct tcb *t, uint64_t bits)
{
    struct endpoint *ep = ipc_blocked_ep(t);
    uint64_t word = n->word | bits;
    wake_dequeue(&ep->head, &ep->tail, t);
    n->word = 0;
    n->active = 0;
    deliver_bound(t, word);
}

/* The first waiter w of n gets the bits (the notification's and these) and
 * leaves the queue; the word is left clear. */
/*@ requires \valid(n) && w == n->head && wake_ok(w) && \separated(w, n);
    requires wake_apart(w, w) && wake_apart_q(w, &n->head) && wake_apart_q(w, &n->tail);
    requires w->q_prev == \null && q_links_ok(w, &n->head, &n->tail) && q_nbrs_apart(w, n);
    assigns n->word, n->head, n->tail, w->regs.x[8], w->q_next, w->q_prev, w->q_prev->q_next,
            w->q_next->q_prev,
            w->regs.x[0], w->state, w->blocked_on,
            SCHED_RUNNABLE_FOOTPRINT(&w->sched);
    ensures w->regs.x[0] == BH_OK && w->regs.x[8] == (\old(n->word) | bits) &&
            w->state == TCB_RUNNABLE && w->blocked_on == \null &&
            (w->sched.state == SCHED_READY || w->sched.state == SCHED_THROTTLED);
    ensures n->word == 0;
    ensures \let nx = \old(w->q_next);
            w->q_next == \null && w->q_prev == \null && n->head == nx &&
            (nx != \null ==> nx->q_prev == \null && n->tail == \old(n->tail)) &&
            (nx == \null ==> n->tail == \null); */
static void wake_waiter(struct notification *n, struct tcb *w, uint64_t bits)
{
    uint64_t word = n->word | bits;
    wake_dequeue(&n->head, &n->tail, w);
    n->word = 0;
    w->regs.x[8] = word;
}

/* The first waiter gets the bits (the notification's and these) and leaves
 * the queue; else the TCB bound to n, if blocked receiving, gets them; else
 * they are kept (ORed into the word) and n is marked signalled. */
/*@ requires \valid(n);
    requires n->head != \null ==>
      wake_ok(n->head) && wake_apart(n->head, n->head) && wake_apart_q(n->head, &n->head) &&
      wake_apart_q(n->head, &n->tail) && \separated(n->head, n) && n->head->q_prev == \null &&
      q_links_ok(n->head, &n->head, &n->tail) && q_nbrs_apart(n->head, n);
    requires n->head == \null && n->bound != 0 ==>
      \valid(bound_tcb_l(n)) &&
      (bound_tcb_l(n)->state == TCB_BLOCKED_RECV ==> bound_wake_ok(n, bound_tcb_l(n)));
    assigns n->word, n->active, n->head, n->tail, n->head->regs.x[8], n->head->q_next,
            n->head->q_prev, n->head->q_prev->q_next, n->head->q_next->q_prev,
            n->head->regs.x[0], n->head->state, n->head->blocked_on,
            SCHED_RUNNABLE_FOOTPRINT(&n->head->sched),
            bound_tcb_l(n)->regs.x[1], bound_tcb_l(n)->regs.x[8],
            bound_tcb_l(n)->q_next, bound_tcb_l(n)->q_prev,
            bound_tcb_l(n)->q_prev->q_next, bound_tcb_l(n)->q_next->q_prev,
            blocked_ep(bound_tcb_l(n))->head, blocked_ep(bound_tcb_l(n))->tail,
            bound_tcb_l(n)->regs.x[0], bound_tcb_l(n)->state, bound_tcb_l(n)->blocked_on,
            SCHED_RUNNABLE_FOOTPRINT(&bound_tcb_l(n)->sched);
    behavior waiter:
      assumes n->head != \null;
      ensures \let w = \old(n->head);
              w->regs.x[0] == BH_OK && w->regs.x[8] == (\old(n->word) | bits) &&
              w->state == TCB_RUNNABLE && w->blocked_on == \null &&
              (w->sched.state == SCHED_READY || w->sched.state == SCHED_THROTTLED);
      ensures n->word == 0;
      ensures \let w = \old(n->head); \let nx = \old(w->q_next);
              w->q_next == \null && w->q_prev == \null && n->head == nx &&
              (nx != \null ==> nx->q_prev == \null && n->tail == \old(n->tail)) &&
              (nx == \null ==> n->tail == \null);
    behavior bound:
      assumes n->head == \null && n->bound != 0 && bound_tcb_l(n)->state == TCB_BLOCKED_RECV;
      ensures \let t = \old(bound_tcb_l(n));
              t->regs.x[0] == BH_OK && t->regs.x[1] == BH_MSG_NOTIFICATION * 4096 &&
              t->regs.x[8] == (\old(n->word) | bits) && t->state == TCB_RUNNABLE &&
              t->blocked_on == \null &&
              (t->sched.state == SCHED_READY || t->sched.state == SCHED_THROTTLED);
      ensures n->word == 0 && n->active == 0;
      ensures \let t = \old(bound_tcb_l(n)); \let ep = \old(blocked_ep(t));
              t->q_next == \null && t->q_prev == \null &&
              (\old(t->q_prev) != \null ==>
                 \old(t->q_prev)->q_next == \old(t->q_next) && ep->head == \old(ep->head)) &&
              (\old(t->q_prev) == \null ==> ep->head == \old(t->q_next)) &&
              (\old(t->q_next) != \null ==>
                 \old(t->q_next)->q_prev == \old(t->q_prev) && ep->tail == \old(ep->tail)) &&
              (\old(t->q_next) == \null ==> ep->tail == \old(t->q_prev));
    behavior idle:
      assumes n->head == \null;
      assumes n->bound == 0 || bound_tcb_l(n)->state != TCB_BLOCKED_RECV;
      ensures n->word == (\old(n->word) | bits) && n->active == 1;
      ensures n->head == \null && n->tail == \old(n->tail);
    complete behaviors;
    disjoint behaviors; */
void ntfn_signal(struct notification *n, uint64_t bits)
{
    struct tcb *w = n->head;
    if (w != NULL) {
        wake_waiter(n, w, bits);
        return;
    }
    struct tcb *t = bound_receiver(n);
    if (t != NULL) {
        wake_bound(n, t, bits);
        return;
    }
    n->word = n->word | bits;
    n->active = 1;
}

/* Wait (blocking) or Poll: a signalled notification (or a Poll) hands over
 * its bits at once and is left clear; else t blocks on it, last in its
 * queue. Blocked first: tcb_block's contract is about the state on entry. */
/*@ requires \valid(t) && \valid(n) && \separated(t, n);
    requires n->active == 0 && blocking ==>
      t->sched.cpu < SCHED_MAX_CPUS && &t->sched != sched_cpus[t->sched.cpu].idle &&
      \separated(&t->sched, &sched_cpus[0 .. SCHED_MAX_CPUS - 1]) &&
      sched_linked(&t->sched) && \separated(n, &sched_cpus[0 .. SCHED_MAX_CPUS - 1]) &&
      \separated(n, t->sched.prev) && \separated(n, t->sched.next) &&
      (n->tail == \null || (\valid(n->tail) && \separated(n->tail, t, n)));
    assigns t->regs.x[0], t->regs.x[8], n->word, n->active, n->head, n->tail, t->q_next,
            t->q_prev, n->tail->q_next, t->state, t->blocked_on, t->sched.state,
            t->sched.next, t->sched.prev, t->sched.prev->next, t->sched.next->prev,
            sched_nonsystem, sched_cpus[t->sched.cpu].rqs[t->sched.queue].summary,
            sched_cpus[t->sched.cpu].rqs[t->sched.queue].words[0 .. 3],
            sched_cpus[t->sched.cpu].rqs[t->sched.queue].head[t->sched.prio],
            sched_cpus[t->sched.cpu].rqs[t->sched.queue].tail[t->sched.prio],
            sched_cpus[t->sched.cpu].release_head, sched_cpus[t->sched.cpu].release_count;
    behavior take:
      assumes n->active != 0 || !blocking;
      assigns t->regs.x[0], t->regs.x[8], n->word, n->active;
      ensures t->regs.x[0] == BH_OK && t->regs.x[8] == \old(n->word);
      ensures n->word == 0 && n->active == 0;
    behavior block:
      assumes n->active == 0 && blocking;
      ensures t->state == TCB_BLOCKED_NTFN && t->sched.state == SCHED_BLOCKED;
      ensures n->tail == t && t->q_next == \null && t->q_prev == \old(n->tail);
      ensures \old(n->tail) != \null ==> \old(n->tail)->q_next == t && n->head == \old(n->head);
      ensures \old(n->tail) == \null ==> n->head == t;
    complete behaviors;
    disjoint behaviors; */
void ntfn_wait(struct tcb *t, struct notification *n, bool blocking)
{
    if (n->active != 0 || !blocking) {
        t->regs.x[0] = BH_OK;
        t->regs.x[8] = n->word;
        n->word = 0;
        n->active = 0;
        return;
    }
    tcb_block(t, TCB_BLOCKED_NTFN, n);
    //@ assert n->head == \at(n->head, Pre) && n->tail == \at(n->tail, Pre);
    q_append(&n->head, &n->tail, t);
}

/* ---- bound notifications (BIND_TCB) ---- */

/*
 * A notification bound to a TCB ends that TCB's Recv on any endpoint: the
 * receive returns label BH_MSG_NOTIFICATION, badge = the bits (cleared), no
 * message registers. One notification per TCB and one TCB per notification.
 * The notification keeps its TCB as a compressed physical address (TCBs are
 * 2^BH_TCB_SIZE_BITS aligned) because a pointer does not fit its 32 bytes.
 */
/*@ requires \valid_read(n);
    assigns \nothing;
    ensures n->bound == 0 ==> \result == \null;
    ensures n->bound != 0 ==> \result == bound_tcb_l((struct notification *)n); */
static struct tcb *ntfn_bound_tcb(const struct notification *n)
{
    if (n->bound == 0) {
        return NULL;
    }
    uint64_t idx = (uint64_t)n->bound - 1u;
    /* = idx << BH_TCB_SIZE_BITS (below 2^43), as the product the provers read */
    return ipc_tcb_at(idx * (1ull << BH_TCB_SIZE_BITS));
}

/* The receive of t ends with the bits of its bound notification. */
/*@ requires \valid(t);
    assigns t->regs.x[0], t->regs.x[1], t->regs.x[8];
    ensures t->regs.x[0] == BH_OK && t->regs.x[1] == BH_MSG_NOTIFICATION * 4096;
    ensures t->regs.x[8] == word; */
static void deliver_bound(struct tcb *t, uint64_t word)
{
    t->regs.x[0] = BH_OK;
    t->regs.x[1] = bh_msginfo(BH_MSG_NOTIFICATION, 0, 0);
    t->regs.x[8] = word;
}

/* A Recv by t finds its bound notification already signalled: the bits go
 * to t (x8) and the notification is left clear. */
/*@ requires \valid(t);
    requires t->bound_ntfn == \null || (\valid(t->bound_ntfn) && \separated(t->bound_ntfn, t));
    assigns t->bound_ntfn->word, t->bound_ntfn->active, t->regs.x[0], t->regs.x[1],
            t->regs.x[8];
    behavior idle:
      assumes t->bound_ntfn == \null || t->bound_ntfn->active == 0;
      assigns \nothing;
      ensures \result == 0;
    behavior taken:
      assumes t->bound_ntfn != \null && t->bound_ntfn->active != 0;
      ensures \result == 1;
      ensures t->bound_ntfn->word == 0 && t->bound_ntfn->active == 0;
      ensures t->regs.x[0] == BH_OK && t->regs.x[1] == BH_MSG_NOTIFICATION * 4096;
      ensures t->regs.x[8] == \old(t->bound_ntfn->word);
    complete behaviors;
    disjoint behaviors; */
static bool bound_ntfn_take(struct tcb *t)
{
    struct notification *n = t->bound_ntfn;
    if (n == NULL || n->active == 0) {
        return false;
    }
    uint64_t word = n->word;
    n->word = 0;
    n->active = 0;
    deliver_bound(t, word);
    return true;
}

bh_error_t ntfn_bind(struct notification *n, struct tcb *t)
{
    if (n->bound != 0 || t->bound_ntfn != NULL) {
        return BH_E_IN_USE;
    }
    uint64_t idx = (pa_addr(kva_to_pa(t)) >> BH_TCB_SIZE_BITS) + 1u;
    if (idx > UINT32_MAX) {
        return BH_E_RANGE; /* a TCB above 2^43: not on any supported platform */
    }
    n->bound = (uint32_t)idx;
    t->bound_ntfn = n;
    if (n->active != 0) {
        /* Signalled before the binding: a thread already receiving gets it now. */
        struct tcb *r = bound_receiver(n);
        if (r != NULL) {
            wake_bound(n, r, 0);
        }
    }
    return BH_OK;
}

void ntfn_unbind(struct notification *n)
{
    struct tcb *t = ntfn_bound_tcb(n);
    if (t != NULL) {
        t->bound_ntfn = NULL;
    }
    n->bound = 0;
}

void ipc_tcb_unbind(struct tcb *t)
{
    if (t->bound_ntfn != NULL) {
        ntfn_unbind(t->bound_ntfn);
    }
}

bh_error_t ntfn_invoke(struct tcb *caller, const struct invocation *inv)
{
    (void)caller;
    if (inv->label != BH_INV_NTFN_BIND_TCB) {
        return BH_E_ILLEGAL_OPERATION;
    }
    cap_t c = inv->target->cap;
    /* Binding hands the TCB this notification's bits: it takes a receive right. */
    if ((cap_rights(c) & BH_RIGHT_READ) == 0) {
        return BH_E_INSUFFICIENT_RIGHTS;
    }
    struct notification *n = notification_of(c);
    if (inv->len >= 1 && inv->mr[0] == 1) {
        ntfn_unbind(n);
        return BH_OK;
    }
    if (inv->len >= 1 && inv->mr[0] != 0) {
        return BH_E_INVALID_ARGUMENT;
    }
    if (inv->ncaps < 1) {
        return BH_E_TRUNCATED;
    }
    if (cap_type(inv->cap[0]) != BH_OBJ_TCB) {
        return BH_E_INVALID_CAPABILITY;
    }
    return ntfn_bind(n, tcb_of(inv->cap[0]));
}

/* ---- cancellation and destruction ---- */

void ipc_cancel(struct tcb *t)
{
    if (t->state == TCB_BLOCKED_SEND || t->state == TCB_BLOCKED_RECV) {
        struct endpoint *ep = t->blocked_on;
        q_remove(&ep->head, &ep->tail, t);
    } else if (t->state == TCB_BLOCKED_NTFN) {
        struct notification *n = t->blocked_on;
        q_remove(&n->head, &n->tail, t);
    }
    t->blocked_on = NULL;
    if (t->reply_from != NULL) {
        t->reply_from->reply_to = NULL; /* the server no longer owes t a reply */
        t->reply_from = NULL;
    }
    if (t->reply_to != NULL) {
        struct tcb *c = t->reply_to;
        t->reply_to = NULL;
        c->reply_from = NULL;
        if ((c->ipc_flags & IPC_FAULT) != 0) {
            c->ipc_flags = 0;
            tcb_stop(c, BH_FAULT_NONE);
        } else {
            c->ipc_flags = 0;
            tcb_wake(c, BH_E_DESTROYED);
        }
    }
    t->ipc_flags = 0;
}

void ipc_endpoint_destroyed(struct endpoint *ep)
{
    /* Bounded by the number of threads, which all exist in memory the caller
     * handed to the kernel; each is visited once. */
    while (ep->head != NULL) {
        struct tcb *t = ep->head;
        q_remove(&ep->head, &ep->tail, t);
        t->ipc_flags = 0;
        tcb_wake(t, BH_E_DESTROYED);
    }
}

void ipc_notification_destroyed(struct notification *n)
{
    ntfn_unbind(n);
    while (n->head != NULL) {
        struct tcb *t = n->head;
        q_remove(&n->head, &n->tail, t);
        tcb_wake(t, BH_E_DESTROYED);
    }
    n->word = 0;
    n->active = 0;
}

bool ipc_kernel_send(struct endpoint *ep, uint64_t badge, uint64_t label, const uint64_t msg[6])
{
    struct tcb *r = ep->head;
    if (r == NULL || r->state != TCB_BLOCKED_RECV) {
        return false; /* nobody listening: the report is dropped, never queued */
    }
    q_remove(&ep->head, &ep->tail, r);
    struct bh_ipc_buffer *rb = tcb_ipc_buffer(r);
    for (unsigned i = 0; i < BH_MSG_REGS; i++) {
        set_mr(r, rb, i, msg[i]);
    }
    tcb_wake(r, BH_OK);
    r->regs.x[1] = bh_msginfo(label, 0, BH_MSG_REGS);
    r->regs.x[8] = badge;
    return true;
}
