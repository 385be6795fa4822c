/* PL011 model: whole-line output with guest prefixes (two guests
 * interleaving byte by byte), FIFO and flag register, interrupts through
 * IMSC/RIS/MIS/ICR, PrimeCell IDs, bad accesses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <vmm/pl011.h>

/* The system console: a list of emitted lines, each from exactly one call. */
static char console[4096];
static size_t console_len;
static unsigned console_calls;

static void sink(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    assert_true(console_len + len < sizeof(console));
    /* Every emitted chunk is one whole line. */
    assert_true(len > 0 && line[len - 1] == '\n');
    assert_null(memchr(line, '\n', len - 1));
    memcpy(console + console_len, line, len);
    console_len += len;
    console[console_len] = '\0';
    console_calls++;
}

static bool irq_level;
static unsigned irq_changes;

static void irq_set(void *ctx, uint32_t intid, bool level)
{
    (void)ctx;
    assert_int_equal(intid, 33);
    irq_level = level;
    irq_changes++;
}

static struct pl011 ua, ub;

static uint32_t rd(struct pl011 *u, uint64_t off)
{
    uint64_t v = 0xdeadbeef;
    assert_true(pl011_mmio(u, off, 4, false, &v));
    return (uint32_t)v;
}

static void wr(struct pl011 *u, uint64_t off, uint32_t val)
{
    uint64_t v = val;
    assert_true(pl011_mmio(u, off, 4, true, &v));
}

static void puts_guest(struct pl011 *u, const char *s)
{
    for (; *s != '\0'; s++) {
        wr(u, 0x000, (uint8_t)*s);
    }
}

static int setup(void **state)
{
    static const struct irq_line line = {irq_set, NULL, 33};
    (void)state;
    console_len = 0;
    console[0] = '\0';
    console_calls = 0;
    irq_level = false;
    irq_changes = 0;
    pl011_init(&ua, "linux", sink, NULL, &line);
    pl011_init(&ub, "rtos", sink, NULL, NULL);
    return 0;
}

static void test_two_guests_interleave(void **state)
{
    const char *a = "hello from a\r\nsecond a line\n";
    const char *b = "B says hi\nand more\n";
    size_t ia = 0, ib = 0;
    (void)state;
    /* Alternate bytes between the guests, as two vCPUs on two cores would. */
    while (a[ia] != '\0' || b[ib] != '\0') {
        if (a[ia] != '\0') {
            wr(&ua, 0, (uint8_t)a[ia++]);
        }
        if (b[ib] != '\0') {
            wr(&ub, 0, (uint8_t)b[ib++]);
        }
    }
    assert_string_equal(console, "[rtos] B says hi\n"
                                 "[linux] hello from a\n"
                                 "[rtos] and more\n"
                                 "[linux] second a line\n");
    assert_int_equal(console_calls, 4);
}

static void test_partial_line_and_flush(void **state)
{
    (void)state;
    puts_guest(&ua, "no newline yet");
    assert_int_equal(console_len, 0);
    pl011_flush(&ua);
    assert_string_equal(console, "[linux] no newline yet\n");
    pl011_flush(&ua); /* nothing pending: nothing emitted */
    assert_int_equal(console_calls, 1);
}

static void test_long_line_split_and_filter(void **state)
{
    char expect[512];
    (void)state;
    for (unsigned i = 0; i < CONLINE_TEXT_MAX + 5; i++) {
        wr(&ua, 0, 'x');
    }
    wr(&ua, 0, '\n');
    assert_int_equal(console_calls, 2);
    memset(expect, 0, sizeof(expect));
    strcpy(expect, "[linux] ");
    memset(expect + 8, 'x', CONLINE_TEXT_MAX);
    strcat(expect, "\n[linux] xxxxx\n");
    assert_string_equal(console, expect);
    console_len = 0;
    /* Escape sequences and control bytes do not reach the console. */
    puts_guest(&ua, "\x1b[2Jok\tz\x7f\x80\n");
    assert_string_equal(console, "[linux] .[2Jok\tz..\n");
}

