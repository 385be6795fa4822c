/*
 * Kernel micro-benchmarks, run as the root task under QEMU -icount shift=0:
 * every guest instruction advances virtual time by 1 ns, so a counter delta
 * converts to instructions executed (kernel and user) at 10^9 / CNTFRQ
 * instructions per tick (16 at 62.5 MHz). Each figure is an average over many
 * iterations with the loop's own cost subtracted. docs/BENCHMARKS.md explains
 * and reproduces them.
 */
#include "../tests/ktest_util.h"

#include <string.h>

#define ITER 20000u

extern const char bench_server_start[], bench_server_end[];
_Static_assert(BH_SYS_RECV == 4 && BH_SYS_REPLY_RECV == 7, "ipc_server.S numbers");

static uint64_t insns(uint64_t ticks, uint64_t iterations)
{
    /* ticks * (1e9 / freq) / iterations, kept in integers. */
    return ticks * 1000000000u / kt_bi->timer_freq / iterations;
}

static uint64_t empty_loop(void)
{
    uint64_t t0 = kt_now();
    for (uint64_t i = 0; i < ITER; i++) {
        __asm__ volatile("" ::: "memory");
    }
    return kt_now() - t0;
}

static void bench_null(uint64_t base)
{
    uint64_t n = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    uint64_t t0 = kt_now();
    for (uint64_t i = 0; i < ITER; i++) {
        struct bh_sysregs r = {{n, 0, 0, 0, 0, 0, 0, 0}, BH_SYS_POLL};
        bh_syscall(&r);
    }
    uint64_t t = kt_now() - t0;
    bh_printf("bench: null system call (Poll on a notification): %lu instructions\n",
              (unsigned long)insns(t - base, ITER));
}

/* A server thread in an address space of its own, running bench_server. */
static void bench_ipc(uint64_t base)
{
    uint64_t ep = kt_alloc(BH_OBJ_ENDPOINT, 0);
    uint64_t as = kt_alloc(BH_OBJ_ADDRESS_SPACE, 0);
    uint64_t code = kt_alloc(BH_OBJ_FRAME_4K, 0);
    /* Write the server's code through a mapping in our own space... */
    unsigned level = 0;
    uint64_t tmp_va = 0x3e000000ull;
    bh_error_t e = bh_as_map_frame(VSPACE, code, tmp_va, BH_RIGHT_READ | BH_RIGHT_WRITE, &level);
    if (e == BH_E_LOOKUP_FAILED) {
        bh_as_map_table(VSPACE, kt_alloc(BH_OBJ_PAGE_TABLE, 0), tmp_va, level);
        e = bh_as_map_frame(VSPACE, code, tmp_va, BH_RIGHT_READ | BH_RIGHT_WRITE, &level);
    }
    kt_check(e == BH_OK, "map the benchmark server's code frame");
    memcpy((void *)tmp_va, bench_server_start, (size_t)(bench_server_end - bench_server_start));
    __asm__ volatile("dc cvau, %0; dsb ish; ic ivau, %0; dsb ish; isb" ::"r"(tmp_va) : "memory");
    /* ... then map a copy of the capability executable in the server's space. */
    uint64_t xcode = kt_slot();
    kt_check(bh_cnode_copy(CNODE, xcode, code, BH_RIGHTS_ALL) == BH_OK, "copy the code cap");
    uint64_t srv_va = 0x400000ull;
    for (unsigned attempt = 0; attempt < 3; attempt++) {
        e = bh_as_map_frame(as, xcode, srv_va, BH_RIGHT_READ | BH_RIGHT_EXECUTE, &level);
        if (e != BH_E_LOOKUP_FAILED) {
            break;
        }
        bh_as_map_table(as, kt_alloc(BH_OBJ_PAGE_TABLE, 0), srv_va, level);
    }
    kt_check(e == BH_OK, "map the server's code in its own address space");
    uint64_t tcb = kt_alloc(BH_OBJ_TCB, 0);
    kt_check(bh_tcb_configure(tcb, 0, CNODE, as, 0, 0) == BH_OK, "configure the server");
    bh_tcb_set_priority(tcb, 200);
    bh_tcb_write_regs(tcb, srv_va, 0, ep);
    kt_check(bh_tcb_resume(tcb) == BH_OK, "start the server");

    uint64_t t0 = kt_now();
    for (uint64_t i = 0; i < ITER; i++) {
        struct bh_sysregs r = {{ep, bh_msginfo(0, 0, 1), i, 0, 0, 0, 0, 0}, BH_SYS_CALL};
        bh_syscall(&r);
    }
    uint64_t t = kt_now() - t0;
    bh_printf("bench: IPC Call + ReplyRecv round trip, two address spaces: %lu instructions\n",
              (unsigned long)insns(t - base, ITER));
}

