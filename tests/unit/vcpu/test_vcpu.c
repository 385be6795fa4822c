/* Host tests of kernel/core/vcpu.c with recording doubles for its hooks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <caps/cnode.h>
#include <kernel/ipc.h>
#include <kernel/kernel.h>
#include <kernel/object_invoke.h>
#include <kernel/vcpu.h>

/* ---- doubles ---- */

static uint64_t fault_label;
static uint64_t fault_msg[16];
static unsigned fault_len;
static int yields, blocks, wakes, flushes, stops;
static bool lr_pending;

void kernel_fault_n(struct tcb *t, uint64_t label, const uint64_t *msg, unsigned len,
                    const char *what)
{
    (void)t;
    (void)what;
    fault_label = label;
    fault_len = len;
    memcpy(fault_msg, msg, len * sizeof(uint64_t));
}

void sched_yield(void)
{
    yields++;
}

void sched_block(struct sched_thread *s)
{
    (void)s;
    blocks++;
}

void sched_make_runnable(struct sched_thread *s)
{
    (void)s;
    wakes++;
}

/* Another CPU running the vCPU's thread is told to refill its list registers. */
static int kicks;
void sched_kick_running(const struct sched_thread *s)
{
    (void)s;
    kicks++;
}

/* Register access first brings a thread running elsewhere to a stop. */
static int stalls;
void arch_stall(struct tcb *th)
{
    (void)th;
    stalls++;
}

static int moved_to = -1;
void irq_vcpu_moved(const struct vcpu *vc, unsigned cpu)
{
    (void)vc;
    moved_to = (int)cpu;
}

void tcb_stop(struct tcb *t, uint64_t status)
{
    t->state = TCB_STOPPED;
    t->exit_status = status;
    stops++;
}

bh_error_t caps_delete(cte_t *slot, uint32_t budget)
{
    (void)budget;
    slot->cap = cap_null();
    return BH_OK;
}

bh_error_t caps_copy(cte_t *src, cte_t *dst, uint32_t rights)
{
    (void)rights;
    dst->cap = src->cap;
    return BH_OK;
}

void arch_vcpu_flush(struct vcpu *v)
{
    (void)v;
    flushes++;
}

void arch_vcpu_forget(struct vcpu *v)
{
    (void)v;
}

bool arch_vcpu_irq_pending(struct vcpu *v)
{
    return lr_pending || v->nqueued > 0;
}

static int irq_unroutes;
void irq_vcpu_destroyed(const struct vcpu *vc)
{
    (void)vc;
    irq_unroutes++;
}

unsigned arch_vcpu_free_lrs(struct vcpu *v)
{
    (void)v;
    return 4;
}

/* ---- fixtures ---- */

static struct vcpu *v;
static struct tcb *t;
static struct tcb *vmm;
static struct vm *vmobj;
static cte_t vcpu_slot;
static cte_t tcb_slot;

static int setup(void **state)
{
    (void)state;
    v = aligned_alloc(4096, 4096);
    t = aligned_alloc(2048, 2048);
    vmm = aligned_alloc(2048, 2048);
    vmobj = aligned_alloc(16384, 16384);
    memset(v, 0, 4096);
    memset(t, 0, 2048);
    memset(vmm, 0, 2048);
    memset(vmobj, 0, 16384);
    fault_label = 0;
    fault_len = 0;
    yields = blocks = wakes = flushes = stops = kicks = stalls = 0;
    moved_to = -1;
    lr_pending = false;
    vcpu_slot.cap = cap_make(BH_OBJ_VCPU, kva_to_pa(v), BH_RIGHTS_ALL, true);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(v);
    free(t);
    free(vmm);
    free(vmobj);
    return 0;
}

/* Binds v to t through the SET_TCB invocation, as a VMM would. */
static bh_error_t bind(void)
{
    t->slot[TCB_SLOT_VSPACE].cap = cap_make(BH_OBJ_VM, kva_to_pa(vmobj), BH_RIGHTS_ALL, true);
    vcpu_slot.cap = cap_make(BH_OBJ_VCPU, kva_to_pa(v), BH_RIGHTS_ALL, true);
    tcb_slot.cap = cap_make(BH_OBJ_TCB, kva_to_pa(t), BH_RIGHTS_ALL, true);
    struct invocation inv;
    memset(&inv, 0, sizeof(inv));
    inv.target = &vcpu_slot;
    inv.label = BH_INV_VCPU_SET_TCB;
    inv.len = 1;
    inv.mr[0] = 0x0102;
    inv.ncaps = 1;
    inv.cap_slot[0] = &tcb_slot;
    inv.cap[0] = tcb_slot.cap;
    return vcpu_invoke(vmm, &inv);
}

