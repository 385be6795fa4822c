/*
 * Scheduler unit tests: bitmap facts, ready queues and choice, round-robin,
 * SchedContext budgets and replenishment, time-partition windows, simulated
 * time (no deadline misses), and a randomized invariant test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <kernel/sched.h>

#define SLICE 5u

static struct sched_thread idle;

static void reset(uint64_t now)
{
    sched_init(&idle, SLICE, now);
}

static void mk(struct sched_thread *t, uint8_t prio, uint16_t part)
{
    sched_thread_init(t, prio, part);
}

/* ---- invariant checker (used by several tests) ---- */

static void check_invariants(struct sched_thread *threads, unsigned n)
{
    unsigned queued = 0;
    for (unsigned q = 0; q < BH_SCHED_MAX_PARTITIONS; q++) {
        const struct sched_rq *rq = sched_debug_rq(q);
        assert_true(rq->summary < 16u);
        for (unsigned w = 0; w < 4; w++) {
            assert_int_equal((rq->summary >> w) & 1u, rq->words[w] != 0u);
        }
        for (unsigned p = 0; p < BH_SCHED_NUM_PRIOS; p++) {
            bool bit = (rq->words[p / 64] >> (p % 64)) & 1u;
            assert_int_equal(bit, rq->head[p] != NULL);
            assert_int_equal(rq->head[p] == NULL, rq->tail[p] == NULL);
            const struct sched_thread *prev = NULL;
            unsigned len = 0;
            for (const struct sched_thread *t = rq->head[p]; t != NULL; t = t->next) {
                assert_true(len++ <= n);
                assert_int_equal(t->state, SCHED_READY);
                assert_int_equal(t->prio, p);
                assert_int_equal(t->queue, q);
                assert_int_equal(q, sched_schedule_active() ? t->partition : 0u);
                assert_ptr_equal(t->prev, prev);
                assert_true(t->sc == NULL || t->sc->remaining > 0u);
                prev = t;
                queued++;
            }
            assert_ptr_equal(rq->tail[p], prev);
        }
    }
    unsigned ready = 0, throttled = 0, released = 0;
    for (unsigned i = 0; i < n; i++) {
        ready += threads[i].state == SCHED_READY;
        throttled += threads[i].state == SCHED_THROTTLED;
    }
    assert_int_equal(queued, ready);
    const struct sched_thread *prev = NULL;
    for (const struct sched_thread *t = sched_debug_release_head(); t != NULL; t = t->next) {
        assert_true(released++ <= n);
        assert_int_equal(t->state, SCHED_THROTTLED);
        assert_non_null(t->sc);
        assert_int_equal(t->sc->remaining, 0u);
        assert_ptr_equal(t->prev, prev);
        if (prev != NULL) {
            assert_true(prev->sc->next_release <= t->sc->next_release);
        }
        prev = t;
    }
    assert_int_equal(released, throttled);
}

/* The thread choose must return, by brute force over all threads. */
static struct sched_thread *expected_choice(struct sched_thread *threads, unsigned n, uint64_t now)
{
    int best = -1;
    uint16_t owner = partition_current(now);
    for (int pass = 0; pass < 2 && best < 0; pass++) {
        for (unsigned i = 0; i < n; i++) {
            struct sched_thread *t = &threads[i];
            if (t->state != SCHED_READY) {
                continue;
            }
            if (sched_schedule_active()) {
                uint16_t want = pass == 0 ? owner : BH_SCHED_PARTITION_SYSTEM;
                if (t->partition != want) {
                    continue;
                }
            }
            if (best < 0 || t->prio > threads[best].prio) {
                best = (int)i;
            }
        }
        if (!sched_schedule_active()) {
            break;
        }
    }
    return best < 0 ? &idle : &threads[best];
}

/* ---- tests ---- */

/* The two trusted ACSL axioms (sched.c BitFacts), checked for every bit
 * position on random and edge-case words. */
static void test_bit_facts(void **state)
{
    (void)state;
    srand(1);
    for (unsigned it = 0; it < 20000; it++) {
        uint64_t x = ((uint64_t)rand() << 40) ^ ((uint64_t)rand() << 20) ^ (uint64_t)rand();
        if (it < 64) {
            x = 1ull << it;
        } else if (it < 128) {
            x = ~0ull >> (it - 64);
        }
        x >>= (unsigned)rand() % 64u;
        for (unsigned r = 0; r < 64; r++) {
            bool higher_zero = r == 63 || (x >> (r + 1)) == 0u;
            if ((x >> r) != 0u && higher_zero) {
                assert_true((x >> r) & 1u); /* top_bit */
            }
            if ((x >> r) == 0u) {
                for (unsigned k = r; k < 64; k++) {
                    assert_int_equal(x >> k, 0u); /* shift_mono */
                }
            }
        }
    }
}

