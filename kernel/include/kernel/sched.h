/*
 * Portable scheduler: fixed-priority preemptive, round-robin among equal
 * priorities, SchedContext budgets with periodic replenishment, optional
 * static time-partition schedule. Design: kernel/core/SCHED.md.
 *
 * Per CPU (struct sched_cpu): the current and idle threads, the ready queues,
 * the release queue and the budget accounting. A thread belongs to one CPU
 * (its affinity, CPU 0 by default) and is only ever queued and chosen there.
 * The caller holds the big kernel lock (interrupts masked) and has told the
 * scheduler which CPU it runs on (sched_set_self). No heap: struct
 * sched_thread is embedded in the TCB and struct sched_context in the
 * SchedContext object; the per-CPU queues and the schedule are static.
 *
 * Kernel entry protocol: sched_charge(now) first (bills the time since the
 * last charge to the current thread), then sched_tick(now) (releases
 * replenished threads, rotates an expired timeslice), then any operations,
 * then sched_choose(now) and program the timer with sched_next_deadline(now).
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <bulkhead/errors.h>
#include <bulkhead/schedule.h>
#include <kernel/types.h>

enum sched_state {
    SCHED_INACTIVE = 0, /* never made runnable, or suspended: in no queue */
    SCHED_BLOCKED = 1,  /* waiting for an event (IPC, notification): in no queue */
    SCHED_READY = 2,    /* in a ready queue (the running thread stays queued) */
    SCHED_THROTTLED = 3 /* budget exhausted: in the release queue */
};

struct sched_thread;

struct sched_context {
    uint64_t budget;             /* ticks per period */
    uint64_t period;             /* ticks */
    uint64_t remaining;          /* budget left in the current period */
    uint64_t next_release;       /* next replenishment: release time + k * period */
    uint64_t overruns;           /* times a charge exceeded the remaining budget */
    struct sched_thread *thread; /* bound thread or NULL (one thread per context) */
    bool configured;
};

struct sched_thread {
    struct sched_thread *next, *prev; /* ready queue or release queue links */
    struct sched_context *sc;         /* NULL: no budget limit (system threads) */
    uint8_t prio;
    uint8_t state;      /* enum sched_state */
    uint16_t partition; /* 0 = system */
    uint16_t queue;     /* index of the ready queue it is in (valid when READY) */
    uint8_t cpu;        /* CPU whose queues hold it (and that may run it) */
    uint8_t affinity;   /* CPU it must run on; differs from cpu only while it
                           still runs on its old CPU, until that CPU lets go */
};

#define SCHED_MAX_CPUS 8u

/* Budget exhaustion reported by sched_charge: the kernel sends a timeout
 * fault to the context's handler if one is set. */
struct sched_event {
    struct sched_context *sc;
    struct sched_thread *thread;
    uint64_t overrun; /* ticks consumed beyond the budget (0: exactly used up) */
};

/* One ready queue set: 256 FIFO lists and a two-level priority bitmap.
 * summary bit w (w < 4) is set iff words[w] != 0 and no other summary bit is
 * set; bit p%64 of words[p/64] is set iff list p is non-empty. */
struct sched_rq {
    uint64_t summary;
    uint64_t words[4];
    struct sched_thread *head[BH_SCHED_NUM_PRIOS];
    struct sched_thread *tail[BH_SCHED_NUM_PRIOS];
};

/*@ predicate bit(integer x, integer k) = ((x >> k) & 1) == 1;

    // Priority p is bit b = p % 64 of word w = p / 64; stated over (w, b)
    // pairs so the provers need no division.
    predicate rq_summary_ok(struct sched_rq *rq) =
        \forall integer w; 0 <= w < 64 ==>
            (bit(rq->summary, w) <==> (w < 4 && rq->words[w] != 0));
    predicate rq_bits_ok(struct sched_rq *rq) =
        \forall integer w, b; 0 <= w < 4 && 0 <= b < 64 ==>
            (bit(rq->words[w], b) <==> rq->head[64 * w + b] != \null);
    predicate rq_ends_ok(struct sched_rq *rq) =
        \forall integer p; 0 <= p < 256 ==> (rq->head[p] == \null <==> rq->tail[p] == \null);
    predicate rq_ok(struct sched_rq *rq) = rq_summary_ok(rq) && rq_bits_ok(rq) && rq_ends_ok(rq);
*/