static bh_error_t invoke(uint64_t label, const uint64_t *mr, uint32_t len)
{
    struct invocation inv;
    memset(&inv, 0, sizeof(inv));
    inv.target = &vcpu_slot;
    inv.label = label;
    inv.len = len;
    memcpy(inv.mr, mr, len * sizeof(uint64_t));
    return vcpu_invoke(vmm, &inv);
}

/* ---- tests ---- */

static void test_bind(void **state)
{
    (void)state;
    assert_int_equal(bind(), BH_OK);
    assert_ptr_equal(t->vcpu, v);
    assert_ptr_equal(v->tcb, t);
    assert_int_equal(cap_type(t->slot[TCB_SLOT_VCPU].cap), BH_OBJ_VCPU);
    assert_int_equal(t->regs.spsr, 0x3c5); /* EL1h, DAIF masked */
    assert_int_equal(v->sys[VCPU_SYS(BH_VCPU_REG_VMPIDR)], 0x80000102u);
    assert_int_equal(v->sys[VCPU_SYS(BH_VCPU_REG_SCTLR_EL1)], 0x30d00800u);
    assert_int_equal(moved_to, 0); /* passthrough lines go to the thread's CPU */
    /* Bound once only, and never to the caller itself or a thread without a VM. */
    assert_int_equal(bind(), BH_E_IN_USE);
    memset(t, 0, 2048);
    v->tcb = NULL;
    tcb_slot.cap = cap_make(BH_OBJ_TCB, kva_to_pa(t), BH_RIGHTS_ALL, true);
    struct invocation inv;
    memset(&inv, 0, sizeof(inv));
    inv.target = &vcpu_slot;
    inv.label = BH_INV_VCPU_SET_TCB;
    inv.len = 1;
    inv.ncaps = 1;
    inv.cap_slot[0] = &tcb_slot;
    inv.cap[0] = tcb_slot.cap;
    assert_int_equal(vcpu_invoke(vmm, &inv), BH_E_INVALID_ARGUMENT); /* no VM */
    inv.cap[0] = cap_make(BH_OBJ_TCB, kva_to_pa(vmm), BH_RIGHTS_ALL, true);
    assert_int_equal(vcpu_invoke(vmm, &inv), BH_E_ILLEGAL_OPERATION); /* itself */
    inv.cap[0] = cap_make(BH_OBJ_ENDPOINT, kva_to_pa(t), BH_RIGHTS_ALL, true);
    assert_int_equal(vcpu_invoke(vmm, &inv), BH_E_INVALID_CAPABILITY);
}

static void test_queue_order(void **state)
{
    (void)state;
    assert_int_equal(vcpu_inject(v, 40, 0xa0), BH_OK);
    assert_int_equal(vcpu_inject(v, 41, 0x80), BH_OK);
    assert_int_equal(vcpu_inject(v, 42, 0xa0), BH_OK);
    assert_int_equal(vcpu_inject(v, 43, 0x80), BH_OK);
    assert_int_equal(vcpu_inject(v, 41, 0x10), BH_OK); /* already pending: no second copy */
    assert_int_equal(v->nqueued, 4);
    static const uint16_t want[] = {41, 43, 40, 42};
    for (unsigned i = 0; i < 4; i++) {
        struct vcpu_virq q;
        assert_true(vcpu_queue_pop(v, &q));
        assert_int_equal(q.intid, want[i]);
    }
    struct vcpu_virq q;
    assert_false(vcpu_queue_pop(v, &q));
    assert_int_equal(vcpu_inject(v, 1020, 0), BH_E_RANGE);
    assert_int_equal(vcpu_inject(v, 32, 256), BH_E_RANGE);
    for (unsigned i = 0; i < VCPU_VIRQ_QUEUE; i++) {
        assert_int_equal(vcpu_inject(v, 100 + i, 0x80), BH_OK);
    }
    assert_int_equal(vcpu_inject(v, 999, 0x80), BH_E_WOULD_BLOCK);
    /* Many interrupts of one priority come out in arrival order. */
    for (unsigned i = 0; i < VCPU_VIRQ_QUEUE; i++) {
        assert_true(vcpu_queue_pop(v, &q));
        assert_int_equal(q.intid, 100 + i);
    }
}

