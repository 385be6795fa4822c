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

void console_input_push(const uint8_t *bytes, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (cin.count == CONSOLE_INPUT_RING) {
            /* Full: the oldest byte goes, so a reader that comes back late
             * sees the most recent input. */
            cin.head = (cin.head + 1u) % CONSOLE_INPUT_RING;
            cin.count--;
            cin.dropped++;
            if (!cin.overflowing) {
                cin.overflowing = true;
                char line[96];
                size_t len = bh_snprintf(line, sizeof(line),
                                         "console: input not read; oldest bytes dropped (%lu so "
                                         "far)\n",
                                         (unsigned long)cin.dropped);
                arch_console_write(line, len < sizeof(line) ? len : sizeof(line) - 1u);
            }
        }
        cin.ring[(cin.head + cin.count) % CONSOLE_INPUT_RING] = bytes[i];
        cin.count++;
    }
    if (n > 0 && cin.ntfn != NULL) {
        ntfn_signal(cin.ntfn, cin.badge);
    }
}

unsigned console_input_take(uint8_t *out, unsigned max)
{
    unsigned n = 0;
    cin.overflowing = false;
    while (n < max && cin.count > 0) {
        out[n++] = cin.ring[cin.head];
        cin.head = (cin.head + 1u) % CONSOLE_INPUT_RING;
        cin.count--;
    }
    return n;
}

uint64_t console_input_dropped(void)
{
    return cin.dropped;
}

void console_input_notification_destroyed(const struct notification *n)
{
    if (cin.ntfn == n) {
        cin.ntfn = NULL;
        cin.badge = 0;
    }
}

bh_error_t console_input_invoke(struct tcb *caller, const struct invocation *inv)
{
    if ((cap_rights(inv->target->cap) & BH_RIGHT_READ) == 0) {
        return BH_E_INSUFFICIENT_RIGHTS;
    }
    switch (inv->label) {
    case BH_INV_CONSOLE_SET_NOTIFICATION: {
        if (inv->ncaps < 1) {
            return BH_E_TRUNCATED;
        }
        cap_t c = inv->cap[0];
        if (cap_type(c) != BH_OBJ_NOTIFICATION || (cap_rights(c) & BH_RIGHT_WRITE) == 0) {
            return BH_E_INVALID_CAPABILITY;
        }
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
