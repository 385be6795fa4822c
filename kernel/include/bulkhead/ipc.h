/*
 * Bulkhead public ABI: messages, the IPC buffer, fault messages and the
 * invocation labels of kernel objects other than CNode and Untyped (those are
 * in objects.h).
 *
 * Message info word (x1 on IPC system calls):
 *   bits  6..0   length: message registers used (0..BH_MSG_MAX)
 *   bits  8..7   extra capabilities sent (0..BH_MSG_MAX_CAPS)
 *   bits 11..9   on receive: which extra capabilities arrived as badges
 *                instead of caps: those to the endpoint the message came
 *                through ("unwrapped", whatever their rights; caps[i] holds
 *                the badge, no slot is used)
 *   bits 63..12  label: the message's meaning (method, fault kind, ...)
 * MR0..MR5 travel in x2..x7; MR6 and up in the IPC buffer's mr[] array.
 */
#ifndef BULKHEAD_IPC_H
#define BULKHEAD_IPC_H

#include <stdint.h>

#include <bulkhead/syscall.h>

#define BH_MSG_MAX      64u /* message registers in one message */
#define BH_MSG_MAX_CAPS 3u  /* extra capabilities in one message */

static inline uint64_t bh_msginfo(uint64_t label, uint64_t caps, uint64_t length)
{
    return (label << 12) | ((caps & 3u) << 7) | (length & 0x7fu);
}

static inline uint64_t bh_msginfo_label(uint64_t mi)
{
    return mi >> 12;
}

static inline uint64_t bh_msginfo_caps(uint64_t mi)
{
    return (mi >> 7) & 3u;
}

static inline uint64_t bh_msginfo_length(uint64_t mi)
{
    return mi & 0x7fu;
}

static inline uint64_t bh_msginfo_unwrapped(uint64_t mi)
{
    return (mi >> 9) & 7u;
}

/* The IPC buffer: one 4 KiB frame per thread, set with BH_INV_TCB_SET_IPC_BUFFER. */
struct bh_ipc_buffer {
    uint64_t mr[BH_MSG_MAX];        /* mr[0..5] unused: those travel in registers */
    uint64_t caps[BH_MSG_MAX_CAPS]; /* send: capability addresses; receive: badges */
    uint64_t recv_cnode;            /* receive: CNode address for incoming capabilities */
    uint64_t recv_index;            /* ... slot index in it */
    uint64_t recv_depth;            /* ... depth of recv_index (0: recv_cnode is the slot) */
    uint64_t cap_depth;             /* send: depth used to look up caps[] (0 = full 64) */
    uint64_t user;                  /* free for the thread's own use */
};

/*
 * Fault messages: the kernel sends one to a thread's fault endpoint (a
 * capability address in the faulting thread's CSpace) as if the thread had
 * called it; the handler's reply restarts the thread (reply label 0) or
 * leaves it stopped (any other label). MR layout per label:
 *   CAP_FAULT   mr0 pc, mr1 capability address, mr2 lookup failure kind, mr3 level
 *   UNKNOWN_SYSCALL  mr0 pc, mr1 syscall number, mr2 sp, mr3..5 x0..x2
 *   USER_EXCEPTION   mr0 pc, mr1 ESR, mr2 sp (undefined instruction, alignment, BRK, FP)
 *   VM_FAULT    mr0 pc, mr1 fault address, mr2 ESR, mr3 1 if instruction fetch
 *   TIMEOUT     mr0 sched context badge, mr1 overrun ticks (budget exhausted)
 * Reply: mr0 (optional) new pc when the reply's length is 1.
 */
enum bh_fault_label {
    BH_FAULT_NONE = 0,
    BH_FAULT_CAP = 1,
    BH_FAULT_UNKNOWN_SYSCALL = 2,
    BH_FAULT_USER_EXCEPTION = 3,
    BH_FAULT_VM = 4,
    BH_FAULT_TIMEOUT = 5,
    BH_FAULT_VCPU = 6, /* a guest exit the kernel does not finish itself (below) */
};

/*
 * Label of what a Recv returns when the receiver's bound notification was
 * signalled instead (Notification BIND_TCB): badge = the bits, no MRs.
 */
#define BH_MSG_NOTIFICATION 0xfffu