/* ---- sched.c: ready queues, choice, state changes, time ---- */

/* One CPU's scheduling state. */
struct sched_cpu {
    struct sched_rq rqs[BH_SCHED_MAX_PARTITIONS];
    struct sched_thread *idle;
    struct sched_thread *cur;
    struct sched_thread *release_head; /* sorted by sc->next_release, FIFO on ties */
    unsigned release_count;
    uint64_t last_charge;
    uint64_t slice_start;
    bool slice_reset;
};

/* The per-CPU state and two counters of sched.c, named here for the
 * contracts below; only sched.c touches them. */
extern struct sched_cpu sched_cpus[SCHED_MAX_CPUS];
extern uint32_t sched_kick_mask; /* CPUs to interrupt when the lock is released */
extern unsigned sched_nonsystem; /* READY threads of partitions != 0, all CPUs */

/* rq_enqueue's precondition on the list t joins: its tail is null or a
 * thread apart from the queue set and from t. */
/*@ predicate rq_tail_ok(struct sched_rq *rq, struct sched_thread *t) =
        rq->tail[t->prio] == \null ||
        (\valid(rq->tail[t->prio]) && \separated(rq->tail[t->prio], rq) &&
         \separated(rq->tail[t->prio], t));
    // rq_dequeue's precondition: t is queued in rq (head/tail at it exactly
    // when it is first/last, its neighbours valid and apart).
    predicate rq_linked(struct sched_rq *rq, struct sched_thread *t) =
        rq->head[t->prio] != \null &&
        (t->prev == \null <==> rq->head[t->prio] == t) &&
        (t->next == \null <==> rq->tail[t->prio] == t) &&
        (t->prev != \null ==>
            \valid(t->prev) && \separated(t->prev, rq) && \separated(t->prev, t)) &&
        (t->next != \null ==>
            \valid(t->next) && \separated(t->next, rq) && \separated(t->next, t)) &&
        (t->prev != \null && t->next != \null ==> \separated(t->prev, t->next));
*/

/*@ // The first n entries from x: threads with a readable context, apart from
    // the per-CPU state and from t (the one being inserted); the list ends
    // within n entries (release_count bounds every walk).
    predicate rel_chain{L}(struct sched_thread *x, integer n, struct sched_thread *t) =
        x == \null ||
        (n > 0 && \valid(x) && \valid_read(x->sc) && \separated(x, t) &&
         \separated(x, &sched_cpus[0 .. SCHED_MAX_CPUS - 1]) &&
         (x->next == \null || \separated(x, x->next)) && rel_chain(x->next, n - 1, t));

    // Where release_insert puts a thread released at `when`: after the last
    // entry of the walk whose release is <= when (FIFO on ties); \null: first.
    logic struct sched_thread *rel_spot{L}(struct sched_thread *prev, struct sched_thread *it,
                                           integer n, integer when) =
        it == \null || n <= 0 || it->sc->next_release > when ?
            prev : rel_spot(it, it->next, n - 1, when);

    logic struct sched_thread *rel_pos{L}(struct sched_cpu *c, integer when) =
        rel_spot(\null, c->release_head, c->release_count, when);

    // release_delete's precondition: t is queued in c's release queue (head
    // at it exactly when it is first, its neighbours valid and apart).
    predicate rel_linked{L}(struct sched_cpu *c, struct sched_thread *t) =
        (t->prev == \null <==> c->release_head == t) &&
        (t->prev != \null ==> \valid(t->prev) && \separated(t->prev, t) &&
                              \separated(t->prev, &sched_cpus[0 .. SCHED_MAX_CPUS - 1])) &&
        (t->next != \null ==> \valid(t->next) && \separated(t->next, t) &&
                              \separated(t->next, &sched_cpus[0 .. SCHED_MAX_CPUS - 1])) &&
        (t->prev != \null && t->next != \null ==> \separated(t->prev, t->next));
*/

