/*
 * ConsoleInput: one kernel object (static, never retyped) holding the bytes
 * typed on the system console until its holder READs them. The receive
 * interrupt only appends to a bounded ring and signals; nothing here blocks,
 * and every path is bounded by CONSOLE_INPUT_RING or CONSOLE_INPUT_READ_MAX.
 */
#include <kernel/console_input.h>

#include <bulkhead/ipc.h>
#include <kernel/ipc.h>
#include <kernel/kernel.h>
#include <kernel/object_invoke.h>

#include <bh_fmt.h>

static struct {
    uint8_t ring[CONSOLE_INPUT_RING];
    uint32_t head;  /* oldest byte */
    uint32_t count; /* bytes held */
    uint64_t dropped;
    bool overflowing;          /* dropped since the last READ: reported once */
    struct notification *ntfn; /* SET_NOTIFICATION, or NULL */
    uint64_t badge;
} cin;

static uint32_t console_intid; /* 0: receive interrupts are off */

/* The ring's invariant: the oldest byte's index and the count in bounds. */
/*@ predicate cin_ok = cin.head < CONSOLE_INPUT_RING && cin.count <= CONSOLE_INPUT_RING; */

/*@ assigns console_intid;
    ensures console_intid == intid; */
void console_input_set_irq(uint32_t intid)
{
    console_intid = intid;
}

bool console_input_irq(uint32_t intid)
{
    if (console_intid == 0 || intid != console_intid) {
        return false;
    }
    console_rx_irq();
    arch_irq_ack(intid); /* the UART has been drained: the line may come again */
    return true;
}

paddr_t console_input_object(void)
{
    /* In the kernel image: no untyped covers it, so revoking memory never
     * reaches the capability (caps/src/cdt.c ut_covers). */
    return kva_to_pa(&cin);
}

/*
 * Appends one byte. Full: the oldest byte goes first (and is counted), so a
 * reader that comes back late sees the most recent input. True if one went.
 */
/*@ requires cin_ok;
    assigns cin.ring[0 .. CONSOLE_INPUT_RING - 1], cin.head, cin.count, cin.dropped;
    ensures cin_ok && cin.count >= 1;
    ensures cin.ring[(\old(cin.head) + \old(cin.count)) % CONSOLE_INPUT_RING] == b;
    ensures \forall integer j; 0 <= j < CONSOLE_INPUT_RING &&
              j != (\old(cin.head) + \old(cin.count)) % CONSOLE_INPUT_RING ==>
              cin.ring[j] == \old(cin.ring[j]);
    behavior room:
      assumes cin.count < CONSOLE_INPUT_RING;
      ensures !\result && cin.head == \old(cin.head) && cin.count == \old(cin.count) + 1;
      ensures cin.dropped == \old(cin.dropped);
    behavior full:
      assumes cin.count == CONSOLE_INPUT_RING;
      ensures \result && cin.count == CONSOLE_INPUT_RING;
      ensures cin.head == (\old(cin.head) + 1) % CONSOLE_INPUT_RING;
      ensures \old(cin.dropped) < UINT64_MAX ==> cin.dropped == \old(cin.dropped) + 1;
    complete behaviors;
    disjoint behaviors; */
static bool ring_put(uint8_t b)
{
    bool dropped = false;
    if (cin.count == CONSOLE_INPUT_RING) {
        cin.head = (cin.head + 1u) % CONSOLE_INPUT_RING;
        cin.count--;
        cin.dropped++;
        dropped = true;
    }
    cin.ring[(cin.head + cin.count) % CONSOLE_INPUT_RING] = b;
    cin.count++;
    return dropped;
}

void console_input_push(const uint8_t *bytes, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (ring_put(bytes[i]) && !cin.overflowing) {
            cin.overflowing = true;
            char line[96];
            size_t len = bh_snprintf(line, sizeof(line),
                                     "console: input not read; oldest bytes dropped (%lu so far)\n",
                                     (unsigned long)cin.dropped);
            arch_console_write(line, len < sizeof(line) ? len : sizeof(line) - 1u);
        }
    }
    if (n > 0 && cin.ntfn != NULL) {
        ntfn_signal(cin.ntfn, cin.badge);
    }
}

/*@ requires cin_ok;
    requires \valid(out + (0 .. max - 1)) && \separated(out + (0 .. max - 1), &cin);
    assigns out[0 .. max - 1], cin.head, cin.count, cin.overflowing;
    ensures cin_ok && !cin.overflowing;
    ensures \result <= max && \result <= \old(cin.count);
    ensures \result == max || \result == \old(cin.count);
    ensures cin.count == \old(cin.count) - \result;
    ensures cin.head == (\old(cin.head) + \result) % CONSOLE_INPUT_RING;
    ensures \forall integer j; 0 <= j < \result ==>
              out[j] == cin.ring[(\old(cin.head) + j) % CONSOLE_INPUT_RING]; */
