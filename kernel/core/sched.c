/*
 * Portable scheduler: ready queues with a two-level priority bitmap, choice,
 * thread state changes, budget charging, the release queue and the timer
 * deadline. Design and rules: kernel/core/SCHED.md.
 */
#include <kernel/assert.h>
#include <kernel/sched.h>

/* One ready-queue set per partition while a time-partition schedule is
 * active (choice inside a window looks at one set, then partition 0's: O(1));
 * without a schedule every thread uses set 0 so round-robin spans partitions. */
static struct sched_rq rqs[BH_SCHED_MAX_PARTITIONS];

static struct sched_thread *idle_thread;
static struct sched_thread *cur;
static struct sched_thread *release_head; /* sorted by sc->next_release, FIFO on ties */
static unsigned release_count;
static unsigned nonsystem_ready;
static uint64_t last_charge;
static uint64_t slice_start;
static uint64_t timeslice;
static bool slice_reset;

/* ---- bitmap ---- */

/*@ requires b < 64;
    assigns \nothing;
    ensures bit(\result, b);
    ensures \forall integer k; 0 <= k < 64 && k != b ==> (bit(\result, k) <==> bit(x, k));
*/
static uint64_t bit_set(uint64_t x, unsigned b)
{
    return x | (1ull << b);
}

/*@ requires b < 64;
    assigns \nothing;
    ensures !bit(\result, b);
    ensures \forall integer k; 0 <= k < 64 && k != b ==> (bit(\result, k) <==> bit(x, k));
*/
static uint64_t bit_clear(uint64_t x, unsigned b)
{
    return x & ~(1ull << b);
}

/* Index of the highest set bit: a binary search in six steps, written so WP
 * can follow it (rather than __builtin_clzll); it runs on every choice. */
/*@ requires x != 0;
    assigns \nothing;
    ensures 0 <= \result < 64;
    ensures bit(x, \result);
    ensures \forall integer k; \result < k < 64 ==> !bit(x, k);
*/
static unsigned bit_highest(uint64_t x)
{
    /* Binary search, six steps: the answer stays in [r, r + w). */
    unsigned r = 0u;
    unsigned w = 64u;
    /*@ loop invariant 1 <= w <= 64 && 0 <= r && r + w <= 64;
        loop invariant w == 64 || w == 32 || w == 16 || w == 8 || w == 4 || w == 2 || w == 1;
        loop invariant (x >> r) != 0;
        loop invariant r + w == 64 || (x >> (r + w)) == 0;
        loop assigns r, w;
        loop variant w;
    */
    while (w > 1u) {
        unsigned h = w / 2u;
        if ((x >> (r + h)) != 0u) {
            r += h;
        }
        w = h;
    }
    /*@ assert (x >> r) != 0; */
    /*@ assert r == 63 || (x >> (r + 1)) == 0; */
    /*@ assert \forall integer k; r < k < 64 ==> (x >> k) == 0; */
    return r;
}

/* ---- ready queue operations ---- */

/*@ requires \valid(rq) && \valid(t) && \separated(rq, t);
    requires rq_ok(rq);
    requires rq->tail[t->prio] == \null ||
             (\valid(rq->tail[t->prio]) && \separated(rq->tail[t->prio], rq) &&
              \separated(rq->tail[t->prio], t));
    assigns rq->summary, rq->words[0 .. 3], rq->head[t->prio], rq->tail[t->prio],
            t->next, t->prev, rq->tail[t->prio]->next;
    ensures rq_summary_ok(rq);
    ensures rq_bits_ok(rq);
    ensures rq_ends_ok(rq);
    ensures rq->tail[t->prio] == t && rq->head[t->prio] != \null;
    ensures t->next == \null;
    ensures t->prev == \old(rq->tail[t->prio]);
    ensures \old(rq->head[t->prio]) != \null ==> rq->head[t->prio] == \old(rq->head[t->prio]);
    ensures \old(rq->tail[t->prio]) != \null ==> \old(rq->tail[t->prio])->next == t;
*/
static void rq_enqueue(struct sched_rq *rq, struct sched_thread *t)
{
    unsigned p = t->prio;
    unsigned w = p / 64u;
    unsigned b = p % 64u;
    struct sched_thread *last = rq->tail[p];

    /*@ assert p == 64 * w + b && w < 4 && b < 64; */
    t->next = NULL;
    t->prev = last;
    if (last != NULL) {
        last->next = t;
    } else {
        rq->head[p] = t;
    }
    rq->tail[p] = t;
    /*@ assert t->next == \null && t->prev == last; */
    /*@ assert heads_same: \forall integer q; 0 <= q < 256 && q != p ==>
            rq->head[q] == \at(rq->head[q], Pre); */
    /*@ assert rq->head[p] != \null; */
    uint64_t word = bit_set(rq->words[w], b);
    rq->words[w] = word;
    /*@ assert same_word: \forall integer b2; 0 <= b2 < 64 ==>
            (bit(rq->words[w], b2) <==> rq->head[64 * w + b2] != \null); */
    /*@ assert other_words: \forall integer w2, b2; 0 <= w2 < 4 && w2 != w && 0 <= b2 < 64 ==>
            (bit(rq->words[w2], b2) <==> rq->head[64 * w2 + b2] != \null); */
    rq->summary = bit_set(rq->summary, w);
}

