/* TCB methods (BH_INV_TCB_*) and thread life cycle. */
#include <bulkhead/ipc.h>
#include <caps/cnode.h>
#include <caps/cspace.h>
#include <kernel/ipc.h>
#include <kernel/kernel.h>
#include <kernel/object_invoke.h>
#include <kernel/vcpu.h>

#include <bh_fmt.h>

void tcb_stop(struct tcb *t, uint64_t status)
{
    arch_stall(t); /* it may be running on another CPU (vCPU destroyed) */
    ipc_cancel(t);
    sched_remove(&t->sched);
    t->state = TCB_STOPPED;
    t->exit_status = status;
    if (t->is_root) {
        char line[112];
        size_t n = bh_snprintf(line, sizeof(line),
                               "bulkhead: root task exited with status %lu (%lu interrupts taken "
                               "while it ran)\n",
                               (unsigned long)status, (unsigned long)t->irq_entries);
        arch_console_write(line, n < sizeof(line) ? n : sizeof(line) - 1);
    }
}

/* Replaces the capability in one of t's slots with a copy of src. */
static bh_error_t set_slot(struct tcb *t, unsigned slot, cte_t *src, bh_objtype_t want)
{
    if (src == NULL || cap_type(src->cap) != want) {
        return BH_E_INVALID_CAPABILITY;
    }
    cte_t *dst = &t->slot[slot];
    bh_error_t e = caps_delete(dst, CAPS_WORK_BUDGET);
    if (e != BH_OK) {
        return e; /* BH_E_PREEMPTED: the caller repeats the invocation */
    }
    return caps_copy(src, dst, BH_RIGHTS_ALL);
}

/*@ predicate ipcbuf_ok_l(integer va) =
      va == 0 || (va % 8 == 0 && va % BH_PAGE_SIZE + sizeof(struct bh_ipc_buffer) <= BH_PAGE_SIZE);
    predicate space_ok_l(integer ty, integer vcpu) =
      (ty == BH_OBJ_ADDRESS_SPACE || ty == BH_OBJ_VM) && (vcpu != 0 ==> ty == BH_OBJ_VM);
    // A frame the kernel may use as an IPC buffer: RAM (device flag clear),
    // READ and WRITE.
    predicate ipcbuf_frame_ok_l(cap_t c) =
      cap_type_l(c) == BH_OBJ_FRAME_4K && cap_device_l(c) == 0 &&
      cap_rights_l(c) % 2 == 1 && (cap_rights_l(c) / 2) % 2 == 1; */

/*
 * The argument checks of CONFIGURE, in order: mr0 (fault endpoint) and mr1
 * (IPC buffer address) and the CSpace and VSpace capabilities present; the
 * IPC buffer 8-byte aligned within one page, with its frame capability, a
 * RAM frame with READ and WRITE; a CNode and an AddressSpace or VM (a VM for
 * a vCPU's thread).
 */
/*@ requires \valid_read(inv) && inv->ncaps <= BH_MSG_MAX_CAPS;
    assigns \nothing;
    ensures inv->len < 2 || inv->ncaps < 2 ==> \result == BH_E_TRUNCATED;
    ensures inv->len >= 2 && inv->ncaps >= 2 && !ipcbuf_ok_l(inv->mr[1]) ==>
            \result == BH_E_ALIGNMENT;
    ensures inv->len >= 2 && inv->ncaps >= 2 && ipcbuf_ok_l(inv->mr[1]) && inv->mr[1] != 0 &&
            (inv->ncaps < 3 || !ipcbuf_frame_ok_l(inv->cap[2])) ==>
            \result == BH_E_INVALID_CAPABILITY;
    ensures \result == BH_OK || \result == BH_E_TRUNCATED || \result == BH_E_ALIGNMENT ||
            \result == BH_E_INVALID_CAPABILITY;
    ensures \result == BH_OK <==>
            inv->len >= 2 && inv->ncaps >= 2 && ipcbuf_ok_l(inv->mr[1]) &&
            (inv->mr[1] != 0 ==> inv->ncaps >= 3 && ipcbuf_frame_ok_l(inv->cap[2])) &&
            cap_type_l(inv->cap[0]) == BH_OBJ_CNODE && space_ok_l(cap_type_l(inv->cap[1]), vcpu); */
