/*
 * Portable scheduler: ready queues with a two-level priority bitmap, choice,
 * thread state changes, budget charging, the release queue and the timer
 * deadline. Design and rules: kernel/core/SCHED.md.
 *
 * SMP: every CPU has its own struct sched_cpu (queues, current and idle
 * thread, release queue, accounting); a thread lives in the queues of exactly
 * one CPU (sched_thread.cpu). The kernel lock serialises all of it, so the
 * proved queue functions below stay sequential: they take the queue set they
 * work on by pointer and never look at which CPU it belongs to.
 */
#include <kernel/assert.h>
#include <kernel/sched.h>

/*@
    // Two facts about 64-bit words the SMT solvers cannot do over unbounded
    // integers; trusted, and checked for every bit position by
    // tests/unit/sched (test_bit_facts). Here, not in sched.h: an axiom or
    // lemma is a hypothesis of every goal of every file that sees it, and
    // only the ready-queue proofs use these.
    axiomatic BitFacts {
      axiom top_bit: \forall integer x, r; 0 <= x < 18446744073709551616 && 0 <= r < 64 &&
          (x >> r) != 0 && (r == 63 || (x >> (r + 1)) == 0) ==> bit(x, r);
      axiom shift_mono: \forall integer x, r, k; 0 <= x && 0 <= r <= k && (x >> r) == 0 ==>
          (x >> k) == 0;
    }

    // Proved from the axioms above (proofs/core-paths.txt lists it).
    lemma bit_zero: \forall integer k; 0 <= k ==> !bit(0, k);
*/

/* One ready-queue set per partition while a time-partition schedule is
 * active (choice inside a window looks at one set, then partition 0's: O(1));
 * without a schedule every thread uses set 0 so round-robin spans partitions.
 * The major frame is global: every CPU applies the same windows in lockstep. */
/* Not static: the public contracts in sched.h name them (no other file
 * touches them). */
struct sched_cpu sched_cpus[SCHED_MAX_CPUS];

static unsigned self;      /* the CPU holding the kernel lock */
static unsigned ncpus = 1; /* CPUs threads may be placed on */
uint32_t sched_kick_mask;  /* CPUs to interrupt when the lock is released */
unsigned sched_nonsystem;  /* READY threads of partitions != 0, all CPUs */
static uint64_t timeslice;

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
    /* Stated with bit() as well: CVC4 gets from a zero shift to a clear bit
     * inside this one quantified fact, not across two. */
    /*@ assert \forall integer k; r < k < 64 ==> (x >> k) == 0 && !bit(x, k); */
    return r;
}

/* ---- ready queue operations ---- */

/* The bitmap half of rq_enqueue (as rq_bits_removed): sets bit b of word w
 * and the word's summary bit; the list of priority 64 * w + b is not empty,
 * the bits agree with the heads everywhere else. */
/*@ requires \valid(rq);
    requires w < 4 && b < 64;
    requires rq_summary_ok(rq) && rq_ends_ok(rq);
    requires \forall integer w2, b2; 0 <= w2 < 4 && 0 <= b2 < 64 && (w2 != w || b2 != b) ==>
        (bit(rq->words[w2], b2) <==> rq->head[64 * w2 + b2] != \null);
    requires rq->head[64 * w + b] != \null;
    assigns rq->summary, rq->words[0 .. 3];
    ensures rq_summary_ok(rq);
    ensures rq_bits_ok(rq);
    ensures rq_ends_ok(rq);
*/
static void rq_bits_added(struct sched_rq *rq, unsigned w, unsigned b)
{
    uint64_t word = bit_set(rq->words[w], b);
    rq->words[w] = word;
    /*@ assert same_word: \forall integer b2; 0 <= b2 < 64 ==>
            (bit(rq->words[w], b2) <==> rq->head[64 * w + b2] != \null); */
    /*@ assert other_words: \forall integer w2, b2; 0 <= w2 < 4 && w2 != w && 0 <= b2 < 64 ==>
            (bit(rq->words[w2], b2) <==> rq->head[64 * w2 + b2] != \null); */
    rq->summary = bit_set(rq->summary, w);
}

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
    rq_bits_added(rq, w, b);
}

/* The bitmap half of rq_dequeue, in its own function so that its goals carry
 * none of the list updates: clears bit b of word w if the list of priority
 * 64 * w + b became empty, and the word's summary bit if the word became 0.
 * On entry the bits agree with the heads everywhere but at that priority,
 * whose bit is still set. The caller reads the head (empty): an index
 * 64u * w + b here would be a to_uint32 term the provers do not see through
 * (rq_bits_ok then timed out). */
