/*
 * Static time-partition schedule (ARINC 653 style): a major frame of windows,
 * each owned by a partition; validation and window lookup.
 * Design: kernel/core/SCHED.md.
 */
#include <kernel/sched.h>

/* Two slots: a new schedule is copied into the spare one and validated
 * there (the kernel's own copy, so the caller cannot change it after the
 * check), then becomes active by switching the index. */
static struct bh_schedule slots[2];
static unsigned active_slot;
#define active_schedule (slots[active_slot])
static bool schedule_active;
static uint64_t frame_start; /* time the first major frame began */

/* What sched_schedule_validate establishes; holds for active_schedule while
 * schedule_active (it is only installed after validation). */
/*@ predicate schedule_ok(struct bh_schedule *s) =
        0 < s->major_frame <= BH_SCHED_TIME_MAX &&
        0 < s->num_windows <= BH_SCHED_MAX_WINDOWS &&
        (\forall integer i; 0 <= i < s->num_windows ==>
            s->windows[i].length > 0 &&
            s->windows[i].partition < BH_SCHED_MAX_PARTITIONS &&
            s->windows[i].offset + s->windows[i].length <= s->major_frame) &&
        (\forall integer i; 0 < i < s->num_windows ==>
            s->windows[i - 1].offset + s->windows[i - 1].length <= s->windows[i].offset);
*/

/*@ requires \valid_read(s) || s == \null;
    requires \valid(bad_window);
    requires s != \null ==> \separated(bad_window, s);
    assigns *bad_window;
    ensures \result == BH_OK || \result == BH_E_INVALID_ARGUMENT || \result == BH_E_RANGE;
    ensures s == \null ==> \result == BH_E_INVALID_ARGUMENT;
    ensures \result == BH_OK ==> schedule_ok(s);
*/
bh_error_t sched_schedule_validate(const struct bh_schedule *s, uint32_t *bad_window)
{
    *bad_window = BH_SCHED_MAX_WINDOWS;
    if (s == NULL || s->major_frame == 0u || s->num_windows == 0u || s->reserved != 0u) {
        return BH_E_INVALID_ARGUMENT;
    }
    if (s->major_frame > BH_SCHED_TIME_MAX || s->num_windows > BH_SCHED_MAX_WINDOWS) {
        return BH_E_RANGE;
    }
    uint64_t prev_end = 0u;
    /*@ loop invariant s != \null && \valid_read(s);
        loop invariant 0 < s->num_windows <= BH_SCHED_MAX_WINDOWS;
        loop invariant 0 < s->major_frame <= BH_SCHED_TIME_MAX;
        loop invariant 0 <= i <= s->num_windows;
        loop invariant prev_end <= s->major_frame;
        loop invariant i > 0 ==> prev_end == s->windows[i - 1].offset + s->windows[i - 1].length;
        loop invariant \forall integer j; 0 <= j < i ==>
                s->windows[j].length > 0 &&
                s->windows[j].partition < BH_SCHED_MAX_PARTITIONS &&
                s->windows[j].offset + s->windows[j].length <= s->major_frame;
        loop invariant \forall integer j; 0 < j < i ==>
                s->windows[j - 1].offset + s->windows[j - 1].length <= s->windows[j].offset;
        loop assigns i, prev_end, *bad_window;
        loop variant s->num_windows - i;
    */
    for (uint32_t i = 0; i < s->num_windows; i++) {
        const struct bh_sched_window *w = &s->windows[i];
        *bad_window = i;
        if (w->length == 0u || w->reserved != 0u) {
            return BH_E_INVALID_ARGUMENT;
        }
        if (w->partition >= BH_SCHED_MAX_PARTITIONS) {
            return BH_E_RANGE;
        }
        if (w->offset < prev_end) {
            return BH_E_INVALID_ARGUMENT; /* unsorted or overlapping */
        }
        if (w->offset >= s->major_frame || w->length > s->major_frame - w->offset) {
            return BH_E_RANGE; /* ends past the major frame */
        }
        prev_end = w->offset + w->length;
    }
    *bad_window = BH_SCHED_MAX_WINDOWS;
    return BH_OK;
}