static void test_idle_and_priorities(void **state)
{
    (void)state;
    struct sched_thread t[4];
    reset(0);
    assert_ptr_equal(sched_choose(0), &idle);
    assert_ptr_equal(sched_current(), &idle);
    assert_int_equal(sched_next_deadline(0), UINT64_MAX);

    mk(&t[0], 10, 0);
    mk(&t[1], 200, 0);
    mk(&t[2], 255, 0);
    mk(&t[3], 0, 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(t[i].state, SCHED_INACTIVE);
        sched_make_runnable(&t[i]);
        assert_int_equal(t[i].state, SCHED_READY);
        check_invariants(t, 4);
    }
    sched_make_runnable(&t[1]); /* already ready: no effect */
    check_invariants(t, 4);
    assert_ptr_equal(sched_choose(0), &t[2]);
    sched_block(&t[2]);
    assert_int_equal(t[2].state, SCHED_BLOCKED);
    assert_ptr_equal(sched_choose(0), &t[1]);
    sched_remove(&t[1]);
    assert_int_equal(t[1].state, SCHED_INACTIVE);
    assert_ptr_equal(sched_current(), &idle);
    assert_ptr_equal(sched_choose(0), &t[0]);
    sched_block(&t[0]);
    assert_ptr_equal(sched_choose(0), &t[3]); /* priority 0 still beats idle */
    sched_block(&t[3]);
    sched_block(&t[3]); /* blocking a blocked thread: no effect */
    assert_ptr_equal(sched_choose(0), &idle);
    sched_make_runnable(&t[2]);
    assert_ptr_equal(sched_choose(0), &t[2]);
    check_invariants(t, 4);
}

static void test_set_priority_partition(void **state)
{
    (void)state;
    struct sched_thread t[2];
    reset(0);
    mk(&t[0], 5, 0);
    mk(&t[1], 6, 0);
    sched_set_priority(&t[0], 7); /* inactive: just recorded */
    assert_int_equal(t[0].prio, 7);
    sched_make_runnable(&t[0]);
    sched_make_runnable(&t[1]);
    assert_ptr_equal(sched_choose(0), &t[0]);
    sched_set_priority(&t[0], 1);
    check_invariants(t, 2);
    assert_ptr_equal(sched_choose(0), &t[1]);
    assert_int_equal(sched_set_partition(&t[0], BH_SCHED_MAX_PARTITIONS), BH_E_RANGE);
    assert_int_equal(t[0].partition, 0);
    assert_int_equal(sched_set_partition(&t[0], 3), BH_OK);
    assert_int_equal(sched_set_partition(&t[1], 15), BH_OK);
    assert_int_equal(sched_nonsystem_ready(), 2);
    check_invariants(t, 2);
    sched_block(&t[1]);
    assert_int_equal(sched_set_partition(&t[1], 2), BH_OK);
    assert_int_equal(t[1].partition, 2);
    assert_int_equal(sched_nonsystem_ready(), 1);
}

static void test_round_robin(void **state)
{
    (void)state;
    struct sched_thread t[3], hi;
    reset(0);
    for (int i = 0; i < 3; i++) {
        mk(&t[i], 50, 0);
        sched_make_runnable(&t[i]);
    }
    uint64_t now = 0;
    assert_ptr_equal(sched_choose(now), &t[0]);
    assert_int_equal(sched_next_deadline(now), SLICE);
    /* Before the slice ends nothing rotates. */
    sched_tick(SLICE - 1);
    assert_ptr_equal(sched_choose(SLICE - 1), &t[0]);
    const int order[] = {1, 2, 0, 1, 2, 0};
    for (int k = 0; k < 6; k++) {
        now += SLICE;
        sched_tick(now);
        assert_ptr_equal(sched_choose(now), &t[order[k]]);
        assert_int_equal(sched_next_deadline(now), now + SLICE);
        check_invariants(t, 3);
    }
    /* yield: straight to the tail. */
    assert_ptr_equal(sched_current(), &t[0]);
    sched_yield();
    assert_ptr_equal(sched_choose(now), &t[1]);
    /* A woken thread goes to the tail. */
    sched_block(&t[2]);
    sched_make_runnable(&t[2]);
    sched_yield();
    assert_ptr_equal(sched_choose(now), &t[0]);
    sched_yield();
    assert_ptr_equal(sched_choose(now), &t[2]);
    /* A higher priority preempts; the lone thread has no timeslice deadline. */
    mk(&hi, 51, 0);
    sched_make_runnable(&hi);
    assert_ptr_equal(sched_choose(now), &hi);
    assert_int_equal(sched_next_deadline(now), UINT64_MAX);
    sched_yield(); /* alone at its priority: chosen again */
    assert_ptr_equal(sched_choose(now), &hi);
}