/*@ // t is where its state says: READY in the list of its priority in its
    // queue set (which is consistent), THROTTLED in its CPU's release queue.
    predicate sched_linked{L}(struct sched_thread *t) =
        (t->state == SCHED_READY ==>
            t->queue < BH_SCHED_MAX_PARTITIONS && rq_ok(&sched_cpus[t->cpu].rqs[t->queue]) &&
            rq_linked(&sched_cpus[t->cpu].rqs[t->queue], t) &&
            (t->partition != BH_SCHED_PARTITION_SYSTEM ==> sched_nonsystem > 0)) &&
        (t->state == SCHED_THROTTLED ==>
            sched_cpus[t->cpu].release_count > 0 && rel_linked(&sched_cpus[t->cpu], t));
*/

/*@ // t left its ready list: unlinked, that queue set consistent with no end
    // at t, the counter down by one for a non-system thread.
    predicate sched_ready_removed{L1, L2}(struct sched_thread *t) =
        \at(t->next, L2) == \null && \at(t->prev, L2) == \null &&
        \at(rq_ok(&sched_cpus[t->cpu].rqs[t->queue]), L2) &&
        \at(sched_cpus[t->cpu].rqs[t->queue].head[t->prio], L2) != t &&
        \at(sched_cpus[t->cpu].rqs[t->queue].tail[t->prio], L2) != t &&
        (\at(t->partition, L2) != BH_SCHED_PARTITION_SYSTEM ==>
            \at(sched_nonsystem, L2) == \at(sched_nonsystem, L1) - 1) &&
        (\at(t->partition, L2) == BH_SCHED_PARTITION_SYSTEM ==>
            \at(sched_nonsystem, L2) == \at(sched_nonsystem, L1));
    // t left its CPU's release queue: unlinked, one entry fewer, not the head.
    predicate sched_release_removed{L1, L2}(struct sched_thread *t) =
        \at(t->next, L2) == \null && \at(t->prev, L2) == \null &&
        \at(sched_cpus[t->cpu].release_count, L2) ==
            \at(sched_cpus[t->cpu].release_count, L1) - 1 &&
        \at(sched_cpus[t->cpu].release_head, L2) != t;
*/

/*@ // A thread on no queue leaves every queue it could be on as it was: its
    // links, the counter, its CPU's release queue and its list in its queue
    // set (each evaluated at L1, as \old would).
    predicate sched_unqueued_kept{L1, L2}(struct sched_thread *t) =
        \at(t->next, L2) == \at(t->next, L1) && \at(t->prev, L2) == \at(t->prev, L1) &&
        \at(sched_nonsystem, L2) == \at(sched_nonsystem, L1) &&
        \at(sched_cpus[t->cpu].release_head, L2) == \at(sched_cpus[t->cpu].release_head, L1) &&
        \at(sched_cpus[t->cpu].release_count, L2) == \at(sched_cpus[t->cpu].release_count, L1) &&
        \at(sched_cpus[t->cpu].rqs[t->queue].summary, L2) ==
            \at(sched_cpus[t->cpu].rqs[t->queue].summary, L1) &&
        \at(sched_cpus[t->cpu].rqs[t->queue].head[t->prio], L2) ==
            \at(sched_cpus[t->cpu].rqs[t->queue].head[t->prio], L1) &&
        \at(sched_cpus[t->cpu].rqs[t->queue].tail[t->prio], L2) ==
            \at(sched_cpus[t->cpu].rqs[t->queue].tail[t->prio], L1) &&
        \forall integer w; 0 <= w < 4 ==>
            \at(sched_cpus[t->cpu].rqs[t->queue].words[w], L2) ==
                \at(sched_cpus[t->cpu].rqs[t->queue].words[w], L1);
*/