static void test_ids(void **state)
{
    static const uint32_t ids[8] = {0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
    (void)state;
    for (unsigned i = 0; i < 8; i++) {
        assert_int_equal(rd(&ua, 0xfe0 + 4 * i), ids[i]);
    }
    wr(&ua, 0xfe0, 0); /* read-only */
    assert_int_equal(rd(&ua, 0xfe0), 0x11);
}

static void test_reset_and_regs(void **state)
{
    (void)state;
    assert_int_equal(rd(&ua, 0x030), 0x300); /* CR: TXE|RXE */
    assert_int_equal(rd(&ua, 0x034), 0x12);  /* IFLS: 1/2, 1/2 */
    assert_int_equal(rd(&ua, 0x018), PL011_FR_TXFE | PL011_FR_RXFE);
    wr(&ua, 0x024, 0x1234ffff);
    assert_int_equal(rd(&ua, 0x024), 0xffff);
    wr(&ua, 0x028, 0xff);
    assert_int_equal(rd(&ua, 0x028), 0x3f);
    wr(&ua, 0x02c, 0x70);
    assert_int_equal(rd(&ua, 0x02c), 0x70);
    wr(&ua, 0x030, 0xffff);
    assert_int_equal(rd(&ua, 0x030), 0xff87);
    wr(&ua, 0x038, 0xffff);
    assert_int_equal(rd(&ua, 0x038), 0x7ff);
    wr(&ua, 0x048, 0xff);
    assert_int_equal(rd(&ua, 0x048), 0x7);
    wr(&ua, 0x018, 0); /* FR is read-only */
    assert_int_equal(rd(&ua, 0x018), PL011_FR_TXFE | PL011_FR_RXFE);
    /* 16-bit and byte accesses at register addresses (amba-pl011 uses them). */
    uint64_t v = 0;
    assert_true(pl011_mmio(&ua, 0x018, 2, false, &v));
    assert_int_equal(v, PL011_FR_TXFE | PL011_FR_RXFE);
    assert_true(pl011_mmio(&ua, 0x000, 1, true, &(uint64_t){'q'}));
}

static void test_bad_access(void **state)
{
    uint64_t v = 0;
    (void)state;
    assert_false(pl011_mmio(&ua, 0x1000, 4, false, &v));
    assert_false(pl011_mmio(&ua, 0x000, 8, false, &v));
    assert_false(pl011_mmio(&ua, 0x001, 1, false, &v));
    assert_false(pl011_mmio(&ua, 0x002, 2, false, &v));
    assert_false(pl011_mmio(&ua, 0x000, 3, false, &v));
}

static void test_rx_fifo_and_rx_interrupts(void **state)
{
    uint8_t buf[20];
    (void)state;
    for (unsigned i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)('a' + i);
    }
    wr(&ua, 0x030, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE);
    /* FIFOs off: one-character holding register. */
    assert_int_equal(pl011_rx_push(&ua, buf, 3), 1);
    assert_false(pl011_rx_ready(&ua));
    assert_int_equal(rd(&ua, 0x018) & (PL011_FR_RXFE | PL011_FR_RXFF), PL011_FR_RXFF);
    assert_int_equal(rd(&ua, 0x03c) & PL011_INT_RX, PL011_INT_RX); /* trigger level 1 */
    assert_false(irq_level);                                       /* masked */
    wr(&ua, 0x038, PL011_INT_RX | PL011_INT_RT);
    assert_true(irq_level);
    /* The character waits with no more arriving: the timeout is up too. */
    assert_int_equal(rd(&ua, 0x040), PL011_INT_RX | PL011_INT_RT);
    assert_int_equal(rd(&ua, 0x000), 'a');
    assert_int_equal(rd(&ua, 0x018) & PL011_FR_RXFE, PL011_FR_RXFE);
    assert_int_equal(rd(&ua, 0x03c) & (PL011_INT_RX | PL011_INT_RT), 0);
    assert_false(irq_level);
    assert_int_equal(rd(&ua, 0x000), 0); /* empty FIFO reads 0 */

    /* FIFOs on, RX trigger 1/2 (8 characters). */
    wr(&ua, 0x02c, PL011_LCRH_FEN);
    assert_int_equal(pl011_rx_push(&ua, buf, 5), 5);
    /* Below the trigger: the (immediate) receive timeout reports it. */
    assert_int_equal(rd(&ua, 0x03c) & (PL011_INT_RX | PL011_INT_RT), PL011_INT_RT);
    assert_true(irq_level);
    wr(&ua, 0x044, PL011_INT_RT); /* ICR */
    assert_int_equal(rd(&ua, 0x03c) & PL011_INT_RT, 0);
    assert_false(irq_level);
    assert_int_equal(pl011_rx_push(&ua, buf + 5, 15), 11); /* 16 entries */
    assert_int_equal(rd(&ua, 0x018) & PL011_FR_RXFF, PL011_FR_RXFF);
    assert_int_equal(rd(&ua, 0x03c) & PL011_INT_RX, PL011_INT_RX);
    assert_true(irq_level);
    for (unsigned i = 0; i < 8; i++) {
        assert_int_equal(rd(&ua, 0x000), 'a' + i);
    }
    /* 8 left: still at the trigger level. */
    assert_int_equal(rd(&ua, 0x03c) & PL011_INT_RX, PL011_INT_RX);
    assert_int_equal(rd(&ua, 0x000), 'i');
    assert_int_equal(rd(&ua, 0x03c) & PL011_INT_RX, 0);
    for (unsigned i = 9; i < 16; i++) {
        assert_int_equal(rd(&ua, 0x000), 'a' + i);
    }
    assert_int_equal(rd(&ua, 0x018) & PL011_FR_RXFE, PL011_FR_RXFE);
    assert_false(irq_level);
    /* Trigger level 1/8 (2 characters) through IFLS.RXIFLSEL. */
    wr(&ua, 0x034, 0);
    assert_int_equal(pl011_rx_push(&ua, buf, 2), 2);
    assert_int_equal(rd(&ua, 0x03c) & PL011_INT_RX, PL011_INT_RX);
}

