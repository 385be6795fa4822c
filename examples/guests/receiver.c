/*
 * receiver: the other end of examples/channel.dts, with a read-only mapping
 * of the shared memory. Whenever the memory holds a new message it prints it
 * and rings back as the acknowledgement; otherwise it waits for the sender's
 * ring. It looks before it first waits: a ring that came before its
 * interrupt was set up is lost. After EX_MESSAGES messages it powers its VM off.
 */
#include "exlib.h"

const char guest_name[] = "receiver";

void guest_main(uint64_t x0, uint64_t x1, uint64_t x2)
{
    (void)x1;
    (void)x2;
    struct ex_channel ch;
    ex_open_channel(x0, &ch);
    uint32_t flags = ex_read32(ch.doorbell + CHAN_FLAGS);
    guest_puts(flags & 2u ? " read-write" : " read-only");
    guest_puts(", INTID ");
    guest_putdec(ch.intid);
    guest_puts("\n");
    ex_channel_irq_on(&ch);
    uint32_t got = 0;
    while (got < EX_MESSAGES) {
        __asm__ volatile("dmb ishld" ::: "memory");
        uint32_t seq = ex_read32(ch.shm);
        if (seq == got) {
            /* Nothing new: wait for a ring (one after the look is latched). */
            guest_gic_eoi(ex_wait_irq());
            continue;
        }
        char text[EX_TEXT_MAX];
        for (uint32_t i = 0; i < EX_TEXT_MAX; i++) {
            text[i] = *(volatile const char *)(ch.shm + EX_TEXT_OFF + i);
        }
        text[EX_TEXT_MAX - 1] = '\0';
        guest_puts("received #");
        guest_putdec(seq);
        guest_puts(": ");
        guest_puts(text);
        guest_puts("\n");
        got = seq;
        ex_ring(&ch); /* read: the sender may go on */
    }
    guest_puts("got all ");
    guest_putdec(EX_MESSAGES);
    guest_puts(" messages\n");
    guest_poweroff();
}