/*@ // The CPU a waking thread is queued on: the one running it (it keeps
    // it), else its affinity.
    logic integer wake_cpu{L}(struct sched_thread *t) =
        sched_cpus[t->cpu].cur == t ? t->cpu : t->affinity;

    // What queuing t on CPU d needs: the queue sets it may join are
    // consistent and their tails apart (from t and the per-CPU state); the
    // release queue is a chain of at most release_count threads apart from t;
    // the counters have room; what runs there is readable (kick_if_preempts
    // compares priorities).
    predicate sched_can_queue{L}(struct sched_thread *t, integer d) =
        0 <= d < SCHED_MAX_CPUS && t->partition < BH_SCHED_MAX_PARTITIONS &&
        (t->sc == \null || \valid_read(t->sc)) &&
        rq_ok(&sched_cpus[d].rqs[0]) && rq_ok(&sched_cpus[d].rqs[t->partition]) &&
        rq_tail_ok(&sched_cpus[d].rqs[0], t) && rq_tail_ok(&sched_cpus[d].rqs[t->partition], t) &&
        (sched_cpus[d].rqs[0].tail[t->prio] == \null ||
         \separated(sched_cpus[d].rqs[0].tail[t->prio], &sched_cpus[0 .. SCHED_MAX_CPUS - 1])) &&
        (sched_cpus[d].rqs[t->partition].tail[t->prio] == \null ||
         \separated(sched_cpus[d].rqs[t->partition].tail[t->prio],
             &sched_cpus[0 .. SCHED_MAX_CPUS - 1])) &&
        (t->partition != BH_SCHED_PARTITION_SYSTEM ==> sched_nonsystem < 4294967295) &&
        (sched_cpus[d].cur == \null || \valid_read(sched_cpus[d].cur)) &&
        rel_chain(sched_cpus[d].release_head, sched_cpus[d].release_count, t) &&
        sched_cpus[d].release_count < 4294967295;
*/

/* Resets every queue of every CPU and starts CPU 0 (the caller is CPU 0);
 * idle runs when nothing else may. timeslice: round-robin quantum in ticks
 * (> 0). now: current time, start of accounting. */
void sched_init(struct sched_thread *idle, uint64_t timeslice, uint64_t now);
/* Starts CPU cpu (a secondary that came online) with its own idle thread. */
void sched_cpu_start(unsigned cpu, struct sched_thread *idle, uint64_t now);
/* Number of CPUs threads may be placed on (online CPUs); CPU 0 only until set. */
void sched_set_ncpus(unsigned n);
unsigned sched_ncpus(void);
/* Every kernel entry, once it holds the kernel lock: the CPU it runs on. */
void sched_set_self(unsigned cpu);
unsigned sched_self(void);
/* CPUs to interrupt (bit per CPU) because a thread made runnable there should
 * preempt what runs there, or its running thread was migrated away; cleared. */
uint32_t sched_take_kicks(void);
/* The CPU whose current thread is t, or -1 if it runs nowhere. */
int sched_running_on(const struct sched_thread *t);
/* If t runs on another CPU, ask that CPU to re-enter the kernel (new virtual
 * interrupts for a vCPU, changed priority): only that CPU's bit is added, and
 * only when t is that CPU's current thread and not its idle thread. */
/*@ requires \valid_read(t) && t->cpu < SCHED_MAX_CPUS;
    assigns sched_kick_mask;
    ensures sched_kick_mask == \old(sched_kick_mask) ||
            (sched_cpus[t->cpu].cur == t && t != sched_cpus[t->cpu].idle &&
             sched_kick_mask == (\old(sched_kick_mask) | (1 << t->cpu))); */
void sched_kick_running(const struct sched_thread *t);
/* Pins t to cpu (< sched_ncpus(), else BH_E_INVALID_ARGUMENT). A thread not
 * running moves at once; a running thread moves when its CPU next chooses
 * (that CPU is kicked if it is not this one). */
bh_error_t sched_set_affinity(struct sched_thread *t, unsigned cpu);
/* Initialises a thread's scheduling state: INACTIVE, no context. */
void sched_thread_init(struct sched_thread *t, uint8_t prio, uint16_t partition);
/* Changes priority; a READY thread moves to the tail of its new list. */
void sched_set_priority(struct sched_thread *t, uint8_t prio);
/* BH_E_RANGE if partition >= BH_SCHED_MAX_PARTITIONS. A READY thread is requeued. */
bh_error_t sched_set_partition(struct sched_thread *t, uint16_t partition);

