/*
 * Example server that checks its own authority from the inside: it counts
 * the capabilities in its CSpace (the spec grants exactly its notification
 * and one signal capability), checks their rights, reads the message the
 * producer left in a channel mapped read-only, then tries to write there:
 * the monitor must report a permission fault.
 */
#include <bh/kobj.h>
#include <bh/print.h>
#include <srv/srv.h>
#include <stddef.h>

#include "channel.h"

int main(const struct bh_bootinfo *arg)
{
    const struct bh_srv_info *si = srv_init(arg);
    unsigned held = 0;
    for (uint64_t slot = 0; slot < (1u << BH_SRV_CNODE_RADIX); slot++) {
        /* An empty slot is an invalid capability; any object refuses label 0. */
        if (bh_invoke(slot, BH_INV_INVALID, NULL, 0, NULL, 0, NULL) != BH_E_INVALID_CAPABILITY) {
            bh_printf("[%s] slot %lu holds a capability\n", si->name, (unsigned long)slot);
            held++;
        }
    }
    bh_printf("[%s] %u capabilities in %u slots\n", si->name, held, 1u << BH_SRV_CNODE_RADIX);
    const struct bh_srv_channel *ch = srv_channel(si, "samples");
    if (ch == NULL || ch->va == 0 || ch->wait_bits == 0) {
        bh_printf("[%s] channel 'samples' is missing or its peer cannot signal\n", si->name);
        srv_exit(1);
    }
    uint64_t bits = 0;
    bh_printf("[%s] signal on own notification: error %u; wait on the peer's: error %u\n", si->name,
              (unsigned)bh_signal(si->ntfn_slot), (unsigned)bh_poll(ch->signal_slot, &bits));
    while ((srv_wait(si) & ch->wait_bits) == 0) {
    }
    const struct msg_box *box = (const struct msg_box *)(uintptr_t)ch->va;
    bh_printf("[%s] read #%u: %s\n", si->name, box->seq, box->text);
    bh_printf("[%s] writing to the read-only channel window at 0x%lx\n", si->name,
              (unsigned long)ch->va);
    bh_flush();
    *(volatile uint32_t *)(uintptr_t)ch->va = 0;
    bh_printf("[%s] ERROR: the write to a read-only mapping did not fault\n", si->name);
    srv_exit(1);
}