/*
 * Guest exits (label BH_FAULT_VCPU), sent to the fault endpoint of the TCB the
 * vCPU is bound to, i.e. to its VMM. Up to BH_VCPU_EXIT_MRS words: MR6 and up
 * arrive in the VMM's IPC buffer (mr[]), so a VMM needs one.
 *   mr0 reason (bh_vcpu_exit_reason), mr1 guest PC, mr2 ESR_EL2
 *   DATA_ABORT / INST_ABORT (stage 2):
 *     mr3 IPA (HPFAR_EL2.FIPA << 12 | FAR_EL2[11:0]), mr4 FAR_EL2 (guest VA),
 *     mr5 decoded syndrome (BH_VCPU_DABT_*), mr6 value of Rt for a write with ISV
 *   HVC / SMC: mr3..mr10 x0..x7 (function id in x0; mr2 has the immediate).
 *     HVC: the PC is already past the instruction; SMC: the PC is the SMC.
 *   SYSREG (trapped MSR/MRS): mr3 op0, mr4 op1, mr5 CRn, mr6 CRm, mr7 op2,
 *     mr8 Rt, mr9 1 for a read (MRS), 0 for a write, mr10 value of Rt (write)
 *   UNKNOWN: mr3 FAR_EL2, mr4 HPFAR_EL2
 * Reply label 0 resumes the guest, any other label stops the vCPU's thread.
 *   mr0 flags (BH_VCPU_REPLY_*), then per flag:
 *   SET_REG      mr1 register index (0..30; 31 = XZR, ignored), mr2 value
 *   SET_X0_X3    mr2..mr5 -> x0..x3 (HVC/SMC results; not with SET_REG)
 *   ADVANCE      PC += 4 (aborts, SMC, sysreg; ignored for HVC)
 *   ABORT        inject a synchronous external abort for the exit's address
 *                into the guest's EL1 (data or instruction, as the exit was)
 * A reply of length 0 resumes at the same PC.
 */
#define BH_VCPU_EXIT_MRS 11u

enum bh_vcpu_exit_reason {
    BH_VCPU_EXIT_DATA_ABORT = 1,
    BH_VCPU_EXIT_INST_ABORT = 2,
    BH_VCPU_EXIT_HVC = 3,
    BH_VCPU_EXIT_SMC = 4,
    BH_VCPU_EXIT_SYSREG = 5,
    BH_VCPU_EXIT_UNKNOWN = 6,
};

/* mr5 of an abort exit. */
#define BH_VCPU_DABT_ISV       (1u << 0)  /* the fields below are valid */
#define BH_VCPU_DABT_WRITE     (1u << 1)  /* WnR */
#define BH_VCPU_DABT_SAS_SHIFT 2u         /* access size: 1 << SAS bytes */
#define BH_VCPU_DABT_SRT_SHIFT 4u         /* Rt, 5 bits */
#define BH_VCPU_DABT_SSE       (1u << 9)  /* sign-extend the load */
#define BH_VCPU_DABT_SF        (1u << 10) /* 64-bit register */
#define BH_VCPU_DABT_S1PTW     (1u << 11) /* fault on a stage-1 table walk */
#define BH_VCPU_DABT_FSC_SHIFT 12u        /* DFSC/IFSC, 6 bits */

#define BH_VCPU_REPLY_ADVANCE   0x1u
#define BH_VCPU_REPLY_SET_REG   0x2u
#define BH_VCPU_REPLY_SET_X0_X3 0x4u
#define BH_VCPU_REPLY_ABORT     0x8u

/*
 * vCPU register numbers for READ_REGS / WRITE_REGS: 0..30 x0..x30, then the
 * rest of the guest's EL1 state. PSTATE (BH_VCPU_REG_PSTATE) may only select
 * AArch64 EL0t, EL1t or EL1h.
 */