/* What sched_make_runnable(t) may write (its assigns clause): one macro so
 * that its callers' contracts (IPC's wake paths) name the same locations;
 * ACSL cannot name a set of locations once. Annotations are preprocessed.
 * Not formatted: clang-format would write the ACSL range "0 .. 3" as "0..3",
 * which Frama-C reads as two numbers. */
// clang-format off
#define SCHED_RUNNABLE_FOOTPRINT(t)                                                           \
    (t)->cpu, (t)->queue, (t)->state, (t)->next, (t)->prev, sched_nonsystem, sched_kick_mask, \
        sched_cpus[wake_cpu(t)].rqs[0].summary, sched_cpus[wake_cpu(t)].rqs[0].words[0 .. 3], \
        sched_cpus[wake_cpu(t)].rqs[0].head[(t)->prio],                                       \
        sched_cpus[wake_cpu(t)].rqs[0].tail[(t)->prio],                                       \
        sched_cpus[wake_cpu(t)].rqs[0].tail[(t)->prio]->next,                                 \
        sched_cpus[wake_cpu(t)].rqs[(t)->partition].summary,                                  \
        sched_cpus[wake_cpu(t)].rqs[(t)->partition].words[0 .. 3],                            \
        sched_cpus[wake_cpu(t)].rqs[(t)->partition].head[(t)->prio],                          \
        sched_cpus[wake_cpu(t)].rqs[(t)->partition].tail[(t)->prio],                          \
        sched_cpus[wake_cpu(t)].rqs[(t)->partition].tail[(t)->prio]->next,                    \
        sched_cpus[wake_cpu(t)].release_head, sched_cpus[wake_cpu(t)].release_count,          \
        rel_pos(&sched_cpus[wake_cpu(t)], (t)->sc->next_release)->next,                       \
        (rel_pos(&sched_cpus[wake_cpu(t)], (t)->sc->next_release) == \null                    \
             ? sched_cpus[wake_cpu(t)].release_head                                           \
             : rel_pos(&sched_cpus[wake_cpu(t)], (t)->sc->next_release)->next)                \
            ->prev
// clang-format on

/* BLOCKED/INACTIVE -> READY (tail of its list), or THROTTLED if its context
 * has no budget left. No effect on a READY or THROTTLED thread. */