/*@ requires \valid(rq);
    requires w < 4 && b < 64;
    requires rq_summary_ok(rq) && rq_ends_ok(rq);
    requires \forall integer w2, b2; 0 <= w2 < 4 && 0 <= b2 < 64 && (w2 != w || b2 != b) ==>
        (bit(rq->words[w2], b2) <==> rq->head[64 * w2 + b2] != \null);
    requires bit(rq->words[w], b);
    requires empty <==> rq->head[64 * w + b] == \null;
    assigns rq->summary, rq->words[0 .. 3];
    ensures rq_summary_ok(rq);
    ensures rq_bits_ok(rq);
    ensures rq_ends_ok(rq);
*/
static void rq_bits_removed(struct sched_rq *rq, unsigned w, unsigned b, bool empty)
{
    if (empty) {
        uint64_t word = bit_clear(rq->words[w], b);
        rq->words[w] = word;
        /*@ assert same_word: \forall integer b2; 0 <= b2 < 64 ==>
                (bit(rq->words[w], b2) <==> rq->head[64 * w + b2] != \null); */
        /*@ assert other_words: \forall integer w2, b2;
                0 <= w2 < 4 && w2 != w && 0 <= b2 < 64 ==>
                (bit(rq->words[w2], b2) <==> rq->head[64 * w2 + b2] != \null); */
        /* A hint for the provers: only word w changed. */
        /*@ assert other_words_kept: \forall integer w2; 0 <= w2 < 4 && w2 != w ==>
                rq->words[w2] == \at(rq->words[w2], Pre); */
        if (rq->words[w] == 0u) {
            rq->summary = bit_clear(rq->summary, w);
        }
    }
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
    /*@ assert bit(rq->words[w], b); */
    rq_bits_removed(rq, w, b, rq->head[p] == NULL);
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

/* ---- helpers over the per-CPU state ---- */

/*@ requires self < SCHED_MAX_CPUS;
    assigns \nothing;
    ensures \result == &sched_cpus[self]; */
static struct sched_cpu *me(void)
{
    return &sched_cpus[self];
}

/*@ requires \valid_read(t) && t->cpu < SCHED_MAX_CPUS;
    assigns \nothing;
    ensures \result == &sched_cpus[t->cpu]; */
static struct sched_cpu *home(const struct sched_thread *t)
{
    BH_ASSERT(t->cpu < SCHED_MAX_CPUS);
    return &sched_cpus[t->cpu];
}

/* The ready-queue set t belongs in: its partition's with a schedule, else 0.
 * Whether a schedule is active lives in partition.c: the contract says "one
 * of the two". */
/*@ requires \valid_read(t);
    assigns \nothing;
    ensures \result == 0 || \result == t->partition; */
static unsigned queue_of(const struct sched_thread *t)
{
    return sched_schedule_active() ? t->partition : 0u;
}

/* Should t, just queued on another CPU, take that CPU from what runs there?
 * With a schedule the window owner decides regardless of priority: kick. */
/*@ requires \valid_read(t) && t->cpu < SCHED_MAX_CPUS;
    requires sched_cpus[t->cpu].cur == \null || \valid_read(sched_cpus[t->cpu].cur);
    assigns sched_kick_mask;
    ensures t->cpu == self ==> sched_kick_mask == \old(sched_kick_mask);
    ensures sched_kick_mask == \old(sched_kick_mask) ||
            sched_kick_mask == (\old(sched_kick_mask) | (1 << t->cpu));
    ensures t->cpu != self &&
            (sched_cpus[t->cpu].cur == sched_cpus[t->cpu].idle ||
             sched_cpus[t->cpu].cur == \null || t->prio > sched_cpus[t->cpu].cur->prio) ==>
            sched_kick_mask == (\old(sched_kick_mask) | (1 << t->cpu));
*/
static void kick_if_preempts(const struct sched_thread *t)
{
    if (t->cpu == self) {
        return; /* this CPU chooses again before it leaves the kernel */
    }
    const struct sched_cpu *c = home(t);
    if (c->cur == c->idle || c->cur == NULL || sched_schedule_active() || t->prio > c->cur->prio) {
        sched_kick_mask |= 1u << t->cpu;
    }
}

/* t joins the tail of its list in the queue set of its partition (set 0
 * without a schedule) on its CPU; sched_nonsystem counts it. */
/*@ requires \valid(t) && t->cpu < SCHED_MAX_CPUS && t->partition < BH_SCHED_MAX_PARTITIONS;
    requires \separated(t, &sched_cpus[0 .. SCHED_MAX_CPUS - 1]);
    requires rq_ok(&sched_cpus[t->cpu].rqs[0]) && rq_ok(&sched_cpus[t->cpu].rqs[t->partition]);
    requires rq_tail_ok(&sched_cpus[t->cpu].rqs[0], t) &&
             rq_tail_ok(&sched_cpus[t->cpu].rqs[t->partition], t);
    requires t->partition != BH_SCHED_PARTITION_SYSTEM ==> sched_nonsystem < 4294967295;
    assigns t->queue, t->state, t->next, t->prev, sched_nonsystem,
            sched_cpus[t->cpu].rqs[0].summary, sched_cpus[t->cpu].rqs[0].words[0 .. 3],
            sched_cpus[t->cpu].rqs[0].head[t->prio], sched_cpus[t->cpu].rqs[0].tail[t->prio],
            sched_cpus[t->cpu].rqs[0].tail[t->prio]->next,
            sched_cpus[t->cpu].rqs[t->partition].summary,
            sched_cpus[t->cpu].rqs[t->partition].words[0 .. 3],
            sched_cpus[t->cpu].rqs[t->partition].head[t->prio],
            sched_cpus[t->cpu].rqs[t->partition].tail[t->prio],
            sched_cpus[t->cpu].rqs[t->partition].tail[t->prio]->next;
    ensures t->queue == 0 || t->queue == t->partition;
    ensures t->state == SCHED_READY;
    ensures rq_ok(&sched_cpus[t->cpu].rqs[t->queue]);
    ensures sched_cpus[t->cpu].rqs[t->queue].tail[t->prio] == t;
    ensures sched_cpus[t->cpu].rqs[t->queue].head[t->prio] != \null;
    ensures t->next == \null;
    ensures \let q = t->queue; t->prev == \old(sched_cpus[t->cpu].rqs[q].tail[t->prio]);
    ensures \let q = t->queue; \old(sched_cpus[t->cpu].rqs[q].head[t->prio]) != \null ==>
            sched_cpus[t->cpu].rqs[q].head[t->prio] ==
                \old(sched_cpus[t->cpu].rqs[q].head[t->prio]);
    ensures \let q = t->queue; \old(sched_cpus[t->cpu].rqs[q].tail[t->prio]) != \null ==>
            \old(sched_cpus[t->cpu].rqs[q].tail[t->prio])->next == t;
    ensures t->partition != BH_SCHED_PARTITION_SYSTEM ==>
            sched_nonsystem == \old(sched_nonsystem) + 1;
    ensures t->partition == BH_SCHED_PARTITION_SYSTEM ==>
            sched_nonsystem == \old(sched_nonsystem);
*/
static void ready_insert(struct sched_thread *t)
{
    unsigned q = queue_of(t);

    BH_ASSERT(q < BH_SCHED_MAX_PARTITIONS);
    t->queue = (uint16_t)q;
    t->state = SCHED_READY;
    rq_enqueue(&home(t)->rqs[q], t);
    if (t->partition != BH_SCHED_PARTITION_SYSTEM) {
        sched_nonsystem++;
    }
}

/* t leaves its list; its state is left to the caller. */
/*@ requires \valid(t) && t->cpu < SCHED_MAX_CPUS;
    requires t->state == SCHED_READY && t->queue < BH_SCHED_MAX_PARTITIONS;
    requires \separated(t, &sched_cpus[0 .. SCHED_MAX_CPUS - 1]);
    requires rq_ok(&sched_cpus[t->cpu].rqs[t->queue]);
    requires rq_linked(&sched_cpus[t->cpu].rqs[t->queue], t);
    requires t->partition != BH_SCHED_PARTITION_SYSTEM ==> sched_nonsystem > 0;
    assigns t->next, t->prev, t->prev->next, t->next->prev, sched_nonsystem,
            sched_cpus[t->cpu].rqs[t->queue].summary,
                sched_cpus[t->cpu].rqs[t->queue].words[0 .. 3],
            sched_cpus[t->cpu].rqs[t->queue].head[t->prio],
                sched_cpus[t->cpu].rqs[t->queue].tail[t->prio];
    ensures rq_ok(&sched_cpus[t->cpu].rqs[t->queue]);
    ensures t->next == \null && t->prev == \null;
    ensures sched_cpus[t->cpu].rqs[t->queue].head[t->prio] != t;
    ensures sched_cpus[t->cpu].rqs[t->queue].tail[t->prio] != t;
    ensures sched_cpus[t->cpu].rqs[t->queue].head[t->prio] == \null <==>
            (\old(t->prev) == \null && \old(t->next) == \null);
    ensures t->partition != BH_SCHED_PARTITION_SYSTEM ==>
            sched_nonsystem == \old(sched_nonsystem) - 1;
    ensures t->partition == BH_SCHED_PARTITION_SYSTEM ==>
            sched_nonsystem == \old(sched_nonsystem);
*/
static void ready_delete(struct sched_thread *t)
{
    BH_ASSERT(t->state == SCHED_READY && t->queue < BH_SCHED_MAX_PARTITIONS);
    rq_dequeue(&home(t)->rqs[t->queue], t);
    if (t->partition != BH_SCHED_PARTITION_SYSTEM) {
        BH_ASSERT(sched_nonsystem > 0u);
        sched_nonsystem--;
    }
}

/* ---- release queue (throttled threads, sorted by sc->next_release) ---- */

/* The entry t goes after (NULL: the head): walks at most release_count
 * entries, past every one released no later than t. */
/*@ requires \valid_read(t) && t->cpu < SCHED_MAX_CPUS && \valid_read(t->sc);
    requires \separated(t, &sched_cpus[0 .. SCHED_MAX_CPUS - 1]);
    requires rel_chain(sched_cpus[t->cpu].release_head, sched_cpus[t->cpu].release_count, t);
    assigns \nothing;
    ensures \result == rel_pos(&sched_cpus[t->cpu], t->sc->next_release);
    ensures \result != \null ==>
            \valid(\result) && \separated(\result, t) &&
            \separated(\result, &sched_cpus[0 .. SCHED_MAX_CPUS - 1]) &&
            \result->sc->next_release <= t->sc->next_release;
    ensures \result != \null && \result->next != \null ==> \separated(\result, \result->next);
    ensures \let it = (\result == \null ? sched_cpus[t->cpu].release_head : \result->next);
            it != \null ==>
            \valid(it) && \valid_read(it->sc) && \separated(it, t) &&
            \separated(it, &sched_cpus[0 .. SCHED_MAX_CPUS - 1]) &&
            it->sc->next_release > t->sc->next_release;
*/
static struct sched_thread *release_find(const struct sched_thread *t)
{
    const struct sched_cpu *c = home(t);
    uint64_t when = t->sc->next_release;
    struct sched_thread *prev = NULL;
    struct sched_thread *it = c->release_head;
    unsigned n = c->release_count;

    /*@ loop invariant n <= c->release_count;
        loop invariant rel_chain(it, n, t);
        loop invariant rel_spot(prev, it, n, when) == rel_pos(c, when);
        loop invariant c == &sched_cpus[t->cpu];
        loop invariant prev == \null ==> it == c->release_head;
        loop invariant prev != \null ==>
            \valid(prev) && \separated(prev, t) &&
            \separated(prev, &sched_cpus[0 .. SCHED_MAX_CPUS - 1]) &&
            prev->next == it && prev->sc->next_release <= when;
        loop invariant prev != \null && it != \null ==> \separated(prev, it);
        loop assigns prev, it, n;
        loop variant n;
    */
    while (it != NULL && n > 0u && it->sc->next_release <= when) {
        prev = it;
        it = it->next;
        n--;
    }
    return prev;
}

/* Links t in after prev (NULL: at the head). */
/*@ requires \valid(c) && \valid(t) && \separated(t, c);
    requires prev == \null || (\valid(prev) && \separated(prev, t) && \separated(prev, c));
    requires \let it = (prev == \null ? c->release_head : prev->next);
             it == \null || (\valid(it) && \separated(it, t) && \separated(it, c) &&
                             (prev == \null || \separated(prev, it)));
    assigns t->prev, t->next, c->release_head, prev->next,
            (prev == \null ? c->release_head : prev->next)->prev;
    ensures t->prev == prev;
    ensures t->next == \old(prev == \null ? c->release_head : prev->next);
    ensures prev == \null ==> c->release_head == t;
    ensures prev != \null ==> c->release_head == \old(c->release_head) && prev->next == t;
    ensures t->next != \null ==> t->next->prev == t;
    // The contexts (the sort keys) stay where they were.
    ensures t->sc == \old(t->sc);
    ensures prev != \null ==> prev->sc == \old(prev->sc);
    ensures t->next != \null ==>
            t->next->sc == \old((prev == \null ? c->release_head : prev->next)->sc);
*/
static void release_link(struct sched_cpu *c, struct sched_thread *t, struct sched_thread *prev)
{
    struct sched_thread *it = prev != NULL ? prev->next : c->release_head;

    t->prev = prev;
    t->next = it;
    if (prev != NULL) {
        prev->next = t;
    } else {
        c->release_head = t;
    }
    if (it != NULL) {
        it->prev = t;
    }
}

/* Sorted insert into t's CPU's release queue, after every entry released no
 * later than t (FIFO on ties): t becomes THROTTLED. */
/*@ requires \valid(t) && t->cpu < SCHED_MAX_CPUS && \valid_read(t->sc);
    requires \separated(t, &sched_cpus[0 .. SCHED_MAX_CPUS - 1]);
    requires rel_chain(sched_cpus[t->cpu].release_head, sched_cpus[t->cpu].release_count, t);
    requires sched_cpus[t->cpu].release_count < 4294967295;
    assigns t->prev, t->next, t->state, sched_cpus[t->cpu].release_head,
            sched_cpus[t->cpu].release_count,
            rel_pos(&sched_cpus[t->cpu], t->sc->next_release)->next,
            (rel_pos(&sched_cpus[t->cpu], t->sc->next_release) == \null ?
                 sched_cpus[t->cpu].release_head :
                 rel_pos(&sched_cpus[t->cpu], t->sc->next_release)->next)->prev;
    ensures t->state == SCHED_THROTTLED;
    ensures sched_cpus[t->cpu].release_count == \old(sched_cpus[t->cpu].release_count) + 1;
    ensures t->prev == \at(rel_pos(&sched_cpus[t->cpu], t->sc->next_release), Pre);
    ensures t->prev == \null ==>
            sched_cpus[t->cpu].release_head == t &&
            t->next == \old(sched_cpus[t->cpu].release_head);
    ensures t->prev != \null ==>
            sched_cpus[t->cpu].release_head == \old(sched_cpus[t->cpu].release_head) &&
            t->prev->next == t && \let p = t->prev; t->next == \at(p->next, Pre);
    ensures t->next != \null ==> t->next->prev == t;
    ensures t->prev != \null ==> t->prev->sc->next_release <= t->sc->next_release;
    ensures t->next != \null ==> t->sc->next_release < t->next->sc->next_release;
*/
static void release_insert(struct sched_thread *t)
{
    struct sched_cpu *c = home(t);
    struct sched_thread *prev = release_find(t);

    release_link(c, t, prev);
    c->release_count++;
    t->state = SCHED_THROTTLED;
}

/* t leaves the release queue; its state is left to the caller. */
/*@ requires \valid(t) && t->cpu < SCHED_MAX_CPUS;
    requires \separated(t, &sched_cpus[0 .. SCHED_MAX_CPUS - 1]);
    requires t->state == SCHED_THROTTLED && sched_cpus[t->cpu].release_count > 0;
    requires rel_linked(&sched_cpus[t->cpu], t);
    assigns t->next, t->prev, t->prev->next, t->next->prev, sched_cpus[t->cpu].release_head,
            sched_cpus[t->cpu].release_count;
    ensures t->next == \null && t->prev == \null;
    ensures sched_cpus[t->cpu].release_count == \old(sched_cpus[t->cpu].release_count) - 1;
    ensures \old(t->prev) == \null ==> sched_cpus[t->cpu].release_head == \old(t->next);
    ensures \old(t->prev) != \null ==>
            sched_cpus[t->cpu].release_head == \old(sched_cpus[t->cpu].release_head) &&
            \old(t->prev)->next == \old(t->next);
    ensures \old(t->next) != \null ==> \old(t->next)->prev == \old(t->prev);
    ensures sched_cpus[t->cpu].release_head != t;
*/
static void release_delete(struct sched_thread *t)
{
    struct sched_cpu *c = home(t);
    BH_ASSERT(t->state == SCHED_THROTTLED && c->release_count > 0u);
    if (t->prev != NULL) {
        t->prev->next = t->next;
    } else {
        c->release_head = t->next;
    }
    if (t->next != NULL) {
        t->next->prev = t->prev;
    }
    t->next = NULL;
    t->prev = NULL;
    c->release_count--;
}

/*@ requires \valid_read(t) && (t->sc == \null || \valid_read(t->sc));
    assigns \nothing;
    ensures \result <==> t->sc != \null && t->sc->remaining == 0; */
static bool out_of_budget(const struct sched_thread *t)
{
    return t->sc != NULL && t->sc->remaining == 0u;
}

/* Leaves every queue; the state is set by the caller. */
/*@ requires \valid(t) && t->cpu < SCHED_MAX_CPUS;
    requires \separated(t, &sched_cpus[0 .. SCHED_MAX_CPUS - 1]);
    requires sched_linked(t);
    assigns t->next, t->prev, t->prev->next, t->next->prev, sched_nonsystem,
            sched_cpus[t->cpu].rqs[t->queue].summary,
                sched_cpus[t->cpu].rqs[t->queue].words[0 .. 3],
            sched_cpus[t->cpu].rqs[t->queue].head[t->prio],
                sched_cpus[t->cpu].rqs[t->queue].tail[t->prio],
            sched_cpus[t->cpu].release_head, sched_cpus[t->cpu].release_count;
    behavior ready:
      assumes t->state == SCHED_READY;
      assigns t->next, t->prev, t->prev->next, t->next->prev, sched_nonsystem,
              sched_cpus[t->cpu].rqs[t->queue].summary,
                  sched_cpus[t->cpu].rqs[t->queue].words[0 .. 3],
              sched_cpus[t->cpu].rqs[t->queue].head[t->prio],
              sched_cpus[t->cpu].rqs[t->queue].tail[t->prio];
      ensures sched_ready_removed{Pre, Post}(t);
    behavior throttled:
      assumes t->state == SCHED_THROTTLED;
      assigns t->next, t->prev, t->prev->next, t->next->prev, sched_cpus[t->cpu].release_head,
              sched_cpus[t->cpu].release_count;
      ensures sched_release_removed{Pre, Post}(t);
    behavior unqueued:
      assumes t->state != SCHED_READY && t->state != SCHED_THROTTLED;
      assigns \nothing;
      ensures sched_unqueued_kept{Pre, Post}(t);
    complete behaviors;
    disjoint behaviors;
*/
static void dequeue_any(struct sched_thread *t)
{
    if (t->state == SCHED_READY) {
        ready_delete(t);
    } else if (t->state == SCHED_THROTTLED) {
        release_delete(t);
    }
}

/* Moves t, which no CPU is running, into the queues of its affinity CPU. */
static void relocate(struct sched_thread *t)
{
    if (t->cpu == t->affinity) {
        return;
    }
    uint8_t state = t->state;
    dequeue_any(t);
    t->cpu = t->affinity;
    if (state == SCHED_READY) {
        ready_insert(t);
        kick_if_preempts(t);
    } else if (state == SCHED_THROTTLED) {
        release_insert(t);
        sched_kick_mask |= t->cpu != self ? 1u << t->cpu : 0u; /* its timer must see the release */
    }
}

/* c stops running its current thread: a migration it delayed happens now. */
static void let_go(struct sched_cpu *c)
{
    struct sched_thread *t = c->cur;
    c->cur = c->idle;
    c->slice_reset = true;
    if (t != NULL && t != c->idle) {
        relocate(t);
    }
}

/* ---- public interface ---- */

/*@ predicate rq_zero(struct sched_rq *rq) =
        rq->summary == 0 && (\forall integer w; 0 <= w < 4 ==> rq->words[w] == 0) &&
        (\forall integer p; 0 <= p < BH_SCHED_NUM_PRIOS ==>
            rq->head[p] == \null && rq->tail[p] == \null);
*/

/* Empties one queue set: no bit set, every list empty. */
/*@ requires \valid(rq);
    assigns rq->summary, rq->words[0 .. 3], rq->head[0 .. BH_SCHED_NUM_PRIOS - 1],
            rq->tail[0 .. BH_SCHED_NUM_PRIOS - 1];
    ensures rq_zero(rq);
*/
static void rq_reset(struct sched_rq *rq)
{
    rq->summary = 0u;
    /*@ loop invariant 0 <= w <= 4;
        loop invariant \forall integer k; 0 <= k < w ==> rq->words[k] == 0;
        loop assigns w, rq->words[0 .. 3];
        loop variant 4 - w;
    */
    for (unsigned w = 0; w < 4u; w++) {
        rq->words[w] = 0u;
    }
    /*@ loop invariant 0 <= p <= BH_SCHED_NUM_PRIOS;
        loop invariant \forall integer k; 0 <= k < p ==> rq->head[k] == \null && rq->tail[k] == \null;
        loop assigns p, rq->head[0 .. BH_SCHED_NUM_PRIOS - 1], rq->tail[0 .. BH_SCHED_NUM_PRIOS - 1];
        loop variant BH_SCHED_NUM_PRIOS - p;
    */
    for (unsigned p = 0; p < BH_SCHED_NUM_PRIOS; p++) {
        rq->head[p] = NULL;
        rq->tail[p] = NULL;
    }
}

/* Empties every queue of c; idle runs. The scalar fields first: the loop
 * then leaves them alone (its assigns), and no frame crosses the queues. */
/*@ requires \valid(c);
    assigns *c;
    ensures \forall integer q; 0 <= q < BH_SCHED_MAX_PARTITIONS ==> rq_ok(&c->rqs[q]);
    ensures c->idle == idle && c->cur == idle && c->release_head == \null &&
            c->release_count == 0 && c->last_charge == now && c->slice_start == now &&
            c->slice_reset == \false;
*/
static void cpu_reset(struct sched_cpu *c, struct sched_thread *idle, uint64_t now)
{
    c->idle = idle;
    c->cur = idle;
    c->release_head = NULL;
    c->release_count = 0u;
    c->last_charge = now;
    c->slice_start = now;
    c->slice_reset = false;
    /*@ loop invariant 0 <= q <= BH_SCHED_MAX_PARTITIONS;
        loop invariant \forall integer k; 0 <= k < q ==> rq_zero(&c->rqs[k]);
        loop assigns q, c->rqs[0 .. BH_SCHED_MAX_PARTITIONS - 1];
        loop variant BH_SCHED_MAX_PARTITIONS - q;
    */
    for (unsigned q = 0; q < BH_SCHED_MAX_PARTITIONS; q++) {
        rq_reset(&c->rqs[q]);
    }
    /* No bit of 0 is set (bit_zero), step by step for the provers. */
    /*@ assert \forall integer q, w; 0 <= q < BH_SCHED_MAX_PARTITIONS && 0 <= w < 64 ==>
               !bit(c->rqs[q].summary, w); */
    /*@ assert \forall integer q, w, b;
               0 <= q < BH_SCHED_MAX_PARTITIONS && 0 <= w < 4 && 0 <= b < 64 ==>
               !bit(c->rqs[q].words[w], b); */
    /*@ assert \forall integer q; 0 <= q < BH_SCHED_MAX_PARTITIONS ==>
               rq_summary_ok(&c->rqs[q]); */
    /*@ assert \forall integer q; 0 <= q < BH_SCHED_MAX_PARTITIONS ==> rq_bits_ok(&c->rqs[q]); */
    /*@ assert \forall integer q; 0 <= q < BH_SCHED_MAX_PARTITIONS ==> rq_ends_ok(&c->rqs[q]); */
}

void sched_init(struct sched_thread *idle, uint64_t slice, uint64_t now)
{
    BH_ASSERT(idle != NULL && slice > 0u && now < BH_SCHED_NOW_MAX);
    for (unsigned i = 0; i < SCHED_MAX_CPUS; i++) {
        cpu_reset(&sched_cpus[i], NULL, now);
    }
    self = 0u;
    ncpus = 1u;
    sched_kick_mask = 0u;
    sched_nonsystem = 0u;
    timeslice = slice;
    sched_thread_init(idle, 0u, BH_SCHED_PARTITION_SYSTEM);
    sched_cpus[0].idle = idle;
    sched_cpus[0].cur = idle;
    (void)sched_set_schedule(NULL, now);
}

/*@ requires cpu < SCHED_MAX_CPUS && now < BH_SCHED_NOW_MAX && \valid(idle);
    requires \separated(idle, &sched_cpus[0 .. SCHED_MAX_CPUS - 1]);
    assigns *idle, sched_cpus[cpu];
    ensures \forall integer q; 0 <= q < BH_SCHED_MAX_PARTITIONS ==> rq_ok(&sched_cpus[cpu].rqs[q]);
    ensures \let c = &sched_cpus[cpu];
            c->idle == idle && c->cur == idle && c->release_head == \null &&
            c->release_count == 0 && c->last_charge == now && c->slice_start == now &&
            c->slice_reset == \false;
    ensures idle->cpu == cpu && idle->affinity == cpu && idle->state == SCHED_INACTIVE &&
            idle->prio == 0 && idle->partition == BH_SCHED_PARTITION_SYSTEM && idle->sc == \null &&
            idle->next == \null && idle->prev == \null;
*/
void sched_cpu_start(unsigned cpu, struct sched_thread *idle, uint64_t now)
{
    BH_ASSERT(cpu < SCHED_MAX_CPUS && idle != NULL && now < BH_SCHED_NOW_MAX);
    sched_thread_init(idle, 0u, BH_SCHED_PARTITION_SYSTEM);
    idle->cpu = (uint8_t)cpu;
    idle->affinity = (uint8_t)cpu;
    cpu_reset(&sched_cpus[cpu], idle, now);
}

/*@ requires 1 <= n <= SCHED_MAX_CPUS;
    assigns ncpus;
    ensures ncpus == n; */
void sched_set_ncpus(unsigned n)
{
    BH_ASSERT(n >= 1u && n <= SCHED_MAX_CPUS);
    ncpus = n;
}

/*@ assigns \nothing;
    ensures \result == ncpus; */
unsigned sched_ncpus(void)
{
    return ncpus;
}

/*@ requires cpu < SCHED_MAX_CPUS;
    assigns self;
    ensures self == cpu; */
void sched_set_self(unsigned cpu)
{
    BH_ASSERT(cpu < SCHED_MAX_CPUS);
    self = cpu;
}

/*@ assigns \nothing;
    ensures \result == self; */
unsigned sched_self(void)
{
    return self;
}

/*@ requires self < SCHED_MAX_CPUS;
    assigns sched_kick_mask;
    ensures sched_kick_mask == 0;
    // The mask without this CPU's bit, as the C expression (uint32_t).
    ensures \result == (\old(sched_kick_mask) & (uint32_t)~(uint32_t)(1 << self));
*/
uint32_t sched_take_kicks(void)
{
    uint32_t k = sched_kick_mask & ~(1u << self);
    sched_kick_mask = 0u;
    return k;
}

/* Only the CPU whose queues hold t ever runs it (a migration waits for that
 * CPU to let go): one look, O(1). */
/*@ requires \valid_read(t) && t->cpu < SCHED_MAX_CPUS;
    assigns \nothing;
    ensures \result ==
            (sched_cpus[t->cpu].cur == t && t != sched_cpus[t->cpu].idle ? t->cpu : -1); */
int sched_running_on(const struct sched_thread *t)
{
    const struct sched_cpu *c = home(t);
    /* As const pointers, the type of t: plain comparisons for the proof. */
    const struct sched_thread *cur = c->cur;
    const struct sched_thread *idle = c->idle;
    return cur == t && t != idle ? (int)t->cpu : -1;
}

void sched_kick_running(const struct sched_thread *t)
{
    int c = sched_running_on(t);
    if (c >= 0 && (unsigned)c != self) {
        sched_kick_mask |= 1u << (unsigned)c;
    }
}

/*@ requires \valid(t) && partition < BH_SCHED_MAX_PARTITIONS;
    assigns *t;
    ensures t->next == \null && t->prev == \null && t->sc == \null;
    ensures t->prio == prio && t->state == SCHED_INACTIVE && t->partition == partition;
    ensures t->queue == 0 && t->cpu == 0 && t->affinity == 0; */
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
    t->cpu = 0u;
    t->affinity = 0u;
}