static void test_decode_abort(void **state)
{
    (void)state;
    /* EC 0x24, IL, ISV, SAS=2 (word), SRT=5, SF=0, WnR, DFSC 0x07 (translation L3). */
    uint64_t esr =
        (0x24ull << 26) | (1u << 25) | (1u << 24) | (2u << 22) | (5u << 16) | (1u << 6) | 0x07u;
    uint64_t d = vcpu_decode_abort(esr);
    assert_true(d & BH_VCPU_DABT_ISV);
    assert_true(d & BH_VCPU_DABT_WRITE);
    assert_int_equal((d >> BH_VCPU_DABT_SAS_SHIFT) & 3u, 2);
    assert_int_equal((d >> BH_VCPU_DABT_SRT_SHIFT) & 0x1fu, 5);
    assert_int_equal((d >> BH_VCPU_DABT_FSC_SHIFT) & 0x3fu, 7);
    assert_false(d & BH_VCPU_DABT_SSE);
    /* Without ISV only the fault status survives. */
    d = vcpu_decode_abort((0x24ull << 26) | (1u << 6) | 0x0fu);
    assert_false(d & BH_VCPU_DABT_ISV);
    assert_true(d & BH_VCPU_DABT_WRITE);
}

/* The decoding as the Arm ARM states it, with shifts and masks: the kernel
 * computes it with / and % (for the provers); both must agree everywhere. */
static uint64_t decode_abort_ref(uint64_t esr)
{
    uint64_t d = (esr & 0x3fu) << BH_VCPU_DABT_FSC_SHIFT;
    if ((esr & (1u << 7)) != 0) {
        d |= BH_VCPU_DABT_S1PTW;
    }
    if (((esr >> 26) & 0x3fu) != 0x24u) {
        return d; /* WnR and the ISV group only for a data abort from a lower EL */
    }
    if ((esr & (1u << 6)) != 0) {
        d |= BH_VCPU_DABT_WRITE;
    }
    if ((esr & (1u << 24)) != 0) {
        d |= BH_VCPU_DABT_ISV;
        d |= ((esr >> 22) & 3u) << BH_VCPU_DABT_SAS_SHIFT;
        d |= ((esr >> 16) & 0x1fu) << BH_VCPU_DABT_SRT_SHIFT;
        if ((esr & (1u << 21)) != 0) {
            d |= BH_VCPU_DABT_SSE;
        }
        if ((esr & (1u << 15)) != 0) {
            d |= BH_VCPU_DABT_SF;
        }
    }
    return d;
}

static void test_decode_abort_fields(void **state)
{
    (void)state;
    /* SSE, SF and S1PTW reach their own bits. */
    uint64_t esr = (0x24ull << 26) | (1u << 24) | (3u << 22) | (1u << 21) | (30u << 16) |
                   (1u << 15) | (1u << 7) | 0x2cu;
    uint64_t d = vcpu_decode_abort(esr);
    assert_true(d & BH_VCPU_DABT_SSE);
    assert_true(d & BH_VCPU_DABT_SF);
    assert_true(d & BH_VCPU_DABT_S1PTW);
    assert_int_equal((d >> BH_VCPU_DABT_SAS_SHIFT) & 3u, 3);
    assert_int_equal((d >> BH_VCPU_DABT_SRT_SHIFT) & 0x1fu, 30);
    assert_int_equal((d >> BH_VCPU_DABT_FSC_SHIFT) & 0x3fu, 0x2c);
    /* An instruction abort (EC 0x20) with the same ISS: no WnR, no ISV group. */
    d = vcpu_decode_abort((0x20ull << 26) | (esr & 0x1ffffffu) | (1u << 6));
    assert_int_equal(d, (0x2cull << BH_VCPU_DABT_FSC_SHIFT) | BH_VCPU_DABT_S1PTW);
    /* Against the reference: every ISS bit pattern of interest under both ECs,
     * then a fixed-seed sample of whole words (xorshift64). */
    for (uint64_t iss = 0; iss < (1u << 12); iss++) {
        /* bits 24..15 from iss[11:2], bits 7..6 from iss[1:0], FSC cycling */
        uint64_t lo = ((iss >> 2) << 15) | ((iss & 3u) << 6) | (iss % 64u);
        for (uint64_t ec = 0x20; ec <= 0x24; ec += 4) {
            uint64_t e = (ec << 26) | (1u << 25) | lo;
            assert_int_equal(vcpu_decode_abort(e), decode_abort_ref(e));
        }
    }
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (unsigned i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t e = i % 2u == 0 ? x : (x & ~(0x3full << 26)) | (0x24ull << 26);
        uint64_t got = vcpu_decode_abort(e);
        assert_int_equal(got, decode_abort_ref(e));
        assert_true(got < (1u << 18)); /* no bit outside the BH_VCPU_DABT_* fields */
    }
}