static bh_error_t configure_check(const struct invocation *inv, bool vcpu)
{
    if (inv->len < 2 || inv->ncaps < 2) {
        return BH_E_TRUNCATED;
    }
    uint64_t ipcbuf = inv->mr[1];
    uint64_t off = ipcbuf % BH_PAGE_SIZE;
    if (ipcbuf != 0 && (ipcbuf % 8u != 0 || off + sizeof(struct bh_ipc_buffer) > BH_PAGE_SIZE)) {
        return BH_E_ALIGNMENT;
    }
    if (ipcbuf != 0 && (inv->ncaps < 3 || cap_type(inv->cap[2]) != BH_OBJ_FRAME_4K)) {
        return BH_E_INVALID_CAPABILITY;
    }
    /* The kernel reads and writes the buffer through its own mapping, which
     * covers RAM only (a device frame would abort at EL2), and on the
     * thread's behalf: the frame capability must grant READ and WRITE. */
    if (ipcbuf != 0 &&
        (inv->cap[2].w0 / CAP_FLAG_DEVICE % 2u != 0u || cap_rights(inv->cap[2]) % 4u != 3u)) {
        return BH_E_INVALID_CAPABILITY;
    }
    bh_objtype_t space = cap_type(inv->cap[1]);
    if (cap_type(inv->cap[0]) != BH_OBJ_CNODE ||
        (space != BH_OBJ_ADDRESS_SPACE && space != BH_OBJ_VM)) {
        return BH_E_INVALID_CAPABILITY;
    }
    if (vcpu && space != BH_OBJ_VM) {
        return BH_E_INVALID_CAPABILITY; /* a vCPU's thread runs in its VM */
    }
    return BH_OK;
}

static bh_error_t configure(struct tcb *caller, struct tcb *t, const struct invocation *inv)
{
    bh_error_t ce = configure_check(inv, t->vcpu != NULL);
    if (ce != BH_OK) {
        return ce; /* nothing changed */
    }
    uint64_t ipcbuf = inv->mr[1];
    bh_objtype_t space = cap_type(inv->cap[1]);
    cte_t *fault_ep = NULL;
    if (inv->mr[0] != 0) {
        /* The fault endpoint is named in the caller's CSpace and copied now, so
         * the thread's own CSpace cannot redirect its faults later. */
        bh_lookup_fault_t lf;
        bh_error_t e =
            cspace_lookup(caller->slot[TCB_SLOT_CSPACE].cap, inv->mr[0], 64, false, &fault_ep, &lf);
        if (e != BH_OK) {
            return e;
        }
        if (cap_type(fault_ep->cap) != BH_OBJ_ENDPOINT) {
            return BH_E_INVALID_CAPABILITY;
        }
    }
    bh_error_t e = set_slot(t, TCB_SLOT_CSPACE, inv->cap_slot[0], BH_OBJ_CNODE);
    if (e == BH_OK) {
        e = set_slot(t, TCB_SLOT_VSPACE, inv->cap_slot[1], space);
    }
    if (e == BH_OK && ipcbuf != 0) {
        e = set_slot(t, TCB_SLOT_IPCBUF, inv->cap_slot[2], BH_OBJ_FRAME_4K);
    } else if (e == BH_OK) {
        e = caps_delete(&t->slot[TCB_SLOT_IPCBUF], CAPS_WORK_BUDGET);
    }
    if (e == BH_OK && fault_ep != NULL) {
        e = set_slot(t, TCB_SLOT_FAULT_EP, fault_ep, BH_OBJ_ENDPOINT);
    }
    if (e == BH_OK) {
        t->ipcbuf_va = ipcbuf;
    }
    return e;
}