/* Signal wakes a higher-priority waiter, which waits again. */
static void waiter(uint64_t ntfn, uint64_t unused)
{
    (void)unused;
    for (;;) {
        bh_wait(ntfn, 0);
    }
}

static void bench_signal(uint64_t base)
{
    uint64_t n = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    static struct kt_thread w;
    kt_spawn(&w, "waiter", waiter, n, 0, 200, 0, 0, true);
    /* The waiter must outrank us for Signal to switch to it at once (it runs
     * and blocks in Wait as soon as we drop below it). */
    kt_check(bh_tcb_set_priority(BH_RT_SLOT_TCB, 100) == BH_OK, "lower our own priority");
    uint64_t t0 = kt_now();
    for (uint64_t i = 0; i < ITER; i++) {
        struct bh_sysregs r = {{n, 0, 0, 0, 0, 0, 0, 0}, BH_SYS_SIGNAL};
        bh_syscall(&r);
    }
    uint64_t t = kt_now() - t0;
    bh_printf(
        "bench: Signal -> higher-priority Wait wakes -> Wait blocks again: %lu instructions\n",
        (unsigned long)insns(t - base, ITER));
}

/* Two spinners at the same priority, switched by the round-robin quantum: each
 * records the counter as it spins; a switch shows as a jump between one
 * thread's last reading and the other's first. */
#define SWITCHES 100u
static volatile uint64_t last_seen[2];
static volatile uint64_t switch_ticks, switches;
static volatile int running = -1;

static void rr_spinner(uint64_t me, uint64_t done)
{
    while (switches < SWITCHES) {
        uint64_t now = kt_now();
        if (running != (int)me) {
            /* A thread preempted between reading the counter and publishing it
             * leaves a stale sample (negative or a whole quantum): not a switch
             * cost, so only gaps under 100 us count. */
            uint64_t gap = now - last_seen[running >= 0 ? running : 0];
            if (running >= 0 && gap < kt_bi->timer_freq / 10000u) {
                switch_ticks += gap;
                switches++;
            }
            running = (int)me;
        }
        last_seen[me] = now;
    }
    bh_signal(done);
    for (;;) {
        bh_wait(done, 0);
    }
}

static void bench_tick_switch(void)
{
    uint64_t done = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    static struct kt_thread a, b;
    kt_spawn(&a, "rr-a", rr_spinner, 0, done, 100, 0, 0, true);
    kt_spawn(&b, "rr-b", rr_spinner, 1, done, 100, 0, 0, true);
    bh_wait(done, 0);
    bh_printf("bench: context switch on the scheduling timer (interrupt, round-robin, resume): "
              "%lu instructions over %lu switches\n",
              (unsigned long)insns(switch_ticks, switches), (unsigned long)switches);
}

int main(const struct bh_bootinfo *bi)
{
    kt_init(bi);
    uint64_t base = empty_loop();
    bench_null(base);
    bench_ipc(base);
    bench_signal(base);
    bench_tick_switch();
    bh_printf("bench: done (%d failure%s)\n", kt_failures, kt_failures == 1 ? "" : "s");
    return kt_failures == 0 ? 0 : 1;
}
