/*
 * Example server: waits on its notification, prints each message the
 * producer left in channel "samples" (mapped read-only here) and acknowledges
 * it with a signal back.
 */
#include <bh/print.h>
#include <srv/srv.h>
#include <stddef.h>

#include "channel.h"

int main(const struct bh_bootinfo *arg)
{
    const struct bh_srv_info *si = srv_init(arg);
    const struct bh_srv_channel *ch = srv_channel(si, "samples");
    if (ch == NULL || ch->va == 0 || ch->wait_bits == 0) {
        bh_printf("[%s] channel 'samples' is missing or its peer cannot signal\n", si->name);
        srv_exit(1);
    }
    const struct msg_box *box = (const struct msg_box *)(uintptr_t)ch->va;
    bh_printf("[%s] waiting on channel 'samples' (%s) from '%s'\n", si->name,
              (ch->rights & 2u) ? "read-write" : "read-only", ch->peer);
    uint32_t seen = 0;
    while (seen < MSG_COUNT) {
        if ((srv_wait(si) & ch->wait_bits) == 0) {
            continue;
        }
        uint32_t seq = __atomic_load_n(&box->seq, __ATOMIC_ACQUIRE);
        if (seq != seen) {
            bh_printf("[%s] received #%u: %s\n", si->name, seq, box->text);
            seen = seq;
        }
        (void)srv_signal(ch); /* acknowledge (if this end may signal) */
    }
    bh_printf("[%s] got all %u messages from %s\n", si->name, MSG_COUNT, ch->peer);
    srv_exit(0);
}