void sched_set_priority(struct sched_thread *t, uint8_t prio)
{
    if (t->state == SCHED_READY) {
        ready_delete(t);
        t->prio = prio;
        ready_insert(t);
        kick_if_preempts(t);
        sched_kick_running(t); /* a running thread may have lost its claim */
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
        kick_if_preempts(t);
        sched_kick_running(t);
    } else {
        t->partition = partition;
    }
    return BH_OK;
}

bh_error_t sched_set_affinity(struct sched_thread *t, unsigned cpu)
{
    if (cpu >= ncpus) {
        return BH_E_INVALID_ARGUMENT;
    }
    t->affinity = (uint8_t)cpu;
    int running = sched_running_on(t);
    if (running < 0) {
        relocate(t);
    } else if ((unsigned)running != self) {
        /* That CPU lets go of it at its next choice (let_go). */
        sched_kick_mask |= 1u << (unsigned)running;
    }
    /* Running here: this CPU's own choice on the way out moves it. */
    return BH_OK;
}

void sched_make_runnable(struct sched_thread *t)
{
    BH_ASSERT(t != NULL && t != home(t)->idle);
    if (t->state == SCHED_READY || t->state == SCHED_THROTTLED) {
        return;
    }
    if (sched_running_on(t) < 0) {
        /* A blocked thread no CPU runs: the place it wakes up is its affinity. */
        t->cpu = t->affinity;
    }
    if (out_of_budget(t)) {
        release_insert(t);
        sched_kick_mask |= t->cpu != self ? 1u << t->cpu : 0u; /* its timer must see the release */
    } else {
        /* The kick first: it reads nothing ready_insert writes, and the
         * proof then needs no frame for that CPU's current thread. */
        kick_if_preempts(t);
        ready_insert(t);
    }
}

