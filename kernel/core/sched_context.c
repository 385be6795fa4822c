/*
 * SchedContext: budget and period, charging without underflow, periodic
 * replenishment at release + k * period. Design: kernel/core/SCHED.md.
 */
#include <kernel/sched.h>

/*@ requires \valid(sc);
    assigns *sc;
    ensures !sc->configured && sc->thread == \null && sc->remaining == 0;
*/
void sc_init(struct sched_context *sc)
{
    sc->budget = 0u;
    sc->period = 0u;
    sc->remaining = 0u;
    sc->next_release = 0u;
    sc->overruns = 0u;
    sc->thread = NULL;
    sc->configured = false;
}

/*@ requires \valid(sc);
    requires now < BH_SCHED_NOW_MAX;
    requires sc->thread == \null || \valid_read(sc->thread);
    assigns sc->budget, sc->period, sc->remaining, sc->next_release, sc->configured;
    behavior zero:
      assumes budget == 0 || period == 0;
      ensures \result == BH_E_INVALID_ARGUMENT;
      ensures sc->budget == \old(sc->budget) && sc->period == \old(sc->period) &&
              sc->remaining == \old(sc->remaining) &&
              sc->next_release == \old(sc->next_release);
    behavior range:
      assumes budget != 0 && period != 0 && (budget > period || period > BH_SCHED_TIME_MAX);
      ensures \result == BH_E_RANGE;
      ensures sc->budget == \old(sc->budget) && sc->period == \old(sc->period) &&
              sc->remaining == \old(sc->remaining) &&
              sc->next_release == \old(sc->next_release);
    behavior valid:
      assumes budget != 0 && period != 0 && budget <= period && period <= BH_SCHED_TIME_MAX;
      ensures \result == BH_OK || \result == BH_E_IN_USE;
      ensures \result == BH_OK ==>
              sc->budget == budget && sc->period == period && sc->remaining == budget &&
              sc->next_release == now + period && sc->configured;
    complete behaviors;
    disjoint behaviors;
*/
bh_error_t sc_configure(struct sched_context *sc, uint64_t budget, uint64_t period, uint64_t now)
{
    if (budget == 0u || period == 0u) {
        return BH_E_INVALID_ARGUMENT;
    }
    if (budget > period || period > BH_SCHED_TIME_MAX) {
        return BH_E_RANGE;
    }
    /* The release queue is sorted by next_release: do not move it under a
     * throttled thread (unbind first). */
    if (sc->thread != NULL && sc->thread->state == SCHED_THROTTLED) {
        return BH_E_IN_USE;
    }
    sc->budget = budget;
    sc->period = period;
    sc->remaining = budget;
    sc->next_release = now + period;
    sc->configured = true;
    return BH_OK;
}

/* Contract in kernel/sched.h (sched.c bills through it). */
uint64_t sc_charge(struct sched_context *sc, uint64_t consumed)
{
    if (consumed <= sc->remaining) {
        sc->remaining -= consumed;
        return 0u;
    }
    uint64_t over = consumed - sc->remaining;
    sc->remaining = 0u;
    if (sc->overruns < UINT64_MAX) {
        sc->overruns++;
    }
    return over;
}

/* Contract in kernel/sched.h (sched.c replenishes through it). */
bool sc_replenish(struct sched_context *sc, uint64_t now)
{
    if (now < sc->next_release) {
        return false;
    }
    /* Skip every boundary passed while the context was not looked at: one
     * division, no loop. */
    uint64_t d = now - sc->next_release;
    uint64_t q = d / sc->period;
    /*@ assert d == q * sc->period + d % sc->period && 0 <= d % sc->period < sc->period; */
    /*@ assert q <= d; */
    uint64_t k = q + 1u;
    /*@ assert k * sc->period == d - d % sc->period + sc->period; */
    sc->next_release += k * sc->period;
    sc->remaining = sc->budget;
    return true;
}

uint64_t sc_us_to_ticks(uint64_t us, uint64_t freq_hz)
{
    uint64_t whole = us / 1000000u;
    uint64_t part = us % 1000000u;
    /*@ assert us == whole * 1000000 + part && part < 1000000; */
    /*@ assert whole != 0 && whole * freq_hz <= UINT64_MAX ==> freq_hz <= UINT64_MAX / whole; */
    /*@ assert us * freq_hz == whole * 1000000 * freq_hz + part * freq_hz; */
    /*@ assert (whole * 1000000 * freq_hz + part * freq_hz) / 1000000 ==
               whole * freq_hz + part * freq_hz / 1000000; */
    if (whole != 0 && freq_hz > UINT64_MAX / whole) {
        return UINT64_MAX;
    }
    /*@ assert whole * freq_hz <= UINT64_MAX; */
    /*@ assert part * freq_hz < 1000000 * 0x100000000; */
    uint64_t hi = whole * freq_hz;
    uint64_t lo = part * freq_hz / 1000000u;
    /* Both parts fit; their sum may not (a budget just below the limit). */
    if (hi > UINT64_MAX - lo) {
        return UINT64_MAX;
    }
    return hi + lo;
}