enum bh_vcpu_reg {
    BH_VCPU_REG_SP_EL0 = 31,
    BH_VCPU_REG_PC = 32,
    BH_VCPU_REG_PSTATE = 33,
    BH_VCPU_REG_SP_EL1 = 34,
    BH_VCPU_REG_ELR_EL1 = 35,
    BH_VCPU_REG_SPSR_EL1 = 36,
    BH_VCPU_REG_SCTLR_EL1 = 37,
    BH_VCPU_REG_TTBR0_EL1 = 38,
    BH_VCPU_REG_TTBR1_EL1 = 39,
    BH_VCPU_REG_TCR_EL1 = 40,
    BH_VCPU_REG_MAIR_EL1 = 41,
    BH_VCPU_REG_AMAIR_EL1 = 42,
    BH_VCPU_REG_VBAR_EL1 = 43,
    BH_VCPU_REG_CONTEXTIDR_EL1 = 44,
    BH_VCPU_REG_TPIDR_EL1 = 45,
    BH_VCPU_REG_CPACR_EL1 = 46,
    BH_VCPU_REG_ESR_EL1 = 47,
    BH_VCPU_REG_FAR_EL1 = 48,
    BH_VCPU_REG_AFSR0_EL1 = 49,
    BH_VCPU_REG_AFSR1_EL1 = 50,
    BH_VCPU_REG_PAR_EL1 = 51,
    BH_VCPU_REG_CNTKCTL_EL1 = 52,
    BH_VCPU_REG_CSSELR_EL1 = 53,
    BH_VCPU_REG_CNTV_CTL = 54,
    BH_VCPU_REG_CNTV_CVAL = 55,
    BH_VCPU_REG_CNTVOFF = 56,
    BH_VCPU_REG_TPIDR_EL0 = 57,
    BH_VCPU_REG_TPIDRRO_EL0 = 58,
    BH_VCPU_REG_VMPIDR = 59,
    BH_VCPU_REG_COUNT = 60,
};

/*
 * Invocation labels (BH_SYS_INVOKE: x0 capability address, x1 message info
 * with the label, MRs the arguments, extra caps from the IPC buffer). Results:
 * x0 = bh_error_t, x2.. result words where a method has them.
 *
 * TCB
 *   CONFIGURE        mr0 fault endpoint cptr, mr1 ipc buffer address (VA);
 *                    cap0 CSpace root CNode, cap1 address space (or VM, for a
 *                    thread that will run a vCPU), cap2 IPC buffer frame
 *   SET_PRIORITY     mr0 priority (0..255), must not exceed the caller's own
 *   SET_SCHED        cap0 SchedContext (binds it; mr0 = 1 unbinds instead)
 *   SET_PARTITION    mr0 time partition id
 *   WRITE_REGS       mr0 pc, mr1 sp, mr2 x0, mr3 x1, mr4 x2
 *   READ_REGS        -> mr0 pc, mr1 sp, mr2 x0, mr3 x1, mr4 x2
 *   RESUME, SUSPEND
 *   SET_NAME         mr0..mr1 up to 15 bytes, little-endian (for fault reports)
 *   SET_AFFINITY     mr0 physical CPU index (0 .. bootinfo ncpus - 1): the
 *                    thread (or the vCPU it runs) only ever runs there;
 *                    BH_E_INVALID_ARG for a CPU that is not online
 * SchedContext
 *   CONFIGURE        mr0 budget us, mr1 period us, mr2 badge for timeout faults;
 *                    cap0 (optional) timeout fault endpoint
 * AddressSpace
 *   MAP_FRAME        mr0 address, mr1 rights (BH_RIGHT_READ|WRITE|EXECUTE, within the
 *                    frame cap's; EXECUTE maps readable too, so it also needs the
 *                    cap's READ); cap0 frame
 *   MAP_TABLE        mr0 address, mr1 level (2 or 3); cap0 page table
 *   UNMAP_FRAME      invoked on the frame cap
 *   FRAME_GET_ADDRESS invoked on the frame cap -> mr0 its physical address
 * Notification
 *   BIND_TCB         cap0 TCB: a Recv by that TCB on any endpoint also returns
 *                    when this notification is signalled, with label
 *                    BH_MSG_NOTIFICATION and the signalled bits in the badge
 *                    (the bits are cleared); mr0 = 1 unbinds instead
 * ConsoleInput (BH_RT_SLOT_CONSOLE_INPUT; one per system, may be moved)
 *   SET_NOTIFICATION cap0 notification: signalled (its badge bits) whenever
 *                    bytes arrive on the system console
 *   READ             -> mr0 count (0..40), mr1..mr5 the bytes, 8 per word,
 *                    little-endian; bytes that arrive while nobody reads are
 *                    kept in a bounded buffer (oldest dropped, counted)
 * IRQControl
 *   GET              mr0 INTID, mr1 dest index, mr2 dest depth (into the CNode cap0)
 * IRQHandler
 *   SET_NOTIFICATION cap0 notification (signals badge bit on each interrupt)
 *   ACK              re-enable after handling
 *   SET_VCPU         cap0 vCPU, mr0 virtual INTID (32..1019), mr1 priority:
 *                    passthrough; each interrupt goes straight into the vCPU's
 *                    list registers with the HW bit, and the guest's EOI
 *                    deactivates it (no ACK, no VMM round trip)
 * VM (stage-2 table + VMID)
 *   MAP_FRAME        mr0 IPA, mr1 rights (READ|WRITE|EXECUTE, within the frame
 *                    cap's; EXECUTE also needs READ), mr2 memory type
 *                    (BH_VM_MEM_*); cap0 frame
 *   MAP_TABLE        mr0 IPA, mr1 level (2 or 3); cap0 page table
 *   (unmap: BH_INV_FRAME_UNMAP on the frame cap)
 * vCPU
 *   SET_TCB          cap0 TCB, already configured with this vCPU's VM as its
 *                    address space; mr0 VMPIDR affinity (Aff0..Aff2, Aff3 << 32).
 *                    The TCB then runs the guest instead of EL0 code.
 *   READ_REGS        mr0 first register (enum bh_vcpu_reg), mr1 count 1..6
 *                    -> mr0..mr5
 *   WRITE_REGS       mr0 first register, mr1 count 1..4, mr2..mr5 values
 *   INJECT_IRQ       mr0 virtual INTID (0..1019), mr1 priority (0..255,
 *                    upper 5 bits used); queued in priority order (FIFO
 *                    within one priority) when the list registers are full
 *   ACK_MAINTENANCE  -> mr0 list registers free, mr1 interrupts still queued
 */