static void test_exit_mmio_and_reply(void **state)
{
    (void)state;
    assert_int_equal(bind(), BH_OK);
    t->regs.elr = 0x40080010;
    t->regs.x[5] = 0xb01dface;
    uint64_t esr =
        (0x24ull << 26) | (1u << 25) | (1u << 24) | (2u << 22) | (5u << 16) | (1u << 6) | 0x07u;
    vcpu_exit(t, v, esr, 0x0a100000, 0x0a100000);
    assert_int_equal(fault_label, BH_FAULT_VCPU);
    assert_int_equal(fault_len, BH_VCPU_EXIT_MRS);
    assert_int_equal(fault_msg[0], BH_VCPU_EXIT_DATA_ABORT);
    assert_int_equal(fault_msg[1], 0x40080010);
    assert_int_equal(fault_msg[2], esr);
    assert_int_equal(fault_msg[3], 0x0a100000);
    assert_int_equal(fault_msg[6], 0xb01dface); /* the value being stored */
    /* A load's result: register write plus advance. */
    uint64_t mr[6] = {BH_VCPU_REPLY_ADVANCE | BH_VCPU_REPLY_SET_REG, 7, 0x1234, 0, 0, 0};
    vcpu_apply_reply(t, v, mr, 3);
    assert_int_equal(t->regs.x[7], 0x1234);
    assert_int_equal(t->regs.elr, 0x40080014);
    /* XZR as the target writes nothing. */
    uint64_t mr2[6] = {BH_VCPU_REPLY_SET_REG, 31, 0x99, 0, 0, 0};
    vcpu_apply_reply(t, v, mr2, 3);
    assert_int_equal(t->regs.elr, 0x40080014);
    /* An empty reply resumes at the same PC. */
    vcpu_apply_reply(t, v, mr, 0);
    assert_int_equal(t->regs.elr, 0x40080014);
}

static void test_exit_hvc(void **state)
{
    (void)state;
    assert_int_equal(bind(), BH_OK);
    for (unsigned i = 0; i < 8; i++) {
        t->regs.x[i] = 0x1000 + i;
    }
    t->regs.elr = 0x40081004; /* HVC's preferred return: after the instruction */
    vcpu_exit(t, v, (0x16ull << 26) | (1u << 25) | 0x0, 0, 0);
    assert_int_equal(fault_msg[0], BH_VCPU_EXIT_HVC);
    for (unsigned i = 0; i < 8; i++) {
        assert_int_equal(fault_msg[3 + i], 0x1000 + i);
    }
    uint64_t mr[6] = {BH_VCPU_REPLY_SET_X0_X3 | BH_VCPU_REPLY_ADVANCE, 0, 1, 2, 3, 4};
    vcpu_apply_reply(t, v, mr, 6);
    assert_int_equal(t->regs.x[0], 1);
    assert_int_equal(t->regs.x[3], 4);
    assert_int_equal(t->regs.x[4], 0x1004);
    assert_int_equal(t->regs.elr, 0x40081004); /* ADVANCE is ignored for HVC */
}

