/*
 * VM and vCPU objects (portable part).
 *
 * A VM is an address space (stage-2 root + VMID, kernel/include/kernel/vspace.h)
 * whose frames may also be mapped executable+writable and as Device memory;
 * it shares the VMID allocator and the mapping-id scheme with EL0 address
 * spaces, so frame unmapping and finalisation work the same way.
 *
 * A vCPU holds a guest's EL1 state while it is not in the hardware, its
 * virtual interrupt queue and the pending actions a VMM's reply asked for. It
 * is bound to one TCB (the TCB's VCPU slot holds a capability to it); that
 * TCB is scheduled like any thread, but the kernel returns to it at EL1 with
 * the guest HCR_EL2 (kernel/arch/aarch64/vcpu_switch.c).
 */
#ifndef KERNEL_VCPU_H
#define KERNEL_VCPU_H

#include <bulkhead/ipc.h>
#include <kernel/objects.h>
#include <kernel/vspace.h>

struct vm {
    struct address_space as; /* first: the stage-2 root needs the object's alignment */
};

_Static_assert(sizeof(struct vm) <= (1u << BH_VM_SIZE_BITS), "VM size");

/* Saved EL1 system registers: indices are bh_vcpu_reg - BH_VCPU_REG_SP_EL1. */
#define VCPU_SYS_FIRST BH_VCPU_REG_SP_EL1
#define VCPU_SYS_COUNT (BH_VCPU_REG_COUNT - BH_VCPU_REG_SP_EL1)
#define VCPU_SYS(r)    ((r)-VCPU_SYS_FIRST)

#define VCPU_MAX_LRS     16u
#define VCPU_VIRQ_QUEUE  32u /* software queue behind the list registers */
#define VCPU_PPI_VTIMER  27u
#define VCPU_DEFAULT_PRI 0xa0u

struct vcpu_virq {
    uint16_t intid;
    uint16_t pintid; /* passthrough: the physical INTID the guest's EOI deactivates */
    uint8_t prio;
    uint8_t hw; /* 1: list register with the HW bit (pintid valid) */
    uint16_t pad;
    uint32_t seq; /* arrival order, for FIFO within one priority */
};

/* FP/SIMD state: V0..V31 and FPSR/FPCR (see ARCHITECTURE.md, FP policy). */
struct vcpu_fp {
    uint64_t q[64] __attribute__((aligned(16)));
    uint64_t fpsr;
    uint64_t fpcr;
};

struct vcpu {
    struct tcb *tcb; /* bound thread, or NULL */
    uint64_t sys[VCPU_SYS_COUNT];
    struct vcpu_fp fp;
    /* GIC virtual CPU interface */
    uint64_t lr[VCPU_MAX_LRS];
    uint64_t ich_hcr;
    uint64_t ich_vmcr;
    uint64_t ich_ap0r[4];
    uint64_t ich_ap1r[4];
    /* software queue of virtual interrupts that found no free list register */
    struct vcpu_virq queue[VCPU_VIRQ_QUEUE];
    uint32_t nqueued;
    uint32_t seq;
    /* last exit (for the reply's ABORT / ADVANCE) */
    uint64_t exit_reason;
    uint64_t exit_esr;
    uint64_t exit_far;
    uint8_t pending_abort; /* inject a synchronous abort at the next entry */
    uint8_t initialised;
    uint8_t loaded;        /* its EL1 state is in this CPU's registers */
    uint8_t vtimer_masked; /* the kernel set CNTV_CTL.IMASK after injecting PPI 27 */
    uint8_t wfi;           /* blocked in WFI until a virtual interrupt is pending */
    uint8_t dead;
};

_Static_assert(sizeof(struct vcpu) <= (1u << BH_VCPU_SIZE_BITS), "vCPU size");

static inline struct vm *vm_of(cap_t c)
{
    return (struct vm *)pa_to_kva(cap_obj(c));
}

static inline struct vcpu *vcpu_of(cap_t c)
{
    return (struct vcpu *)pa_to_kva(cap_obj(c));
}

/* The vCPU bound to t, or NULL for an ordinary EL0 thread. */
struct vcpu *tcb_vcpu(const struct tcb *t);

/* ---- portable methods (kernel/core/vm_object.c, vcpu.c) ---- */

bh_error_t vm_map_frame(struct vm *vm, cte_t *frame, uint64_t ipa, uint32_t rights,
                        uint32_t memtype, uint64_t *missing_level);

/*
 * A guest exit the architecture could not finish itself (already decoded to
 * ESR_EL2, FAR_EL2 and the IPA). Either handled in the kernel (WFI/WFE) or
 * sent to the VMM as a BH_FAULT_VCPU message.
 */
void vcpu_exit(struct tcb *t, struct vcpu *v, uint64_t esr, uint64_t far, uint64_t ipa);
/* A VMM replied to t's exit with label 0: apply the reply words. */
void vcpu_apply_reply(struct tcb *t, struct vcpu *v, const uint64_t mr[6], uint64_t len);
/* Queue a virtual interrupt; wakes the vCPU from WFI. */
bh_error_t vcpu_inject(struct vcpu *v, uint32_t intid, uint32_t prio);
/* The same for a passthrough interrupt: the list register gets the HW bit and
 * pintid, so the guest's EOI deactivates the physical interrupt. */
bh_error_t vcpu_inject_hw(struct vcpu *v, uint32_t intid, uint32_t prio, uint32_t pintid);
/* Passthrough routes (kernel/core/irq.c): drop those to a dying vCPU. */
void irq_vcpu_destroyed(const struct vcpu *v);
/* ... and route them to the CPU v's thread moves to. */
void irq_vcpu_moved(const struct vcpu *v, unsigned cpu);
/* Pops the most urgent queued interrupt (lowest priority value, then oldest). */
bool vcpu_queue_pop(struct vcpu *v, struct vcpu_virq *out);
/* ICH_LR<n>_EL2 value for a queued interrupt (pending, Group 1, its priority,
 * vINTID; HW and pINTID for a passthrough one). */
uint64_t vcpu_lr_value(const struct vcpu_virq *q);
/* Among n list-register values: the first free one (or -1); *same: one that
 * already holds intid (or -1). */
int vcpu_lr_slot(const uint64_t *lrs, unsigned n, uint32_t intid, int *same);
/* Decodes a data/instruction abort syndrome into the BH_VCPU_DABT_* word. */
uint64_t vcpu_decode_abort(uint64_t esr);
/* Syndrome for an injected synchronous external abort (guest's ESR_EL1). */
uint64_t vcpu_abort_esr(uint64_t exit_esr, uint64_t guest_spsr);
/* The exception vector offset for a synchronous exception taken to EL1. */
uint64_t vcpu_sync_vector_offset(uint64_t guest_spsr);

void vcpu_destroy(struct vcpu *v);
/* The bound TCB goes away: the vCPU becomes unbound. */
void vcpu_tcb_destroyed(struct tcb *t);

/* ---- provided by the architecture (vcpu_switch.c; doubles in host tests) ---- */

/* Writes the vCPU's EL1 state back to memory if it is in the hardware. */
void arch_vcpu_flush(struct vcpu *v);
/* The vCPU is going away: forget it is loaded (nothing is saved). */
void arch_vcpu_forget(struct vcpu *v);
/* Is a virtual interrupt pending in v's list registers or queue? */
bool arch_vcpu_irq_pending(struct vcpu *v);
/* Free list registers of v. */
unsigned arch_vcpu_free_lrs(struct vcpu *v);

#endif
