/*
 * sender: one end of examples/channel.dts. It finds its channel in the device
 * tree, then writes EX_MESSAGES numbered messages into the shared memory,
 * ringing the doorbell after each and waiting for the receiver's ring (the
 * acknowledgement) before the next. Then it powers its VM off. A ring that
 * arrives before the peer has set up its interrupt is lost (an edge), so the
 * receiver also looks at the memory itself once it is ready.
 */
#include "exlib.h"

const char guest_name[] = "sender";

static void put_text(uint64_t dst, uint32_t n)
{
    char text[EX_TEXT_MAX];
    const char *a = "hello #";
    const char *b = " from sender";
    size_t k = 0;
    for (size_t i = 0; a[i] != '\0'; i++) {
        text[k++] = a[i];
    }
    char digits[10];
    size_t nd = 0;
    do {
        digits[nd++] = (char)('0' + n % 10u);
        n /= 10u;
    } while (n != 0);
    while (nd > 0) {
        text[k++] = digits[--nd];
    }
    for (size_t i = 0; b[i] != '\0'; i++) {
        text[k++] = b[i];
    }
    text[k++] = '\0';
    /* Byte stores: the shared memory is Device memory while the MMU is off. */
    for (size_t i = 0; i < k; i++) {
        *(volatile char *)(dst + i) = text[i];
    }
}

void guest_main(uint64_t x0, uint64_t x1, uint64_t x2)
{
    (void)x1;
    (void)x2;
    struct ex_channel ch;
    ex_open_channel(x0, &ch);
    guest_puts(" (");
    guest_putdec(ch.shm_size / 1024u);
    guest_puts(" KiB), doorbell ");
    guest_puthex(ch.doorbell);
    guest_puts(", INTID ");
    guest_putdec(ch.intid);
    guest_puts(", device ");
    guest_puts(ex_read32(ch.doorbell + CHAN_MAGIC) == CHAN_MAGIC_ID ? "ok" : "MISSING");
    guest_puts("\n");
    ex_channel_irq_on(&ch);
    for (uint32_t n = 1; n <= EX_MESSAGES; n++) {
        put_text(ch.shm + EX_TEXT_OFF, n);
        ex_write32(ch.shm, n);
        ex_ring(&ch);
        guest_puts("sent #");
        guest_putdec(n);
        guest_puts("\n");
        guest_gic_eoi(ex_wait_irq()); /* the receiver has read it */
    }
    guest_puts("all ");
    guest_putdec(EX_MESSAGES);
    guest_puts(" messages acknowledged\n");
    guest_poweroff();
}