void sched_block(struct sched_thread *t)
{
    BH_ASSERT(t != NULL && t != home(t)->idle);
    dequeue_any(t);
    t->state = SCHED_BLOCKED;
}

void sched_remove(struct sched_thread *t)
{
    BH_ASSERT(t != NULL && t != home(t)->idle);
    dequeue_any(t);
    t->state = SCHED_INACTIVE;
    int running = sched_running_on(t);
    if (running >= 0) {
        /* It may be destroyed next: nothing may be billed to it any more.
         * (The kernel stalled that CPU first if it is another one.) */
        let_go(&sched_cpus[running]);
    }
}

void sched_yield(void)
{
    struct sched_cpu *c = me();
    if (c->cur != NULL && c->cur != c->idle && c->cur->state == SCHED_READY) {
        ready_delete(c->cur);
        ready_insert(c->cur);
        c->slice_reset = true;
    }
}

/* Partition 0 rule: inside a window owned by partition p != 0, p's threads
 * run by priority; partition 0 threads (root task, monitors) run only when p
 * has nothing runnable, i.e. in p's slack. Windows owned by 0 and gaps run
 * partition 0 only. Partitions other than p never run. This keeps the
 * guarantee each partition gets from its windows (the owner always wins, at
 * any priority) while the trusted system partition needs no windows of its
 * own to make progress. */
