/* ConsoleInput (kernel/core/console_input.c) on the host: the bounded ring
 * (order, oldest dropped and counted, one report per overflow), the
 * notification (signalled with its badge, at once if bytes wait, forgotten
 * when destroyed), READ's packing, the receive interrupt hook and every
 * error path of the invocation. The kernel around it is stubbed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <kernel/console_input.h>
#include <kernel/object_invoke.h>

/* ---- stubs for the kernel around the object ---- */

static struct notification *signalled;
static uint64_t signalled_bits;
static unsigned signals;

void ntfn_signal(struct notification *n, uint64_t bits)
{
    signalled = n;
    signalled_bits = bits;
    signals++;
}

static char console_out[512];
static unsigned console_lines;

void arch_console_write(const char *s, size_t n)
{
    assert_true(n < sizeof(console_out));
    memcpy(console_out, s, n);
    console_out[n] = '\0';
    console_lines++;
}

static const uint8_t *uart_bytes;
static unsigned uart_len, rx_irqs;

void console_rx_irq(void)
{
    rx_irqs++;
    console_input_push(uart_bytes, uart_len);
}

static uint32_t acked;

void arch_irq_ack(uint32_t intid)
{
    acked = intid;
}

/* ---- helpers ---- */

static struct notification ntfn __attribute__((aligned(32)));
static struct tcb caller __attribute__((aligned(2048)));
static cte_t target;

static void drain(void)
{
    uint8_t b[64];
    while (console_input_take(b, sizeof(b)) > 0) {
    }
}

static int setup(void **state)
{
    (void)state;
    drain();
    console_input_notification_destroyed(&ntfn); /* no notification */
    signals = 0;
    signalled = NULL;
    console_lines = 0;
    rx_irqs = 0;
    acked = 0;
    memset(&caller, 0, sizeof(caller));
    target.cap = cap_make(BH_OBJ_CONSOLE_INPUT, console_input_object(), BH_RIGHTS_ALL, true);
    return 0;
}

static bh_error_t invoke(uint64_t label, cap_t c0, unsigned ncaps)
{
    struct invocation inv;
    memset(&inv, 0, sizeof(inv));
    inv.target = &target;
    inv.label = label;
    inv.ncaps = ncaps;
    inv.cap[0] = c0;
    return console_input_invoke(&caller, &inv);
}

static cap_t ntfn_cap(uint32_t rights, uint64_t badge)
{
    return cap_set_badge(cap_make(BH_OBJ_NOTIFICATION, kva_to_pa(&ntfn), rights, false), badge);
}

/* ---- tests ---- */

static void test_order_and_read_packing(void **state)
{
    (void)state;
    const char *text = "typed-42 and then some more bytes: 0123456789abcdef";
    console_input_push((const uint8_t *)text, (unsigned)strlen(text));
    assert_int_equal(signals, 0); /* nobody to tell */
    assert_int_equal(invoke(BH_INV_CONSOLE_READ, cap_null(), 0), BH_OK);
    assert_int_equal(caller.regs.x[2], 40);
    assert_int_equal(bh_msginfo_length(caller.regs.x[1]), 6);
    char got[64];
    for (unsigned i = 0; i < 40; i++) {
        got[i] = (char)(caller.regs.x[3 + i / 8] >> (8 * (i % 8)));
    }
    assert_memory_equal(got, text, 40);
    assert_int_equal(invoke(BH_INV_CONSOLE_READ, cap_null(), 0), BH_OK);
    size_t rest = strlen(text) - 40;
    assert_int_equal(caller.regs.x[2], rest);
    for (unsigned i = 0; i < rest; i++) {
        got[i] = (char)(caller.regs.x[3 + i / 8] >> (8 * (i % 8)));
    }
    assert_memory_equal(got, text + 40, rest);
    /* Unused bytes of the words are zero. */
    assert_int_equal(caller.regs.x[3 + rest / 8] >> (8 * (rest % 8)), 0);
    assert_int_equal(caller.regs.x[7], 0);
    assert_int_equal(invoke(BH_INV_CONSOLE_READ, cap_null(), 0), BH_OK);
    assert_int_equal(caller.regs.x[2], 0);
}

