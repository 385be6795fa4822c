/*
 * Bulkhead public ABI: messages, the IPC buffer, fault messages and the
 * invocation labels of kernel objects other than CNode and Untyped (those are
 * in objects.h).
 *
 * Message info word (x1 on IPC system calls):
 *   bits  6..0   length: message registers used (0..BH_MSG_MAX)
 *   bits  8..7   extra capabilities sent (0..BH_MSG_MAX_CAPS)
 *   bits 11..9   on receive: which extra capabilities arrived as badges
 *                (the receiver already held the endpoint) instead of caps
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
};

/*
 * Invocation labels (BH_SYS_INVOKE: x0 capability address, x1 message info
 * with the label, MRs the arguments, extra caps from the IPC buffer). Results:
 * x0 = bh_error_t, x2.. result words where a method has them.
 *
 * TCB
 *   CONFIGURE        mr0 fault endpoint cptr, mr1 ipc buffer address (VA);
 *                    cap0 CSpace root CNode, cap1 address space, cap2 IPC buffer frame
 *   SET_PRIORITY     mr0 priority (0..255), must not exceed the caller's own
 *   SET_SCHED        cap0 SchedContext (binds it; mr0 = 1 unbinds instead)
 *   SET_PARTITION    mr0 time partition id
 *   WRITE_REGS       mr0 pc, mr1 sp, mr2 x0, mr3 x1, mr4 x2
 *   READ_REGS        -> mr0 pc, mr1 sp, mr2 x0, mr3 x1, mr4 x2
 *   RESUME, SUSPEND
 *   SET_NAME         mr0..mr1 up to 15 bytes, little-endian (for fault reports)
 * SchedContext
 *   CONFIGURE        mr0 budget us, mr1 period us, mr2 badge for timeout faults;
 *                    cap0 (optional) timeout fault endpoint
 * AddressSpace
 *   MAP_FRAME        mr0 address, mr1 rights (BH_RIGHT_READ|WRITE|EXECUTE); cap0 frame
 *   MAP_TABLE        mr0 address, mr1 level (2 or 3); cap0 page table
 *   UNMAP_FRAME      invoked on the frame cap
 * Notification
 *   BIND_TCB         cap0 TCB: Wait on a bound notification also wakes on IPC (reserved)
 * IRQControl
 *   GET              mr0 INTID, mr1 dest index, mr2 dest depth (into the CNode cap0)
 * IRQHandler
 *   SET_NOTIFICATION cap0 notification (signals badge bit on each interrupt)
 *   ACK              re-enable after handling
 */
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
    BH_INV_SC_CONFIGURE = 0x400,
    BH_INV_AS_MAP_FRAME = 0x500,
    BH_INV_AS_MAP_TABLE = 0x501,
    BH_INV_FRAME_UNMAP = 0x502,
    BH_INV_IRQ_CONTROL_GET = 0x600,
    BH_INV_IRQ_SET_NOTIFICATION = 0x601,
    BH_INV_IRQ_ACK = 0x602,
};

#endif