/* TRM: a disabled UART or receiver takes no characters; the VMM keeps them. */
static void test_rx_needs_uarten_and_rxe(void **state)
{
    const uint8_t in[4] = {'o', 'k', '\r', 'x'};
    (void)state;
    wr(&ua, 0x02c, PL011_LCRH_FEN);
    wr(&ua, 0x038, PL011_INT_RX | PL011_INT_RT);
    assert_int_equal(rd(&ua, 0x030) & PL011_CR_UARTEN, 0); /* reset: disabled */
    assert_false(pl011_rx_ready(&ua));
    assert_int_equal(pl011_rx_push(&ua, in, 4), 0);
    assert_int_equal(rd(&ua, 0x018) & PL011_FR_RXFE, PL011_FR_RXFE);
    assert_int_equal(rd(&ua, 0x03c), 0);
    assert_false(irq_level);
    wr(&ua, 0x030, PL011_CR_UARTEN | PL011_CR_TXE); /* receiver still off */
    assert_int_equal(pl011_rx_push(&ua, in, 4), 0);
    wr(&ua, 0x030, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE);
    assert_true(pl011_rx_ready(&ua));
    assert_int_equal(pl011_rx_push(&ua, in, 3), 3);
    /* Below the 1/2 trigger: only the receive timeout; MIS follows IMSC. */
    assert_int_equal(rd(&ua, 0x03c) & (PL011_INT_RX | PL011_INT_RT), PL011_INT_RT);
    assert_int_equal(rd(&ua, 0x040), PL011_INT_RT);
    assert_true(irq_level);
    wr(&ua, 0x038, PL011_INT_RX);
    assert_int_equal(rd(&ua, 0x040), 0);
    assert_false(irq_level);
    wr(&ua, 0x038, PL011_INT_RX | PL011_INT_RT);
    assert_true(irq_level);
    /* FR while characters wait, then DR in arrival order; RT clears when empty. */
    assert_int_equal(rd(&ua, 0x018) & (PL011_FR_RXFE | PL011_FR_RXFF), 0);
    assert_int_equal(rd(&ua, 0x000), 'o');
    assert_int_equal(rd(&ua, 0x03c) & PL011_INT_RT, PL011_INT_RT);
    assert_int_equal(rd(&ua, 0x000), 'k');
    assert_int_equal(rd(&ua, 0x000), '\r');
    assert_int_equal(rd(&ua, 0x03c) & (PL011_INT_RX | PL011_INT_RT), 0);
    assert_int_equal(rd(&ua, 0x018) & PL011_FR_RXFE, PL011_FR_RXFE);
    assert_false(irq_level);
    /* ICR clears a pending timeout even with data left; new data raises it again. */
    assert_int_equal(pl011_rx_push(&ua, in + 3, 1), 1);
    assert_true(irq_level);
    wr(&ua, 0x044, PL011_INT_RT);
    assert_false(irq_level);
    assert_int_equal(rd(&ua, 0x018) & PL011_FR_RXFE, 0);
    assert_int_equal(pl011_rx_push(&ua, in, 1), 1);
    assert_true(irq_level);
    /* Disabling the receiver keeps what the FIFO holds but takes nothing new. */
    wr(&ua, 0x030, PL011_CR_UARTEN | PL011_CR_TXE);
    assert_int_equal(pl011_rx_push(&ua, in, 1), 0);
    assert_int_equal(rd(&ua, 0x000), 'x');
    assert_int_equal(rd(&ua, 0x000), 'o');
    assert_false(irq_level);
}

