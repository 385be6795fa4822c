/*
 * Bulkhead public ABI: scheduling limits and the static time-partition
 * schedule (ARINC 653 style major frame and windows).
 *
 * Times are in ticks of the kernel's timer (the generic timer counter).
 * A schedule is data: the spec compiler emits it, the root task hands it to
 * the kernel, the kernel validates it (see kernel/core/SCHED.md for the
 * error each rule returns).
 */
#ifndef BULKHEAD_SCHEDULE_H
#define BULKHEAD_SCHEDULE_H

#include <stdint.h>

#define BH_SCHED_NUM_PRIOS        256u /* priorities 0 (lowest) .. 255 (highest) */
#define BH_SCHED_MAX_PRIO         255u
#define BH_SCHED_MAX_PARTITIONS   16u /* partition ids 0 .. 15 */
#define BH_SCHED_PARTITION_SYSTEM 0u  /* root task, monitors: runs in slack */
#define BH_SCHED_MAX_WINDOWS      64u
/* Upper bound for a budget, a period and a major frame (2^48 ticks is about
 * 52 days at 62.5 MHz); keeps every time sum below 2^63. */
#define BH_SCHED_TIME_MAX (1ull << 48)
/* Absolute times handed to the scheduler stay below this (no wrap). */
#define BH_SCHED_NOW_MAX (1ull << 62)

/* One window of the major frame: [offset, offset + length) belongs to
 * partition. Reserved fields must be zero. */
struct bh_sched_window {
    uint64_t offset;
    uint64_t length;
    uint32_t partition;
    uint32_t reserved;
};

/* Windows sorted by offset, non-overlapping, inside [0, major_frame), each
 * with length > 0. Time not covered by a window belongs to the system
 * partition (0). */
struct bh_schedule {
    uint64_t major_frame;
    uint32_t num_windows; /* 1 .. BH_SCHED_MAX_WINDOWS */
    uint32_t reserved;
    struct bh_sched_window windows[BH_SCHED_MAX_WINDOWS];
};

#endif
