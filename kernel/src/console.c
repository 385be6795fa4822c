#include <kernel/console.h>
#include <kernel/console_input.h>

#include <arch/gic.h>
#include <bh_fmt.h>

#include "../drivers/pl011.h"

/* The documented fallback (QEMU virt PL011) until the DTB names the console. */
static uintptr_t uart_base = 0x09000000;

void console_init(unsigned long base)
{
    uart_base = (uintptr_t)base;
    pl011_init(uart_base);
}

void console_rx_start(unsigned intid)
{
    if (intid < 32u) {
        return; /* no SPI in the device tree: input stays polled (unused) */
    }
    pl011_rx_irq_enable(uart_base);
    console_input_set_irq(intid);
    gic_enable(intid);
}

void console_rx_irq(void)
{
    /* Bounded: one FIFO's worth per round and a few rounds; what arrives
     * later raises the interrupt again. */
    uint8_t buf[32];
    pl011_rx_irq_clear(uart_base);
    for (unsigned round = 0; round < 4u; round++) {
        unsigned n = 0;
        char c;
        while (n < sizeof(buf) && pl011_getc(uart_base, &c)) {
            buf[n++] = (uint8_t)c;
        }
        console_input_push(buf, n);
        if (n < sizeof(buf)) {
            break;
        }
    }
}

void console_putc(char c)
{
    if (c == '\n') {
        pl011_putc(uart_base, '\r');
    }
    pl011_putc(uart_base, c);
}

void kwrite(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        console_putc(s[i]);
    }
}

void kputs(const char *s)
{
    while (*s != '\0') {
        console_putc(*s++);
    }
}

static void sink(char c, void *ctx)
{
    (void)ctx;
    console_putc(c);
}

void kvprintf(const char *fmt, va_list ap)
{
    bh_vformat(sink, NULL, fmt, ap);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}