static void test_exit_sysreg(void **state)
{
    (void)state;
    assert_int_equal(bind(), BH_OK);
    /* MRS x3, CNTP_CTL_EL0: op0 3, op1 3, CRn 14, CRm 2, op2 1, read. */
    uint64_t iss = (3u << 20) | (1u << 17) | (3u << 14) | (14u << 10) | (3u << 5) | (2u << 1) | 1u;
    vcpu_exit(t, v, (0x18ull << 26) | (1u << 25) | iss, 0, 0);
    assert_int_equal(fault_msg[0], BH_VCPU_EXIT_SYSREG);
    assert_int_equal(fault_msg[3], 3);
    assert_int_equal(fault_msg[4], 3);
    assert_int_equal(fault_msg[5], 14);
    assert_int_equal(fault_msg[6], 2);
    assert_int_equal(fault_msg[7], 1);
    assert_int_equal(fault_msg[8], 3);
    assert_int_equal(fault_msg[9], 1);
    /* Anything unknown goes to the VMM too. */
    vcpu_exit(t, v, (0x3full << 26), 0x1234, 0x5678);
    assert_int_equal(fault_msg[0], BH_VCPU_EXIT_UNKNOWN);
    assert_int_equal(fault_msg[3], 0x1234);
}

static void test_wfi_blocks_until_irq(void **state)
{
    (void)state;
    assert_int_equal(bind(), BH_OK);
    t->state = TCB_RUNNABLE;
    t->regs.elr = 0x100;
    vcpu_exit(t, v, (0x01ull << 26) | (1u << 25), 0, 0); /* WFI */
    assert_int_equal(t->regs.elr, 0x104);
    assert_int_equal(t->state, TCB_BLOCKED_WFI);
    assert_int_equal(blocks, 1);
    assert_int_equal(fault_len, 0); /* finished in the kernel, no VMM message */
    assert_int_equal(kicks, 0);
    assert_int_equal(vcpu_inject(v, 27, 0xa0), BH_OK);
    assert_int_equal(t->state, TCB_RUNNABLE);
    assert_int_equal(wakes, 1);
    assert_int_equal(kicks, 0); /* woken, not kicked */
    /* Injected while it runs (maybe on another CPU): that CPU is kicked. */
    assert_int_equal(vcpu_inject(v, 40, 0xa0), BH_OK);
    assert_int_equal(kicks, 1);
    assert_int_equal(wakes, 1);
    /* WFI with an interrupt already pending returns at once. */
    vcpu_exit(t, v, (0x01ull << 26) | (1u << 25), 0, 0);
    assert_int_equal(t->state, TCB_RUNNABLE);
    assert_int_equal(blocks, 1);
    /* WFE yields. */
    vcpu_exit(t, v, (0x01ull << 26) | (1u << 25) | 1u, 0, 0);
    assert_int_equal(yields, 1);
    assert_int_equal(t->regs.elr, 0x10c);
}

static void test_abort_injection(void **state)
{
    (void)state;
    assert_int_equal(bind(), BH_OK);
    v->sys[VCPU_SYS(BH_VCPU_REG_VBAR_EL1)] = 0x40081000;
    t->regs.elr = 0x40080200;
    t->regs.spsr = 0x3c5;                                            /* EL1h */
    uint64_t esr = (0x24ull << 26) | (1u << 25) | (1u << 6) | 0x06u; /* write, no ISV */
    vcpu_exit(t, v, esr, 0x0b000004, 0x0b000004);
    uint64_t mr[6] = {BH_VCPU_REPLY_ABORT, 0, 0, 0, 0, 0};
    vcpu_apply_reply(t, v, mr, 1);
    assert_int_equal(flushes, 1); /* EL1 registers changed in memory */
    assert_int_equal(v->sys[VCPU_SYS(BH_VCPU_REG_ESR_EL1)],
                     (0x25ull << 26) | (1u << 25) | (1u << 6) | 0x10u);
    assert_int_equal(v->sys[VCPU_SYS(BH_VCPU_REG_FAR_EL1)], 0x0b000004);
    assert_int_equal(v->sys[VCPU_SYS(BH_VCPU_REG_ELR_EL1)], 0x40080200);
    assert_int_equal(v->sys[VCPU_SYS(BH_VCPU_REG_SPSR_EL1)], 0x3c5);
    assert_int_equal(t->regs.elr, 0x40081200); /* current EL with SP_ELx, synchronous */
    assert_int_equal(t->regs.spsr, 0x3c5);
    /* From the guest's EL0: lower-EL vector and EC. */
    assert_int_equal(vcpu_abort_esr(esr, 0x0) >> 26, 0x24);
    assert_int_equal(vcpu_sync_vector_offset(0x0), 0x400);
    assert_int_equal(vcpu_sync_vector_offset(0x4), 0x000);
    assert_int_equal(vcpu_abort_esr((0x20ull << 26) | 0x07u, 0x5) >> 26, 0x21);
    /* ABORT after a non-abort exit is ignored. */
    vcpu_exit(t, v, (0x16ull << 26), 0, 0);
    uint64_t before = t->regs.elr;
    vcpu_apply_reply(t, v, mr, 1);
    assert_int_equal(t->regs.elr, before);
}

