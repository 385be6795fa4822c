/*
 * SMP benchmark root task (label bench, docs/BENCHMARKS.md "SMP"), on CPU 0
 * of a machine with at least two CPUs, under QEMU -icount shift=0: one guest
 * instruction is 1 ns of virtual time, the 62.5 MHz counter ticks every 16
 * instructions. With -icount QEMU runs the CPUs one at a time, so a figure
 * is the number of instructions executed on all CPUs between the two
 * counter reads: the work of the whole path, not a parallel wall time.
 *
 *   IPC round trip   Call from the root task to a server that answers with
 *                    ReplyRecv, server on CPU 0 (same CPU) or CPU 1 (cross);
 *   wake-up          Signal to a notification a thread waits on, to the
 *                    first counter read of the woken thread: a higher-
 *                    priority waiter on CPU 0 (preempts the signaller) or a
 *                    waiter on idle CPU 1 (an SGI wakes that CPU).
 */
#include "ktest_util.h"

#define ROUNDS 2000u

static uint64_t load(const volatile uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store(volatile uint64_t *p, uint64_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static void server(uint64_t ep, uint64_t unused)
{
    (void)unused;
    uint64_t mr[6];
    unsigned n = 0;
    uint64_t label = 0;
    bh_recv(ep, &label, mr, &n, 0);
    for (;;) {
        mr[0]++;
        n = 1;
        bh_reply_recv(ep, 0, mr, &n, &label, 0);
    }
}

/* Average instructions per round trip, the empty loop's cost removed. */
static uint64_t ipc_round_trip(unsigned cpu, uint64_t loop_ticks)
{
    uint64_t ep = kt_alloc(BH_OBJ_ENDPOINT, 0);
    static struct kt_thread s[2];
    kt_spawn(&s[cpu], "bench-srv", server, ep, 0, 200, 0, 0, false);
    kt_check(bh_tcb_set_affinity(s[cpu].tcb, cpu) == BH_OK, "place the server");
    kt_check(bh_tcb_resume(s[cpu].tcb) == BH_OK, "start the server");
    uint64_t mr[6] = {0, 0, 0, 0, 0, 0};
    unsigned n = 1;
    uint64_t label = 0;
    bh_call(ep, &label, mr, &n); /* warm up: the server waits in its receive */
    uint64_t t0 = kt_now();
    for (unsigned i = 0; i < ROUNDS; i++) {
        n = 1;
        bh_call(ep, &label, mr, &n);
    }
    uint64_t ticks = kt_now() - t0;
    kt_check(mr[0] == ROUNDS + 1, "every call answered");
    kt_check(bh_tcb_suspend(s[cpu].tcb) == BH_OK, "stop the server");
    return (ticks - loop_ticks) * 16u / ROUNDS;
}

static volatile uint64_t woke_at;
static volatile uint64_t wakeups;

static void waiter(uint64_t ntfn, uint64_t ack)
{
    for (;;) {
        uint64_t bits = 0;
        bh_wait(ntfn, &bits);
        store(&woke_at, kt_now());
        store(&wakeups, load(&wakeups) + 1);
        bh_signal(ack);
    }
}

/* Average instructions from the Signal (its last counter read before the
 * call) to the waiter's first counter read after it woke. */
static uint64_t wake_latency(unsigned cpu, uint64_t prio)
{
    uint64_t ntfn = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    uint64_t ack = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    static struct kt_thread w[2];
    store(&wakeups, 0);
    kt_spawn(&w[cpu], "bench-wait", waiter, ntfn, ack, prio, 0, 0, false);
    if (cpu == 0) {
        /* Below the waiter, so its wake-up preempts the signaller. */
        kt_check(bh_tcb_set_priority(BH_RT_SLOT_TCB, 200) == BH_OK, "lower the root task");
    }
    kt_check(bh_tcb_set_affinity(w[cpu].tcb, cpu) == BH_OK, "place the waiter");
    kt_check(bh_tcb_resume(w[cpu].tcb) == BH_OK, "start the waiter");
    uint64_t bits = 0;
    bh_signal(ntfn); /* warm up */
    bh_wait(ack, &bits);
    uint64_t total = 0;
    for (unsigned i = 0; i < ROUNDS; i++) {
        uint64_t t0 = kt_now();
        bh_signal(ntfn);
        bh_wait(ack, &bits);
        total += load(&woke_at) - t0;
    }
    kt_check(load(&wakeups) == ROUNDS + 1, "every signal woke the waiter");
    kt_check(bh_tcb_suspend(w[cpu].tcb) == BH_OK, "stop the waiter");
    return total * 16u / ROUNDS;
}

int main(const struct bh_bootinfo *bi)
{
    kt_init(bi);
    if (bi->ncpus < 2) {
        bh_printf("smp-bench: FAIL: needs 2 CPUs\n");
        return 1;
    }
    uint64_t t0 = kt_now();
    for (unsigned i = 0; i < ROUNDS; i++) {
        __asm__ volatile("" ::: "memory");
    }
    uint64_t loop = kt_now() - t0;
    uint64_t same = ipc_round_trip(0, loop);
    uint64_t cross = ipc_round_trip(1, loop);
    bh_printf("smp-bench: IPC Call + ReplyRecv round trip: same CPU %lu, cross-CPU %lu "
              "instructions (%u rounds)\n",
              (unsigned long)same, (unsigned long)cross, ROUNDS);
    uint64_t wake_same = wake_latency(0, 250);
    uint64_t wake_cross = wake_latency(1, 100);
    bh_printf("smp-bench: Signal to woken waiter running: same CPU (preempting) %lu, "
              "cross-CPU (SGI to an idle CPU) %lu instructions (%u rounds)\n",
              (unsigned long)wake_same, (unsigned long)wake_cross, ROUNDS);
    bh_printf("smp-bench: %s (%d failures)\n", kt_failures == 0 ? "done" : "FAILED", kt_failures);
    return kt_failures == 0 ? 0 : 1;
}