/* Removes t from its list. The caller knows t is queued in rq: its
 * neighbours are valid and head/tail point at it exactly when it is first/last. */
/*@ requires \valid(rq) && \valid(t) && \separated(rq, t);
    requires rq_ok(rq);
    requires rq->head[t->prio] != \null;
    requires t->prev == \null <==> rq->head[t->prio] == t;
    requires t->next == \null <==> rq->tail[t->prio] == t;
    requires t->prev != \null ==>
             \valid(t->prev) && \separated(t->prev, rq) && \separated(t->prev, t);
    requires t->next != \null ==>
             \valid(t->next) && \separated(t->next, rq) && \separated(t->next, t);
    requires t->prev != \null && t->next != \null ==> \separated(t->prev, t->next);
    assigns rq->summary, rq->words[0 .. 3], rq->head[t->prio], rq->tail[t->prio],
            t->next, t->prev, t->prev->next, t->next->prev;
    ensures rq_summary_ok(rq);
    ensures rq_bits_ok(rq);
    ensures rq_ends_ok(rq);
    ensures t->next == \null && t->prev == \null;
    ensures rq->head[t->prio] != t && rq->tail[t->prio] != t;
    ensures rq->head[t->prio] == \null <==> (\old(t->prev) == \null && \old(t->next) == \null);
*/
static void rq_dequeue(struct sched_rq *rq, struct sched_thread *t)
{
    unsigned p = t->prio;
    unsigned w = p / 64u;
    unsigned b = p % 64u;
    struct sched_thread *prev = t->prev;
    struct sched_thread *next = t->next;

    /*@ assert p == 64 * w + b && w < 4 && b < 64; */
    if (prev != NULL) {
        prev->next = next;
    } else {
        rq->head[p] = next;
    }
    if (next != NULL) {
        next->prev = prev;
    } else {
        rq->tail[p] = prev;
    }
    t->next = NULL;
    t->prev = NULL;
    /*@ assert rq_ends_ok(rq); */
    /*@ assert heads_same: \forall integer q; 0 <= q < 256 && q != p ==>
            rq->head[q] == \at(rq->head[q], Pre); */
    if (rq->head[p] == NULL) {
        uint64_t word = bit_clear(rq->words[w], b);
        rq->words[w] = word;
        /*@ assert same_word: \forall integer b2; 0 <= b2 < 64 ==>
                (bit(rq->words[w], b2) <==> rq->head[64 * w + b2] != \null); */
        /*@ assert other_words: \forall integer w2, b2;
                0 <= w2 < 4 && w2 != w && 0 <= b2 < 64 ==>
                (bit(rq->words[w2], b2) <==> rq->head[64 * w2 + b2] != \null); */
        /*@ assert rq_bits_ok(rq); */
        if (rq->words[w] == 0u) {
            rq->summary = bit_clear(rq->summary, w);
        }
    }
}

/* The head of the highest non-empty list, or NULL: two bit scans, O(1).
 * Stated over (word, bit) pairs, priority q = 64 * w2 + b2, so the provers
 * need no division; naming the bit next to the list head gives the SMT
 * solvers the term that instantiates rq_ok. */