static void test_sc_configure(void **state)
{
    (void)state;
    struct sched_context sc;
    sc_init(&sc);
    assert_false(sc.configured);
    assert_int_equal(sc_configure(&sc, 0, 10, 0), BH_E_INVALID_ARGUMENT);
    assert_int_equal(sc_configure(&sc, 5, 0, 0), BH_E_INVALID_ARGUMENT);
    assert_int_equal(sc_configure(&sc, 0, 0, 0), BH_E_INVALID_ARGUMENT);
    assert_int_equal(sc_configure(&sc, 11, 10, 0), BH_E_RANGE);
    assert_int_equal(sc_configure(&sc, 1, BH_SCHED_TIME_MAX + 1, 0), BH_E_RANGE);
    assert_false(sc.configured);
    assert_int_equal(sc_configure(&sc, 10, 10, 100), BH_OK);
    assert_int_equal(sc_configure(&sc, 3, 10, 100), BH_OK);
    assert_true(sc.configured);
    assert_int_equal(sc.budget, 3);
    assert_int_equal(sc.period, 10);
    assert_int_equal(sc.remaining, 3);
    assert_int_equal(sc.next_release, 110);
}

static void test_sc_charge_replenish(void **state)
{
    (void)state;
    struct sched_context sc;
    sc_init(&sc);
    assert_int_equal(sc_configure(&sc, 4, 10, 0), BH_OK);
    assert_int_equal(sc_charge(&sc, 1), 0);
    assert_int_equal(sc.remaining, 3);
    assert_int_equal(sc_charge(&sc, 3), 0);
    assert_int_equal(sc.remaining, 0);
    assert_int_equal(sc.overruns, 0);
    assert_int_equal(sc_charge(&sc, 7), 7); /* never underflows */
    assert_int_equal(sc.remaining, 0);
    assert_int_equal(sc.overruns, 1);
    assert_false(sc_replenish(&sc, 9));
    assert_int_equal(sc.remaining, 0);
    assert_true(sc_replenish(&sc, 10)); /* exactly at the boundary */
    assert_int_equal(sc.remaining, 4);
    assert_int_equal(sc.next_release, 20);
    assert_int_equal(sc_charge(&sc, 2), 0);
    assert_true(sc_replenish(&sc, 57)); /* skipped boundaries 20, 30, 40, 50 */
    assert_int_equal(sc.remaining, 4);
    assert_int_equal(sc.next_release, 60);
    assert_false(sc_replenish(&sc, 59));
}

static void test_bind(void **state)
{
    (void)state;
    struct sched_thread t, u;
    struct sched_context sc, sc2;
    reset(0);
    mk(&t, 9, 0);
    mk(&u, 9, 0);
    sc_init(&sc);
    sc_init(&sc2);
    assert_int_equal(sched_bind(&t, &sc), BH_E_INVALID_ARGUMENT);
    assert_int_equal(sc_configure(&sc, 2, 10, 0), BH_OK);
    assert_int_equal(sc_configure(&sc2, 2, 10, 0), BH_OK);
    assert_int_equal(sched_bind(&t, &sc), BH_OK);
    assert_ptr_equal(t.sc, &sc);
    assert_ptr_equal(sc.thread, &t);
    assert_int_equal(sched_bind(&u, &sc), BH_E_IN_USE);
    assert_int_equal(sched_bind(&t, &sc2), BH_E_IN_USE);
    sched_unbind(&t);
    assert_null(t.sc);
    assert_null(sc.thread);
    sched_unbind(&t); /* unbound: no effect */
    /* Binding an exhausted context to a ready thread throttles it. */
    sc_charge(&sc, 2);
    sched_make_runnable(&t);
    assert_int_equal(sched_bind(&t, &sc), BH_OK);
    assert_int_equal(t.state, SCHED_THROTTLED);
    assert_int_equal(sc_configure(&sc, 2, 10, 0), BH_E_IN_USE);
    assert_ptr_equal(sched_choose(0), &idle);
    /* Unbinding a throttled thread makes it ready again, without limit. */
    sched_unbind(&t);
    assert_int_equal(t.state, SCHED_READY);
    assert_ptr_equal(sched_choose(0), &t);
}

