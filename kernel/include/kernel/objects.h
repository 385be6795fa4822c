/*
 * Kernel objects behind capabilities (portable). Every object is valid when
 * all-zero: retype zeroes memory and needs no per-type constructor.
 *
 * The TCB is a capability container (caps/): its first BH_TCB_CAP_SLOTS slots
 * are ordinary capability slots in the derivation tree, so deleting a CNode,
 * address space or endpoint a thread uses goes through the same machinery as
 * any other capability.
 */
#ifndef KERNEL_OBJECTS_H
#define KERNEL_OBJECTS_H

#include <arch/regs.h>
#include <bulkhead/objects.h>
#include <caps/cap.h>
#include <kernel/phys.h>
#include <kernel/sched.h>

/* TCB capability slots. */
enum tcb_slot {
    TCB_SLOT_CSPACE = 0,     /* root CNode of the thread's CSpace */
    TCB_SLOT_VSPACE = 1,     /* its address space */
    TCB_SLOT_IPCBUF = 2,     /* the frame holding its IPC buffer */
    TCB_SLOT_FAULT_EP = 3,   /* endpoint its faults are sent to */
    TCB_SLOT_SC = 4,         /* its scheduling context */
    TCB_SLOT_TIMEOUT_EP = 5, /* endpoint budget-exhaustion faults go to */
    TCB_SLOT_VCPU = 6,       /* bound vCPU (VM objects) */
};

enum tcb_state {
    TCB_INACTIVE = 0, /* never started, or suspended */
    TCB_RUNNABLE = 1,
    TCB_BLOCKED_SEND = 2,  /* queued on an endpoint to send (or call) */
    TCB_BLOCKED_RECV = 3,  /* queued on an endpoint to receive */
    TCB_BLOCKED_REPLY = 4, /* called; waits for the reply */
    TCB_BLOCKED_NTFN = 5,  /* waits on a notification */
    TCB_STOPPED = 6,       /* exited, or faulted with no handler / handler said stop */
    TCB_BLOCKED_WFI = 7,   /* a vCPU's thread: the guest waits for a virtual interrupt */
};

/* Fault messages: the longest is a guest exit (BH_VCPU_EXIT_MRS words). */
#define TCB_FAULT_MSG_MAX 11u

struct vcpu;

/* ipc_flags while queued as a sender. */
#define IPC_CALL        0x1u /* wants a reply */
#define IPC_GRANT       0x2u /* its endpoint cap had the grant right */
#define IPC_FAULT       0x4u /* the message is a fault message built by the kernel */
#define IPC_GRANT_REPLY 0x8u

struct tcb {
    cte_t slot[BH_TCB_CAP_SLOTS];
    struct arch_regs regs; /* saved context; the vectors save into it */
    struct sched_thread sched;
    uint64_t ipcbuf_va; /* also what EL0 reads in TPIDRRO_EL0 */
    uint64_t tpidr_el0; /* the thread's own thread pointer */
    struct tcb *q_next; /* endpoint / notification queue */
    struct tcb *q_prev;
    void *blocked_on;                      /* struct endpoint or struct notification */
    uint64_t badge;                        /* badge of the endpoint cap used to send */
    struct tcb *reply_to;                  /* receiver: the caller it owes a reply */
    struct tcb *reply_from;                /* caller: the thread that owes it one */
    uint64_t fault_msg[TCB_FAULT_MSG_MAX]; /* a pending fault message (IPC_FAULT) */
    uint64_t fault_label;
    uint64_t fault_len;              /* words in fault_msg (0 means BH_MSG_REGS) */
    struct vcpu *vcpu;               /* bound vCPU: the thread runs a guest at EL1 */
    struct notification *bound_ntfn; /* Notification BIND_TCB: its signals end a Recv */
    uint64_t exit_status;
    uint64_t irq_entries;
    uint8_t state;
    uint8_t ipc_flags;
    uint8_t is_root;
    char name[16];
};

_Static_assert(sizeof(struct tcb) <= (1u << BH_TCB_SIZE_BITS), "TCB object size");

struct endpoint {
    struct tcb *head; /* queue of senders or receivers (head->state says which) */
    struct tcb *tail;
};

_Static_assert(sizeof(struct endpoint) <= (1u << BH_ENDPOINT_SIZE_BITS), "endpoint size");

struct notification {
    uint64_t word; /* pending signal bits */
    struct tcb *head;
    struct tcb *tail;
    uint32_t active; /* signalled since the last wait, even by a zero badge */
    /* The bound TCB (BIND_TCB) as (physical address >> BH_TCB_SIZE_BITS) + 1,
     * 0 for none: a pointer does not fit the 32-byte object (ipc.c). */
    uint32_t bound;
};

_Static_assert(sizeof(struct notification) <= (1u << BH_NOTIFICATION_SIZE_BITS), "notification");

struct sched_context_obj {
    struct sched_context sc;
    uint64_t timeout_badge; /* sent with timeout faults */
};

_Static_assert(sizeof(struct sched_context_obj) <= (1u << BH_SCHED_CONTEXT_SIZE_BITS), "sc size");

static inline struct tcb *tcb_of(cap_t c)
{
    return (struct tcb *)pa_to_kva(cap_obj(c));
}

static inline struct endpoint *endpoint_of(cap_t c)
{
    return (struct endpoint *)pa_to_kva(cap_obj(c));
}

static inline struct notification *notification_of(cap_t c)
{
    return (struct notification *)pa_to_kva(cap_obj(c));
}

static inline struct tcb *tcb_from_sched(struct sched_thread *s)
{
    return (struct tcb *)(void *)((char *)s - __builtin_offsetof(struct tcb, sched));
}

#endif