/*@ // Every queue set of CPU i is consistent.
    predicate cpu_rqs_ok{L}(integer i) =
        \forall integer q; 0 <= q < BH_SCHED_MAX_PARTITIONS ==> rq_ok(&sched_cpus[i].rqs[q]);
    // t heads the highest non-empty list of rq.
    predicate rq_top_thread(struct sched_rq *rq, struct sched_thread *t) =
        \exists integer p; rq_top_is(rq, t, p);
    // The choice rule for a window owned by own: own's top thread, else
    // partition 0's, else idle.
    predicate chose_in{L}(struct sched_cpu *c, integer own, struct sched_thread *t) =
        0 <= own < BH_SCHED_MAX_PARTITIONS &&
        (!rq_empty(&c->rqs[own]) ? rq_top_thread(&c->rqs[own], t) :
         !rq_empty(&c->rqs[BH_SCHED_PARTITION_SYSTEM]) ?
             rq_top_thread(&c->rqs[BH_SCHED_PARTITION_SYSTEM], t) : t == c->idle);
*/

/* t becomes this CPU's current thread; a new timeslice starts if t is
 * another thread or one was asked for. */
/*@ requires self < SCHED_MAX_CPUS;
    assigns sched_cpus[self].cur, sched_cpus[self].slice_start, sched_cpus[self].slice_reset;
    ensures sched_cpus[self].cur == t && sched_cpus[self].slice_reset == \false;
    ensures t != \old(sched_cpus[self].cur) || \old(sched_cpus[self].slice_reset) ==>
            sched_cpus[self].slice_start == now;
    ensures t == \old(sched_cpus[self].cur) && !\old(sched_cpus[self].slice_reset) ==>
            sched_cpus[self].slice_start == \old(sched_cpus[self].slice_start);
*/
static void commit_choice(struct sched_thread *t, uint64_t now)
{
    struct sched_cpu *c = me();
    if (t != c->cur || c->slice_reset) {
        c->slice_start = now;
        c->slice_reset = false;
    }
    c->cur = t;
}