/*@ requires \valid(t) && t->cpu < SCHED_MAX_CPUS && t->affinity < SCHED_MAX_CPUS;
    requires \separated(t, &sched_cpus[0 .. SCHED_MAX_CPUS - 1]);
    requires t != sched_cpus[t->cpu].idle;
    requires t->state != SCHED_READY && t->state != SCHED_THROTTLED ==>
             sched_can_queue(t, wake_cpu(t));
    assigns SCHED_RUNNABLE_FOOTPRINT(t);
    behavior queued:
      assumes t->state == SCHED_READY || t->state == SCHED_THROTTLED;
      ensures t->state == \old(t->state) && t->cpu == \old(t->cpu);
      ensures t->next == \old(t->next) && t->prev == \old(t->prev);
      ensures sched_nonsystem == \old(sched_nonsystem) && sched_kick_mask == \old(sched_kick_mask);
    behavior throttle:
      assumes t->state != SCHED_READY && t->state != SCHED_THROTTLED;
      assumes t->sc != \null && t->sc->remaining == 0;
      ensures t->state == SCHED_THROTTLED;
      ensures t->cpu == \old(wake_cpu(t));
      ensures \let d = t->cpu;
              sched_cpus[d].release_count == \at(sched_cpus[d].release_count, Pre) + 1;
      ensures t->prev == \at(rel_pos(&sched_cpus[wake_cpu(t)], t->sc->next_release), Pre);
      ensures t->prev == \null ==> sched_cpus[t->cpu].release_head == t;
      ensures t->prev != \null ==> t->prev->next == t;
      ensures t->next != \null ==> t->next->prev == t;
      ensures t->prev != \null ==> t->prev->sc->next_release <= t->sc->next_release;
      ensures t->next != \null ==> t->sc->next_release < t->next->sc->next_release;
      ensures sched_nonsystem == \old(sched_nonsystem);
    behavior wake:
      assumes t->state != SCHED_READY && t->state != SCHED_THROTTLED;
      assumes t->sc == \null || t->sc->remaining != 0;
      ensures t->state == SCHED_READY;
      ensures t->cpu == \old(wake_cpu(t));
      ensures t->queue == 0 || t->queue == t->partition;
      ensures rq_ok(&sched_cpus[t->cpu].rqs[t->queue]);
      ensures sched_cpus[t->cpu].rqs[t->queue].tail[t->prio] == t && t->next == \null;
      ensures t->partition != BH_SCHED_PARTITION_SYSTEM ==>
              sched_nonsystem == \old(sched_nonsystem) + 1;
      ensures t->partition == BH_SCHED_PARTITION_SYSTEM ==>
              sched_nonsystem == \old(sched_nonsystem);
    complete behaviors;
    disjoint behaviors;
*/
void sched_make_runnable(struct sched_thread *t);
/* -> BLOCKED, out of every queue. */
/*@ requires \valid(t) && t->cpu < SCHED_MAX_CPUS && t != sched_cpus[t->cpu].idle;
    requires \separated(t, &sched_cpus[0 .. SCHED_MAX_CPUS - 1]);
    requires sched_linked(t);
    assigns t->state, t->next, t->prev, t->prev->next, t->next->prev, sched_nonsystem,
            sched_cpus[t->cpu].rqs[t->queue].summary,
                sched_cpus[t->cpu].rqs[t->queue].words[0 .. 3],
            sched_cpus[t->cpu].rqs[t->queue].head[t->prio],
                sched_cpus[t->cpu].rqs[t->queue].tail[t->prio],
            sched_cpus[t->cpu].release_head, sched_cpus[t->cpu].release_count;
    ensures t->state == SCHED_BLOCKED;
    behavior ready:
      assumes t->state == SCHED_READY;
      ensures sched_ready_removed{Pre, Post}(t);
    behavior throttled:
      assumes t->state == SCHED_THROTTLED;
      ensures sched_release_removed{Pre, Post}(t);
    behavior unqueued:
      assumes t->state != SCHED_READY && t->state != SCHED_THROTTLED;
      ensures sched_unqueued_kept{Pre, Post}(t);
    complete behaviors;
    disjoint behaviors;
*/
void sched_block(struct sched_thread *t);
/* -> INACTIVE, out of every queue (suspend, destroy). */
void sched_remove(struct sched_thread *t);
/* The current thread goes to the tail of its list (a new timeslice). */
void sched_yield(void);

/* Highest-priority READY thread allowed at now (see SCHED.md for windows and
 * partition 0), or the idle thread. Becomes the current thread. */
struct sched_thread *sched_choose(uint64_t now);
struct sched_thread *sched_current(void);

/* Bills now - last charge to the current thread's context. Returns true and
 * fills *ev if the budget ran out (the thread is then THROTTLED). */
bool sched_charge(uint64_t now, struct sched_event *ev);
/* Releases throttled threads whose replenishment time has come and rotates
 * the current thread if its timeslice has ended. Returns the number released. */
unsigned sched_tick(uint64_t now);
/* Earliest of: current budget exhaustion, next replenishment, next window
 * boundary, timeslice end. UINT64_MAX if nothing is pending. */
uint64_t sched_next_deadline(uint64_t now);

/* Binding (one thread per context). BH_E_IN_USE if either is already bound,
 * BH_E_INVALID_ARGUMENT if sc is not configured. */
bh_error_t sched_bind(struct sched_thread *t, struct sched_context *sc);
void sched_unbind(struct sched_thread *t);

/* ---- sched_context.c ---- */

void sc_init(struct sched_context *sc);
/* budget 0 or period 0: BH_E_INVALID_ARGUMENT; budget > period or period >
 * BH_SCHED_TIME_MAX: BH_E_RANGE. Full budget, first release at now + period. */