static void test_budget_exhaustion(void **state)
{
    (void)state;
    struct sched_thread hog, low;
    struct sched_context sc;
    struct sched_event ev;
    reset(0);
    mk(&hog, 100, 0);
    mk(&low, 1, 0);
    sc_init(&sc);
    assert_int_equal(sc_configure(&sc, 3, 10, 0), BH_OK);
    assert_int_equal(sched_bind(&hog, &sc), BH_OK);
    sched_make_runnable(&hog);
    sched_make_runnable(&low);
    assert_ptr_equal(sched_choose(0), &hog);
    assert_int_equal(sched_next_deadline(0), 3); /* budget exhaustion */
    assert_false(sched_charge(2, &ev));
    assert_int_equal(sc.remaining, 1);
    /* Entered late: 2 ticks consumed with 1 left -> overrun 1. */
    memset(&ev, 0, sizeof(ev));
    assert_true(sched_charge(4, &ev));
    assert_ptr_equal(ev.sc, &sc);
    assert_ptr_equal(ev.thread, &hog);
    assert_int_equal(ev.overrun, 1);
    assert_int_equal(sc.overruns, 1);
    assert_int_equal(hog.state, SCHED_THROTTLED);
    assert_false(sched_charge(4, &ev)); /* charged twice: no second event */
    assert_int_equal(sched_tick(4), 0);
    assert_ptr_equal(sched_choose(4), &low);
    assert_int_equal(sched_next_deadline(4), 10); /* replenishment */
    /* Not chosen before the replenishment... */
    for (uint64_t now = 5; now < 10; now++) {
        assert_false(sched_charge(now, NULL));
        assert_int_equal(sched_tick(now), 0);
        assert_ptr_equal(sched_choose(now), &low);
    }
    /* ...and chosen at it. */
    assert_false(sched_charge(10, NULL));
    assert_int_equal(sched_tick(10), 1);
    assert_int_equal(hog.state, SCHED_READY);
    assert_int_equal(sc.remaining, 3);
    assert_int_equal(sc.next_release, 20);
    assert_ptr_equal(sched_choose(10), &hog);
    /* Exactly used up: event with overrun 0, event pointer optional. */
    assert_true(sched_charge(13, NULL));
    assert_int_equal(hog.state, SCHED_THROTTLED);
    /* A blocked, exhausted thread that wakes goes to the release queue. */
    sched_block(&hog);
    assert_int_equal(hog.state, SCHED_BLOCKED);
    sched_make_runnable(&hog);
    assert_int_equal(hog.state, SCHED_THROTTLED);
    sched_remove(&hog);
    assert_int_equal(hog.state, SCHED_INACTIVE);
    assert_null(sched_debug_release_head());
}

/* Lazy replenishment: a running context that crosses a period boundary gets
 * the fresh budget and is billed only for the time since the boundary. */
static void test_charge_across_boundary(void **state)
{
    (void)state;
    struct sched_thread t;
    struct sched_context sc;
    reset(0);
    mk(&t, 10, 0);
    sc_init(&sc);
    assert_int_equal(sc_configure(&sc, 5, 10, 0), BH_OK);
    assert_int_equal(sched_bind(&t, &sc), BH_OK);
    sched_make_runnable(&t);
    assert_ptr_equal(sched_choose(0), &t);
    assert_false(sched_charge(4, NULL));
    assert_int_equal(sc.remaining, 1);
    /* 9 ticks since the last charge, 3 of them after the boundary at 10. */
    assert_false(sched_charge(13, NULL));
    assert_int_equal(sc.remaining, 2);
    assert_int_equal(sc.next_release, 20);
    assert_int_equal(sched_next_deadline(13), 15);
    assert_int_equal(t.state, SCHED_READY);
}

static void test_release_queue_order(void **state)
{
    (void)state;
    struct sched_thread t[3];
    struct sched_context sc[3];
    reset(0);
    const uint64_t periods[3] = {30, 10, 20};
    for (int i = 0; i < 3; i++) {
        mk(&t[i], (uint8_t)(10 + i), 0);
        sc_init(&sc[i]);
        assert_int_equal(sc_configure(&sc[i], 1, periods[i], 0), BH_OK);
        assert_int_equal(sched_bind(&t[i], &sc[i]), BH_OK);
        sched_make_runnable(&t[i]);
    }
    uint64_t now = 0;
    for (int i = 2; i >= 0; i--) {
        assert_ptr_equal(sched_choose(now), &t[i]);
        now++;
        assert_true(sched_charge(now, NULL));
        check_invariants(t, 3);
    }
    assert_ptr_equal(sched_choose(now), &idle);
    assert_ptr_equal(sched_debug_release_head(), &t[1]);
    assert_int_equal(sched_next_deadline(now), 10);
    assert_int_equal(sched_tick(10), 1);
    assert_int_equal(sched_tick(25), 1);
    assert_int_equal(sched_tick(100), 1);
    check_invariants(t, 3);
    assert_null(sched_debug_release_head());
}

/* Simulated time, event driven: the kernel is entered only at
 * sched_next_deadline() or at a job arrival, as with a one-shot timer. A
 * periodic thread (period 10, 2 ticks of work, deadline = next arrival) must
 * never miss a deadline although a higher-priority thread spins forever: the
 * spinner's budget (5 per 10) bounds it. A lower-priority spinner without
 * budget gets the rest and cannot delay the periodic thread at all. */
struct spin_result {
    unsigned misses, completed, exhaustions, late_entries;
    uint64_t hog_time, low_time;
};

static struct spin_result run_spinner(bool hog_has_budget, uint64_t end)
{
    struct sched_thread periodic, hog, low;
    struct sched_context hog_sc, per_sc;
    struct sched_event ev;
    struct spin_result r = {0};
    reset(0);
    mk(&periodic, 100, 0);
    mk(&hog, 200, 0);
    mk(&low, 1, 0);
    sc_init(&hog_sc);
    sc_init(&per_sc);
    assert_int_equal(sc_configure(&hog_sc, 5, 10, 0), BH_OK);
    assert_int_equal(sc_configure(&per_sc, 3, 10, 0), BH_OK);
    if (hog_has_budget) {
        assert_int_equal(sched_bind(&hog, &hog_sc), BH_OK);
    }
    assert_int_equal(sched_bind(&periodic, &per_sc), BH_OK);
    sched_make_runnable(&hog);
    sched_make_runnable(&low);