/* The choice on this CPU once a migrated current thread has been handed
 * over (sched_choose). The owner of the window (partition_current) is not
 * visible to this file's proofs: the contract says the choice follows the
 * rule for some partition, the one the code asks partition.c for. */
/*@ requires self < SCHED_MAX_CPUS && cpu_rqs_ok(self);
    assigns sched_cpus[self].cur, sched_cpus[self].slice_start, sched_cpus[self].slice_reset;
    ensures \result == sched_cpus[self].cur;
    // Stated on the queues at entry, which it does not change (assigns):
    // no frame over the bitmap through the stores of commit_choice.
    ensures \exists integer own; chose_in{Pre}(&sched_cpus[self], own, \result);
    ensures sched_cpus[self].slice_reset == \false;
    ensures \result != \old(sched_cpus[self].cur) || \old(sched_cpus[self].slice_reset) ==>
            sched_cpus[self].slice_start == now;
    ensures \result == \old(sched_cpus[self].cur) && !\old(sched_cpus[self].slice_reset) ==>
            sched_cpus[self].slice_start == \old(sched_cpus[self].slice_start);
*/
static struct sched_thread *choose_here(uint64_t now)
{
    struct sched_cpu *c = me();
    struct sched_thread *t;
    unsigned own = BH_SCHED_PARTITION_SYSTEM;
    unsigned prio = 0u;