static bh_error_t set_sched(struct tcb *t, const struct invocation *inv)
{
    if (inv->len >= 1 && inv->mr[0] == 1) {
        sched_unbind(&t->sched);
        return caps_delete(&t->slot[TCB_SLOT_SC], CAPS_WORK_BUDGET);
    }
    if (inv->ncaps < 1 || cap_type(inv->cap[0]) != BH_OBJ_SCHED_CONTEXT) {
        return BH_E_INVALID_CAPABILITY;
    }
    struct sched_context_obj *sco = pa_to_kva(cap_obj(inv->cap[0]));
    if (t->sched.sc != NULL) {
        return BH_E_IN_USE;
    }
    bh_error_t e = sched_bind(&t->sched, &sco->sc);
    if (e != BH_OK) {
        return e;
    }
    e = set_slot(t, TCB_SLOT_SC, inv->cap_slot[0], BH_OBJ_SCHED_CONTEXT);
    if (e == BH_OK && inv->ncaps >= 2) {
        e = set_slot(t, TCB_SLOT_TIMEOUT_EP, inv->cap_slot[1], BH_OBJ_ENDPOINT);
    }
    if (e != BH_OK) {
        sched_unbind(&t->sched);
    }
    return e;
}

/* A vCPU's EL1, timer and GIC state is saved on the CPU that holds it before
 * the thread moves; its passthrough interrupts follow it. */
static bh_error_t tcb_set_affinity(struct tcb *t, unsigned cpu)
{
    if (t->vcpu != NULL && t->sched.affinity != cpu) {
        arch_vcpu_flush(t->vcpu);
        irq_vcpu_moved(t->vcpu, cpu);
    }
    return sched_set_affinity(&t->sched, cpu);
}

/*
 * The argument checks of the TCB methods that take plain words: the words
 * present; a priority not above 255 nor the caller's own; a partition id
 * below BH_SCHED_MAX_PARTITIONS; an online CPU. Other methods: BH_OK here.
 */
/*@ requires \valid_read(inv);
    assigns \nothing;
    ensures \result == BH_OK || \result == BH_E_TRUNCATED || \result == BH_E_RANGE ||
            \result == BH_E_INVALID_ARGUMENT;
    ensures (inv->label == BH_INV_TCB_SET_PRIORITY || inv->label == BH_INV_TCB_SET_PARTITION ||
             inv->label == BH_INV_TCB_SET_AFFINITY) && inv->len < 1 ==> \result == BH_E_TRUNCATED;
    ensures inv->label == BH_INV_TCB_WRITE_REGS ==>
            (\result == BH_OK <==> inv->len >= 2) && (\result != BH_OK ==> \result == BH_E_TRUNCATED);
    ensures inv->label == BH_INV_TCB_SET_PRIORITY ==>
            (\result == BH_OK <==> inv->len >= 1 && inv->mr[0] <= 255 && inv->mr[0] <= caller_prio);
    ensures inv->label == BH_INV_TCB_SET_PARTITION ==>
            (\result == BH_OK <==> inv->len >= 1 && inv->mr[0] < BH_SCHED_MAX_PARTITIONS);
    ensures inv->label == BH_INV_TCB_SET_AFFINITY ==>
            (\result == BH_OK <==> inv->len >= 1 && inv->mr[0] < ncpus);
    ensures inv->label != BH_INV_TCB_SET_PRIORITY && inv->label != BH_INV_TCB_SET_PARTITION &&
            inv->label != BH_INV_TCB_SET_AFFINITY && inv->label != BH_INV_TCB_WRITE_REGS ==>
            \result == BH_OK; */
static bh_error_t tcb_args_check(const struct invocation *inv, uint8_t caller_prio, unsigned ncpus)
{
    if (inv->label == BH_INV_TCB_WRITE_REGS) {
        return inv->len < 2 ? BH_E_TRUNCATED : BH_OK;
    }
    if (inv->label != BH_INV_TCB_SET_PRIORITY && inv->label != BH_INV_TCB_SET_PARTITION &&
        inv->label != BH_INV_TCB_SET_AFFINITY) {
        return BH_OK;
    }
    if (inv->len < 1) {
        return BH_E_TRUNCATED;
    }
    if (inv->label == BH_INV_TCB_SET_PRIORITY) {
        /* A thread cannot raise another above its own priority. */
        return inv->mr[0] > 255u || inv->mr[0] > caller_prio ? BH_E_RANGE : BH_OK;
    }
    if (inv->label == BH_INV_TCB_SET_PARTITION) {
        return inv->mr[0] >= BH_SCHED_MAX_PARTITIONS ? BH_E_RANGE : BH_OK;
    }
    return inv->mr[0] >= ncpus ? BH_E_INVALID_ARGUMENT : BH_OK; /* not an online CPU */
}