static void test_tx_interrupt(void **state)
{
    (void)state;
    wr(&ua, 0x044, PL011_INT_MASK);
    assert_int_equal(rd(&ua, 0x03c), 0);
    wr(&ua, 0x038, PL011_INT_TX);
    assert_false(irq_level);
    wr(&ua, 0x000, 'x'); /* the FIFO drains through the trigger level at once */
    assert_int_equal(rd(&ua, 0x03c), PL011_INT_TX);
    assert_int_equal(rd(&ua, 0x040), PL011_INT_TX);
    assert_true(irq_level);
    wr(&ua, 0x044, PL011_INT_TX);
    assert_false(irq_level);
    assert_int_equal(rd(&ua, 0x040), 0);
    /* Masking with RIS still set drops the line; unmasking raises it. */
    wr(&ua, 0x000, 'y');
    assert_true(irq_level);
    wr(&ua, 0x038, 0);
    assert_false(irq_level);
    assert_int_equal(rd(&ua, 0x03c), PL011_INT_TX);
    assert_int_equal(rd(&ua, 0x040), 0);
    wr(&ua, 0x038, PL011_INT_TX);
    assert_true(irq_level);
    assert_int_equal(rd(&ua, 0x018) & (PL011_FR_TXFF | PL011_FR_BUSY | PL011_FR_TXFE),
                     PL011_FR_TXFE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_two_guests_interleave, setup),
        cmocka_unit_test_setup(test_partial_line_and_flush, setup),
        cmocka_unit_test_setup(test_long_line_split_and_filter, setup),
        cmocka_unit_test_setup(test_ids, setup),
        cmocka_unit_test_setup(test_reset_and_regs, setup),
        cmocka_unit_test_setup(test_bad_access, setup),
        cmocka_unit_test_setup(test_rx_fifo_and_rx_interrupts, setup),
        cmocka_unit_test_setup(test_rx_needs_uarten_and_rxe, setup),
        cmocka_unit_test_setup(test_tx_interrupt, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