    const uint64_t period = 10, work = 2;
    uint64_t now = 0, next_arrival = 0, left = 0, job_deadline = 0;
    while (now < end) {
        if (sched_charge(now, &ev)) {
            assert_ptr_equal(ev.thread, &hog); /* only the hog runs out */
            r.exhaustions++;
            r.late_entries += ev.overrun != 0u;
        }
        sched_tick(now);
        if (now == next_arrival) {
            if (left != 0u) {
                r.misses++; /* previous job unfinished at its deadline */
            }
            left = work;
            job_deadline = now + period;
            next_arrival += period;
            sched_make_runnable(&periodic);
        }
        struct sched_thread *run = sched_choose(now);
        uint64_t until = sched_next_deadline(now);
        assert_true(until > now);
        if (next_arrival < until) {
            until = next_arrival;
        }
        if (run == &periodic && now + left < until) {
            until = now + left;
        }
        if (until > end) {
            until = end;
        }
        uint64_t ran = until - now;
        if (run == &periodic) {
            left -= ran;
            if (left == 0u) {
                if (until > job_deadline) {
                    r.misses++;
                }
                r.completed++;
                sched_charge(until, NULL);
                sched_block(&periodic);
            }
        } else if (run == &hog) {
            r.hog_time += ran;
        } else if (run == &low) {
            r.low_time += ran;
        } else {
            fail_msg("idle chosen while low is runnable");
        }
        now = until;
    }
    printf("spinner(budget=%d): completed=%u misses=%u hog=%llu low=%llu exhaustions=%u\n",
           hog_has_budget, r.completed, r.misses, (unsigned long long)r.hog_time,
           (unsigned long long)r.low_time, r.exhaustions);
    return r;
}

/* Simulated time, event driven: the kernel is entered only at
 * sched_next_deadline() or at a job arrival, as with a one-shot timer. A
 * periodic thread (period 10, 2 ticks of work, deadline = next arrival) must
 * never miss a deadline although a higher-priority thread spins forever: the
 * spinner's budget (5 per 10) bounds it. A lower-priority spinner without
 * budget gets the rest and cannot delay the periodic thread at all. */
static void test_spinner_cannot_starve(void **state)
{
    (void)state;
    const uint64_t end = 10000;
    struct spin_result r = run_spinner(true, end);
    assert_int_equal(r.misses, 0);
    assert_int_equal(r.completed, end / 10);
    assert_int_equal(r.late_entries, 0); /* the deadline always caught exhaustion */
    assert_int_equal(r.exhaustions, end / 10);
    assert_int_equal(r.hog_time, end / 2); /* exactly its budget */
    assert_int_equal(r.low_time, end - end / 2 - r.completed * 2);
    /* Control: the same spinner without a SchedContext starves everyone, so
     * the measurement above can fail. */
    r = run_spinner(false, 1000);
    assert_int_equal(r.completed, 0);
    assert_true(r.misses > 0);
    assert_int_equal(r.hog_time, 1000);
}

static void set_window(struct bh_schedule *s, unsigned i, uint64_t off, uint64_t len, uint32_t part)
{
    s->windows[i].offset = off;
    s->windows[i].length = len;
    s->windows[i].partition = part;
    s->windows[i].reserved = 0;
}