#define BH_VM_MEM_NORMAL 0u /* Normal write-back (the guest's stage 1 may restrict it) */
#define BH_VM_MEM_DEVICE 1u /* Device-nGnRE: passthrough MMIO; never executable */

enum bh_invocation_kernel {
    BH_INV_TCB_CONFIGURE = 0x300,
    BH_INV_TCB_SET_PRIORITY = 0x301,
    BH_INV_TCB_SET_SCHED = 0x302,
    BH_INV_TCB_SET_PARTITION = 0x303,
    BH_INV_TCB_WRITE_REGS = 0x304,
    BH_INV_TCB_READ_REGS = 0x305,
    BH_INV_TCB_RESUME = 0x306,
    BH_INV_TCB_SUSPEND = 0x307,
    BH_INV_TCB_SET_NAME = 0x308,
    BH_INV_TCB_SET_AFFINITY = 0x309,
    BH_INV_SC_CONFIGURE = 0x400,
    BH_INV_AS_MAP_FRAME = 0x500,
    BH_INV_AS_MAP_TABLE = 0x501,
    BH_INV_FRAME_UNMAP = 0x502,
    BH_INV_FRAME_GET_ADDRESS = 0x503,
    BH_INV_IRQ_CONTROL_GET = 0x600,
    BH_INV_IRQ_SET_NOTIFICATION = 0x601,
    BH_INV_IRQ_ACK = 0x602,
    BH_INV_IRQ_SET_VCPU = 0x603,
    BH_INV_NTFN_BIND_TCB = 0x650,
    BH_INV_CONSOLE_SET_NOTIFICATION = 0x680,
    BH_INV_CONSOLE_READ = 0x681,
    BH_INV_VM_MAP_FRAME = 0x700,
    BH_INV_VM_MAP_TABLE = 0x701,
    BH_INV_VCPU_SET_TCB = 0x710,
    BH_INV_VCPU_READ_REGS = 0x711,
    BH_INV_VCPU_WRITE_REGS = 0x712,
    BH_INV_VCPU_INJECT_IRQ = 0x713,
    BH_INV_VCPU_ACK_MAINTENANCE = 0x714,
};

#endif