static void test_regs(void **state)
{
    (void)state;
    uint64_t mr[6] = {BH_VCPU_REG_PC, 1, 0x40080000, 0, 0, 0};
    assert_int_equal(invoke(BH_INV_VCPU_WRITE_REGS, mr, 3), BH_E_INVALID_ARGUMENT); /* unbound */
    assert_int_equal(stalls, 0);
    assert_int_equal(bind(), BH_OK);
    assert_int_equal(invoke(BH_INV_VCPU_WRITE_REGS, mr, 3), BH_OK);
    assert_int_equal(t->regs.elr, 0x40080000);
    assert_int_equal(stalls, 1); /* its thread was stopped wherever it ran */
    /* PSTATE: EL2 and AArch32 are refused, EL1h accepted. */
    uint64_t el2[3] = {BH_VCPU_REG_PSTATE, 1, 0x9};
    assert_int_equal(invoke(BH_INV_VCPU_WRITE_REGS, el2, 3), BH_E_INVALID_ARGUMENT);
    uint64_t a32[3] = {BH_VCPU_REG_PSTATE, 1, 0x13};
    assert_int_equal(invoke(BH_INV_VCPU_WRITE_REGS, a32, 3), BH_E_INVALID_ARGUMENT);
    uint64_t el1[3] = {BH_VCPU_REG_PSTATE, 1, 0x3c5};
    assert_int_equal(invoke(BH_INV_VCPU_WRITE_REGS, el1, 3), BH_OK);
    /* Only NZCV, DAIF and M[3:0] are kept: 0xf00003c5 from all ones but M. */
    uint64_t keep[3] = {BH_VCPU_REG_PSTATE, 1, 0xffffffffffffffc5ull};
    assert_int_equal(invoke(BH_INV_VCPU_WRITE_REGS, keep, 3), BH_OK);
    assert_int_equal(t->regs.spsr, 0xf00003c5ull);
    /* A refused write changes nothing, and flushes nothing. */
    assert_int_equal(invoke(BH_INV_VCPU_WRITE_REGS, el2, 3), BH_E_INVALID_ARGUMENT);
    assert_int_equal(t->regs.spsr, 0xf00003c5ull);
    assert_int_equal(flushes, 0);
    assert_int_equal(invoke(BH_INV_VCPU_WRITE_REGS, el1, 3), BH_OK);
    /* VMPIDR always has its RES1 bit 31, whether or not the VMM sets it. */
    uint64_t mpidr[3] = {BH_VCPU_REG_VMPIDR, 1, 0x102};
    assert_int_equal(invoke(BH_INV_VCPU_WRITE_REGS, mpidr, 3), BH_OK);
    assert_int_equal(v->sys[VCPU_SYS(BH_VCPU_REG_VMPIDR)], 0x80000102ull);
    assert_int_equal(flushes, 1);
    uint64_t mpidr31[3] = {BH_VCPU_REG_VMPIDR, 1, 0xffffffff80000003ull};
    assert_int_equal(invoke(BH_INV_VCPU_WRITE_REGS, mpidr31, 3), BH_OK);
    assert_int_equal(v->sys[VCPU_SYS(BH_VCPU_REG_VMPIDR)], 0xffffffff80000003ull);
    assert_int_equal(flushes, 2);
    flushes = 0;
    /* System registers go through a flush of the hardware copy. */
    uint64_t vbar[4] = {BH_VCPU_REG_VBAR_EL1, 2, 0x40081000, 0x7};
    assert_int_equal(invoke(BH_INV_VCPU_WRITE_REGS, vbar, 4), BH_OK);
    assert_true(flushes >= 1);
    uint64_t rd[2] = {BH_VCPU_REG_PC, 6};
    assert_int_equal(invoke(BH_INV_VCPU_READ_REGS, rd, 2), BH_OK);
    assert_int_equal(vmm->regs.x[2], 0x40080000);
    assert_int_equal(vmm->regs.x[3], 0x3c5);
    uint64_t rd2[2] = {BH_VCPU_REG_VBAR_EL1, 2};
    assert_int_equal(invoke(BH_INV_VCPU_READ_REGS, rd2, 2), BH_OK);
    assert_int_equal(vmm->regs.x[2], 0x40081000);
    assert_int_equal(vmm->regs.x[3], 0x7);
    /* Ranges. */
    uint64_t bad[2] = {BH_VCPU_REG_COUNT - 1, 2};
    assert_int_equal(invoke(BH_INV_VCPU_READ_REGS, bad, 2), BH_E_RANGE);
    uint64_t none[2] = {0, 0};
    assert_int_equal(invoke(BH_INV_VCPU_READ_REGS, none, 2), BH_E_RANGE);
    uint64_t inj[2] = {1020, 0};
    assert_int_equal(invoke(BH_INV_VCPU_INJECT_IRQ, inj, 2), BH_E_RANGE);
    uint64_t inj2[2] = {48, 0x40};
    assert_int_equal(invoke(BH_INV_VCPU_INJECT_IRQ, inj2, 2), BH_OK);
    assert_int_equal(v->nqueued, 1);
}

