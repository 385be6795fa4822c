/*
 * On-target SMP tests, run as the root task (on CPU 0) on a machine with at
 * least 4 CPUs. Every thread proves where it runs with BH_SYS_DEBUG_CPU
 * (bh_debug_cpu: the index of the physical CPU executing the call).
 *
 *  1. parallel:   four spinning threads of different priorities, one pinned
 *                 to each CPU, meet at a barrier no single CPU could get
 *                 them through (the highest-priority spinner would starve
 *                 the rest);
 *  2. ipc:        1000 calls from CPU 0 to a server pinned to CPU 1;
 *  3. notify:     500 signal/wait round trips between CPU 0 and CPU 2;
 *  4. migrate:    a spinning thread moved by SET_AFFINITY, by another thread
 *                 and by itself, shows up on each new CPU;
 *  5. errors:     SET_AFFINITY to a CPU that is not online;
 *  6. stress:     a randomized mix (fixed seed) of migrations, calls,
 *                 signals and priority changes against six workers, with
 *                 the invariants checked after every step.
 * Shared words are read and written with acquire/release atomics: the
 * threads really run at the same time.
 */
#include "ktest_util.h"

#define NCPU_NEEDED 4u

static unsigned ncpus;

static uint64_t load(const volatile uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store(volatile uint64_t *p, uint64_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* The spin-wait hint, in every busy loop of these tests. A no-op for the
 * kernel (YIELD is not trapped) and on parallel hardware; under QEMU -icount
 * (one CPU at a time, round robin) it ends this CPU's turn. Without it, QEMU
 * 7.2 gives the spinning CPU every instruction up to the next timer deadline
 * and the CPUs after it in the round none, for ever (docs/ARCHITECTURE.md,
 * SMP, "Tests under -icount"). */
static void spin_hint(void)
{
    __asm__ volatile("yield" ::: "memory");
}

/* ---- 1. four threads on four CPUs at the same time ---- */

static volatile uint64_t arrived[NCPU_NEEDED];
static volatile uint64_t seen_cpu[NCPU_NEEDED];
static volatile uint64_t wrong_cpu[NCPU_NEEDED];
static volatile uint64_t gave_up;

#define BARRIER_US 500000u /* a worker waits this long before it gives up */

static void parallel_worker(uint64_t i, uint64_t done)
{
    store(&seen_cpu[i], bh_debug_cpu());
    store(&arrived[i], 1);
    /* Spin, without a system call, until every worker is here. */
    uint64_t start = kt_now();
    for (;;) {
        unsigned n = 0;
        for (unsigned k = 0; k < NCPU_NEEDED; k++) {
            n += load(&arrived[k]) != 0 ? 1u : 0u;
        }
        if (n == NCPU_NEEDED) {
            break;
        }
        if (load(&gave_up) != 0 || kt_us(kt_now() - start) > BARRIER_US) {
            store(&gave_up, 1);
            break;
        }
        spin_hint();
    }
    /* Still where it was pinned after the barrier. */
    for (unsigned r = 0; r < 100; r++) {
        if (bh_debug_cpu() != i) {
            store(&wrong_cpu[i], load(&wrong_cpu[i]) + 1);
        }
    }
    bh_signal(done);
}

static void test_parallel(void)
{
    uint64_t done = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    static struct kt_thread w[NCPU_NEEDED];
    for (uint64_t i = 0; i < NCPU_NEEDED; i++) {
        uint64_t badged = kt_mint(done, BH_RIGHTS_ALL, 1ull << i, "mint a badged notification");
        /* Different priorities: on one CPU the highest would starve the rest. */
        kt_spawn(&w[i], "pinned", parallel_worker, i, badged, 100 + i, 0, 0, false);
        kt_check(bh_tcb_set_affinity(w[i].tcb, i) == BH_OK, "pin a thread to its CPU");
    }
    for (uint64_t i = 0; i < NCPU_NEEDED; i++) {
        kt_check(bh_tcb_resume(w[i].tcb) == BH_OK, "start a pinned thread");
    }
    /* Blocking here (priority 255, CPU 0) lets the CPU-0 worker run. */
    uint64_t seen = 0;
    for (unsigned n = 0; n < NCPU_NEEDED && seen != 0xf; n++) {
        uint64_t bits = 0;
        if (bh_wait(done, &bits) != BH_OK) {
            break;
        }
        seen |= bits;
    }
    unsigned right = 0;
    uint64_t wrong = 0;
    for (unsigned i = 0; i < NCPU_NEEDED; i++) {
        right += load(&seen_cpu[i]) == i ? 1u : 0u;
        wrong += load(&wrong_cpu[i]);
    }
    kt_check(seen == 0xf && load(&gave_up) == 0, "all four met at the spin barrier");
    kt_check(right == NCPU_NEEDED && wrong == 0, "each ran only on its own CPU");
    bh_printf("smp-parallel: 4 spinning threads (priorities 100..103) on CPUs %lu %lu %lu %lu "
              "%s at a spin barrier, %u on their own CPU, %lu reports elsewhere\n",
              (unsigned long)load(&seen_cpu[0]), (unsigned long)load(&seen_cpu[1]),
              (unsigned long)load(&seen_cpu[2]), (unsigned long)load(&seen_cpu[3]),
              load(&gave_up) == 0 ? "met" : "DID NOT MEET", right, (unsigned long)wrong);
}

/* ---- 2. cross-CPU IPC ---- */

static void test_ipc(void)
{
    uint64_t ep = kt_alloc(BH_OBJ_ENDPOINT, 0);
    uint64_t b1 = kt_mint(ep, BH_RIGHTS_ALL, 0x11, "mint badge 0x11");
    uint64_t b2 = kt_mint(ep, BH_RIGHTS_ALL, 0x22, "mint badge 0x22");
    static struct kt_thread server;
    kt_spawn(&server, "echo1", kt_echo_server, ep, 1, 200, 0, 0, false);
    kt_check(bh_tcb_set_affinity(server.tcb, 1) == BH_OK, "pin the server to CPU 1");
    kt_check(bh_tcb_resume(server.tcb) == BH_OK, "start the server");
    unsigned ok = 0;
    unsigned on1 = 0;
    for (uint64_t i = 0; i < 1000; i++) {
        uint64_t mr[6] = {i, 0, 0, 0, 0, 0};
        unsigned n = 1;
        uint64_t label = 7;
        bh_error_t e = bh_call((i & 1) ? b2 : b1, &label, mr, &n);
        if (e == BH_OK && n == 3 && mr[0] == i + 1 && mr[1] == ((i & 1) ? 0x22u : 0x11u)) {
            ok++;
        }
        on1 += (e == BH_OK && mr[2] == 1) ? 1u : 0u;
    }
    unsigned me = bh_debug_cpu();
    kt_check(ok == 1000, "1000 cross-CPU calls answered with the right badge");
    kt_check(on1 == 1000 && me == 0, "server on CPU 1, caller on CPU 0");
    bh_printf("smp-ipc: %u/1000 calls from CPU %u answered on CPU 1 (%u), badges 0x11/0x22 "
              "delivered\n",
              ok, me, on1);
}

/* ---- 3. cross-CPU notification wake-ups ---- */

static volatile uint64_t waiter_wakeups;
static volatile uint64_t waiter_bad_cpu;

static void waiter(uint64_t ping, uint64_t pong)
{
    for (;;) {
        uint64_t bits = 0;
        if (bh_wait(ping, &bits) != BH_OK) {
            return;
        }
        if (bh_debug_cpu() != 2) {
            store(&waiter_bad_cpu, load(&waiter_bad_cpu) + 1);
        }
        store(&waiter_wakeups, load(&waiter_wakeups) + 1);
        bh_signal(pong);
    }
}

static void test_notify(void)
{
    uint64_t ping = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    uint64_t pong = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    static struct kt_thread w;
    kt_spawn(&w, "waiter2", waiter, ping, pong, 150, 0, 0, false);
    kt_check(bh_tcb_set_affinity(w.tcb, 2) == BH_OK, "pin the waiter to CPU 2");
    kt_check(bh_tcb_resume(w.tcb) == BH_OK, "start the waiter");
    unsigned answered = 0;
    for (unsigned i = 0; i < 500; i++) {
        bh_signal(ping);
        uint64_t bits = 0;
        if (bh_wait(pong, &bits) == BH_OK) {
            answered++;
        }
    }
    kt_check(answered == 500 && load(&waiter_wakeups) == 500, "500 wake-ups across CPUs");
    kt_check(load(&waiter_bad_cpu) == 0, "the waiter always woke on CPU 2");
    bh_printf("smp-notify: %u/500 signals from CPU 0 woke the waiter on CPU 2 (%lu elsewhere)\n",
              answered, (unsigned long)load(&waiter_bad_cpu));
}

/* ---- 4. migration of a running thread ---- */

static volatile uint64_t mig_cpu = 99;
static volatile uint64_t mig_rounds;
static volatile uint64_t mig_stop;
static volatile uint64_t self_moves_ok;
static uint64_t mig_moved; /* notification: the migrant saw a new CPU */

static void migrant(uint64_t self_tcb, uint64_t done)
{
    uint64_t last = 99;
    while (load(&mig_stop) == 0) {
        spin_hint();
        uint64_t cpu = bh_debug_cpu();
        store(&mig_cpu, cpu);
        store(&mig_rounds, load(&mig_rounds) + 1);
        if (cpu != last) {
            bh_signal(mig_moved);
            last = cpu;
        }
    }
    /* Now it moves itself: the next instruction after the call runs there. */
    unsigned good = 0;
    for (unsigned k = 0; k < 8; k++) {
        unsigned target = (k * 3 + 1) % ncpus;
        if (bh_tcb_set_affinity(self_tcb, target) == BH_OK && bh_debug_cpu() == target) {
            good++;
        }
    }
    store(&self_moves_ok, good);
    bh_signal(done);
}

/* Until the migrant reports cpu (bounded: it signals mig_moved on every
 * change of CPU, and this waits for those signals, so the root task's CPU is
 * free for the migrant when it comes to CPU 0). */
static bool migrant_on(unsigned cpu)
{
    for (unsigned k = 0; k < 16; k++) {
        if (load(&mig_cpu) == cpu) {
            return true;
        }
        uint64_t bits = 0;
        bh_wait(mig_moved, &bits);
    }
    return load(&mig_cpu) == cpu;
}

static void test_migrate(void)
{
    static struct kt_thread m;
    uint64_t done = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    mig_moved = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    kt_spawn(&m, "migrant", migrant, 0, done, 120, 0, 0, false);
    m.a = m.tcb; /* read by the thread's trampoline when it starts */
    kt_check(bh_tcb_set_affinity(m.tcb, 1) == BH_OK, "place the migrant on CPU 1");
    kt_check(bh_tcb_resume(m.tcb) == BH_OK, "start the migrant");
    static const unsigned path[] = {1, 3, 2, 0, 3, 1, 2, 1};
    const unsigned steps = sizeof(path) / sizeof(path[0]);
    unsigned arrivals = 0;
    for (unsigned k = 0; k < steps; k++) {
        unsigned to = path[k] % ncpus;
        kt_check(bh_tcb_set_affinity(m.tcb, to) == BH_OK, "move the running migrant");
        bool there = migrant_on(to);
        arrivals += there ? 1u : 0u;
        if (!there) {
            bh_printf("smp-migrate: FAIL: step %u: not seen on CPU %u (last report CPU %lu, "
                      "round %lu)\n",
                      k, to, (unsigned long)load(&mig_cpu), (unsigned long)load(&mig_rounds));
        }
    }
    store(&mig_stop, 1);
    uint64_t bits = 0;
    kt_check(bh_wait(done, &bits) == BH_OK, "the migrant finished");
    kt_check(arrivals == steps, "the running migrant arrived on each CPU");
    kt_check(load(&self_moves_ok) == 8, "a thread moved itself 8 times");
    bh_printf("smp-migrate: running thread moved by SET_AFFINITY %u/%u times (CPUs 1 3 2 0 3 1 2 "
              "1), moved itself %lu/8 times\n",
              arrivals, steps, (unsigned long)load(&self_moves_ok));
}

/* ---- 5. argument errors ---- */

static void test_errors(void)
{
    uint64_t t = kt_alloc(BH_OBJ_TCB, 0);
    bh_error_t e1 = bh_tcb_set_affinity(t, ncpus);
    bh_error_t e2 = bh_tcb_set_affinity(t, 64);
    bh_error_t e3 = bh_tcb_set_affinity(t, ~0ull);
    bh_error_t ok = bh_tcb_set_affinity(t, ncpus - 1);
    kt_check(e1 == BH_E_INVALID_ARGUMENT && e2 == BH_E_INVALID_ARGUMENT &&
                 e3 == BH_E_INVALID_ARGUMENT,
             "SET_AFFINITY to a CPU that is not online refused");
    kt_check(ok == BH_OK, "SET_AFFINITY to the last online CPU accepted");
    bh_printf("smp-errors: SET_AFFINITY to CPU %u, 64, 2^64-1: errors %u %u %u, to CPU %u: %u\n",
              ncpus, e1, e2, e3, ncpus - 1, ok);
}

/* ---- 6. randomized stress with invariants ---- */

#define NWORKERS   6u
#define NSPINNERS  2u
#define STRESS_OPS 2000u
#define SEED       0x5eed5eedull

struct worker_state {
    uint64_t ep;
    uint64_t ntfn;
    uint64_t calls; /* calls this worker answered (worker side) */
    uint64_t bits;  /* notification bits it collected */
    uint64_t spin;  /* busy work between calls */
};

static volatile struct worker_state ws[NWORKERS];
static volatile uint64_t spinner_cpu[NSPINNERS];
static volatile uint64_t spinner_rounds[NSPINNERS];
static volatile uint64_t spinners_stop;

static void stress_worker(uint64_t i, uint64_t unused)
{
    (void)unused;
    volatile struct worker_state *w = &ws[i];
    uint64_t mr[6];
    unsigned n = 0;
    uint64_t label = 0;
    uint64_t badge = 0;
    bh_recv(w->ep, &label, mr, &n, &badge);
    for (;;) {
        uint64_t bits = 0;
        bh_poll(w->ntfn, &bits);
        store(&w->bits, load(&w->bits) | bits);
        store(&w->calls, load(&w->calls) + 1);
        for (uint64_t k = 0; k < (mr[1] & 0xffu); k++) {
            store(&w->spin, load(&w->spin) + 1);
        }
        mr[0] = mr[0] ^ (0xabcd0000u + i);
        mr[1] = badge;
        mr[2] = bh_debug_cpu();
        mr[3] = load(&w->bits);
        n = 4;
        bh_reply_recv(w->ep, 0, mr, &n, &label, &badge);
    }
}

/* Low-priority threads that never block: migrated while they run (they only
 * enter the kernel every 1024 rounds, so an IPI is what moves them) and
 * preempted on their CPUs by workers woken from other CPUs. Each signals its
 * bit in `moved` when it sees itself on a new CPU. */
static void stress_spinner(uint64_t i, uint64_t moved)
{
    uint64_t last = 99;
    for (uint64_t k = 0; load(&spinners_stop) == 0; k++) {
        spin_hint();
        if ((k & 0xffffu) != 0) {
            continue;
        }
        uint64_t cpu = bh_debug_cpu();
        store(&spinner_cpu[i], cpu);
        store(&spinner_rounds[i], load(&spinner_rounds[i]) + 1);
        if (cpu != last) {
            last = cpu;
            bh_signal(moved);
        }
    }
    bh_signal(moved);
}

static uint64_t rng_state;

static uint64_t rng(void)
{
    /* xorshift64*: fixed seed, the same sequence every run */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static void test_stress(void)
{
    static struct kt_thread w[NWORKERS];
    static struct kt_thread sp[NSPINNERS];
    uint64_t badged[NWORKERS];
    uint64_t signal_cap[NWORKERS][8];
    uint64_t expect_cpu[NWORKERS];
    uint64_t expect_calls[NWORKERS];
    uint64_t expect_bits[NWORKERS];
    uint64_t spinner_want[NSPINNERS];
    rng_state = SEED;
    for (unsigned i = 0; i < NWORKERS; i++) {
        ws[i].ep = kt_alloc(BH_OBJ_ENDPOINT, 0);
        ws[i].ntfn = kt_alloc(BH_OBJ_NOTIFICATION, 0);
        badged[i] = kt_slot();
        kt_check(bh_cnode_mint(CNODE, badged[i], ws[i].ep, BH_RIGHTS_ALL, 0x100u + i) == BH_OK,
                 "mint a worker's badge");
        for (unsigned b = 0; b < 8; b++) {
            signal_cap[i][b] = kt_slot();
            kt_check(bh_cnode_mint(CNODE, signal_cap[i][b], ws[i].ntfn, BH_RIGHTS_ALL, 1ull << b) ==
                         BH_OK,
                     "mint a signal bit");
        }
        kt_spawn(&w[i], "stress", stress_worker, i, 0, 50 + rng() % 150, 0, 0, false);
        expect_cpu[i] = rng() % ncpus;
        kt_check(bh_tcb_set_affinity(w[i].tcb, expect_cpu[i]) == BH_OK, "place a worker");
        kt_check(bh_tcb_resume(w[i].tcb) == BH_OK, "start a worker");
        expect_calls[i] = 0;
        expect_bits[i] = 0;
    }
    uint64_t moved = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    for (unsigned i = 0; i < NSPINNERS; i++) {
        uint64_t badged = kt_slot();
        kt_check(bh_cnode_mint(CNODE, badged, moved, BH_RIGHTS_ALL, 1ull << i) == BH_OK,
                 "mint a spinner's bit");
        kt_spawn(&sp[i], "spinner", stress_spinner, i, badged, 10, 0, 0, false);
        spinner_want[i] = 1 + i % (ncpus - 1);
        kt_check(bh_tcb_set_affinity(sp[i].tcb, spinner_want[i]) == BH_OK, "place a spinner");
        kt_check(bh_tcb_resume(sp[i].tcb) == BH_OK, "start a spinner");
    }
    unsigned counts[5] = {0, 0, 0, 0, 0};
    unsigned violations = 0;
    for (unsigned op = 0; op < STRESS_OPS; op++) {
        uint64_t r = rng();
        unsigned i = (unsigned)(r % NWORKERS);
        switch ((r >> 8) % 5u) {
        case 0: { /* migrate a worker (blocked in its receive) */
            uint64_t to = (r >> 16) % ncpus;
            violations += bh_tcb_set_affinity(w[i].tcb, to) != BH_OK ? 1u : 0u;
            expect_cpu[i] = to;
            counts[0]++;
            break;
        }
        case 1: { /* signal one of 8 bits */
            unsigned b = (unsigned)((r >> 16) % 8u);
            violations += bh_signal(signal_cap[i][b]) != BH_OK ? 1u : 0u;
            expect_bits[i] |= 1ull << b;
            counts[1]++;
            break;
        }
        case 2: /* priority change */
            violations += bh_tcb_set_priority(w[i].tcb, 50 + (r >> 16) % 150) != BH_OK ? 1u : 0u;
            counts[2]++;
            break;
        case 3: { /* migrate a running spinner (never to CPU 0: the root's) */
            unsigned s = (unsigned)((r >> 16) % NSPINNERS);
            spinner_want[s] = 1 + (r >> 24) % (ncpus - 1);
            violations += bh_tcb_set_affinity(sp[s].tcb, spinner_want[s]) != BH_OK ? 1u : 0u;
            counts[3]++;
            break;
        }
        default:
            break;
        }
        /* Every step ends with a call and the invariants after it: the answer
         * is right, from the worker's CPU, and the counts and bits agree. */
        uint64_t mr[6] = {op, r, 0, 0, 0, 0};
        unsigned n = 2;
        uint64_t label = 0;
        bh_error_t e = bh_call(badged[i], &label, mr, &n);
        expect_calls[i]++;
        counts[4]++;
        bool good = e == BH_OK && n == 4 && mr[0] == (op ^ (0xabcd0000u + i)) &&
                    mr[1] == 0x100u + i && mr[2] == expect_cpu[i] && mr[3] == expect_bits[i] &&
                    load(&ws[i].calls) == expect_calls[i];
        if (!good) {
            violations++;
            if (violations <= 5) {
                bh_printf("smp-stress: step %u worker %u: error %u, words %u, cpu %lu (expected "
                          "%lu), bits 0x%lx (0x%lx), calls %lu (%lu)\n",
                          op, i, e, n, (unsigned long)mr[2], (unsigned long)expect_cpu[i],
                          (unsigned long)mr[3], (unsigned long)expect_bits[i],
                          (unsigned long)load(&ws[i].calls), (unsigned long)expect_calls[i]);
            }
        }
    }
    /* The spinners kept running, each where it was last sent: wait for their
     * reports (blocking, so no CPU is kept busy by the check itself). */
    unsigned spin_ok = 0;
    for (unsigned k = 0; k < 64; k++) {
        spin_ok = 0;
        for (unsigned s = 0; s < NSPINNERS; s++) {
            spin_ok += load(&spinner_cpu[s]) == spinner_want[s] ? 1u : 0u;
        }
        if (spin_ok == NSPINNERS) {
            break;
        }
        uint64_t bits = 0;
        bh_wait(moved, &bits);
    }
    store(&spinners_stop, 1);
    for (unsigned s = 0; s < NSPINNERS; s++) {
        kt_check(bh_tcb_suspend(sp[s].tcb) == BH_OK, "stop a spinner");
    }
    kt_check(violations == 0, "stress invariants held after every step");
    kt_check(spin_ok == NSPINNERS, "the migrated spinners run where they were sent");
    bh_printf("smp-stress: seed 0x%llx, %u steps (%u worker migrations, %u signals, %u priority "
              "changes, %u spinner migrations, %u calls) on %u CPUs: %u invariant violations, "
              "spinners %u/%u in place\n",
              (unsigned long long)SEED, STRESS_OPS, counts[0], counts[1], counts[2], counts[3],
              counts[4], ncpus, violations, spin_ok, NSPINNERS);
}

int main(const struct bh_bootinfo *bi)
{
    kt_init(bi);
    ncpus = (unsigned)bi->ncpus;
    bh_printf("smp-test: %u CPUs online, root task on CPU %u\n", ncpus, bh_debug_cpu());
    if (ncpus < NCPU_NEEDED) {
        bh_printf("smp-test: FAIL: needs %u CPUs\n", NCPU_NEEDED);
        return 1;
    }
    test_errors();
    test_parallel();
    test_ipc();
    test_notify();
    test_migrate();
    test_stress();
    bh_printf("smp-test: %s (%d failure%s)\n", kt_failures == 0 ? "all passed" : "FAILED",
              kt_failures, kt_failures == 1 ? "" : "s");
    return kt_failures == 0 ? 0 : 1;
}
