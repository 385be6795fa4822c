/* Object invocations (BH_SYS_INVOKE): decoded arguments and per-type methods. */
#ifndef KERNEL_OBJECT_INVOKE_H
#define KERNEL_OBJECT_INVOKE_H

#include <bulkhead/ipc.h>
#include <kernel/objects.h>

struct invocation {
    cte_t *target; /* the invoked capability's slot */
    uint64_t label;
    uint32_t len;   /* message registers present */
    uint32_t ncaps; /* extra capabilities present */
    uint64_t mr[BH_MSG_MAX];
    cte_t *cap_slot[BH_MSG_MAX_CAPS]; /* extra capabilities, looked up */
    cap_t cap[BH_MSG_MAX_CAPS];
};

/* Reads MRs and looks up the extra capabilities named in t's IPC buffer. */
bh_error_t invocation_decode(struct tcb *t, cte_t *target, struct invocation *inv);
/* Dispatches on the target's type. Results (if any) go to t's registers. */
bh_error_t object_invoke(struct tcb *t, const struct invocation *inv);

bh_error_t tcb_invoke(struct tcb *caller, const struct invocation *inv);
bh_error_t sc_invoke(struct tcb *caller, const struct invocation *inv);
bh_error_t irq_invoke(struct tcb *caller, const struct invocation *inv);
bh_error_t vm_invoke(struct tcb *caller, const struct invocation *inv);
bh_error_t vcpu_invoke(struct tcb *caller, const struct invocation *inv);
bh_error_t ntfn_invoke(struct tcb *caller, const struct invocation *inv);
bh_error_t console_input_invoke(struct tcb *caller, const struct invocation *inv);

uint64_t kernel_us_to_ticks(uint64_t us);
/* Sends a kernel-made message (timeout faults) to a waiting receiver, if any. */
bool ipc_kernel_send(struct endpoint *ep, uint64_t badge, uint64_t label, const uint64_t msg[6]);

#endif
