/*
 * On-target time-partition test: booted with a schedule of a 30 ms major
 * frame, partition 1 in [0, 10) ms and partition 2 in [10, 20) ms. Two
 * spinning threads, one per partition, record when they run; each must run
 * only inside its own window.
 */
#include "ktest_util.h"

#define FRAME_US      30000u
#define WINDOW_US     10000u
#define RUNS          12u
#define FIRST_CHECKED 2u

struct runs {
    uint64_t start[RUNS];
    uint64_t end[RUNS];
    volatile unsigned n;
};

static struct runs runs[2];

static void spin_and_record(uint64_t which, uint64_t done)
{
    struct runs *r = &runs[which];
    uint64_t off_cpu = kt_bi->timer_freq * 500u / 1000000u;
    uint64_t start = kt_now();
    uint64_t last = start;
    while (r->n < RUNS) {
        uint64_t now = kt_now();
        if (now - last > off_cpu) {
            r->start[r->n] = start;
            r->end[r->n] = last;
            r->n++;
            start = now;
        }
        last = now;
    }
    bh_signal(done);
    for (;;) {
        bh_yield();
    }
}

/* Partition 0 background load: keeps the CPU busy in the gap window. Under
 * QEMU -icount an idle CPU lets virtual time jump with real-time slop, which
 * would blur window edges; with no idle, time follows instructions exactly. */
static void background(uint64_t a, uint64_t b)
{
    (void)a;
    (void)b;
    for (;;) {
    }
}

int main(const struct bh_bootinfo *bi)
{
    kt_init(bi);
    uint64_t done = kt_alloc(BH_OBJ_NOTIFICATION, 0);
    static struct kt_thread p1, p2, bg;
    kt_spawn(&bg, "background", background, 0, 0, 1, 0, 0, true);
    kt_spawn(&p1, "part1", spin_and_record, 0, done, 100, 0, 1, true);
    kt_spawn(&p2, "part2", spin_and_record, 1, done, 100, 0, 2, true);
    bh_wait(done, 0);
    bh_wait(done, 0);
    uint64_t frame = bi->timer_freq * FRAME_US / 1000000u;
    uint64_t window = bi->timer_freq * WINDOW_US / 1000000u;
    uint64_t slack = bi->timer_freq * 500u / 1000000u;
    /* The first runs may begin mid-window (threads start while the root task
     * works in slack); from run 2 on every run is a whole window. The phase of
     * partition 1's windows is where its last run starts; every run of
     * partition 1 must start there (mod the frame), every run of partition 2
     * one window later, and no run may last longer than a window. */
    uint64_t phase = runs[0].start[RUNS - 1] % frame;
    unsigned bad = 0;
    uint64_t longest = 0;
    for (unsigned p = 0; p < 2; p++) {
        for (unsigned i = FIRST_CHECKED; i < RUNS; i++) {
            uint64_t len = runs[p].end[i] - runs[p].start[i];
            uint64_t want = (phase + p * window) % frame;
            uint64_t at = runs[p].start[i] % frame;
            uint64_t skew = at > want ? at - want : want - at;
            if (skew > frame / 2) {
                skew = frame - skew;
            }
            if (len > window + slack || skew > slack) {
                bad++;
                bh_printf("partition-test: partition %u run %u: %lu us long, %lu us off its "
                          "window start\n",
                          p + 1, i, (unsigned long)kt_us(len), (unsigned long)kt_us(skew));
            }
            if (len > longest) {
                longest = len;
            }
        }
    }
    bh_printf("partition-test: %u runs per partition checked, %u outside their window, longest "
              "run %lu us (window %u us)\n",
              RUNS - FIRST_CHECKED, bad, (unsigned long)kt_us(longest), WINDOW_US);
    bh_printf("partition-test: %s\n",
              bad == 0 ? "each partition ran only in its windows" : "FAILED");
    return bad == 0 ? 0 : 1;
}