static void test_overflow_drops_oldest(void **state)
{
    (void)state;
    static uint8_t big[CONSOLE_INPUT_RING + 6];
    for (unsigned i = 0; i < sizeof(big); i++) {
        big[i] = (uint8_t)i;
    }
    uint64_t before = console_input_dropped();
    console_input_push(big, sizeof(big));
    assert_int_equal(console_input_dropped() - before, 6);
    assert_int_equal(console_lines, 1); /* reported once per overflow */
    assert_non_null(strstr(console_out, "oldest bytes dropped"));
    console_input_push(big, 3);
    assert_int_equal(console_lines, 1);
    assert_int_equal(console_input_dropped() - before, 9);
    uint8_t b[4];
    assert_int_equal(console_input_take(b, 1), 1);
    assert_int_equal(b[0], 9); /* bytes 0..8 went */
    drain();
    /* A READ ends the episode: the next overflow is reported again. */
    console_input_push(big, sizeof(big));
    assert_int_equal(console_lines, 2);
}

static void test_notification(void **state)
{
    (void)state;
    /* Bytes before anyone listened are announced when the notification is set. */
    console_input_push((const uint8_t *)"x", 1);
    assert_int_equal(invoke(BH_INV_CONSOLE_SET_NOTIFICATION, ntfn_cap(BH_RIGHT_WRITE, 0x10), 1),
                     BH_OK);
    assert_int_equal(signals, 1);
    assert_ptr_equal(signalled, &ntfn);
    assert_int_equal(signalled_bits, 0x10);
    console_input_push((const uint8_t *)"yz", 2);
    assert_int_equal(signals, 2);
    console_input_push((const uint8_t *)"", 0); /* nothing new: no signal */
    assert_int_equal(signals, 2);
    /* The receive interrupt: only the console's INTID, drained and deactivated. */
    uart_bytes = (const uint8_t *)"\r";
    uart_len = 1;
    assert_false(console_input_irq(33)); /* not registered yet */
    console_input_set_irq(33);
    assert_false(console_input_irq(34));
    assert_true(console_input_irq(33));
    assert_int_equal(rx_irqs, 1);
    assert_int_equal(acked, 33);
    assert_int_equal(signals, 3);
    uint8_t b[8];
    assert_int_equal(console_input_take(b, sizeof(b)), 4);
    assert_memory_equal(b, "xyz\r", 4);
    /* A destroyed notification is forgotten. */
    console_input_notification_destroyed(&ntfn);
    console_input_push((const uint8_t *)"q", 1);
    assert_int_equal(signals, 3);
}

static void test_errors(void **state)
{
    (void)state;
    assert_int_equal(invoke(BH_INV_CONSOLE_SET_NOTIFICATION, cap_null(), 0), BH_E_TRUNCATED);
    assert_int_equal(invoke(BH_INV_CONSOLE_SET_NOTIFICATION, ntfn_cap(BH_RIGHT_READ, 1), 1),
                     BH_E_INVALID_CAPABILITY); /* it must be able to signal */
    cap_t ep = cap_make(BH_OBJ_ENDPOINT, kva_to_pa(&ntfn), BH_RIGHTS_ALL, false);
    assert_int_equal(invoke(BH_INV_CONSOLE_SET_NOTIFICATION, ep, 1), BH_E_INVALID_CAPABILITY);
    assert_int_equal(invoke(0x999, cap_null(), 0), BH_E_ILLEGAL_OPERATION);
    target.cap = cap_set_rights(target.cap, BH_RIGHT_WRITE);
    assert_int_equal(invoke(BH_INV_CONSOLE_READ, cap_null(), 0), BH_E_INSUFFICIENT_RIGHTS);
    assert_int_equal(signals, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_order_and_read_packing, setup),
        cmocka_unit_test_setup(test_overflow_drops_oldest, setup),
        cmocka_unit_test_setup(test_notification, setup),
        cmocka_unit_test_setup(test_errors, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