bh_error_t tcb_invoke(struct tcb *caller, const struct invocation *inv)
{
    struct tcb *t = tcb_of(inv->target->cap);
    if (inv->label != BH_INV_TCB_SET_PRIORITY && inv->label != BH_INV_TCB_SET_AFFINITY &&
        inv->label != BH_INV_TCB_SET_NAME && inv->label != BH_INV_TCB_SET_PARTITION) {
        /* Registers, address space, state: another CPU running t must have
         * put them in memory and must look again before it runs t on. */
        arch_stall(t);
    }
    bh_error_t ce = tcb_args_check(inv, caller->sched.prio, sched_ncpus());
    if (ce != BH_OK) {
        return ce; /* nothing changed */
    }
    switch (inv->label) {
    case BH_INV_TCB_CONFIGURE:
        return configure(caller, t, inv);
    case BH_INV_TCB_SET_PRIORITY:
        sched_set_priority(&t->sched, (uint8_t)inv->mr[0]);
        return BH_OK;
    case BH_INV_TCB_SET_SCHED:
        return set_sched(t, inv);
    case BH_INV_TCB_SET_PARTITION:
        return sched_set_partition(&t->sched, (uint16_t)inv->mr[0]);
    case BH_INV_TCB_WRITE_REGS:
        t->regs.elr = inv->mr[0];
        t->regs.sp_el0 = inv->mr[1];
        for (uint32_t i = 2; i < inv->len && i < 5; i++) {
            t->regs.x[i - 2] = inv->mr[i];
        }
        if (t->vcpu == NULL) {
            t->regs.spsr = 0; /* EL0t, interrupts unmasked: nothing else is allowed */
        }
        return BH_OK;
    case BH_INV_TCB_READ_REGS:
        if (t == caller) {
            return BH_E_ILLEGAL_OPERATION; /* its registers are this very call */
        }
        caller->regs.x[2] = t->regs.elr;
        caller->regs.x[3] = t->regs.sp_el0;
        caller->regs.x[4] = t->regs.x[0];
        caller->regs.x[5] = t->regs.x[1];
        caller->regs.x[6] = t->regs.x[2];
        caller->regs.x[1] = bh_msginfo(0, 0, 5);
        return BH_OK;
    case BH_INV_TCB_RESUME:
        if (cap_is_null(t->slot[TCB_SLOT_CSPACE].cap) ||
            cap_is_null(t->slot[TCB_SLOT_VSPACE].cap)) {
            return BH_E_INVALID_ARGUMENT; /* configure it first */
        }
        if (t->state == TCB_INACTIVE || t->state == TCB_STOPPED) {
            t->state = TCB_RUNNABLE;
            sched_make_runnable(&t->sched);
        }
        return BH_OK;
    case BH_INV_TCB_SUSPEND:
        ipc_cancel(t);
        sched_remove(&t->sched);
        t->state = TCB_INACTIVE;
        return BH_OK;
    case BH_INV_TCB_SET_AFFINITY:
        return tcb_set_affinity(t, (unsigned)inv->mr[0]);
    case BH_INV_TCB_SET_NAME:
        for (unsigned i = 0; i < sizeof(t->name) - 1; i++) {
            uint64_t w = i / 8 < inv->len ? inv->mr[i / 8] : 0;
            t->name[i] = (char)(w >> (8 * (i % 8)));
        }
        t->name[sizeof(t->name) - 1] = '\0';
        return BH_OK;
    default:
        return BH_E_ILLEGAL_OPERATION;
    }
}