/*@ requires s == \null || (\valid_read(s) && \separated(s, &slots[0 .. 1]));
    requires now < BH_SCHED_NOW_MAX;
    requires active_slot <= 1;
    requires schedule_active ==> schedule_ok(&active_schedule);
    requires frame_start < BH_SCHED_NOW_MAX;
    assigns slots[0 .. 1], active_slot, frame_start, schedule_active;
    ensures active_slot <= 1;
    ensures schedule_active ==> schedule_ok(&active_schedule);
    ensures frame_start < BH_SCHED_NOW_MAX;
    ensures \result == BH_OK || \result == BH_E_INVALID_ARGUMENT || \result == BH_E_RANGE ||
            \result == BH_E_IN_USE;
    ensures \result != BH_OK ==> schedule_active == \old(schedule_active);
*/
bh_error_t sched_set_schedule(const struct bh_schedule *s, uint64_t now)
{
    if (s == NULL) {
        if (schedule_active && sched_nonsystem_ready() != 0u) {
            return BH_E_IN_USE;
        }
        schedule_active = false;
        return BH_OK;
    }
    unsigned spare = 1u - active_slot;
    /*@ assert \separated(&slots[spare], &slots[active_slot]); */
    slots[spare] = *s;
    /*@ assert kept_fields: slots[active_slot].major_frame ==
                               \at(slots[active_slot].major_frame, Pre) &&
            slots[active_slot].num_windows == \at(slots[active_slot].num_windows, Pre) &&
            (\forall integer i; 0 <= i < BH_SCHED_MAX_WINDOWS ==>
                slots[active_slot].windows[i].offset ==
                    \at(slots[active_slot].windows[i].offset, Pre) &&
                slots[active_slot].windows[i].length ==
                    \at(slots[active_slot].windows[i].length, Pre) &&
                slots[active_slot].windows[i].partition ==
                    \at(slots[active_slot].windows[i].partition, Pre)); */
    /*@ assert kept: schedule_active ==> schedule_ok(&slots[active_slot]); */
    uint32_t bad;
    bh_error_t err = sched_schedule_validate(&slots[spare], &bad);
    if (err != BH_OK) {
        return err;
    }
    if (sched_nonsystem_ready() != 0u) {
        return BH_E_IN_USE;
    }
    active_slot = spare;
    frame_start = now;
    schedule_active = true;
    return BH_OK;
}

/*@ assigns \nothing;
    ensures \result == schedule_active; */
bool sched_schedule_active(void)
{
    return schedule_active;
}

/* Window index containing offset, or num_windows for a gap. At most
 * BH_SCHED_MAX_WINDOWS steps. */
/*@ requires active_slot <= 1 && schedule_ok(&active_schedule);
    assigns \nothing;
    ensures \result <= active_schedule.num_windows;
*/
static uint32_t window_at(uint64_t off)
{
    /*@ loop invariant 0 <= i <= active_schedule.num_windows;
        loop assigns i;
        loop variant active_schedule.num_windows - i;
    */
    for (uint32_t i = 0; i < active_schedule.num_windows && i < BH_SCHED_MAX_WINDOWS; i++) {
        const struct bh_sched_window *w = &active_schedule.windows[i];
        if (off < w->offset) {
            break;
        }
        if (off - w->offset < w->length) {
            return i;
        }
    }
    return active_schedule.num_windows;
}

/*@ requires active_slot <= 1;
    requires schedule_active ==> schedule_ok(&active_schedule);
    assigns \nothing;
    ensures \result < BH_SCHED_MAX_PARTITIONS;
*/
uint16_t partition_current(uint64_t now)
{
    if (!schedule_active || now < frame_start) {
        return BH_SCHED_PARTITION_SYSTEM;
    }
    uint64_t off = (now - frame_start) % active_schedule.major_frame;
    uint32_t i = window_at(off);
    if (i >= active_schedule.num_windows) {
        return BH_SCHED_PARTITION_SYSTEM;
    }
    return (uint16_t)active_schedule.windows[i].partition;
}

/*@ requires active_slot <= 1;
    requires schedule_active ==> schedule_ok(&active_schedule);
    requires now < BH_SCHED_NOW_MAX && frame_start < BH_SCHED_NOW_MAX;
    assigns \nothing;
    ensures \result > now;
*/
uint64_t partition_next_switch(uint64_t now)
{
    if (!schedule_active) {
        return UINT64_MAX;
    }
    if (now < frame_start) {
        return frame_start;
    }
    uint64_t off = (now - frame_start) % active_schedule.major_frame;
    uint64_t base = now - off;
    uint64_t next = active_schedule.major_frame; /* start of the next frame */
    /*@ assert off < next && off <= now; */
    /* First window edge (start or end) after off. */
    /*@ loop invariant 0 <= i <= active_schedule.num_windows;
        loop invariant off < next <= BH_SCHED_TIME_MAX;
        loop assigns i, next;
        loop variant active_schedule.num_windows - i;
    */
    for (uint32_t i = 0; i < active_schedule.num_windows && i < BH_SCHED_MAX_WINDOWS; i++) {
        const struct bh_sched_window *w = &active_schedule.windows[i];
        if (w->offset > off) {
            next = w->offset;
            break;
        }
        if (w->offset + w->length > off) {
            next = w->offset + w->length;
            break;
        }
    }
    return base + next;
}