    if (sched_schedule_active()) {
        uint16_t owner = partition_current(now);
        /* Always below the limit (partition.c proves it; this file's proofs
         * cannot see that contract): checked rather than asserted. */
        if (owner < BH_SCHED_MAX_PARTITIONS) {
            own = owner;
        }
    }
    /*@ assert rq_ok(&c->rqs[own]) && rq_ok(&c->rqs[BH_SCHED_PARTITION_SYSTEM]); */
    t = choose_in(&c->rqs[own], &c->rqs[BH_SCHED_PARTITION_SYSTEM], &prio);
    if (t == NULL) {
        t = c->idle;
    }
    /*@ assert chose_in(c, own, t); */
    commit_choice(t, now);
    return t;
}

struct sched_thread *sched_choose(uint64_t now)
{
    struct sched_cpu *c = me();

    if (c->cur != NULL && c->cur != c->idle && c->cur->affinity != c->cur->cpu) {
        let_go(c); /* migrated while it ran here: hand it to its new CPU */
    }
    return choose_here(now);
}

/*@ requires self < SCHED_MAX_CPUS;
    assigns \nothing;
    ensures \result == sched_cpus[self].cur; */
struct sched_thread *sched_current(void)
{
    return me()->cur;
}

/*@ // A context sc_charge and sc_replenish accept (sc_configure made it).
    predicate sc_ok(struct sched_context *sc) =
        sc->configured && 0 < sc->period <= BH_SCHED_TIME_MAX &&
        sc->next_release < BH_SCHED_NOW_MAX && sc->remaining <= sc->budget;
    // The ticks billed: since the last charge (0 if another CPU's clock was
    // ahead), after a replenishment at most the time since the boundary.
    logic integer sc_used(integer now, integer last) = now >= last ? now - last : 0;
    logic integer sc_billed(integer used, integer since) = used < since ? used : since;
*/

/* The accounting half of sched_charge: bills the time since the last charge
 * to the current thread's context, replenishing it first if a period
 * boundary passed. True if this charge used the budget up; *over: the ticks
 * beyond it. */
/*@ requires self < SCHED_MAX_CPUS && now < BH_SCHED_NOW_MAX;
    requires \valid(over) && \separated(over, &sched_cpus[0 .. SCHED_MAX_CPUS - 1]);
    requires \let t = sched_cpus[self].cur;
             t != \null ==>
             \valid_read(t) &&
             (t->sc == \null ||
              (\valid(t->sc) && sc_ok(t->sc) && \separated(t->sc, over) &&
               \separated(t->sc, &sched_cpus[0 .. SCHED_MAX_CPUS - 1])));
    assigns sched_cpus[self].last_charge, *over, sched_cpus[self].cur->sc->remaining,
            sched_cpus[self].cur->sc->next_release, sched_cpus[self].cur->sc->overruns;
    ensures sched_cpus[self].last_charge ==
            (now > \old(sched_cpus[self].last_charge) ? now : \old(sched_cpus[self].last_charge));
    behavior not_billed:
      assumes \let t = sched_cpus[self].cur;
              t == \null || t->sc == \null || t->state == SCHED_THROTTLED;
      assigns sched_cpus[self].last_charge;
      ensures \result == \false;
    behavior billed:
      assumes \let t = sched_cpus[self].cur;
              t != \null && t->sc != \null && t->state != SCHED_THROTTLED;
      // Never below zero, never above the budget.
      ensures \let sc = \old(sched_cpus[self].cur->sc); sc->remaining <= sc->budget;
      // Before the release time: no refill, the time used is billed exactly.
      ensures \let sc = \old(sched_cpus[self].cur->sc);
              \let used = sc_used(now, \old(sched_cpus[self].last_charge));
              now < \old(sc->next_release) ==>
              sc->next_release == \old(sc->next_release) &&
              (used <= \old(sc->remaining) ?
                   sc->remaining == \old(sc->remaining) - used && *over == 0 :
                   sc->remaining == 0 && *over == used - \old(sc->remaining));
      // At or after it: the release moves on by whole periods past now, a
      // full budget is billed the time since the last boundary at most.
      ensures \let sc = \old(sched_cpus[self].cur->sc);
              \let used = sc_used(now, \old(sched_cpus[self].last_charge));
              \let b = sc_billed(used, now - (sc->next_release - sc->period));
              now >= \old(sc->next_release) ==>
              sc->next_release > now && sc->next_release - sc->period <= now &&
              sc->next_release > \old(sc->next_release) &&
              (sc->next_release - \old(sc->next_release)) % sc->period == 0 &&
              (b <= sc->budget ? sc->remaining == sc->budget - b && *over == 0 :
                                 sc->remaining == 0 && *over == b - sc->budget);
      // Reported once: when this charge took the last of the budget.
      ensures \let sc = \old(sched_cpus[self].cur->sc);
              \result <==>
              sc->remaining == 0 &&
              (*over != 0 ||
               (now >= \old(sc->next_release) ? sc->budget != 0 : \old(sc->remaining) != 0));
    complete behaviors;
    disjoint behaviors;
*/
static bool bill(uint64_t now, uint64_t *over)
{
    struct sched_cpu *c = me();
    /* Each CPU reads the shared system counter itself: never earlier than its
     * own last charge, but another CPU's time may be a little ahead. */
    uint64_t consumed = now >= c->last_charge ? now - c->last_charge : 0u;
    struct sched_thread *t = c->cur;

    if (now > c->last_charge) {
        c->last_charge = now;
    }
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
    *over = sc_charge(sc, consumed);
    return sc->remaining == 0u && (before != 0u || *over != 0u);
}