static void test_destroy_stops_thread(void **state)
{
    (void)state;
    assert_int_equal(bind(), BH_OK);
    t->state = TCB_RUNNABLE;
    vcpu_destroy(v);
    assert_null(t->vcpu);
    assert_int_equal(t->state, TCB_STOPPED); /* never runs guest registers as EL0 */
    assert_int_equal(stops, 1);
    assert_int_equal(irq_unroutes, 1); /* passthrough routes to it are dropped */
}

static void test_inject_hw(void **state)
{
    (void)state;
    assert_int_equal(vcpu_inject_hw(v, 39, 0x80, 39), BH_OK);
    assert_int_equal(vcpu_inject(v, 40, 0x80), BH_OK);
    assert_int_equal(vcpu_inject_hw(v, 41, 0x80, 1020), BH_E_RANGE);
    struct vcpu_virq q;
    assert_true(vcpu_queue_pop(v, &q));
    assert_int_equal(q.intid, 39);
    assert_int_equal(q.hw, 1);
    assert_int_equal(q.pintid, 39);
    assert_true(vcpu_queue_pop(v, &q));
    assert_int_equal(q.hw, 0);
}

/* List-register values and allocation (kernel/core/vcpu.c, proved by WP):
 * the same encoding the architecture layer used to build inline. */
static void test_lr_value_and_slot(void **state)
{
    (void)state;
    struct vcpu_virq q = {.intid = 27, .pintid = 0, .prio = 0xa0, .hw = 0};
    assert_int_equal(vcpu_lr_value(&q), (1ull << 62) | (1ull << 60) | (0xa0ull << 48) | 27u);
    q.intid = 40;
    q.pintid = 1019;
    q.hw = 1;
    assert_int_equal(vcpu_lr_value(&q), (1ull << 62) | (1ull << 61) | (1ull << 60) |
                                            (0xa0ull << 48) | (1019ull << 32) | 40u);
    uint64_t lrs[4] = {(2ull << 62) | 40u, 0u, (1ull << 62) | 27u, 0u};
    int same = 99;
    assert_int_equal(vcpu_lr_slot(lrs, 4, 27, &same), 1);
    assert_int_equal(same, 2);
    assert_int_equal(vcpu_lr_slot(lrs, 4, 5, &same), 1);
    assert_int_equal(same, -1);
    lrs[1] = lrs[3] = 1ull << 63;
    assert_int_equal(vcpu_lr_slot(lrs, 4, 40, &same), -1);
    assert_int_equal(same, 0);
    assert_int_equal(vcpu_lr_slot(lrs, 0, 40, &same), -1);
    assert_int_equal(same, -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_abort, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_abort_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_mmio_and_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_hvc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_sysreg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wfi_blocks_until_irq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_injection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_stops_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inject_hw, setup, teardown),
        cmocka_unit_test(test_lr_value_and_slot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