/*@ requires \valid_read(rq) && \valid(prio);
    requires rq_ok(rq);
    assigns *prio;
    ensures \result == \null <==>
            (\forall integer w2, b2; 0 <= w2 < 4 && 0 <= b2 < 64 ==>
                !bit(rq->words[w2], b2) && rq->head[64 * w2 + b2] == \null);
    ensures \result != \null ==> 0 <= *prio < 256 && \result == rq->head[*prio];
    ensures \result != \null ==>
            (\forall integer w2, b2; 0 <= w2 < 4 && 0 <= b2 < 64 && 64 * w2 + b2 > *prio ==>
                !bit(rq->words[w2], b2) && rq->head[64 * w2 + b2] == \null);
*/
static struct sched_thread *rq_top(const struct sched_rq *rq, unsigned *prio)
{
    if (rq->summary == 0u) {
        /*@ assert \forall integer w; 0 <= w < 4 ==> rq->words[w] == 0; */
        /*@ assert \forall integer w, b; 0 <= w < 4 && 0 <= b < 64 ==>
                !bit(rq->words[w], b) && rq->head[64 * w + b] == \null; */
        return NULL;
    }
    unsigned w = bit_highest(rq->summary);
    /*@ assert w < 4 && rq->words[w] != 0; */
    unsigned b = bit_highest(rq->words[w]);
    /*@ assert slot: bit(rq->words[w], b) && rq->head[64 * w + b] != \null; */
    /*@ assert higher_words: \forall integer w2; w < w2 < 4 ==>
            !bit(rq->summary, w2) && rq->words[w2] == 0; */
    /*@ assert higher_heads: \forall integer w2, b2; w < w2 < 4 && 0 <= b2 < 64 ==>
            !bit(rq->words[w2], b2) && rq->head[64 * w2 + b2] == \null; */
    /*@ assert higher_bits: \forall integer b2; b < b2 < 64 ==>
            !bit(rq->words[w], b2) && rq->head[64 * w + b2] == \null; */
    *prio = w * 64u + b;
    return rq->head[w * 64u + b];
}

/* Both stated with the bit next to the list head, as rq_top's contract. */
/*@ predicate rq_empty(struct sched_rq *rq) =
        \forall integer w, b; 0 <= w < 4 && 0 <= b < 64 ==>
            !bit(rq->words[w], b) && rq->head[64 * w + b] == \null;
    predicate rq_top_is(struct sched_rq *rq, struct sched_thread *t, integer p) =
        0 <= p < 256 && t == rq->head[p] && t != \null &&
        (\forall integer w, b; 0 <= w < 4 && 0 <= b < 64 && 64 * w + b > p ==>
            !bit(rq->words[w], b) && rq->head[64 * w + b] == \null);
*/

/* The choice rule inside a window: the owner's highest-priority thread,
 * else partition 0's (slack), else none (idle). own == sys is allowed. */
/*@ requires \valid_read(own) && \valid_read(sys) && \valid(prio);
    requires rq_ok(own) && rq_ok(sys);
    assigns *prio;
    behavior owner_runs:
      assumes !rq_empty(own);
      ensures rq_top_is(own, \result, *prio);
    behavior slack_to_system:
      assumes rq_empty(own) && !rq_empty(sys);
      ensures rq_top_is(sys, \result, *prio);
    behavior idle:
      assumes rq_empty(own) && rq_empty(sys);
      ensures \result == \null;
    complete behaviors;
    disjoint behaviors;
*/
static struct sched_thread *choose_in(const struct sched_rq *own, const struct sched_rq *sys,
                                      unsigned *prio)
{
    struct sched_thread *t = rq_top(own, prio);
    if (t == NULL) {
        t = rq_top(sys, prio);
    }
    return t;
}

/* ---- helpers over the global state ---- */

static unsigned queue_of(const struct sched_thread *t)
{
    return sched_schedule_active() ? t->partition : 0u;
}

static void ready_insert(struct sched_thread *t)
{
    unsigned q = queue_of(t);

    BH_ASSERT(q < BH_SCHED_MAX_PARTITIONS);
    t->queue = (uint16_t)q;
    t->state = SCHED_READY;
    rq_enqueue(&rqs[q], t);
    if (t->partition != BH_SCHED_PARTITION_SYSTEM) {
        nonsystem_ready++;
    }
}

static void ready_delete(struct sched_thread *t)
{
    BH_ASSERT(t->state == SCHED_READY && t->queue < BH_SCHED_MAX_PARTITIONS);
    rq_dequeue(&rqs[t->queue], t);
    if (t->partition != BH_SCHED_PARTITION_SYSTEM) {
        BH_ASSERT(nonsystem_ready > 0u);
        nonsystem_ready--;
    }
}

/* Sorted insert: walks at most release_count entries (the throttled threads). */
static void release_insert(struct sched_thread *t)
{
    uint64_t when = t->sc->next_release;
    struct sched_thread *prev = NULL;
    struct sched_thread *it = release_head;
    unsigned n = release_count;

    while (it != NULL && n > 0u && it->sc->next_release <= when) {
        prev = it;
        it = it->next;
        n--;
    }
    t->prev = prev;
    t->next = it;
    if (prev != NULL) {
        prev->next = t;
    } else {
        release_head = t;
    }
    if (it != NULL) {
        it->prev = t;
    }
    release_count++;
    t->state = SCHED_THROTTLED;
}