bh_error_t sc_configure(struct sched_context *sc, uint64_t budget, uint64_t period, uint64_t now);
/* Consumes min(consumed, remaining); returns the overrun (consumed beyond it). */
/*@ requires \valid(sc);
    requires sc->remaining <= sc->budget;
    assigns sc->remaining, sc->overruns;
    ensures sc->remaining <= \old(sc->remaining);
    ensures consumed <= \old(sc->remaining) ==>
            sc->remaining == \old(sc->remaining) - consumed && \result == 0 &&
            sc->overruns == \old(sc->overruns);
    ensures consumed > \old(sc->remaining) ==>
            sc->remaining == 0 && \result == consumed - \old(sc->remaining) &&
            (\old(sc->overruns) < UINT64_MAX ==> sc->overruns == \old(sc->overruns) + 1);
    ensures sc->remaining <= sc->budget;
*/
uint64_t sc_charge(struct sched_context *sc, uint64_t consumed);
/* If now >= next_release: full budget, next_release moves to the first
 * release + k * period strictly after now. Returns true if refilled. */
/*@ requires \valid(sc);
    requires sc->configured && 0 < sc->period <= BH_SCHED_TIME_MAX;
    requires sc->next_release < BH_SCHED_NOW_MAX && now < BH_SCHED_NOW_MAX;
    assigns sc->remaining, sc->next_release;
    behavior not_yet:
      assumes now < sc->next_release;
      ensures \result == \false;
      ensures sc->remaining == \old(sc->remaining) && sc->next_release == \old(sc->next_release);
    behavior due:
      assumes now >= sc->next_release;
      ensures \result == \true;
      ensures sc->remaining == sc->budget;
      // Moved on by a positive multiple of the period; stated without
      // "\exists k", whose witness CVC4 does not find (Z3 does, in a
      // second pass).
      ensures sc->next_release > \old(sc->next_release) &&
              (sc->next_release - \old(sc->next_release)) % sc->period == 0;
      ensures sc->next_release > now && sc->next_release - sc->period <= now;
    complete behaviors;
    disjoint behaviors;
*/
bool sc_replenish(struct sched_context *sc, uint64_t now);
/* us * freq_hz / 10^6 exactly when it fits in 64 bits, else UINT64_MAX
 * (refused by the scheduler's range checks): the SchedContext's budget and
 * period arrive in microseconds. */
/*@ requires freq_hz <= 0xffffffff;
    assigns \nothing;
    ensures us * freq_hz / 1000000 <= UINT64_MAX ==> \result == us * freq_hz / 1000000;
    ensures us * freq_hz / 1000000 > UINT64_MAX ==> \result == UINT64_MAX; */
uint64_t sc_us_to_ticks(uint64_t us, uint64_t freq_hz);

/* ---- partition.c ---- */

/* Checks a schedule; on error *bad_window names the offending window (or
 * BH_SCHED_MAX_WINDOWS for a frame-level error). */
bh_error_t sched_schedule_validate(const struct bh_schedule *s, uint32_t *bad_window);
/* Installs a schedule whose major frame starts at now; NULL removes it (plain
 * priority scheduling). BH_E_IN_USE if threads of partitions other than 0 are
 * READY (they would sit in the wrong queue): configure before starting them. */
bh_error_t sched_set_schedule(const struct bh_schedule *s, uint64_t now);
/* Number of READY threads of partitions other than 0 on all CPUs (sched.c,
 * for the check above). */
/*@ assigns \nothing; */
unsigned sched_nonsystem_ready(void);

/* Read-only views for invariant checks (tests) and debug dumps; this CPU's
 * queues (the _on variants: any CPU's). */
const struct sched_rq *sched_debug_rq(unsigned q);
const struct sched_thread *sched_debug_release_head(void);
const struct sched_rq *sched_debug_rq_on(unsigned cpu, unsigned q);
const struct sched_thread *sched_debug_release_head_on(unsigned cpu);
const struct sched_thread *sched_debug_current_on(unsigned cpu);
/*@ assigns \nothing; */
bool sched_schedule_active(void);
/* Partition owning the time now (0 in gaps or without a schedule). */
uint16_t partition_current(uint64_t now);
/* Next window boundary strictly after now; UINT64_MAX without a schedule. */
uint64_t partition_next_switch(uint64_t now);

#endif
