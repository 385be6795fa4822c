/* SchedContext methods: budget and period come in microseconds. */
#include <kernel/kernel.h>
#include <kernel/object_invoke.h>

bh_error_t sc_invoke(struct tcb *caller, const struct invocation *inv)
{
    (void)caller;
    struct sched_context_obj *sco = pa_to_kva(cap_obj(inv->target->cap));
    if (inv->label != BH_INV_SC_CONFIGURE) {
        return BH_E_ILLEGAL_OPERATION;
    }
    if (inv->len < 2) {
        return BH_E_TRUNCATED;
    }
    uint64_t budget = kernel_us_to_ticks(inv->mr[0]);
    uint64_t period = kernel_us_to_ticks(inv->mr[1]);
    bh_error_t e = sc_configure(&sco->sc, budget, period, kernel_now_hint());
    if (e == BH_OK) {
        sco->timeout_badge = inv->len >= 3 ? inv->mr[2] : 0;
    }
    return e;
}