static void test_schedule_validation(void **state)
{
    (void)state;
    static struct bh_schedule s;
    uint32_t bad;
    reset(0);
    memset(&s, 0, sizeof(s));
    assert_int_equal(sched_schedule_validate(NULL, &bad), BH_E_INVALID_ARGUMENT);
    assert_int_equal(sched_schedule_validate(&s, &bad), BH_E_INVALID_ARGUMENT); /* frame 0 */
    s.major_frame = 100;
    assert_int_equal(sched_schedule_validate(&s, &bad), BH_E_INVALID_ARGUMENT); /* 0 windows */
    assert_int_equal(bad, BH_SCHED_MAX_WINDOWS);
    s.num_windows = BH_SCHED_MAX_WINDOWS + 1;
    assert_int_equal(sched_schedule_validate(&s, &bad), BH_E_RANGE);
    s.num_windows = 2;
    s.major_frame = BH_SCHED_TIME_MAX + 1;
    assert_int_equal(sched_schedule_validate(&s, &bad), BH_E_RANGE);
    s.major_frame = 100;
    s.reserved = 1;
    assert_int_equal(sched_schedule_validate(&s, &bad), BH_E_INVALID_ARGUMENT);
    s.reserved = 0;
    set_window(&s, 0, 0, 50, 1);
    set_window(&s, 1, 50, 50, 2);
    assert_int_equal(sched_schedule_validate(&s, &bad), BH_OK);
    assert_int_equal(bad, BH_SCHED_MAX_WINDOWS);
    set_window(&s, 1, 50, 0, 2); /* empty window */
    assert_int_equal(sched_schedule_validate(&s, &bad), BH_E_INVALID_ARGUMENT);
    assert_int_equal(bad, 1);
    set_window(&s, 1, 49, 10, 2); /* overlap */
    assert_int_equal(sched_schedule_validate(&s, &bad), BH_E_INVALID_ARGUMENT);
    assert_int_equal(bad, 1);
    set_window(&s, 0, 60, 10, 1); /* unsorted */
    set_window(&s, 1, 10, 10, 2);
    assert_int_equal(sched_schedule_validate(&s, &bad), BH_E_INVALID_ARGUMENT);
    assert_int_equal(bad, 1);
    set_window(&s, 0, 0, 10, 1);
    set_window(&s, 1, 95, 10, 2); /* past the frame */
    assert_int_equal(sched_schedule_validate(&s, &bad), BH_E_RANGE);
    assert_int_equal(bad, 1);
    set_window(&s, 1, 100, 1, 2); /* starts at the frame end */
    assert_int_equal(sched_schedule_validate(&s, &bad), BH_E_RANGE);
    set_window(&s, 1, 20, 10, BH_SCHED_MAX_PARTITIONS); /* partition id */
    assert_int_equal(sched_schedule_validate(&s, &bad), BH_E_RANGE);
    assert_int_equal(bad, 1);
    set_window(&s, 1, 20, 10, 2);
    s.windows[0].reserved = 7;
    assert_int_equal(sched_schedule_validate(&s, &bad), BH_E_INVALID_ARGUMENT);
    assert_int_equal(bad, 0);
    s.windows[0].reserved = 0;
    /* A rejected schedule is not installed. */
    s.major_frame = 0;
    assert_int_equal(sched_set_schedule(&s, 0), BH_E_INVALID_ARGUMENT);
    assert_false(sched_schedule_active());
    s.major_frame = 100;
    /* Not while partition threads are ready (they sit in queue 0). */
    struct sched_thread t;
    mk(&t, 5, 1);
    sched_make_runnable(&t);
    assert_int_equal(sched_set_schedule(&s, 0), BH_E_IN_USE);
    s.major_frame = 0; /* a bad schedule is reported as such first */
    assert_int_equal(sched_set_schedule(&s, 0), BH_E_INVALID_ARGUMENT);
    s.major_frame = 100;
    sched_block(&t);
    assert_int_equal(sched_set_schedule(&s, 0), BH_OK);
    assert_true(sched_schedule_active());
    assert_int_equal(partition_current(25), 2);
    /* A rejected replacement leaves the active schedule untouched. */
    set_window(&s, 1, 5, 10, 2); /* overlaps window 0 */
    assert_int_equal(sched_set_schedule(&s, 0), BH_E_INVALID_ARGUMENT);
    assert_true(sched_schedule_active());
    assert_int_equal(partition_current(25), 2);
    assert_int_equal(partition_current(5), 1);
    assert_int_equal(partition_next_switch(25), 30);
    set_window(&s, 1, 20, 10, 2);
    sched_make_runnable(&t);
    assert_int_equal(sched_set_schedule(NULL, 0), BH_E_IN_USE);
    sched_block(&t);
    assert_int_equal(sched_set_schedule(NULL, 0), BH_OK);
    assert_false(sched_schedule_active());
    assert_int_equal(partition_current(5), 0);
    assert_int_equal(partition_next_switch(5), UINT64_MAX);
}

/* Frame 100 starting at 1000: [0,30) p1, [30,60) p2, gap [60,70), [70,100) p0. */
static void test_time_partitions(void **state)
{
    (void)state;
    static struct bh_schedule s;
    struct sched_thread th[4]; /* a: p1, b: p2, sys: p0, c: p3 (no window) */
    reset(0);
    memset(&s, 0, sizeof(s));
    s.major_frame = 100;
    s.num_windows = 3;
    set_window(&s, 0, 0, 30, 1);
    set_window(&s, 1, 30, 30, 2);
    set_window(&s, 2, 70, 30, 0);
    const uint64_t base = 1000;
    assert_int_equal(sched_set_schedule(&s, base), BH_OK);
    mk(&th[0], 10, 1);
    mk(&th[1], 10, 2);
    mk(&th[2], 250, 0); /* high priority, but only in slack */
    mk(&th[3], 255, 3);
    for (int i = 0; i < 4; i++) {
        sched_make_runnable(&th[i]);
    }
    check_invariants(th, 4);
    assert_int_equal(partition_current(base - 1), 0); /* before the first frame */
    assert_int_equal(partition_next_switch(base - 1), base);
    unsigned ran[4] = {0};
    for (uint64_t now = base; now < base + 300; now++) {
        uint64_t off = (now - base) % 100;
        uint16_t owner = off < 30 ? 1 : off < 60 ? 2 : 0;
        assert_int_equal(partition_current(now), owner);
        uint64_t next = off < 30 ? 30 : off < 60 ? 60 : off < 70 ? 70 : 100;
        assert_int_equal(partition_next_switch(now), now - off + next);
        sched_tick(now);
        struct sched_thread *t = sched_choose(now);
        assert_ptr_equal(t, expected_choice(th, 4, now));
        assert_true(sched_next_deadline(now) <= now - off + next);
        assert_true(t != &th[3]); /* partition 3 owns no window */
        if (owner != 0) {
            assert_int_equal(t->partition, owner);
        } else {
            assert_ptr_equal(t, &th[2]);
        }
        ran[t - th]++;
    }
    assert_int_equal(ran[0], 90);
    assert_int_equal(ran[1], 90);
    assert_int_equal(ran[2], 120);
    /* Partition 0 fills the slack of a window whose owner has nothing. */
    sched_block(&th[0]);
    assert_ptr_equal(sched_choose(base + 5), &th[2]);
    sched_block(&th[2]);
    assert_ptr_equal(sched_choose(base + 5), &idle); /* b, c may not run here */
    check_invariants(th, 4);
}