unsigned console_input_take(uint8_t *out, unsigned max)
{
    unsigned n = 0;
    cin.overflowing = false;
    /*@ loop invariant 0 <= n <= max && n <= \at(cin.count, Pre);
        loop invariant cin_ok && cin.count == \at(cin.count, Pre) - n;
        loop invariant cin.head == (\at(cin.head, Pre) + n) % CONSOLE_INPUT_RING;
        loop invariant \forall integer j; 0 <= j < n ==>
          out[j] == cin.ring[(\at(cin.head, Pre) + j) % CONSOLE_INPUT_RING];
        loop assigns n, out[0 .. max - 1], cin.head, cin.count;
        loop variant max - n; */
    while (n < max && cin.count > 0) {
        out[n++] = cin.ring[cin.head];
        cin.head = (cin.head + 1u) % CONSOLE_INPUT_RING;
        cin.count--;
    }
    return n;
}

/*@ assigns \nothing;
    ensures \result == cin.dropped; */
uint64_t console_input_dropped(void)
{
    return cin.dropped;
}

/*@ assigns cin.ntfn, cin.badge;
    ensures \old(cin.ntfn) == n ==> cin.ntfn == \null && cin.badge == 0;
    ensures \old(cin.ntfn) != n ==> cin.ntfn == \old(cin.ntfn) && cin.badge == \old(cin.badge); */
void console_input_notification_destroyed(const struct notification *n)
{
    const struct notification *cur = cin.ntfn; /* same type as n: a plain comparison */
    if (cur == n) {
        cin.ntfn = NULL;
        cin.badge = 0;
    }
}

/*@ logic integer right_l(cap_t c, integer bit) = (cap_rights_l(c) / bit) % 2; */

/*
 * The checks of a ConsoleInput invocation, in order: the read right on the
 * invoked capability; a known method; for SET_NOTIFICATION a Notification
 * capability with the right to signal.
 */
/*@ requires \valid_read(inv) && \valid_read(inv->target);
    assigns \nothing;
    ensures right_l(inv->target->cap, BH_RIGHT_READ) == 0 ==> \result == BH_E_INSUFFICIENT_RIGHTS;
    ensures right_l(inv->target->cap, BH_RIGHT_READ) == 1 &&
            inv->label != BH_INV_CONSOLE_SET_NOTIFICATION && inv->label != BH_INV_CONSOLE_READ ==>
            \result == BH_E_ILLEGAL_OPERATION;
    ensures right_l(inv->target->cap, BH_RIGHT_READ) == 1 &&
            inv->label == BH_INV_CONSOLE_SET_NOTIFICATION && inv->ncaps < 1 ==>
            \result == BH_E_TRUNCATED;
    ensures \result == BH_OK || \result == BH_E_INSUFFICIENT_RIGHTS ||
            \result == BH_E_ILLEGAL_OPERATION || \result == BH_E_TRUNCATED ||
            \result == BH_E_INVALID_CAPABILITY;
    ensures \result == BH_OK <==>
            right_l(inv->target->cap, BH_RIGHT_READ) == 1 &&
            (inv->label == BH_INV_CONSOLE_READ ||
             (inv->label == BH_INV_CONSOLE_SET_NOTIFICATION && inv->ncaps >= 1 &&
              cap_type_l(inv->cap[0]) == BH_OBJ_NOTIFICATION &&
              right_l(inv->cap[0], BH_RIGHT_WRITE) == 1)); */
static bh_error_t console_check(const struct invocation *inv)
{
    if ((cap_rights(inv->target->cap) / BH_RIGHT_READ) % 2u == 0) {
        return BH_E_INSUFFICIENT_RIGHTS;
    }
    if (inv->label == BH_INV_CONSOLE_READ) {
        return BH_OK;
    }
    if (inv->label != BH_INV_CONSOLE_SET_NOTIFICATION) {
        return BH_E_ILLEGAL_OPERATION;
    }
    if (inv->ncaps < 1) {
        return BH_E_TRUNCATED;
    }
    if (cap_type(inv->cap[0]) != BH_OBJ_NOTIFICATION ||
        (cap_rights(inv->cap[0]) / BH_RIGHT_WRITE) % 2u == 0) {
        return BH_E_INVALID_CAPABILITY;
    }
    return BH_OK;
}

bh_error_t console_input_invoke(struct tcb *caller, const struct invocation *inv)
{
    bh_error_t ce = console_check(inv);
    if (ce != BH_OK) {
        return ce; /* nothing changed */
    }
    switch (inv->label) {
    case BH_INV_CONSOLE_SET_NOTIFICATION: {
        cap_t c = inv->cap[0];
        cin.ntfn = notification_of(c);
        cin.badge = cap_badge(c);
        if (cin.count > 0) {
            /* Bytes that came before anyone listened are announced at once. */
            ntfn_signal(cin.ntfn, cin.badge);
        }
        return BH_OK;
    }
    case BH_INV_CONSOLE_READ: {
        uint8_t b[CONSOLE_INPUT_READ_MAX];
        unsigned n = console_input_take(b, CONSOLE_INPUT_READ_MAX);
        caller->regs.x[2] = n;
        for (unsigned w = 0; w < CONSOLE_INPUT_READ_MAX / 8u; w++) {
            uint64_t v = 0;
            for (unsigned i = 0; i < 8u; i++) {
                unsigned k = w * 8u + i;
                v |= (uint64_t)(k < n ? b[k] : 0u) << (8u * i);
            }
            caller->regs.x[3 + w] = v;
        }
        caller->regs.x[1] = bh_msginfo(0, 0, 1u + CONSOLE_INPUT_READ_MAX / 8u);
        return BH_OK;
    }
    default:
        return BH_E_ILLEGAL_OPERATION;
    }
}