static void release_delete(struct sched_thread *t)
{
    BH_ASSERT(t->state == SCHED_THROTTLED && release_count > 0u);
    if (t->prev != NULL) {
        t->prev->next = t->next;
    } else {
        release_head = t->next;
    }
    if (t->next != NULL) {
        t->next->prev = t->prev;
    }
    t->next = NULL;
    t->prev = NULL;
    release_count--;
}

static bool out_of_budget(const struct sched_thread *t)
{
    return t->sc != NULL && t->sc->remaining == 0u;
}

/* Leaves every queue; the state is set by the caller. */
static void dequeue_any(struct sched_thread *t)
{
    if (t->state == SCHED_READY) {
        ready_delete(t);
    } else if (t->state == SCHED_THROTTLED) {
        release_delete(t);
    }
}

/* ---- public interface ---- */

void sched_init(struct sched_thread *idle, uint64_t slice, uint64_t now)
{
    BH_ASSERT(idle != NULL && slice > 0u && now < BH_SCHED_NOW_MAX);
    for (unsigned q = 0; q < BH_SCHED_MAX_PARTITIONS; q++) {
        rqs[q].summary = 0u;
        for (unsigned w = 0; w < 4u; w++) {
            rqs[q].words[w] = 0u;
        }
        for (unsigned p = 0; p < BH_SCHED_NUM_PRIOS; p++) {
            rqs[q].head[p] = NULL;
            rqs[q].tail[p] = NULL;
        }
    }
    sched_thread_init(idle, 0u, BH_SCHED_PARTITION_SYSTEM);
    idle_thread = idle;
    cur = idle;
    release_head = NULL;
    release_count = 0u;
    nonsystem_ready = 0u;
    last_charge = now;
    slice_start = now;
    timeslice = slice;
    slice_reset = false;
    (void)sched_set_schedule(NULL, now);
}

void sched_thread_init(struct sched_thread *t, uint8_t prio, uint16_t partition)
{
    BH_ASSERT(t != NULL && partition < BH_SCHED_MAX_PARTITIONS);
    t->next = NULL;
    t->prev = NULL;
    t->sc = NULL;
    t->prio = prio;
    t->state = SCHED_INACTIVE;
    t->partition = partition;
    t->queue = 0u;
}

void sched_set_priority(struct sched_thread *t, uint8_t prio)
{
    if (t->state == SCHED_READY) {
        ready_delete(t);
        t->prio = prio;
        ready_insert(t);
    } else {
        t->prio = prio;
    }
}

bh_error_t sched_set_partition(struct sched_thread *t, uint16_t partition)
{
    if (partition >= BH_SCHED_MAX_PARTITIONS) {
        return BH_E_RANGE;
    }
    if (t->state == SCHED_READY) {
        ready_delete(t);
        t->partition = partition;
        ready_insert(t);
    } else {
        t->partition = partition;
    }
    return BH_OK;
}

void sched_make_runnable(struct sched_thread *t)
{
    BH_ASSERT(t != NULL && t != idle_thread);
    if (t->state == SCHED_READY || t->state == SCHED_THROTTLED) {
        return;
    }
    if (out_of_budget(t)) {
        release_insert(t);
    } else {
        ready_insert(t);
    }
}

void sched_block(struct sched_thread *t)
{
    BH_ASSERT(t != NULL && t != idle_thread);
    dequeue_any(t);
    t->state = SCHED_BLOCKED;
}

void sched_remove(struct sched_thread *t)
{
    BH_ASSERT(t != NULL && t != idle_thread);
    dequeue_any(t);
    t->state = SCHED_INACTIVE;
    if (cur == t) {
        /* It may be destroyed next: nothing may be billed to it any more. */
        cur = idle_thread;
        slice_reset = true;
    }
}

void sched_yield(void)
{
    if (cur != NULL && cur != idle_thread && cur->state == SCHED_READY) {
        ready_delete(cur);
        ready_insert(cur);
        slice_reset = true;
    }
}

/* Partition 0 rule: inside a window owned by partition p != 0, p's threads
 * run by priority; partition 0 threads (root task, monitors) run only when p
 * has nothing runnable, i.e. in p's slack. Windows owned by 0 and gaps run
 * partition 0 only. Partitions other than p never run. This keeps the
 * guarantee each partition gets from its windows (the owner always wins, at
 * any priority) while the trusted system partition needs no windows of its
 * own to make progress. */
