/*
 * Example server: writes MSG_COUNT messages into the shared memory of channel
 * "samples", signals the consumer after each and waits for its acknowledgement.
 */
#include <bh/print.h>
#include <bh_fmt.h>
#include <srv/srv.h>
#include <stddef.h>

#include "channel.h"

int main(const struct bh_bootinfo *arg)
{
    const struct bh_srv_info *si = srv_init(arg);
    const struct bh_srv_channel *ch = srv_channel(si, "samples");
    if (ch == NULL || ch->va == 0 || (ch->rights & 2u) == 0 || ch->signal_slot == 0) {
        bh_printf("[%s] channel 'samples' is missing, read-only or cannot signal\n", si->name);
        srv_exit(1);
    }
    struct msg_box *box = (struct msg_box *)(uintptr_t)ch->va;
    bh_printf("[%s] writing to channel 'samples' at 0x%lx (%lu KiB), peer '%s'\n", si->name,
              (unsigned long)ch->va, (unsigned long)(ch->size / 1024), ch->peer);
    for (uint32_t i = 1; i <= MSG_COUNT; i++) {
        bh_snprintf(box->text, sizeof(box->text), "hello #%u from %s", i, si->name);
        __atomic_store_n(&box->seq, i, __ATOMIC_RELEASE);
        if (srv_signal(ch) != 0) {
            bh_printf("[%s] signal failed\n", si->name);
            srv_exit(2);
        }
        bh_printf("[%s] sent #%u\n", si->name, i);
        while (ch->wait_bits != 0 && (srv_wait(si) & ch->wait_bits) == 0) {
        }
    }
    bh_printf("[%s] all %u messages sent\n", si->name, MSG_COUNT);
    srv_exit(0);
}