/* ---- randomized ---- */

#define RN 24u

static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void random_run(uint64_t seed, unsigned ops, bool windows)
{
    static struct sched_thread th[RN];
    static struct sched_context sc[RN];
    static struct bh_schedule s;
    printf("random: seed=%llu ops=%u windows=%d\n", (unsigned long long)seed, ops, windows);
    rng_state = seed;
    uint64_t now = 0;
    reset(now);
    if (windows) {
        memset(&s, 0, sizeof(s));
        s.major_frame = 64;
        s.num_windows = 4;
        set_window(&s, 0, 0, 16, 1);
        set_window(&s, 1, 16, 16, 2);
        set_window(&s, 2, 40, 8, 3);
        set_window(&s, 3, 48, 16, 0);
        assert_int_equal(sched_set_schedule(&s, now), BH_OK);
    }
    for (unsigned i = 0; i < RN; i++) {
        /* Few priorities so lists get long and round-robin matters. */
        mk(&th[i], (uint8_t)(rng() % 2 ? rng() % 4 : rng() % 256), (uint16_t)(rng() % 4));
        sc_init(&sc[i]);
        uint64_t period = 1 + rng() % 40;
        assert_int_equal(sc_configure(&sc[i], 1 + rng() % period, period, now), BH_OK);
        if (rng() % 2) {
            assert_int_equal(sched_bind(&th[i], &sc[i]), BH_OK);
        }
    }
    for (unsigned op = 0; op < ops; op++) {
        struct sched_thread *t = &th[rng() % RN];
        struct sched_event ev;
        switch (rng() % 10) {
        case 0:
        case 1:
        case 2:
            sched_make_runnable(t);
            break;
        case 3:
            sched_block(t);
            break;
        case 4:
            sched_remove(t);
            break;
        case 5:
            sched_set_priority(t, (uint8_t)(rng() % 2 ? rng() % 4 : rng() % 256));
            break;
        case 6:
            sched_yield();
            break;
        case 7:
            if (t->sc != NULL) {
                sched_unbind(t);
            } else {
                struct sched_context *c = &sc[t - th];
                (void)sched_bind(t, c);
            }
            break;
        default: {
            uint64_t d = sched_next_deadline(now);
            uint64_t step = 1 + rng() % 7;
            now = d != UINT64_MAX && d > now && rng() % 2 ? d : now + step;
            if (sched_charge(now, &ev)) {
                assert_non_null(ev.sc);
                assert_ptr_equal(ev.sc, ev.thread->sc);
                assert_int_equal(ev.sc->remaining, 0);
            }
            sched_tick(now);
            break;
        }
        }
        check_invariants(th, RN);
        struct sched_thread *want = expected_choice(th, RN, now);
        struct sched_thread *got = sched_choose(now);
        /* Same priority (and partition rule); round-robin decides among equals. */
        assert_int_equal(got->prio, want->prio);
        assert_true(got == &idle ? want == &idle : got->state == SCHED_READY);
        if (got != &idle && windows) {
            uint16_t owner = partition_current(now);
            assert_true(got->partition == owner || got->partition == 0);
        }
        uint64_t d = sched_next_deadline(now);
        if (got->sc != NULL && got != &idle) {
            assert_true(d <= now + got->sc->remaining);
        }
    }
}

static void test_randomized(void **state)
{
    (void)state;
    random_run(0x5eed1234u, 20000, false);
    random_run(0xc0ffee77u, 20000, true);
}