struct sched_thread *sched_choose(uint64_t now)
{
    struct sched_thread *t;
    unsigned prio;

    if (!sched_schedule_active()) {
        t = choose_in(&rqs[0], &rqs[0], &prio);
    } else {
        uint16_t owner = partition_current(now);
        BH_ASSERT(owner < BH_SCHED_MAX_PARTITIONS);
        t = choose_in(&rqs[owner], &rqs[BH_SCHED_PARTITION_SYSTEM], &prio);
    }
    if (t == NULL) {
        t = idle_thread;
    }
    if (t != cur || slice_reset) {
        slice_start = now;
        slice_reset = false;
    }
    cur = t;
    return t;
}

struct sched_thread *sched_current(void)
{
    return cur;
}

bool sched_charge(uint64_t now, struct sched_event *ev)
{
    BH_ASSERT(now >= last_charge && now < BH_SCHED_NOW_MAX);
    uint64_t consumed = now - last_charge;
    struct sched_thread *t = cur;

    last_charge = now;
    /* A throttled thread is not running (it waits for sched_choose to pick
     * another); refilling it here would break the release queue order. */
    if (t == NULL || t->sc == NULL || t->state == SCHED_THROTTLED) {
        return false;
    }
    struct sched_context *sc = t->sc;
    if (sc_replenish(sc, now)) {
        /* A period boundary passed: only the time since the last boundary
         * counts against the fresh budget. */
        uint64_t since = now - (sc->next_release - sc->period);
        if (consumed > since) {
            consumed = since;
        }
    }
    uint64_t before = sc->remaining;
    uint64_t over = sc_charge(sc, consumed);
    if (sc->remaining != 0u || (before == 0u && over == 0u)) {
        return false;
    }
    if (t->state == SCHED_READY) {
        ready_delete(t);
        release_insert(t);
    }
    if (ev != NULL) {
        ev->sc = sc;
        ev->thread = t;
        ev->overrun = over;
    }
    return true;
}

unsigned sched_tick(uint64_t now)
{
    unsigned released = 0u;
    unsigned n = release_count;

    /* Bounded by the number of threads actually released (at most the
     * length of the release queue). */
    while (n > 0u && release_head != NULL && release_head->sc->next_release <= now) {
        struct sched_thread *t = release_head;
        release_delete(t);
        (void)sc_replenish(t->sc, now);
        ready_insert(t);
        released++;
        n--;
    }
    if (cur != NULL && cur != idle_thread && cur->state == SCHED_READY &&
        now - slice_start >= timeslice) {
        ready_delete(cur);
        ready_insert(cur);
        slice_reset = true;
    }
    return released;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

uint64_t sched_next_deadline(uint64_t now)
{
    uint64_t d = UINT64_MAX;

    if (cur != NULL && cur != idle_thread && cur->state == SCHED_READY) {
        if (cur->sc != NULL) {
            d = min_u64(d, last_charge + cur->sc->remaining);
        }
        /* The timeslice only matters if another thread shares the list. */
        if (cur->next != NULL || cur->prev != NULL) {
            d = min_u64(d, slice_start + timeslice);
        }
    }
    if (release_head != NULL) {
        d = min_u64(d, release_head->sc->next_release);
    }
    if (sched_schedule_active()) {
        d = min_u64(d, partition_next_switch(now));
    }
    return d;
}

bh_error_t sched_bind(struct sched_thread *t, struct sched_context *sc)
{
    if (t->sc != NULL || sc->thread != NULL) {
        return BH_E_IN_USE;
    }
    if (!sc->configured) {
        return BH_E_INVALID_ARGUMENT;
    }
    t->sc = sc;
    sc->thread = t;
    if (t->state == SCHED_READY && sc->remaining == 0u) {
        ready_delete(t);
        release_insert(t);
    }
    return BH_OK;
}

void sched_unbind(struct sched_thread *t)
{
    if (t->sc == NULL) {
        return;
    }
    if (t->state == SCHED_THROTTLED) {
        release_delete(t);
        t->sc->thread = NULL;
        t->sc = NULL;
        ready_insert(t);
        return;
    }
    t->sc->thread = NULL;
    t->sc = NULL;
}

unsigned sched_nonsystem_ready(void)
{
    return nonsystem_ready;
}

const struct sched_rq *sched_debug_rq(unsigned q)
{
    BH_ASSERT(q < BH_SCHED_MAX_PARTITIONS);
    return &rqs[q];
}

const struct sched_thread *sched_debug_release_head(void)
{
    return release_head;
}