bool sched_charge(uint64_t now, struct sched_event *ev)
{
    BH_ASSERT(now < BH_SCHED_NOW_MAX);
    uint64_t over = 0u;

    if (!bill(now, &over)) {
        return false;
    }
    struct sched_thread *t = me()->cur;
    struct sched_context *sc = t->sc;
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
    struct sched_cpu *c = me();
    unsigned released = 0u;
    unsigned n = c->release_count;

    /* Bounded by the number of threads actually released (at most the
     * length of the release queue). */
    while (n > 0u && c->release_head != NULL && c->release_head->sc->next_release <= now) {
        struct sched_thread *t = c->release_head;
        release_delete(t);
        (void)sc_replenish(t->sc, now);
        ready_insert(t);
        released++;
        n--;
    }
    if (c->cur != NULL && c->cur != c->idle && c->cur->state == SCHED_READY &&
        now >= c->slice_start && now - c->slice_start >= timeslice) {
        ready_delete(c->cur);
        ready_insert(c->cur);
        c->slice_reset = true;
    }
    return released;
}

/*@ assigns \nothing;
    ensures \result == (a < b ? a : b); */
static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/*@ // Of CPU c's current thread: it counts for the deadline.
    predicate cur_counts{L}(struct sched_cpu *c) =
        c->cur != \null && c->cur != c->idle && c->cur->state == SCHED_READY;
*/

/* The timer fires no later than the current thread's budget end, the
 * timeslice end when it shares its list, and the first release. (The
 * window boundary comes from partition.c, whose contract this file does not
 * see.) */
/*@ requires self < SCHED_MAX_CPUS;
    requires \let c = &sched_cpus[self];
             c->cur != \null && c->cur != c->idle ==>
             \valid_read(c->cur) && (c->cur->sc == \null || \valid_read(c->cur->sc));
    requires \let c = &sched_cpus[self];
             c->release_head != \null ==>
             \valid_read(c->release_head) && \valid_read(c->release_head->sc);
    // Times stay far below 2^64 (BH_SCHED_NOW_MAX, BH_SCHED_TIME_MAX).
    requires \let c = &sched_cpus[self];
             cur_counts(c) && c->cur->sc != \null ==>
             c->last_charge + c->cur->sc->remaining <= UINT64_MAX;
    requires sched_cpus[self].slice_start + timeslice <= UINT64_MAX;
    assigns \nothing;
    ensures \let c = &sched_cpus[self];
            cur_counts(c) && c->cur->sc != \null ==>
            \result <= c->last_charge + c->cur->sc->remaining;
    ensures \let c = &sched_cpus[self];
            cur_counts(c) && (c->cur->next != \null || c->cur->prev != \null) ==>
            \result <= c->slice_start + timeslice;
    ensures \let c = &sched_cpus[self];
            c->release_head != \null ==> \result <= c->release_head->sc->next_release;
*/
uint64_t sched_next_deadline(uint64_t now)
{
    const struct sched_cpu *c = me();
    uint64_t d = UINT64_MAX;
    struct sched_thread *cur = c->cur; /* as c->idle: no pointer casts in the proof */

    if (cur != NULL && cur != c->idle && cur->state == SCHED_READY) {
        if (cur->sc != NULL) {
            d = min_u64(d, c->last_charge + cur->sc->remaining);
        }
        /* The timeslice only matters if another thread shares the list. */
        if (cur->next != NULL || cur->prev != NULL) {
            d = min_u64(d, c->slice_start + timeslice);
        }
    }
    if (c->release_head != NULL) {
        d = min_u64(d, c->release_head->sc->next_release);
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
        sched_kick_running(t);
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
        kick_if_preempts(t);
        return;
    }
    t->sc->thread = NULL;
    t->sc = NULL;
}

unsigned sched_nonsystem_ready(void)
{
    return sched_nonsystem;
}

const struct sched_rq *sched_debug_rq(unsigned q)
{
    return sched_debug_rq_on(self, q);
}

const struct sched_thread *sched_debug_release_head(void)
{
    return sched_debug_release_head_on(self);
}

const struct sched_rq *sched_debug_rq_on(unsigned cpu, unsigned q)
{
    BH_ASSERT(cpu < SCHED_MAX_CPUS && q < BH_SCHED_MAX_PARTITIONS);
    return &sched_cpus[cpu].rqs[q];
}

const struct sched_thread *sched_debug_release_head_on(unsigned cpu)
{
    BH_ASSERT(cpu < SCHED_MAX_CPUS);
    return sched_cpus[cpu].release_head;
}

const struct sched_thread *sched_debug_current_on(unsigned cpu)
{
    BH_ASSERT(cpu < SCHED_MAX_CPUS);
    return sched_cpus[cpu].cur;
}