/* SMP: per-CPU queues, affinity, kicks and the hand-over of a running thread. */
static void test_smp_affinity(void **state)
{
    (void)state;
    static struct sched_thread idle1;
    struct sched_thread a, b;
    reset(0);
    sched_cpu_start(1, &idle1, 0);
    assert_int_equal(sched_set_affinity(&a, 1), BH_E_INVALID_ARGUMENT); /* not online yet */
    sched_set_ncpus(2);
    assert_int_equal(sched_ncpus(), 2);
    mk(&a, 10, 0);
    mk(&b, 20, 0);
    sched_set_self(0);
    assert_int_equal(sched_set_affinity(&a, 2), BH_E_INVALID_ARGUMENT);
    assert_int_equal(sched_set_affinity(&a, 1), BH_OK); /* inactive: moves at once */
    assert_int_equal(a.cpu, 1);
    assert_int_equal(sched_take_kicks(), 0);
    sched_make_runnable(&a);
    assert_int_equal(sched_take_kicks(), 1u << 1); /* CPU 1 idles: kicked */
    assert_ptr_equal(sched_choose(1), &idle);      /* not on CPU 0's queues */
    sched_make_runnable(&b);
    assert_int_equal(sched_take_kicks(), 0); /* this CPU chooses itself */
    assert_ptr_equal(sched_choose(1), &b);
    sched_set_self(1);
    assert_ptr_equal(sched_choose(2), &a);
    assert_int_equal(sched_running_on(&a), 1);
    assert_int_equal(sched_running_on(&b), 0);
    /* Moved from CPU 0 while it runs on CPU 1: CPU 1 is kicked, and lets go
     * of it at its next choice; until then it stays there. */
    sched_set_self(0);
    assert_int_equal(sched_set_affinity(&a, 0), BH_OK);
    assert_int_equal(sched_take_kicks(), 1u << 1);
    assert_int_equal(a.cpu, 1);
    assert_int_equal(a.affinity, 0);
    assert_ptr_equal(sched_choose(3), &b); /* b (20) still beats nothing here */
    sched_set_self(1);
    assert_ptr_equal(sched_choose(4), &idle1);
    assert_int_equal(a.cpu, 0);
    assert_int_equal(sched_running_on(&a), -1);
    assert_int_equal(sched_take_kicks(), 0); /* CPU 0 runs b (20) > a (10) */
    sched_set_self(0);
    sched_block(&b);
    assert_ptr_equal(sched_choose(5), &a);
    /* A higher-priority wake-up on another CPU kicks it, a lower one does not. */
    struct sched_thread c, d;
    mk(&c, 5, 0);
    mk(&d, 50, 0);
    sched_set_self(1);
    sched_make_runnable(&c); /* CPU 0 runs a (10): c (5) does not preempt */
    assert_int_equal(sched_take_kicks(), 0);
    sched_make_runnable(&d);
    assert_int_equal(sched_take_kicks(), 1u << 0);
    /* A thread removed while it runs elsewhere leaves that CPU idle-bound. */
    sched_remove(&a);
    assert_int_equal(sched_running_on(&a), -1);
    sched_set_self(0);
    assert_ptr_equal(sched_choose(6), &d);
    sched_set_ncpus(1);
}

/* Microseconds to timer ticks (SchedContext CONFIGURE): exact, or
 * UINT64_MAX (refused as out of range) when the result does not fit. */
static void test_us_to_ticks(void **state)
{
    (void)state;
    const uint64_t f = 62500000u; /* 62.5 MHz */
    assert_int_equal(sc_us_to_ticks(0, f), 0);
    assert_int_equal(sc_us_to_ticks(1, f), 62);
    assert_int_equal(sc_us_to_ticks(1000000, f), 62500000);
    assert_int_equal(sc_us_to_ticks(2500001, f), 156250062);
    /* The whole seconds fit, and so does the sum. */
    assert_true(sc_us_to_ticks(295147905179ull * 1000000u, f) == 18446744073687500000ull);
    /* The whole seconds fit but the sum does not: this once wrapped to a
     * small tick count that CONFIGURE accepted. */
    assert_true(sc_us_to_ticks(295147905179ull * 1000000u + 999999u, f) == UINT64_MAX);
    assert_true(sc_us_to_ticks(UINT64_MAX, f) == UINT64_MAX);
    assert_true(sc_us_to_ticks(UINT64_MAX, 0xffffffffu) == UINT64_MAX);
    /* 1 MHz: ticks are microseconds, up to the largest value. */
    assert_true(sc_us_to_ticks(123456789u, 1000000u) == 123456789u);
    assert_true(sc_us_to_ticks(UINT64_MAX, 1000000u) == UINT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_us_to_ticks),
        cmocka_unit_test(test_smp_affinity),
        cmocka_unit_test(test_bit_facts),
        cmocka_unit_test(test_idle_and_priorities),
        cmocka_unit_test(test_set_priority_partition),
        cmocka_unit_test(test_round_robin),
        cmocka_unit_test(test_sc_configure),
        cmocka_unit_test(test_sc_charge_replenish),
        cmocka_unit_test(test_bind),
        cmocka_unit_test(test_budget_exhaustion),
        cmocka_unit_test(test_charge_across_boundary),
        cmocka_unit_test(test_release_queue_order),
        cmocka_unit_test(test_spinner_cannot_starve),
        cmocka_unit_test(test_schedule_validation),
        cmocka_unit_test(test_time_partitions),
        cmocka_unit_test(test_randomized),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
